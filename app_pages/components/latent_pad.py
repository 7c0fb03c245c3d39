"""A 2-D latent pad: drag across the latent plane and the decoded digit follows the pointer.

Streamlit's slider reports only on release, so the pad is a components-v2 element that
receives a fine grid of precomputed decodes (one PNG sprite sheet) and, while the pointer
moves, draws the decode nearest to it in the browser: no round trip to Python, so updates
run at the display's frame rate. On release it reports the point (`state.z`), and Python
moves the sliders there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

HTML = """
<div class="pad-wrap">
  <canvas class="pad" width="360" height="360" aria-label="latent plane: drag to move the code"></canvas>
  <div class="digit-wrap">
    <canvas class="digit" width="280" height="280" aria-label="decoded digit"></canvas>
    <div class="readout"></div>
  </div>
</div>
"""


def _asset(suffix: str) -> str:
    """The component's own latent_pad.js / latent_pad.css, beside this file."""
    return Path(__file__).with_suffix(suffix).read_text()


_pad = st.components.v2.component("latent_pad", html=HTML, css=_asset(".css"), js=_asset(".js"))


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
        data={"sheet": sheet_url, "steps": steps, "low": low, "high": high, "z": tuple(z),
              "background": background_url},
        default={"z": None},
        on_z_change=on_change or (lambda: None),
    )
