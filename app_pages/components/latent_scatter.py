"""The latent explorer's scatter of the 10,000 test digits, drawn on a canvas in the page
(latent_scatter.js): click or tap a digit and the pad above moves to its code; the pad's point
is drawn here as the "you" ring.

Why not Plotly: a freshly opened latent page was complete at 5.3 s with this chart drawn by
Plotly (its 4.7 MB bundle, then 10,000 WebGL points) and at 2.7 s without the chart (Chromium,
fresh servers, 2026-11-26; the target is 5 s). A canvas draws the points in a few milliseconds,
and the page loads no Plotly at all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from app_pages.components.linked_charts import packed

HERE = Path(__file__).parent
HTML = """<div class="latent-scatter"><div class="title"></div><div class="legend"></div><canvas></canvas>
<div class="you-marker" title="you" hidden></div><div class="tip" hidden></div></div>"""

_scatter = st.components.v2.component(
    "latent_scatter", html=HTML, css=(HERE / "latent_scatter.css").read_text(),
    # canvas_plot.js: what the canvas charts share (its header says why it is prepended)
    js=(HERE / "canvas_plot.js").read_text() + (HERE / "latent_scatter.js").read_text())


def latent_scatter(data: dict, key: str) -> None:
    """data: a `scatter_data` (build it once per model and cache it); `key` is also how the pad
    finds this chart."""
    _scatter(key=key, data={**data, "key": key})


def scatter_data(title: str, codes: np.ndarray, labels: np.ndarray, colours: list[str], low: float, high: float,
                 background: str | None = None) -> dict:
    """What the component draws. codes: (n, 2), row i is test digit i; both axes run from `low` to
    `high` (the pad's square); background: a picture URL drawn under the points over that square
    (the classifier's reading). The coordinates travel as 16-bit steps of each axis' extent, as
    the linked charts' do (linked_charts.view says why)."""
    extent_low, extent_high = codes.min(0), codes.max(0)
    span = np.where(extent_high > extent_low, extent_high - extent_low, 1.0)
    steps = np.round((codes - extent_low) / span * 65535).astype("<u2")
    return {"title": title, "xy": packed(steps), "labels": packed(labels.astype(np.uint8)),
            "scale": [[float(a), float(a + s)] for a, s in zip(extent_low, span)], "range": [float(low), float(high)],
            "colors": list(colours), "background": background}
