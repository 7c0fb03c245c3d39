// The pad's link to the latent page's scatter of test digits: the "you" ring drawn over it, and
// a click (a tap on a phone) on a test digit, which moves the pad's point to that digit's code.
// The chart is Streamlit's own Plotly element, outside the pad's component but in the same
// document: it is found by its Streamlit key. The figure (10,000 points) is sent once per model; a
// latent move sends nothing to the server at all, and the ring follows the pad in the page.
const RING = 18; // px

// The chart element of the Streamlit key `key` (its container carries the class st-key-<key>),
// never one Streamlit is about to replace (a stale element, shown faded while a page reruns).
function findChart(key) {
  const name = key.trim().replace(/[^a-zA-Z0-9_-]/g, "-"); // as Streamlit makes the class
  for (const gd of document.querySelectorAll(`.st-key-${name} .js-plotly-plot`)) {
    if (!gd.closest('[data-stale="true"]')) return gd;
  }
  return null;
}

function place(gd) {
  const z = gd.__youZ, L = gd._fullLayout;
  if (!z || !L || !L.xaxis || !L.yaxis || !L._size) return;
  let ring = gd.querySelector(":scope > .you-marker");
  if (!ring) {
    ring = document.createElement("div");
    ring.className = "you-marker";
    ring.title = "you";
    Object.assign(ring.style, {
      position: "absolute", width: `${RING}px`, height: `${RING}px`, boxSizing: "border-box",
      border: "3px solid #ff4b4b", borderRadius: "50%", pointerEvents: "none", zIndex: "10",
    });
    if (getComputedStyle(gd).position === "static") gd.style.position = "relative";
    gd.appendChild(ring);
  }
  const x = L._size.l + L.xaxis.l2p(z[0]), y = L._size.t + L.yaxis.l2p(z[1]);
  // Outside the axes' range the ring would sit on the margins: hide it there.
  ring.style.display = x < L._size.l - 1 || x > L._size.l + L._size.w + 1 ||
    y < L._size.t - 1 || y > L._size.t + L._size.h + 1 ? "none" : "block";
  ring.style.left = `${x - RING / 2}px`;
  ring.style.top = `${y - RING / 2}px`;
  ring.dataset.z = JSON.stringify(z); // read by the browser tests
}

// Links the pad to the chart of Streamlit key `key` (`link.onPick(index, [z1, z2], label)` hears
// of clicked test digits, and of test digit `link.pending` once looked for in a newly linked
// chart: `onPick(null)` if it is not there). Called on every render of the pad: a model switch brings a chart under
// another key, and Streamlit may draw a chart anew. The chart may come after the pad in the page
// and be drawn later: it is looked for until found.
export function linkScatter(link, key) {
  if (link.key !== key) link.chart = null;
  link.key = key;
  clearTimeout(link.timer);
  let tries = 0;
  const attach = () => {
    const gd = findChart(link.key);
    if (!gd || !gd.on) {
      if (tries++ < 150) link.timer = setTimeout(attach, 200); // 30 s, then again on the next render
      return;
    }
    link.chart = gd;
    gd.__padLink = link; // the handlers below read the current link, whichever pad added them
    if (!gd.__padObserved) {
      gd.__padObserved = true;
      // Margins and size can change without a redraw event (the legend wrapping on resize).
      if (window.ResizeObserver) new ResizeObserver(() => place(gd)).observe(gd);
      gd.__padAfterplot = () => place(gd);
      gd.__padClick = (ev) => {
        const p = ev && ev.points && ev.points[0], link = gd.__padLink;
        // Not a chart on its way out (the previous model's, while the page reruns): its codes
        // are another model's.
        if (p && p.customdata && findChart(link.key) === gd) {
          link.onPick(Number(p.customdata[0]), [Number(p.x), Number(p.y)], Number(p.customdata[1]));
        }
      };
    }
    // Plotly drops every listener when it makes the chart anew: add ours again, once each.
    for (const [event, handler] of [["plotly_afterplot", gd.__padAfterplot], ["plotly_click", gd.__padClick]]) {
      gd.removeListener(event, handler);
      gd.on(event, handler);
    }
    gd.__youZ = link.z;
    place(gd);
    if (link.pending != null) {
      const hit = findPoint(gd, link.pending);
      link.pending = null;
      link.onPick(...(hit || [null])); // not found: the pick is dropped, not left showing another model's code
    }
  };
  attach();
}

// Test digit `index` in the chart (its customdata is [index, label]): [index, [z1, z2], label].
function findPoint(gd, index) {
  for (const d of gd._fullData || []) {
    const cd = d.customdata;
    for (let k = 0; cd && k < cd.length; k++) {
      if (Number(cd[k][0]) === index) return [index, [Number(d.x[k]), Number(d.y[k])], Number(cd[k][1])];
    }
  }
  return null;
}

// Moves the ring to `z` (on every latent move, in the page: no server round trip).
export function markScatter(link, z) {
  link.z = z.slice();
  const gd = link.chart;
  if (!gd || !gd.isConnected || gd.closest('[data-stale="true"]')) {
    if (link.key) linkScatter(link, link.key);
    return;
  }
  gd.__youZ = link.z;
  place(gd);
}
