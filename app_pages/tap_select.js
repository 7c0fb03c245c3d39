// Scatter charts of a linked selection (linked_scatter.py) and the latent page's scatter, in the
// page itself. Registered once per browser tab; Streamlit calls this on every render of the
// (invisible) element.
//
// 1. On a phone a tap on a point must select it, as a click does. Plotly selects the point its
//    hover found, and a mouse hovers before it clicks; a finger does not, so Plotly's tap found
//    nothing to select (it only showed the label, and a second tap selected). Here a touch on a
//    chart's plot area first tells Plotly a pointer is there, with a mousemove at the same spot,
//    so the tap selects the point under the finger.
// 2. A double-click, or a click (tap) on empty space, in a chart clears the selection, as people
//    expect from Plotly. Python never hears of it: the charts hold no selection of their own (see
//    linked_scatter.py), so Plotly has nothing to clear and sends no event. Here the page presses
//    "Clear selection" instead, the button beside the charts, when it is enabled.
export default function () {
  if (window.__explorerTapSelect) return;
  window.__explorerTapSelect = true;
  const plotArea = (target) => target.closest && target.closest(".js-plotly-plot .nsewdrag");
  const clearSelection = () => {
    const button = [...document.querySelectorAll("button")].find(
      (b) => b.textContent.trim() === "Clear selection" && !b.disabled,
    );
    if (button) button.click();
  };

  document.addEventListener(
    "touchstart",
    (event) => {
      const area = plotArea(event.target);
      if (!area || event.touches.length !== 1) return;
      const { clientX, clientY } = event.touches[0];
      area.dispatchEvent(new MouseEvent("mousemove", { clientX, clientY, bubbles: true }));
    },
    { capture: true, passive: true },
  );

  // Where the pointer went down: a drag (a lasso, a pan) is not a click on empty space.
  let down = null;
  document.addEventListener("pointerdown", (e) => { down = { x: e.clientX, y: e.clientY }; }, { capture: true });
  document.addEventListener(
    "click",
    (event) => {
      const area = plotArea(event.target);
      if (!area || !down || Math.hypot(event.clientX - down.x, event.clientY - down.y) > 6) return;
      const chart = area.closest(".js-plotly-plot");
      // Plotly keeps the points under the pointer in _hoverdata; none there means empty space.
      if (!chart._hoverdata || chart._hoverdata.length === 0) clearSelection();
    },
    { capture: true },
  );
  document.addEventListener(
    "dblclick",
    (event) => { if (plotArea(event.target)) clearSelection(); },
    { capture: true },
  );
}
