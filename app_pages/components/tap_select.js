// The latent page's scatter (a Plotly chart), in the page itself. Registered once per browser
// tab; Streamlit calls this on every render of the (invisible) element.
//
// On a phone a tap on a point must pick it, as a click does. Plotly picks the point its hover
// found, and a mouse hovers before it clicks; a finger does not, so Plotly's tap found nothing
// (it only showed the label, and a second tap picked). Here a touch on a chart's plot area first
// tells Plotly a pointer is there, with a mousemove at the same spot, so the tap picks the point
// under the finger.
export default function () {
  if (window.__explorerTapSelect) return;
  window.__explorerTapSelect = true;
  document.addEventListener(
    "touchstart",
    (event) => {
      const area = event.target.closest && event.target.closest(".js-plotly-plot .nsewdrag");
      if (!area || event.touches.length !== 1) return;
      const { clientX, clientY } = event.touches[0];
      area.dispatchEvent(new MouseEvent("mousemove", { clientX, clientY, bubbles: true }));
    },
    { capture: true, passive: true },
  );
}
