"""A small line chart on log-log axes drawn on a canvas in the page (line_chart.js): AE against
PCA's reconstruction error against code size.

Why not Plotly, as the other pages: it was the one Plotly chart on that page, and loading
Plotly's 4.7 MB bundle for it kept a freshly opened page from being complete until about 5.2 s,
against 3.8 s without it (Chromium, fresh servers, 2026-11-26; the target is 5 s). Hovering
a point shows its series and values.
"""

from __future__ import annotations

from app_pages.components.canvas_plot import component

_chart = component("line_chart", html="<div class='line-chart'><div class='legend'></div><canvas></canvas>"
                                      "<div class='tip' hidden></div></div>")


def line_chart(series: list[dict], x_title: str, y_title: str, x_ticks: list[float], y_ticks: list[float],
               key: str) -> None:
    """series: [{"name", "x", "y", "lines"}] ("lines": False for markers only), drawn in order;
    both axes are logarithmic and labelled at the given ticks."""
    for s in series:
        if len(s["x"]) != len(s["y"]) or min([*s["x"], *s["y"]], default=1) <= 0:
            raise ValueError(f"series {s['name']!r}: x and y must be positive and of equal length")
    _chart(key=key, data={"series": [{"lines": True, **s} for s in series], "x_title": x_title, "y_title": y_title,
                          "x_ticks": x_ticks, "y_ticks": y_ticks})
