// What the canvas charts share (linked_charts.js, line_chart.js, latent_scatter.js): reading the
// points Python sends, sizing a canvas to its box at the screen's pixel density, and drawing the
// frame, grid, tick labels and axis titles. A component's JavaScript is one module, so
// canvas_plot.py puts this file in front of each one's own.

// A base64 string (canvas_plot.py's `packed`) as a typed array of `Type`.
function decode(base64, Type) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Type(bytes.buffer);
}

// The points of canvas_plot.py's `quantised` ({xy, scale}) as coordinates: {x, y, n}.
function unpackPoints({ xy, scale }) {
  const q = decode(xy, Uint16Array), n = q.length / 2;
  const [[x0, x1], [y0, y1]] = scale;
  const x = new Float32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = x0 + (q[2 * i] / 65535) * (x1 - x0);
    y[i] = y0 + (q[2 * i + 1] / 65535) * (y1 - y0);
  }
  return { x, y, n };
}

// Sizes `canvas` to its CSS box (sharp on a phone's 2x or 3x screen) and clears it; returns the
// plot area inside `margin` in CSS px, or null while the canvas is not laid out.
function fitCanvas(canvas, ctx, margin) {
  const width = canvas.clientWidth, height = canvas.clientHeight, dpr = window.devicePixelRatio || 1;
  if (!width) return null;
  canvas.width = Math.round(width * dpr); canvas.height = Math.round(height * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { width, height, w: width - margin.left - margin.right, h: height - margin.top - margin.bottom };
}

// Grid lines and labels at `xTicks` / `yTicks` ([value, label] pairs, placed by sx / sy), the
// plot area's frame, and the two axis titles, in the page's text colour.
function drawFrame(ctx, { margin, box, sx, sy, xTicks, yTicks, xTitle, yTitle, color }) {
  const { w, h, height } = box;
  ctx.strokeStyle = "rgba(128,128,128,0.25)"; ctx.lineWidth = 1; ctx.fillStyle = color; ctx.font = "13px sans-serif";
  ctx.beginPath();
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (const [value, label] of xTicks) {
    const px = Math.round(sx(value)) + 0.5;
    ctx.moveTo(px, margin.top); ctx.lineTo(px, margin.top + h); ctx.fillText(label, px, margin.top + h + 5);
  }
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const [value, label] of yTicks) {
    const py = Math.round(sy(value)) + 0.5;
    ctx.moveTo(margin.left, py); ctx.lineTo(margin.left + w, py); ctx.fillText(label, margin.left - 6, py);
  }
  ctx.stroke();
  ctx.strokeStyle = "rgba(128,128,128,0.6)"; ctx.strokeRect(margin.left + 0.5, margin.top + 0.5, w - 1, h - 1);
  ctx.font = "14px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "bottom";
  ctx.fillText(xTitle, margin.left + w / 2, height - 2);
  ctx.save(); ctx.translate(14, margin.top + h / 2); ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle"; ctx.fillText(yTitle, 0, 0); ctx.restore();
}

// About five round-numbered ticks over [lo, hi], and the decimals their labels need.
function niceTicks(lo, hi) {
  const raw = (hi - lo) / 5, power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) ticks.push(Math.abs(t) < step / 1e6 ? 0 : t);
  return { ticks, digits: Math.max(0, -Math.floor(Math.log10(step))) };
}
