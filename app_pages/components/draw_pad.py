"""A drawing canvas (components v2): draw a digit with the mouse or a finger, then use it.

The browser sends the drawing as a PNG data URL when the person presses "Use drawing";
Python decodes it and treats it like any uploaded image.
"""

from __future__ import annotations

import base64
from pathlib import Path

import streamlit as st

HTML = """
<canvas class="draw" width="280" height="280" aria-label="drawing canvas"></canvas>
<div class="buttons"><button class="use">Use drawing</button> <button class="clear">Clear</button></div>
"""


def _asset(suffix: str) -> str:
    """The component's own draw_pad.js / draw_pad.css, beside this file."""
    return Path(__file__).with_suffix(suffix).read_text()


_draw = st.components.v2.component("draw_pad", html=HTML, css=_asset(".css"), js=_asset(".js"))


def draw_pad(key: str = "draw_pad", on_change=None) -> bytes | None:
    """Mount the canvas; returns the last used drawing as PNG bytes, or None."""
    state = _draw(key=key, default={"image": None}, on_image_change=on_change or (lambda: None))
    url = state.get("image") if hasattr(state, "get") else getattr(state, "image", None)
    if not url or "," not in url:
        return None
    return base64.b64decode(url.split(",", 1)[1])
