// Draws the "you" marker over the latent scatter (app_pages/components/scatter_marker.py).
// The chart is Streamlit's own Plotly element, outside this component: it is found by its
// title, and the marker is an absolutely placed ring in the chart's div, positioned with
// Plotly's axis mapping and placed again after every redraw (resize, zoom).
const RING = 18; // px, the size of the old marker trace

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
  if (!z || !L || !L.xaxis || !L.yaxis) return;
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
  ring.style.left = `${x - RING / 2}px`;
  ring.style.top = `${y - RING / 2}px`;
  ring.dataset.z = JSON.stringify(z); // read by the browser tests
}

export default function ({ data, parentElement }) {
  const root = parentElement.querySelector(".scatter-marker");
  root.dataset.z = JSON.stringify(data.z);
  let tries = 0;
  const attach = () => {
    const gd = findChart(data.chart);
    // The chart comes after this element in the page and may not be drawn yet: wait for it.
    if (!gd) { if (tries++ < 100) setTimeout(attach, 100); return; }
    gd.__youZ = data.z;
    if (!gd.__youListening && gd.on) {
      gd.__youListening = true;
      gd.on("plotly_afterplot", () => place(gd));
      // Margins and size can change without a redraw event (the legend wrapping on resize).
      if (window.ResizeObserver) new ResizeObserver(() => place(gd)).observe(gd);
    }
    place(gd);
  };
  attach();
}
