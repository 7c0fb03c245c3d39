// A drawing -> the MNIST-style 28x28 that explorer.preprocess.to_mnist makes of it, for a
// white-on-black drawing: ink threshold, crop to the ink, fit 20x20 with PIL's Lanczos
// filter, centre by mass in a 28x28 field. Step by step the same arithmetic as to_mnist,
// so that the page's code for a drawing lands where Python's encoder puts it.
//
// One step of to_mnist is left out: on images of 64 pixels or more it subtracts a grey
// opening 51 pixels wide (uneven lighting). On a black canvas with 20-pixel strokes that
// opening is zero, so subtracting it changes nothing.

// PIL's Lanczos (libImaging/Resample.c): support 3, sinc(x) * sinc(x / 3).
function sinc(x) {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}
function lanczos(x) {
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

// PIL's precompute_coeffs: for each output pixel, the first input index and normalised weights.
function coefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 3 * filterscale;
  const out = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const w = new Float64Array(xmax);
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = lanczos((x + xmin - center + 0.5) / filterscale);
      sum += w[x];
    }
    if (sum !== 0) for (let x = 0; x < xmax; x++) w[x] /= sum;
    out.push([xmin, w]);
  }
  return out;
}

// Image.resize(..., LANCZOS) of a mode "F" image: horizontal pass, then vertical, in float32.
function resize(src, w, h, newW, newH) {
  let cur = src, cw = w;
  if (newW !== w) {
    const cx = coefficients(w, newW);
    const tmp = new Float32Array(newW * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < newW; x++) {
        const [xmin, k] = cx[x];
        let s = 0;
        for (let i = 0; i < k.length; i++) s += cur[y * cw + xmin + i] * k[i];
        tmp[y * newW + x] = s;
      }
    }
    cur = tmp; cw = newW;
  }
  if (newH !== h) {
    const cy = coefficients(h, newH);
    const tmp = new Float32Array(cw * newH);
    for (let y = 0; y < newH; y++) {
      const [ymin, k] = cy[y];
      for (let x = 0; x < cw; x++) {
        let s = 0;
        for (let i = 0; i < k.length; i++) s += cur[(ymin + i) * cw + x] * k[i];
        tmp[y * cw + x] = s;
      }
    }
    cur = tmp;
  }
  return cur;
}

// Python's round(): halves go to the even neighbour.
export function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// numpy.percentile with linear interpolation, for values that are multiples of 1/255 (canvas pixels).
function percentile(values, q) {
  const counts = new Uint32Array(256);
  for (const v of values) counts[Math.min(255, Math.round(v * 255))]++;
  const pos = (q / 100) * (values.length - 1);
  const lo = Math.floor(pos), frac = pos - lo;
  let seen = 0, a = null, b = null;
  for (let level = 0; level < 256 && b === null; level++) {
    seen += counts[level];
    if (a === null && seen > lo) a = level;
    if (seen > lo + 1 || (frac === 0 && a !== null)) b = level;
  }
  b = b === null ? a : b;
  return (a + (b - a) * frac) / 255;
}

// RGBA pixels of a white-on-black drawing -> Float32Array(784) in [0, 1], or null if blank.
export function toMnist(rgba, width, height) {
  const n = width * height;
  const ink = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // to_gray's weights for RGB(A) images; the canvas is opaque.
    ink[i] = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
  }
  const peak = percentile(ink, 99.9);
  if (peak < 0.15) return null;
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = Math.min(1, Math.max(0, ink[y * width + x] / peak));
      if (v < 0.2) v = 0; // paper grain and anti-aliasing fringe, as ink_map drops them
      ink[y * width + x] = v;
      if (v > 0) {
        top = Math.min(top, y); bottom = Math.max(bottom, y);
        left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) return null;
  const h = bottom - top + 1, w = right - left + 1;
  const crop = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) crop[y * w + x] = ink[(top + y) * width + left + x];
  const scale = 20 / Math.max(h, w);
  const newW = Math.max(1, roundHalfEven(w * scale)), newH = Math.max(1, roundHalfEven(h * scale));
  const small = resize(crop, w, h, newW, newH);
  let max = 0;
  for (const v of small) max = Math.max(max, v);
  let mass = 0, my = 0, mx = 0;
  for (let y = 0; y < newH; y++) {
    for (let x = 0; x < newW; x++) {
      const v = Math.min(1, Math.max(0, small[y * newW + x] / Math.max(max, 1e-6)));
      small[y * newW + x] = v;
      mass += v; my += v * y; mx += v * x;
    }
  }
  const cy = my / mass, cx = mx / mass;
  const oy = Math.min(Math.max(roundHalfEven(14 - cy), 0), 28 - newH);
  const ox = Math.min(Math.max(roundHalfEven(14 - cx), 0), 28 - newW);
  const out = new Float32Array(784);
  for (let y = 0; y < newH; y++) for (let x = 0; x < newW; x++) out[(oy + y) * 28 + ox + x] = small[y * newW + x];
  return out;
}
