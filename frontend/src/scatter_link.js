// The pad's link to the latent page's scatter of test digits: the "you" ring drawn over it, and
// a click (a tap on a phone) on a test digit, which moves the pad's point to that digit's code.
// The chart is Streamlit's own Plotly element, outside the pad's component but in the same
// document: it is found by its title. The figure (10,000 points) is sent once per model; a
// latent move sends nothing to the server at all, and the ring follows the pad in the page.
const RING = 18; // px

function findChart(title) {
  for (const gd of document.querySelectorAll(".js-plotly-plot")) {
    const text = gd._fullLayout && gd._fullLayout.title && gd._fullLayout.title.text;
    // Streamlit's theme wraps the title in <b>...</b>.
    if (text && text.replace(/<[^>]*>/g, "") === title) return gd;
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

// On a phone a tap must pick the point under the finger, as a click does. Plotly picks the point
// its hover found, and a mouse hovers before it clicks; a finger does not. A touch on the chart's
// plot area first tells Plotly a pointer is there, with a mousemove at the same spot.
function hoverOnTouch(gd) {
  gd.addEventListener("touchstart", (event) => {
    const area = event.target.closest && event.target.closest(".nsewdrag");
    if (!area || event.touches.length !== 1) return;
    const { clientX, clientY } = event.touches[0];
    area.dispatchEvent(new MouseEvent("mousemove", { clientX, clientY, bubbles: true }));
  }, { capture: true, passive: true });
}

// Links the pad to the chart titled `title`, once per chart element (Streamlit replaces the
// element when the model changes); `link.onPick(index, [z1, z2])` hears of clicked test digits.
// The chart may come after the pad in the page and be drawn later: it is looked for until found.
export function linkScatter(link, title) {
  link.title = title;
  if (link.timer) return;
  const attach = () => {
    link.timer = null;
    const gd = findChart(link.title);
    if (!gd || !gd.on) {
      if (link.tries++ < 150) link.timer = setTimeout(attach, 200); // 30 s, then on the next render
      return;
    }
    link.chart = gd;
    if (!gd.__padObserved) {
      gd.__padObserved = true;
      // Margins and size can change without a redraw event (the legend wrapping on resize).
      if (window.ResizeObserver) new ResizeObserver(() => place(gd)).observe(gd);
      hoverOnTouch(gd);
    }
    // Once per chart; again if Plotly made the chart anew (a new event emitter, no listeners).
    if (gd.__padLinked !== gd._ev) {
      gd.__padLinked = gd._ev;
      gd.on("plotly_afterplot", () => place(gd));
      gd.on("plotly_click", (ev) => {
        const p = ev && ev.points && ev.points[0];
        if (p && p.customdata) link.onPick(Number(p.customdata[0]), [Number(p.x), Number(p.y)]);
      });
    }
    gd.__youZ = link.z;
    place(gd);
  };
  link.tries = 0;
  attach();
}

// Moves the ring to `z` (called on every latent move: no server round trip).
export function markScatter(link, z) {
  link.z = z.slice();
  const gd = link.chart;
  if (!gd || !document.contains(gd)) {
    link.chart = null;
    if (link.title && !link.timer) linkScatter(link, link.title);
    return;
  }
  gd.__youZ = link.z;
  place(gd);
}
