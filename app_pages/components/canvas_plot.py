"""What the canvas charts share on the Python side (linked_charts, line_chart, latent_scatter):
registering a component with canvas_plot.js in front of its own script, and sending 2-D points
compactly."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import streamlit as st

HERE = Path(__file__).parent


def component(name: str, html: str):
    """The Streamlit component `name`, from <name>.css and <name>.js beside this file. A
    component's JavaScript is one module, so canvas_plot.js, what the charts share, goes in front."""
    return st.components.v2.component(name, html=html, css=(HERE / f"{name}.css").read_text(),
                                      js=(HERE / "canvas_plot.js").read_text() + (HERE / f"{name}.js").read_text())


def packed(array: np.ndarray) -> str:
    """An array's bytes as base64: what the charts' `decode` reads back into a typed array."""
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


def quantised(points: np.ndarray) -> dict:
    """(n, 2) points as 16-bit steps of each axis' full extent (`xy`) and that extent (`scale`),
    read back by canvas_plot.js' `unpackPoints`. Half the bytes of float32 pairs; a step is
    1/65,535 of the extent, far below a pixel and below the two decimals a hover label shows."""
    low, high = points.min(0), points.max(0)
    span = np.where(high > low, high - low, 1.0)
    steps = np.round((points - low) / span * 65535).astype("<u2")
    return {"xy": packed(steps), "scale": [[float(lo), float(lo + s)] for lo, s in zip(low, span)]}
