"""Scatters of the same test digits in several 2-D views, one selection shared by all of them,
drawn on canvases in the page (linked_charts.js): click or lasso points in one chart and the same
digits light up in every chart, at once, without a round trip to the server.

Why not Plotly, as the other charts: these were three WebGL scatters per page, and drawing them
was most of the page's time in the browser (a warm switch to AE against PCA 1.5 to 3 s against
a 1.5 s target; a JavaScript profile gave 1 s to Plotly and 0.7 s to Chromium's own layout and
paint). A canvas draws 3,000 dots in a few milliseconds, and a page without other Plotly charts
never loads Plotly's 4.7 MB bundle. The selection also used to be a server rerun redrawing every
chart; here it never leaves the page.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import streamlit as st


def _asset(suffix: str) -> str:
    """The component's own linked_charts.js / linked_charts.css, beside this file."""
    return Path(__file__).with_suffix(suffix).read_text()


_charts = st.components.v2.component("linked_charts", html="<div class='linked'></div>",
                                     css=_asset(".css"),
                                     # canvas_plot.js: what both canvas charts share (its header says why it is prepended)
                                     js=(Path(__file__).parent / "canvas_plot.js").read_text() + _asset(".js"))


def packed(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


def view(title: str, points: np.ndarray, axes: tuple[str, str], ranges: list[tuple[float, float]]) -> dict:
    """One chart: points (n, 2), row i is test digit i; `ranges` are the axes' (points beyond are
    pinned to the edge and drawn as x).

    The coordinates travel as 16-bit steps of each axis' full extent (8 bytes a point as float32
    pairs would be twice as large): a step is 1/65,535 of the extent, far below a pixel and below
    the two decimals the hover label shows."""
    low, high = points.min(0), points.max(0)
    span = np.where(high > low, high - low, 1.0)
    steps = np.round((points - low) / span * 65535).astype("<u2")
    return {"title": title, "axes": list(axes), "range": [list(map(float, r)) for r in ranges],
            "scale": [[float(lo), float(lo + s)] for lo, s in zip(low, span)], "xy": packed(steps)}


def linked_charts(page: str, views: list[dict], labels: np.ndarray, colors: list[str], note: str = "",
                  key: str | None = None) -> None:
    """Mount the charts. `page` names the selection: it survives reruns (a model change) while the
    page stays open. labels: (n,) digits 0-9, colours: one per digit."""
    _charts(key=key or f"{page}_charts",
            data={"id": page, "views": views, "labels": packed(labels.astype(np.uint8)), "colors": list(colors),
                  "note": note})
