// One function per render: Streamlit calls it again with new `data` after every rerun.
export default function(component) {
  const { data, parentElement, setStateValue } = component;
  const pad = parentElement.querySelector("canvas.pad");
  const digit = parentElement.querySelector("canvas.digit");
  const readout = parentElement.querySelector(".readout");
  const n = data.steps, lo = data.low, hi = data.high, tile = 28;
  const ctxPad = pad.getContext("2d"), ctxDigit = digit.getContext("2d");
  ctxDigit.imageSmoothingEnabled = false;
  let z = data.z.slice(), dragging = false;
  pad.dataset.updates = pad.dataset.updates || "0";

  const sheet = new Image();
  const background = new Image();
  function toPixel(v) { return (v - lo) / (hi - lo) * pad.width; }
  function toLatent(px) { return lo + px / pad.width * (hi - lo); }

  function draw() {
    ctxPad.clearRect(0, 0, pad.width, pad.height);
    if (background.complete && background.naturalWidth) ctxPad.drawImage(background, 0, 0, pad.width, pad.height);
    const x = toPixel(z[0]), y = pad.height - toPixel(z[1]);
    ctxPad.strokeStyle = "#ff4b4b"; ctxPad.lineWidth = 3;
    ctxPad.beginPath(); ctxPad.arc(x, y, 9, 0, 2 * Math.PI); ctxPad.stroke();
    ctxPad.beginPath(); ctxPad.moveTo(x - 14, y); ctxPad.lineTo(x + 14, y);
    ctxPad.moveTo(x, y - 14); ctxPad.lineTo(x, y + 14); ctxPad.stroke();
    if (sheet.complete && sheet.naturalWidth) {
      // Nearest grid cell; row 0 of the sheet is the top of the plane (largest z2).
      const col = Math.round((z[0] - lo) / (hi - lo) * (n - 1));
      const row = n - 1 - Math.round((z[1] - lo) / (hi - lo) * (n - 1));
      const c = Math.min(n - 1, Math.max(0, col)), r = Math.min(n - 1, Math.max(0, row));
      ctxDigit.drawImage(sheet, c * tile, r * tile, tile, tile, 0, 0, digit.width, digit.height);
      pad.dataset.sheet = "drawn";  // tests and benchmarks wait for this, not for time
    }
    readout.textContent = `z = (${z[0].toFixed(2)}, ${z[1].toFixed(2)})`;
    pad.dataset.updates = String(Number(pad.dataset.updates) + 1);
    pad.dataset.z = z.map(v => v.toFixed(3)).join(",");
  }

  function moveTo(ev) {
    const rect = pad.getBoundingClientRect();
    const px = (ev.clientX - rect.left) / rect.width * pad.width;
    const py = (ev.clientY - rect.top) / rect.height * pad.height;
    z = [toLatent(Math.min(pad.width, Math.max(0, px))), toLatent(Math.min(pad.height, Math.max(0, pad.height - py)))];
    draw();
  }
  pad.onpointerdown = (ev) => { dragging = true; pad.setPointerCapture(ev.pointerId); moveTo(ev); };
  pad.onpointermove = (ev) => { if (dragging) moveTo(ev); };
  pad.onpointerup = (ev) => {
    if (!dragging) return;
    dragging = false;
    moveTo(ev);
    setStateValue("z", [Number(z[0].toFixed(3)), Number(z[1].toFixed(3))]);
  };
  sheet.onload = draw;
  background.onload = draw;
  sheet.src = data.sheet;
  if (data.background) background.src = data.background;
  draw();
}
