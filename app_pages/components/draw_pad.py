"""A drawing canvas (components v2): draw a digit with the mouse or a finger, then use it.

The browser sends the drawing as a PNG data URL when the person presses "Use drawing";
Python decodes it and treats it like any uploaded image.
"""

from __future__ import annotations

import base64

import streamlit as st

HTML = """
<canvas class="draw" width="280" height="280" aria-label="drawing canvas"></canvas>
<div class="buttons"><button class="use">Use drawing</button> <button class="clear">Clear</button></div>
"""

CSS = """
canvas.draw { background: #000; border: 2px solid var(--st-primary-color); border-radius: 6px;
              touch-action: none; cursor: crosshair; width: 280px; height: 280px; }
.buttons { margin-top: .4rem; }
button { font-size: 1rem; padding: .3rem .9rem; border-radius: 6px; border: 1px solid var(--st-border-color);
         background: var(--st-secondary-background-color); color: var(--st-text-color); cursor: pointer; }
"""

JS = """
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
"""

_draw = st.components.v2.component("draw_pad", html=HTML, css=CSS, js=JS)


def draw_pad(key: str = "draw_pad", on_change=None) -> bytes | None:
    """Mount the canvas; returns the last used drawing as PNG bytes, or None."""
    state = _draw(key=key, default={"image": None}, on_image_change=on_change or (lambda: None))
    url = state.get("image") if hasattr(state, "get") else getattr(state, "image", None)
    if not url or "," not in url:
        return None
    return base64.b64decode(url.split(",", 1)[1])
