// The latent pad, run by the model itself in the page (see app_pages/components/onnx_pad).
// Streamlit imports this module once and calls the default export on every render with new
// `data`; the ONNX sessions live at module level and the pad's state on its element.
import * as ort from "onnxruntime-web/wasm";
import { toMnist } from "./mnist.js";
import { linkScatter, markScatter } from "./scatter_link.js";

// Everything from this component's own asset directory, never a CDN: ONNX Runtime's .wasm
// sits beside this bundle. One thread (no SharedArrayBuffer, no cross-origin isolation
// needed) and no proxy worker: a decode of a small model takes a millisecond or two anyway.
// The object form names the .wasm only: the bundle carries ONNX Runtime's JavaScript glue itself.
ort.env.wasm.wasmPaths = { wasm: new URL("ort-wasm-simd-threaded.wasm", import.meta.url).href };
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;

const sessions = new Map(); // absolute URL -> Promise<InferenceSession>
function session(url) {
  const href = new URL(url, import.meta.url).href;
  if (!sessions.has(href)) {
    sessions.set(href, ort.InferenceSession.create(href, { executionProviders: ["wasm"] }));
  }
  return sessions.get(href);
}

// ONNX Runtime Web runs one call at a time per session; one queue for all keeps it simple.
let queue = Promise.resolve();
function exclusive(fn) {
  const run = queue.then(fn);
  queue = run.catch(() => {});
  return run;
}

function digitFeed(data, label) {
  return data.conditional ? { digit: new ort.Tensor("int64", BigInt64Array.from([BigInt(label)]), [1]) } : {};
}

// `label`: the conditional VAE's digit (the pad's own by default). The model is the one of the
// moment of the call: a model switch while it waits for the session must not mix two models.
async function decode(state, z, label = state.label) {
  const data = state.data;
  const s = await session(data.decoder);
  const code = new ort.Tensor("float32", Float32Array.from(z), [1, z.length]);
  const out = await exclusive(() => s.run({ code, ...digitFeed(data, label) }));
  return out.image.data; // Float32Array(784), row-major 28x28 in [0, 1]
}

// The test digits, DIGITS_PER_FILE to a PNG sheet in rows of ten (app_pages/latent_pictures.py):
// a sheet is fetched the first time one of its digits is picked, then the browser keeps it.
const sheets = new Map(); // absolute URL -> Promise<HTMLImageElement>
function testSheet(data, index) {
  const file = Math.floor(index / data.digitsPerFile);
  const url = new URL(data.testDigits.replace("{i}", String(file)), import.meta.url).href;
  if (!sheets.has(url)) {
    sheets.set(url, new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = () => { sheets.delete(url); reject(new Error(`could not load ${url}`)); };
      image.src = url;
    }));
  }
  return sheets.get(url);
}

async function encode(state, pixels) {
  const data = state.data;
  const s = await session(data.encoder);
  const image = new ort.Tensor("float32", pixels, [1, 1, 28, 28]);
  const out = await exclusive(() => s.run({ image, ...digitFeed(data, state.label) }));
  if (out.mean) return { mean: Array.from(out.mean.data), sigma: Array.from(out.logvar.data, (v) => Math.exp(0.5 * v)) };
  return { mean: Array.from(out.code.data), sigma: null };
}

function paint(canvas, pixels) {
  const small = document.createElement("canvas");
  small.width = small.height = 28;
  const img = small.getContext("2d").createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  small.getContext("2d").putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

function fmt(v) {
  return (v >= 0 ? " " : "") + v.toFixed(4);
}

function setup(root) {
  const el = (sel) => root.querySelector(sel);
  const state = {
    pad: el("canvas.pad"), digit: el("canvas.digit"), draw: el("canvas.draw"), recon: el("canvas.recon"),
    readout: el(".readout"), status: el(".status"), labels: el(".labels"), drawCode: el(".draw-code"),
    z1: el("input.z1"), z2: el("input.z2"), sigma: el("input.sigma"), sigmaOut: el("output.sigma"),
    neighbours: el(".neighbours"), neighboursTitle: el(".neighbours-title"),
    picked: el(".picked"), pickedTitle: el(".picked-title"), pickedRow: el(".picked-row"),
    original: el("canvas.original"), reconstruction: el("canvas.reconstruction"),
    data: null, z: [0, 0], label: 0, mode: "loading", drawn: null, dragging: false,
    sheet: new Image(), background: new Image(), link: { z: [0, 0], onPick: () => {} },
    pick: null, // the test digit picked in the scatter: {index, label, z}, until the point moves off it
  };
  state.hint = state.pickedTitle.textContent;
  state.picked.dataset.updates = "0";
  // Eight neighbours, each a 28x28 canvas with its code under it.
  const strip = el(".neighbours .strip");
  state.neighbourCanvases = [];
  state.neighbourCaptions = [];
  for (let i = 0; i < 8; i++) {
    const figure = document.createElement("figure"), canvas = document.createElement("canvas");
    const caption = document.createElement("figcaption");
    canvas.width = canvas.height = 56;
    figure.append(canvas, caption);
    strip.appendChild(figure);
    state.neighbourCanvases.push(canvas);
    state.neighbourCaptions.push(caption);
  }
  state.zOut = [el("output.z1"), el("output.z2")];
  for (const c of [state.pad, state.digit, state.draw]) c.dataset.updates = c.dataset.updates || "0";
  state.pad.dataset.decodes = "0";
  state.draw.dataset.encodes = "0";
  state.sheet.onload = () => state.mode === "fallback" && showFallback(state);
  state.background.onload = () => drawPad(state);

  // Pointer on the pad: every move decodes at the exact code under it.
  const toLatent = (px, size) => state.data.low + (px / size) * (state.data.high - state.data.low);
  function moveTo(ev) {
    const r = state.pad.getBoundingClientRect();
    const px = Math.min(1, Math.max(0, (ev.clientX - r.left) / r.width)) * state.pad.width;
    const py = Math.min(1, Math.max(0, (ev.clientY - r.top) / r.height)) * state.pad.height;
    state.z = [toLatent(px, state.pad.width), toLatent(state.pad.height - py, state.pad.height)];
    moved(state);
  }
  state.pad.onpointerdown = (ev) => { state.dragging = true; state.pad.setPointerCapture(ev.pointerId); moveTo(ev); };
  state.pad.onpointermove = (ev) => { if (state.dragging) moveTo(ev); };
  state.pad.onpointerup = (ev) => {
    if (!state.dragging) return;
    state.dragging = false;
    moveTo(ev);
  };

  // The sliders and the noise on the code live here too: a move never waits on the server.
  for (const [i, input] of [state.z1, state.z2].entries()) {
    input.oninput = () => { state.z[i] = Number(input.value); moved(state); };
  }
  state.sigma.oninput = () => refresh(state);
  // A click (tap) on a test digit in the scatter, or the picked digit found again in a new
  // model's chart: the point jumps to its code (kept inside the pad) and the digit is shown
  // beside its reconstruction. Nothing is sent to the server.
  state.link.onPick = (index, z, label) => {
    if (index === null) return unpick(state); // the picked digit is not in the new model's chart
    state.z = clamp(state.data, z);
    state.pick = { index, label, z };
    refresh(state);
    showPick(state);
  };

  // The drawing canvas: white strokes on black, encoded after every move while drawing.
  const ctx = state.draw.getContext("2d");
  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, state.draw.width, state.draw.height);
    state.drawn = null;
    state.draw.dataset.code = "";
    state.recon.getContext("2d").clearRect(0, 0, state.recon.width, state.recon.height);
    state.drawCode.textContent = "Draw a digit: its code appears on the pad.";
    drawPad(state);
  };
  clear();
  const point = (ev) => {
    const r = state.draw.getBoundingClientRect();
    return [((ev.clientX - r.left) / r.width) * state.draw.width, ((ev.clientY - r.top) / r.height) * state.draw.height];
  };
  let drawing = false;
  state.draw.onpointerdown = (ev) => {
    drawing = true;
    state.draw.setPointerCapture(ev.pointerId);
    const [x, y] = point(ev);
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 20; ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 0.1, y); ctx.stroke();
    requestEncode(state);
  };
  state.draw.onpointermove = (ev) => {
    if (!drawing) return;
    const [x, y] = point(ev);
    ctx.lineTo(x, y); ctx.stroke();
    state.draw.dataset.lastMove = String(performance.now()); // read by benchmarks/in_page.py
    requestEncode(state);
  };
  state.draw.onpointerup = () => { drawing = false; requestEncode(state); };
  el("button.clear").onclick = clear;
  return state;
}

const clamp = (data, z) => z.map((v) => Math.min(data.high, Math.max(data.low, v)));

// A move by this person (pad, sliders): decode there; a picked test digit's pictures go.
function moved(state) {
  refresh(state);
  state.link.pending = null; // a pick still to be found in a new model's chart is dropped too
  unpick(state);
}

function unpick(state) {
  if (state.pick) {
    state.pick = null;
    state.pickedRow.hidden = true;
    state.pickedTitle.textContent = state.hint;
    delete state.picked.dataset.index;
    state.picked.dataset.updates = String(Number(state.picked.dataset.updates) + 1);
  }
}

// The picked test digit (from its sheet) beside its reconstruction: the model's decode of the
// digit's code, with its own label for the conditional VAE, as Python would decode it.
async function showPick(state) {
  const pick = state.pick, data = state.data;
  const [a, b] = pick.z;
  state.pickedTitle.textContent = `Test image #${pick.index} (a ${pick.label}), at (${a.toFixed(2)}, ${b.toFixed(2)}) in ${data.model}` +
    // The pad decodes with the label of its buttons; the reconstruction with the digit's own.
    (data.conditional ? `, reconstructed with its own label, ${pick.label}` : "");
  state.pickedRow.hidden = false;
  const canDecode = state.mode !== "fallback";
  state.reconstruction.parentElement.querySelector("figcaption").textContent =
    canDecode ? "reconstruction" : "reconstruction (needs WebAssembly)";
  // Each picture on its own: a sheet that fails to load leaves the reconstruction, and the other way round.
  const [sheet, pixels] = await Promise.allSettled([
    testSheet(data, pick.index), canDecode ? decode(state, pick.z.map(Math.fround), pick.label) : Promise.resolve(null)]);
  if (state.pick !== pick) return; // moved off, or another digit picked, meanwhile
  const clear = (canvas) => canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  if (sheet.status === "fulfilled") {
    const k = pick.index % data.digitsPerFile;
    const ctx = state.original.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(sheet.value, (k % 10) * 28, Math.floor(k / 10) * 28, 28, 28, 0, 0, state.original.width, state.original.height);
  } else {
    clear(state.original);
  }
  if (pixels.status === "fulfilled" && pixels.value) paint(state.reconstruction, pixels.value);
  else clear(state.reconstruction);
  const failed = [sheet, pixels].filter((r) => r.status === "rejected");
  if (failed.length) {
    failed.forEach((r) => console.warn("latent pad: the picked test digit could not be shown", r.reason));
    state.pickedTitle.textContent += sheet.status === "rejected"
      ? " (the test image could not be loaded: pick it again)" : " (the reconstruction could not be decoded)";
  }
  // Read by the browser tests and benchmarks/app_latency.py.
  Object.assign(state.picked.dataset, { index: String(pick.index), z: JSON.stringify(pick.z), model: data.model });
  state.picked.dataset.updates = String(Number(state.picked.dataset.updates) + 1);
}

// Eight codes near the point, at the noise level of the sigma slider (the lesson's second
// task): the same eight standard normal draws from Python (seeded), scaled by sigma.
async function decodeNeighbours(state, z) {
  const data = state.data, sigma = Number(state.sigma.value);
  const noise = (data.noise || []).slice(0, state.neighbourCanvases.length);
  state.sigmaOut.textContent = sigma.toFixed(2);
  state.neighbours.hidden = !(sigma > 0 && noise.length);
  if (state.neighbours.hidden) return;
  const codes = noise.map(([a, b]) => [Math.fround(z[0] + sigma * a), Math.fround(z[1] + sigma * b)]);
  const s = await session(data.decoder);
  const code = new ort.Tensor("float32", Float32Array.from(codes.flat()), [codes.length, 2]);
  const feed = data.conditional
    ? { digit: new ort.Tensor("int64", BigInt64Array.from(codes, () => BigInt(state.label)), [codes.length]) } : {};
  const out = await exclusive(() => s.run({ code, ...feed }));
  codes.forEach(([a, b], i) => {
    paint(state.neighbourCanvases[i], out.image.data.subarray(784 * i, 784 * (i + 1)));
    state.neighbourCaptions[i].textContent = `(${a.toFixed(1)}, ${b.toFixed(1)})`;
  });
  state.neighboursTitle.textContent = `Eight codes near (${z[0].toFixed(2)}, ${z[1].toFixed(2)}), sigma ${sigma.toFixed(2)}`;
  state.neighbours.dataset.codes = JSON.stringify(codes); // read by the browser tests
}

// Coalescing loops: while a decode (encode) runs, moves only update the target; the next
// call takes the latest one, so the image never lags behind a queue of old points.
function refresh(state) {
  drawPad(state);
  if (state.mode === "fallback") return showFallback(state);
  state.decodeWanted = true;
  if (state.decoding || state.mode !== "wasm") return;
  state.decoding = true;
  (async () => {
    try {
      while (state.decodeWanted) {
        state.decodeWanted = false;
        const z = state.z.map(Math.fround); // the float32 code the model sees
        const label = state.label;
        const t0 = performance.now();
        const pixels = await decode(state, z);
        paint(state.digit, pixels);
        // A failing neighbour decode hides the neighbours; the pad itself keeps working.
        await decodeNeighbours(state, z).catch((err) => {
          console.warn("latent pad: the neighbours could not be decoded", err);
          state.neighbours.hidden = true;
        });
        const ms = performance.now() - t0;
        state.digit.dataset.z = JSON.stringify(z);
        state.digit.dataset.label = String(label);
        state.digit.dataset.model = state.data.model;
        state.digit.dataset.updates = String(Number(state.digit.dataset.updates) + 1);
        state.pad.dataset.decodes = state.digit.dataset.updates;
        state.pad.dataset.decodeMs = ms.toFixed(2);
        state.status.textContent = `Decoded in this page (ONNX Runtime Web, WebAssembly): ${ms.toFixed(1)} ms`;
      }
    } catch (err) {
      fallBack(state, err);
    } finally {
      state.decoding = false;
    }
  })();
}

function requestEncode(state) {
  state.encodeWanted = true;
  if (state.encoding || state.mode !== "wasm") {
    if (state.mode === "fallback") state.drawCode.textContent = "Encoding a drawing needs WebAssembly.";
    return;
  }
  state.encoding = true;
  (async () => {
    try {
      while (state.encodeWanted) {
        state.encodeWanted = false;
        const t0 = performance.now();
        state.draw.dataset.encodeStart = String(t0);
        const { data, width, height } = state.draw.getContext("2d").getImageData(0, 0, state.draw.width, state.draw.height);
        const pixels = toMnist(data, width, height);
        if (!pixels) continue;
        const post = await encode(state, pixels);
        paint(state.recon, await decode(state, post.mean));
        state.drawn = post;
        const ms = performance.now() - t0;
        state.draw.dataset.code = JSON.stringify(post.mean);
        state.draw.dataset.sigma = post.sigma ? JSON.stringify(post.sigma) : "";
        state.draw.dataset.encodes = String(Number(state.draw.dataset.encodes) + 1);
        state.draw.dataset.encodeMs = ms.toFixed(2);
        state.draw.dataset.encodeEnd = String(performance.now());
        const [a, b] = post.mean;
        state.drawCode.textContent = `code (${a.toFixed(2)}, ${b.toFixed(2)})` +
          (post.sigma ? `\nsigma (${post.sigma[0].toFixed(2)}, ${post.sigma[1].toFixed(2)})` : "") +
          "\nleft: the drawing's reconstruction";
        drawPad(state);
      }
    } catch (err) {
      fallBack(state, err);
    } finally {
      state.encoding = false;
    }
  })();
}

function drawPad(state) {
  const { pad, data } = state;
  if (!data) return;
  const ctx = pad.getContext("2d");
  const span = data.high - data.low;
  const toX = (v) => ((v - data.low) / span) * pad.width;
  const toY = (v) => pad.height - ((v - data.low) / span) * pad.height;
  ctx.clearRect(0, 0, pad.width, pad.height);
  if (state.background.complete && state.background.naturalWidth) ctx.drawImage(state.background, 0, 0, pad.width, pad.height);
  if (state.drawn) {
    // The drawing's code; for a VAE the posterior's one-sigma ellipse (diagonal Gaussian).
    const [m1, m2] = state.drawn.mean;
    ctx.strokeStyle = "#00d0ff"; ctx.fillStyle = "rgba(0, 208, 255, 0.18)"; ctx.lineWidth = 2;
    if (state.drawn.sigma) {
      const [s1, s2] = state.drawn.sigma;
      ctx.beginPath();
      ctx.ellipse(toX(m1), toY(m2), Math.max(1, (s1 / span) * pad.width), Math.max(1, (s2 / span) * pad.height), 0, 0, 2 * Math.PI);
      ctx.fill(); ctx.stroke();
    }
    ctx.fillStyle = "#00d0ff";
    ctx.beginPath(); ctx.arc(toX(m1), toY(m2), 6, 0, 2 * Math.PI); ctx.fill();
  }
  const x = toX(state.z[0]), y = toY(state.z[1]);
  ctx.strokeStyle = "#ff4b4b"; ctx.lineWidth = 3;
  ctx.beginPath(); ctx.arc(x, y, 9, 0, 2 * Math.PI); ctx.stroke();
  ctx.beginPath(); ctx.moveTo(x - 14, y); ctx.lineTo(x + 14, y); ctx.moveTo(x, y - 14); ctx.lineTo(x, y + 14); ctx.stroke();
  const label = data.conditional ? `   digit ${state.label}` : "";
  state.readout.textContent = `z1 = ${fmt(state.z[0])}   z2 = ${fmt(state.z[1])}${label}`;
  pad.dataset.z = JSON.stringify(state.z);
  pad.dataset.updates = String(Number(pad.dataset.updates) + 1);
  state.z1.value = String(state.z[0]);
  state.z2.value = String(state.z[1]);
  state.zOut.forEach((out, i) => { out.textContent = state.z[i].toFixed(2); });
  markScatter(state.link, state.z);
}

// Without WebAssembly: the nearest of the precomputed grid, and a line that says so.
function fallBack(state, err) {
  if (state.mode === "fallback") return;
  state.mode = "fallback";
  state.pad.dataset.mode = "fallback";
  console.warn("latent pad: falling back to the precomputed grid", err);
  state.status.className = "status fallback";
  state.sigma.disabled = true; // the neighbours need the model too
  state.neighbours.hidden = true;
  const n = state.data.steps;
  state.status.textContent = `WebAssembly is not available in this browser, so the model cannot run here: ` +
    `the digit is the nearest of ${n}x${n} decodes made in advance, not the decode at the exact point, ` +
    `and the noise on the code, which needs the model, is off.`;
  if (state.data.sheet && state.sheet.src !== state.data.sheet) state.sheet.src = state.data.sheet;
  showFallback(state);
}

function showFallback(state) {
  const { data, sheet, digit, z } = state;
  if (!(sheet.complete && sheet.naturalWidth)) return;
  const n = data.steps, t = 28, span = data.high - data.low;
  const col = Math.min(n - 1, Math.max(0, Math.round(((z[0] - data.low) / span) * (n - 1))));
  const row = Math.min(n - 1, Math.max(0, n - 1 - Math.round(((z[1] - data.low) / span) * (n - 1))));
  const ctx = digit.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(sheet, col * t, row * t, t, t, 0, 0, digit.width, digit.height);
  digit.dataset.updates = String(Number(digit.dataset.updates) + 1);
}

function renderLabels(state) {
  const { labels, data } = state;
  labels.hidden = !data.conditional;
  if (!data.conditional) return;
  if (!labels.children.length) {
    for (let d = 0; d < 10; d++) {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = String(d); b.dataset.digit = String(d);
      // The label changes in the page: no round trip to Python.
      b.onclick = () => { state.label = d; renderLabels(state); refresh(state); if (state.drawn) requestEncode(state); };
      labels.appendChild(b);
    }
  }
  for (const b of labels.children) b.setAttribute("aria-pressed", String(Number(b.dataset.digit) === state.label));
}

export default function (component) {
  const { parentElement } = component;
  const data = { ...component.data }; // a copy: the picture URLs are resolved below
  const root = parentElement.querySelector(".onnx-pad");
  let state = root.__pad;
  if (!state) state = root.__pad = setup(root);
  const previous = state.data;
  state.data = data;
  const modelChanged = !previous || previous.model !== data.model;
  // The point is this page's own, from the first render to the last: Python never moves it.
  if (modelChanged) state.z = clamp(data, state.z);
  // A picked test digit stays picked across a model switch: the point follows it to its code in
  // the new model's chart, once that chart is drawn.
  if (modelChanged && previous && state.pick) state.link.pending = state.pick.index;
  for (const input of [state.z1, state.z2]) {
    input.min = String(data.low); input.max = String(data.high); input.step = "0.01";
  }
  linkScatter(state.link, data.chart);
  if (modelChanged || previous.digit !== data.digit) state.label = data.digit;
  // The pictures are files beside the bundle's route (sent once per model, cached by the
  // browser), named relative to this module like the ONNX files.
  for (const k of ["background", "sheet"]) if (data[k]) data[k] = new URL(data[k], import.meta.url).href;
  if (data.background && state.background.src !== data.background) state.background.src = data.background;
  if (state.mode === "fallback" && data.sheet && state.sheet.src !== data.sheet) state.sheet.src = data.sheet;
  renderLabels(state);
  if (typeof WebAssembly !== "object") {
    fallBack(state, new Error("no WebAssembly"));
  } else if (state.mode === "loading" || modelChanged) {
    // Both files are fetched (and compiled) now, so the first move and first stroke are fast.
    Promise.all([session(data.decoder), session(data.encoder)])
      .then(() => { if (state.mode !== "fallback") state.mode = "wasm"; state.pad.dataset.mode = state.mode; refresh(state);
                    if (state.drawn || modelChanged) requestEncode(state); })
      .catch((err) => fallBack(state, err));
    if (state.mode === "loading") state.status.textContent = "Loading the model into the page...";
  }
  if (modelChanged && state.mode === "wasm") state.drawn = null;
  refresh(state);
}
