// Scatters of the same test digits in several 2-D views, with one selection shared by all of
// them, drawn on canvases in the page (linked_charts.py says why not Plotly).
//
// Streamlit calls this function on every rerun with new `data`: it rebuilds the charts, and
// the selection, kept per page (`data.id`) outside the function, survives (a model change on
// "More than two dimensions" keeps the digits selected). Selecting never reaches the server.
//
// What a person does, and what happens:
// - click (tap) a point: that test digit alone is selected, in every chart;
// - click the one selected point again, click or double-click empty space, or "Clear
//   selection": nothing is selected;
// - drag round some points with a mouse (on a touch screen, after turning "Lasso" on, so that
//   a finger still scrolls the page otherwise): the digits inside are selected.
// For tests, every canvas says what it draws at full opacity (`data-highlighted`: "all", or the
// sorted test indices) and where a test digit is on screen (`canvas.pointAt(i)`).
const selections = (window.__linkedChartSelections ||= new Map());  // data.id -> Set of test indices
const FADED = 0.07;  // opacity of the points outside a selection
const FEW = 50;  // a selection this small is drawn larger and ringed: one point must be findable on a phone
const MARGIN = { left: 46, right: 10, top: 8, bottom: 40 };  // CSS px around the plot area

function chart(cell, view, points, shared) {
  const { labels, colors, selection, onSelect, lassoOn, tooltip } = shared;
  const [[xlo, xhi], [ylo, yhi]] = view.range;
  const title = Object.assign(document.createElement("div"), { className: "title", textContent: view.title });
  const canvas = Object.assign(document.createElement("canvas"), { className: "scatter" });
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${view.title}: scatter of ${points.n} test digits`);
  cell.append(title, canvas);
  const ctx = canvas.getContext("2d");
  let w = 0, h = 0;  // plot area, CSS px
  const sx = (v) => MARGIN.left + ((Math.min(xhi, Math.max(xlo, v)) - xlo) / (xhi - xlo)) * w;
  const sy = (v) => MARGIN.top + (1 - (Math.min(yhi, Math.max(ylo, v)) - ylo) / (yhi - ylo)) * h;
  const outside = (i) => points.x[i] < xlo || points.x[i] > xhi || points.y[i] < ylo || points.y[i] > yhi;
  const text = getComputedStyle(cell).color || "#31333f";

  function mark(i, size) {
    const px = sx(points.x[i]), py = sy(points.y[i]);
    if (outside(i)) {  // pinned to the edge: an x, not a dot
      ctx.moveTo(px - size, py - size); ctx.lineTo(px + size, py + size);
      ctx.moveTo(px + size, py - size); ctx.lineTo(px - size, py + size);
    } else {
      ctx.moveTo(px + size, py); ctx.arc(px, py, size, 0, 2 * Math.PI);
    }
  }

  function drawPoints(indices, alpha, size) {
    ctx.globalAlpha = alpha;
    for (let d = 0; d < colors.length; d++) {
      const own = indices.filter((i) => labels[i] === d);
      ctx.fillStyle = ctx.strokeStyle = colors[d];
      ctx.lineWidth = 1.6;
      ctx.beginPath(); own.filter((i) => !outside(i)).forEach((i) => mark(i, size)); ctx.fill();
      ctx.beginPath(); own.filter(outside).forEach((i) => mark(i, size + 1.5)); ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }

  function draw() {
    const box = fitCanvas(canvas, ctx, MARGIN);
    if (!box) return;
    ({ w, h } = box);
    const xt = niceTicks(xlo, xhi), yt = niceTicks(ylo, yhi);
    drawFrame(ctx, { margin: MARGIN, box, sx, sy, xTitle: view.axes[0], yTitle: view.axes[1], color: text,
                     xTicks: xt.ticks.map((t) => [t, t.toFixed(xt.digits)]), yTicks: yt.ticks.map((t) => [t, t.toFixed(yt.digits)]) });
    const all = [...Array(points.n).keys()];
    if (selection.size === 0) {
      drawPoints(all, 1, 2.5);
      canvas.dataset.highlighted = "all";
    } else {
      const chosen = [...selection].sort((a, b) => a - b);
      const few = chosen.length <= FEW;
      drawPoints(all.filter((i) => !selection.has(i)), FADED, 2.5);
      drawPoints(chosen, 1, few ? 5 : 2.5);
      if (few) {
        ctx.strokeStyle = text; ctx.lineWidth = 1.5; ctx.beginPath();
        chosen.forEach((i) => { ctx.moveTo(sx(points.x[i]) + 7, sy(points.y[i])); ctx.arc(sx(points.x[i]), sy(points.y[i]), 7, 0, 2 * Math.PI); });
        ctx.stroke();
      }
      canvas.dataset.highlighted = chosen.join(",");
    }
  }

  // The point under (cx, cy) in CSS px of the canvas: the nearest within `reach`, the one drawn
  // on top (a selected one, then the later index) among equals; -1 for empty space.
  function pointNear(cx, cy, reach) {
    let best = -1, bestDistance = reach;
    for (let i = 0; i < points.n; i++) {
      const distance = Math.hypot(sx(points.x[i]) - cx, sy(points.y[i]) - cy);
      const onTop = selection.size === 0 || selection.has(i) || !selection.has(best);
      if (distance < bestDistance || (distance === bestDistance && onTop)) { best = i; bestDistance = distance; }
    }
    return best;
  }

  function inside(polygon, px, py) {
    let within = false;
    for (let a = 0, b = polygon.length - 1; a < polygon.length; b = a++) {
      const [xa, ya] = polygon[a], [xb, yb] = polygon[b];
      if ((ya > py) !== (yb > py) && px < ((xb - xa) * (py - ya)) / (yb - ya) + xa) within = !within;
    }
    return within;
  }

  const local = (event) => {
    const r = canvas.getBoundingClientRect();
    return [event.clientX - r.left, event.clientY - r.top];
  };
  function showTip(i, event) {
    if (i < 0) { tooltip.hidden = true; return; }
    tooltip.textContent = `digit ${labels[i]} · test image #${i} · at (${points.x[i].toFixed(2)}, ${points.y[i].toFixed(2)})`;
    tooltip.hidden = false;
    const host = tooltip.parentElement.getBoundingClientRect();
    const r = canvas.getBoundingClientRect();
    const left = r.left - host.left + sx(points.x[i]) + 10, top = r.top - host.top + sy(points.y[i]) - 34;
    tooltip.style.left = `${Math.min(left, host.width - tooltip.offsetWidth - 4)}px`;
    tooltip.style.top = `${Math.max(0, top)}px`;
  }

  let stroke = null;  // the pointer's path while pressed, in CSS px of the canvas
  canvas.onpointerdown = (event) => {
    if (event.button > 0) return;
    stroke = { path: [local(event)], span: 0, touch: event.pointerType !== "mouse" };
    if (!stroke.touch || lassoOn()) canvas.setPointerCapture(event.pointerId);
  };
  canvas.onpointermove = (event) => {
    const [cx, cy] = local(event);
    if (!stroke) {
      if (event.pointerType === "mouse") showTip(pointNear(cx, cy, 10), event);
      return;
    }
    const [x0, y0] = stroke.path[0];
    stroke.span = Math.max(stroke.span, Math.hypot(cx - x0, cy - y0));
    if (stroke.touch && !lassoOn()) return;  // a finger scrolls the page unless Lasso is on
    stroke.path.push([cx, cy]);
    draw();
    ctx.strokeStyle = text; ctx.lineWidth = 1.5; ctx.setLineDash([5, 4]);
    ctx.beginPath(); stroke.path.forEach(([px, py], k) => (k ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
    ctx.closePath(); ctx.stroke(); ctx.setLineDash([]);
  };
  canvas.onpointerup = (event) => {
    if (!stroke) return;
    const { path, touch } = stroke;
    const [cx, cy] = local(event), [x0, y0] = path[0];
    const span = Math.max(stroke.span, Math.hypot(cx - x0, cy - y0));  // how far the pointer went
    stroke = null;
    if (span < 8) {  // a click or a tap
      const i = pointNear(cx, cy, touch ? 16 : 10);
      const again = i >= 0 && selection.size === 1 && selection.has(i);
      onSelect(i < 0 || again ? [] : [i]);
      if (i >= 0 && !again) showTip(i, event); else tooltip.hidden = true;
    } else if (path.length > 2) {
      path.push([cx, cy]);
      const picked = [];
      for (let i = 0; i < points.n; i++) if (inside(path, sx(points.x[i]), sy(points.y[i]))) picked.push(i);
      onSelect(picked);
    } else {
      draw();
    }
  };
  canvas.onpointercancel = () => { stroke = null; draw(); };  // the page scrolled instead
  canvas.onpointerleave = (event) => { if (event.pointerType === "mouse") tooltip.hidden = true; };
  canvas.ondblclick = () => onSelect([]);
  canvas.pointAt = (i) => {
    const r = canvas.getBoundingClientRect();
    return [r.left + sx(points.x[i]), r.top + sy(points.y[i])];
  };
  canvas.emptySpot = () => {  // a spot of the plot area at least 25 px from every point: for tests
    const r = canvas.getBoundingClientRect();
    for (let py = MARGIN.top + 12; py < MARGIN.top + h - 12; py += 6)
      for (let px = MARGIN.left + 12; px < MARGIN.left + w - 12; px += 6)
        if (pointNear(px, py, 25) < 0) return [r.left + px, r.top + py];
    return null;
  };
  return { draw, canvas };
}

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement.querySelector(".linked");
  if (root.__observer) root.__observer.disconnect();
  root.replaceChildren();
  const selection = selections.get(data.id) || new Set();
  selections.set(data.id, selection);
  const labels = decode(data.labels, Uint8Array);

  const bar = Object.assign(document.createElement("div"), { className: "bar" });
  const lasso = Object.assign(document.createElement("button"), { className: "lasso", type: "button" });
  const clear = Object.assign(document.createElement("button"), { className: "clear", type: "button", textContent: "Clear selection" });
  const status = Object.assign(document.createElement("span"), { className: "status" });
  bar.append(lasso, clear, status);
  const grid = Object.assign(document.createElement("div"), { className: "grid" });
  const tooltip = Object.assign(document.createElement("div"), { className: "tooltip", hidden: true });
  root.append(bar, grid, tooltip);

  // A mouse drag always draws a lasso; a finger's drag scrolls the page unless this is on, so the
  // button shows only on a touch screen.
  lasso.hidden = !(navigator.maxTouchPoints > 0 || matchMedia("(pointer: coarse)").matches);
  let lassoMode = false;
  const showLasso = () => {
    lasso.textContent = lassoMode ? "Lasso: on" : "Lasso: off";
    lasso.setAttribute("aria-pressed", String(lassoMode));
    grid.classList.toggle("lasso-on", lassoMode);
  };
  lasso.onclick = () => { lassoMode = !lassoMode; showLasso(); };
  showLasso();

  const charts = [];
  function redraw() {
    charts.forEach((c) => c.draw());
    clear.disabled = selection.size === 0;
    const only = selection.size === 1 ? [...selection][0] : -1;
    status.textContent = selection.size === 0 ? "Nothing selected."
      : only >= 0 ? `1 selected: test image #${only}, a ${labels[only]}.` : `${selection.size} selected.`;
  }
  function onSelect(indices) {
    selection.clear();
    indices.forEach((i) => selection.add(i));
    redraw();
  }
  clear.onclick = () => { onSelect([]); tooltip.hidden = true; };

  const shared = { labels, colors: data.colors, selection, onSelect, lassoOn: () => lassoMode, tooltip };
  for (const view of data.views) {
    const cell = Object.assign(document.createElement("div"), { className: "cell" });
    grid.append(cell);
    charts.push(chart(cell, view, unpackPoints(view), shared));
  }
  if (data.note) {  // beside an odd chart out, else under the charts
    const note = Object.assign(document.createElement("p"), { className: "note" });
    // `command` as code, the rest as text (never as HTML)
    data.note.split("`").forEach((part, k) => note.append(k % 2 ? Object.assign(document.createElement("code"), { textContent: part }) : part));
    (data.views.length % 2 ? grid : root).append(note);
  }
  root.__observer = new ResizeObserver(() => redraw());
  root.__observer.observe(grid);
  redraw();
}
