"""The scatter's "you" marker as its own tiny element (components v2).

The 10,000-point scatter is sent once per model; a latent move sends only this element's
data (the code, a few bytes), and the page draws the marker over the chart with Plotly's
own axis mapping. Re-sending the figure with a marker trace cost 196 KB per move.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st


def _asset(suffix: str) -> str:
    return Path(__file__).with_suffix(suffix).read_text()


_marker = st.components.v2.component("scatter_marker", html='<div class="scatter-marker"></div>',
                                     js=_asset(".js"))


def scatter_marker(chart_title: str, z: tuple[float, float], key: str = "scatter_marker"):
    """Mark `z` on the Plotly chart titled `chart_title` (found in the page by its title)."""
    return _marker(key=key, data={"chart": chart_title, "z": (float(z[0]), float(z[1]))})
