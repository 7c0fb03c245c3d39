"""A 2-D latent pad: drag across the latent plane and the decoded digit follows the pointer.

Streamlit's slider reports only on release, so the pad is a components-v2 element that
receives a fine grid of precomputed decodes (one PNG sprite sheet) and, while the pointer
moves, draws the decode nearest to it in the browser: no round trip to Python, so updates
run at the display's frame rate. On release it reports the point (`state.z`), and Python
moves the sliders there.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

HTML = """
<div class="pad-wrap">
  <canvas class="pad" width="360" height="360" aria-label="latent plane: drag to move the code"></canvas>
  <div class="digit-wrap">
    <canvas class="digit" width="280" height="280" aria-label="decoded digit"></canvas>
    <div class="readout"></div>
  </div>
</div>
"""

# Pad and digit side by side, both inside one 1280x720 screen (sized to the column and to the
# window's height); on a phone the digit sits right under the pad, smaller, so both stay in
# view while a finger drags.
CSS = """
.pad-wrap { display: flex; gap: 1rem; align-items: flex-start; }
canvas.pad { border: 2px solid var(--st-primary-color); border-radius: 6px; cursor: crosshair;
             touch-action: none; background: #111; flex: 1.3 1 0; min-width: 0;
             max-width: min(360px, calc(100vh - 330px)); aspect-ratio: 1; height: auto; }
.digit-wrap { flex: 1 1 0; min-width: 0; max-width: min(280px, calc(100vh - 380px)); }
canvas.digit { image-rendering: pixelated; border-radius: 6px; background: #000;
               width: 100%; aspect-ratio: 1; height: auto; display: block; }
.readout { font: 1rem monospace; white-space: nowrap; color: var(--st-text-color); margin-top: .4rem; }
@media (max-width: 640px) {
  .pad-wrap { flex-direction: column; align-items: center; gap: .5rem; }
  canvas.pad { flex: none; width: min(100%, 340px); max-width: none; }
  .digit-wrap { flex: none; width: 150px; max-width: none; text-align: center; }
}
"""

# One function per render: Streamlit calls it again with new `data` after every rerun.
JS = """
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
"""

_pad = st.components.v2.component("latent_pad", html=HTML, css=CSS, js=JS)


def png_data_url(array: np.ndarray) -> str:
    """uint8 (H, W) or (H, W, 3) array -> data: URL of a PNG."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def sprite_sheet(decodes: np.ndarray) -> np.ndarray:
    """(steps, steps, 28, 28) floats in [0, 1], row 0 = top of the plane -> one uint8 image."""
    steps = decodes.shape[0]
    sheet = decodes.transpose(0, 2, 1, 3).reshape(steps * 28, steps * 28)
    return (np.clip(sheet, 0, 1) * 255).round().astype(np.uint8)


def latent_pad(sheet_url: str, steps: int, low: float, high: float, z: tuple[float, float],
               background_url: str | None = None, key: str = "latent_pad", on_change=None):
    """Mount the pad; returns its state (`.z` is the last released point, or None)."""
    return _pad(
        key=key,
        data={"sheet": sheet_url, "steps": steps, "low": low, "high": high, "z": list(z),
              "background": background_url},
        default={"z": None},
        on_z_change=on_change or (lambda: None),
    )
