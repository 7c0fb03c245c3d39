"""The latent explorer's scatter of the 10,000 test digits, drawn on a canvas in the page
(latent_scatter.js): click or tap a digit and the pad above moves to its code; the pad's point
is drawn here as the "you" ring.

Why not Plotly: a freshly opened latent page was complete at 5.3 s with this chart drawn by
Plotly (its 4.7 MB bundle, then 10,000 WebGL points) and at 2.7 s without the chart (Chromium,
fresh servers, 2026-11-26; the target is 5 s). A canvas draws the points in a few milliseconds,
and the page loads no Plotly at all.
"""

from __future__ import annotations

import numpy as np

from app_pages.components.canvas_plot import component, packed, quantised

HTML = """<div class="latent-scatter"><div class="title"></div><div class="legend"></div><canvas></canvas>
<div class="you-marker" title="you" hidden></div><div class="tip" hidden></div></div>"""

_scatter = component("latent_scatter", html=HTML)


def latent_scatter(data: dict, key: str) -> None:
    """data: a `scatter_data` (build it once per model and cache it); `key` is also how the pad
    finds this chart."""
    _scatter(key=key, data={**data, "key": key})


def scatter_data(title: str, codes: np.ndarray, labels: np.ndarray, colours: list[str], low: float, high: float,
                 background: str | None = None) -> dict:
    """What the component draws. codes: (n, 2), row i is test digit i; both axes run from `low` to
    `high` (the pad's square); background: a picture URL drawn under the points over that square
    (the classifier's reading)."""
    return {"title": title, "labels": packed(labels.astype(np.uint8)), "range": [float(low), float(high)],
            "colors": list(colours), "background": background, **quantised(codes)}
