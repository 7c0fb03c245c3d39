// The latent page's scatter of the 10,000 test digits on a canvas (latent_scatter.py says why
// not Plotly). A click or tap on a digit picks it: the pad (onnx_pad, frontend/src/scatter_link.js)
// moves its point to that digit's code and shows it; the pad's point is drawn here as the "you"
// ring and follows every move, in the page. The two meet in `window.__latentLink`:
//   link.onPick(key, index, [z1, z2], label)  the pad hears of a pick in the chart of `key`
//   link.z                                    the pad's point, [z1, z2]
//   link.chart                                this chart's API, set here on every render
const MARGIN = { left: 50, right: 12, top: 8, bottom: 42 };
const RING = 9;  // px

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".latent-scatter");
  const canvas = root.querySelector("canvas"), ring = root.querySelector(".you-marker"), tip = root.querySelector(".tip");
  const ctx = canvas.getContext("2d");
  const labels = decode(data.labels, Uint8Array), { x, y, n } = unpackPoints(data), [lo, hi] = data.range;
  root.querySelector(".title").textContent = data.title;
  root.querySelector(".legend").replaceChildren(Object.assign(document.createElement("b"), { textContent: "digit" }),
                                                ...data.colors.map((colour, d) => {
    const item = document.createElement("span"), swatch = document.createElement("i");
    swatch.style.background = colour;
    item.append(swatch, String(d));
    return item;
  }));
  let w = 0, h = 0;
  const sx = (v) => MARGIN.left + ((v - lo) / (hi - lo)) * w;
  const sy = (v) => MARGIN.top + (1 - (v - lo) / (hi - lo)) * h;
  const inside = (i) => x[i] >= lo && x[i] <= hi && y[i] >= lo && y[i] <= hi;
  const background = new Image();

  function draw() {
    // A square plot area, like the pad: as tall as it is wide, plus the margins.
    const height = `${Math.max(0, canvas.clientWidth - MARGIN.left - MARGIN.right + MARGIN.top + MARGIN.bottom)}px`;
    if (canvas.style.height !== height) canvas.style.height = height;
    const box = fitCanvas(canvas, ctx, MARGIN);
    if (!box) return;
    ({ w, h } = box);
    canvas.dataset.background = data.background ? "loading" : "none";  // for tests
    if (data.background && background.complete && background.naturalWidth) {
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(background, MARGIN.left, MARGIN.top, w, h);
      canvas.dataset.background = "drawn";
    }
    const nice = niceTicks(lo, hi), ticks = nice.ticks.map((t) => [t, t.toFixed(nice.digits)]);
    drawFrame(ctx, { margin: MARGIN, box, sx, sy, xTicks: ticks, yTicks: ticks, xTitle: "z1", yTitle: "z2",
                     color: getComputedStyle(root).color });
    ctx.save();
    ctx.beginPath(); ctx.rect(MARGIN.left, MARGIN.top, w, h); ctx.clip();  // points beyond the square are not drawn
    ctx.globalAlpha = 0.6;
    for (let d = 0; d < data.colors.length; d++) {
      ctx.fillStyle = data.colors[d]; ctx.beginPath();
      for (let i = 0; i < n; i++) if (labels[i] === d) { ctx.moveTo(sx(x[i]) + 2, sy(y[i])); ctx.arc(sx(x[i]), sy(y[i]), 2, 0, 2 * Math.PI); }
      ctx.fill();
    }
    ctx.restore();
    canvas.dataset.drawn = String(n);
    placeRing();
  }

  // The pad's point as a ring over the chart (a positioned element: a move redraws no points).
  function placeRing() {
    const z = window.__latentLink && window.__latentLink.z;
    if (!z || !w) { ring.hidden = true; return; }
    const px = sx(z[0]), py = sy(z[1]);
    ring.hidden = px < MARGIN.left - 1 || px > MARGIN.left + w + 1 || py < MARGIN.top - 1 || py > MARGIN.top + h + 1;
    ring.style.left = `${canvas.offsetLeft + px - RING}px`;
    ring.style.top = `${canvas.offsetTop + py - RING}px`;
    ring.dataset.z = JSON.stringify(z);  // read by the browser tests
  }

  // The test digit under (cx, cy), CSS px of the canvas: the nearest within `reach`, or -1.
  function pointNear(cx, cy, reach) {
    let best = -1, bestDistance = reach;
    for (let i = 0; i < n; i++) {
      if (!inside(i)) continue;
      const distance = Math.hypot(sx(x[i]) - cx, sy(y[i]) - cy);
      if (distance <= bestDistance) { best = i; bestDistance = distance; }
    }
    return best;
  }
  const local = (event) => { const r = canvas.getBoundingClientRect(); return [event.clientX - r.left, event.clientY - r.top]; };
  function showTip(i) {
    tip.hidden = i < 0;
    if (i < 0) return;
    tip.textContent = `digit ${labels[i]} · test image #${i}`;
    tip.style.left = `${Math.min(canvas.offsetLeft + sx(x[i]) + 10, root.clientWidth - tip.offsetWidth - 4)}px`;
    tip.style.top = `${Math.max(0, canvas.offsetTop + sy(y[i]) - 34)}px`;
  }
  canvas.onpointermove = (event) => { if (event.pointerType === "mouse") showTip(pointNear(...local(event), 8)); };
  canvas.onpointerleave = (event) => { if (event.pointerType === "mouse") tip.hidden = true; };
  let down = null;
  canvas.onpointerdown = (event) => { down = local(event); };
  canvas.onpointerup = (event) => {
    const at = local(event);
    if (!down || Math.hypot(at[0] - down[0], at[1] - down[1]) > 8) return;  // a drag or a scroll, not a tap
    down = null;
    const i = pointNear(...at, event.pointerType === "mouse" ? 8 : 16);
    showTip(i);
    const link = window.__latentLink;
    if (i >= 0 && link && link.onPick) link.onPick(data.key, i, [x[i], y[i]], labels[i]);
  };
  // For tests: where a code is drawn on screen, where test digit i is, and its code.
  canvas.toScreen = (z) => { const r = canvas.getBoundingClientRect(); return [r.left + sx(z[0]), r.top + sy(z[1])]; };
  canvas.pointAt = (i) => (inside(i) ? canvas.toScreen([x[i], y[i]]) : null);  // null: beyond the square, not drawn
  canvas.codeOf = (i) => [x[i], y[i]];

  const link = (window.__latentLink ||= {});
  link.chart = { key: data.key, placeRing, point: (i) => (i >= 0 && i < n ? [i, [x[i], y[i]], labels[i]] : null) };
  if (link.onChart) link.onChart(link.chart);  // the pad may be waiting for this chart (a pick across a model switch)
  background.onload = draw;
  if (data.background) background.src = data.background;
  if (root.__observer) root.__observer.disconnect();
  root.__observer = new ResizeObserver(draw);
  root.__observer.observe(canvas);
  draw();
}
