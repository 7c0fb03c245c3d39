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

import numpy as np

from app_pages.components.canvas_plot import component, packed, quantised

_charts = component("linked_charts", html="<div class='linked'></div>")


def view(title: str, points: np.ndarray, axes: tuple[str, str], ranges: list[tuple[float, float]]) -> dict:
    """One chart: points (n, 2), row i is test digit i; `ranges` are the axes' (points beyond are
    pinned to the edge and drawn as x)."""
    return {"title": title, "axes": list(axes), "range": [list(map(float, r)) for r in ranges], **quantised(points)}


def linked_charts(page: str, views: list[dict], labels: np.ndarray, colors: list[str], note: str = "",
                  key: str | None = None) -> None:
    """Mount the charts. `page` names the selection: it survives reruns (a model change) while the
    page stays open. labels: (n,) digits 0-9, colours: one per digit."""
    _charts(key=key or f"{page}_charts",
            data={"id": page, "views": views, "labels": packed(labels.astype(np.uint8)), "colors": list(colors),
                  "note": note})
