export default function(component) {
  const { parentElement, setStateValue } = component;
  const canvas = parentElement.querySelector("canvas.draw");
  const ctx = canvas.getContext("2d");
  if (!canvas.dataset.ready) {
    ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height);
    canvas.dataset.ready = "1";
  }
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 22; ctx.lineCap = "round"; ctx.lineJoin = "round";
  let drawing = false;
  function point(ev) {
    const r = canvas.getBoundingClientRect();
    return [(ev.clientX - r.left) / r.width * canvas.width, (ev.clientY - r.top) / r.height * canvas.height];
  }
  canvas.onpointerdown = (ev) => {
    drawing = true; canvas.setPointerCapture(ev.pointerId);
    const [x, y] = point(ev); ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 0.1, y); ctx.stroke();
  };
  canvas.onpointermove = (ev) => { if (!drawing) return; const [x, y] = point(ev); ctx.lineTo(x, y); ctx.stroke(); };
  canvas.onpointerup = () => { drawing = false; };
  parentElement.querySelector("button.clear").onclick = () => {
    ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  parentElement.querySelector("button.use").onclick = () => setStateValue("image", canvas.toDataURL("image/png"));
}
