// A line chart on log-log axes (line_chart.py says why it is not Plotly). Streamlit calls this
// on every rerun with new `data`; it draws the chart again at the canvas' width.
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];
const MARGIN = { left: 62, right: 14, top: 10, bottom: 46 };  // CSS px around the plot area

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".line-chart");
  const canvas = root.querySelector("canvas"), legend = root.querySelector(".legend"), tip = root.querySelector(".tip");
  const ctx = canvas.getContext("2d");
  const all = (axis) => [...data.series.flatMap((s) => s[axis]), ...data[`${axis}_ticks`]];
  const [xlo, xhi] = [Math.min(...all("x")) / 1.15, Math.max(...all("x")) * 1.15];
  const [ylo, yhi] = [Math.min(...all("y")) / 1.15, Math.max(...all("y")) * 1.15];
  let w = 0, h = 0;
  const sx = (v) => MARGIN.left + (Math.log(v / xlo) / Math.log(xhi / xlo)) * w;
  const sy = (v) => MARGIN.top + (1 - Math.log(v / ylo) / Math.log(yhi / ylo)) * h;

  legend.replaceChildren(...data.series.map((s, k) => {
    const item = document.createElement("span"), swatch = document.createElement("i");
    swatch.style.background = COLORS[k % COLORS.length];
    if (!s.lines) Object.assign(swatch.style, { width: ".8rem", height: ".8rem", borderRadius: "50%" });
    item.append(swatch, s.name);
    return item;
  }));

  function draw() {
    const box = fitCanvas(canvas, ctx, MARGIN);
    if (!box) return;
    ({ w, h } = box);
    drawFrame(ctx, { margin: MARGIN, box, sx, sy, xTitle: data.x_title, yTitle: data.y_title,
                     color: getComputedStyle(root).color,
                     xTicks: data.x_ticks.map((t) => [t, String(t)]), yTicks: data.y_ticks.map((t) => [t, String(t)]) });
    data.series.forEach((s, k) => {
      ctx.strokeStyle = ctx.fillStyle = COLORS[k % COLORS.length]; ctx.lineWidth = 2.5;
      if (s.lines) {
        ctx.beginPath(); s.x.forEach((x, i) => (i ? ctx.lineTo(sx(x), sy(s.y[i])) : ctx.moveTo(sx(x), sy(s.y[i])))); ctx.stroke();
      }
      const size = s.lines ? 4.5 : 7;
      s.x.forEach((x, i) => { ctx.beginPath(); ctx.arc(sx(x), sy(s.y[i]), size, 0, 2 * Math.PI); ctx.fill(); });
    });
    canvas.dataset.drawn = String(data.series.reduce((n, s) => n + s.x.length, 0));  // points drawn, for tests
  }

  // The point nearest the pointer within 24 px: its series, code size and error.
  canvas.onpointermove = (event) => {
    const r = canvas.getBoundingClientRect(), cx = event.clientX - r.left, cy = event.clientY - r.top;
    let best = null, bestDistance = 24;
    data.series.forEach((s) => s.x.forEach((x, i) => {
      const d = Math.hypot(sx(x) - cx, sy(s.y[i]) - cy);
      if (d < bestDistance) { best = [s, x, s.y[i]]; bestDistance = d; }
    }));
    tip.hidden = !best;
    if (!best) return;
    const [s, x, y] = best;
    tip.textContent = `${s.name}: k = ${x}, MSE ${y.toFixed(4)}`;
    const host = root.getBoundingClientRect();
    tip.style.left = `${Math.min(r.left - host.left + sx(x) + 10, host.width - tip.offsetWidth - 4)}px`;
    tip.style.top = `${r.top - host.top + sy(y) - 34}px`;
  };
  canvas.onpointerdown = canvas.onpointermove;  // a tap on a phone shows the point too
  canvas.onpointerleave = (event) => { if (event.pointerType === "mouse") tip.hidden = true; };
  if (root.__observer) root.__observer.disconnect();
  root.__observer = new ResizeObserver(draw);
  root.__observer.observe(canvas);
  draw();
}
