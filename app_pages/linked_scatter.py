"""Scatters of the same test digits in several 2-D views with one selection shared by all of them:
the AE-against-PCA page and the "More than two dimensions" page draw their charts with `show`.

Click (tap) a point to select that test digit, or drag round some points (on a touch screen,
with Lasso on): the same digits light up in every chart. Clicking the one selected point again,
a click or double-click on empty space, or "Clear selection" clears it. All of it happens in the
page (components/linked_charts.js); this module decides what is drawn: which points, the axes'
ranges, the titles.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages import ui
from app_pages.components.linked_charts import linked_charts, view

SHOWN = 3000  # points per scatter: enough to see the clusters, light enough to stay fast
BULK = (0.5, 99.5)  # percentiles each axis is ranged to; points beyond are pinned to the edge


def axis_ranges(codes: np.ndarray) -> list[tuple[float, float]]:
    """Per axis, the bulk of the points plus a margin: a few outliers no longer squeeze the rest into a strip."""
    ranges = []
    for values in codes.T:
        lo, hi = np.percentile(values, BULK)
        pad = 0.08 * (hi - lo)
        ranges.append((float(lo - pad), float(hi + pad)))
    return ranges


@st.cache_data(show_spinner=False, max_entries=48)
def chart(title: str, codes: np.ndarray, axes: tuple[str, str]) -> dict:
    """codes: (SHOWN, 2), row i is test digit i."""
    return view(title, codes, axes, axis_ranges(codes))


def legend() -> None:
    chips = "".join(f"<span style='margin-right:.9rem;white-space:nowrap'><span style='display:inline-block;width:.8rem;"
                    f"height:.8rem;border-radius:50%;background:{c};margin-right:.3rem'></span>{d}</span>"
                    for d, c in enumerate(ui.DIGIT_COLORS))
    st.markdown(f"<div style='font-size:1.05rem'><b>digit</b>&nbsp;&nbsp;{chips}</div>", unsafe_allow_html=True)


def show(page: str, views: dict[str, tuple[np.ndarray, tuple[str, str]]], note: str = "") -> None:
    """Legend, how to select, then the charts two to a row (one on a phone) under their own
    "Clear selection" and count of what is selected.

    views: title -> ((SHOWN, 2) points, (x axis title, y axis title)), in the order drawn; note: a
    caption beside an odd chart out, else under the charts (where their points come from)."""
    legend()
    st.caption(f"The first {SHOWN:,} test digits. **Click a point** to select that digit, or **drag round some "
               f"points** (on a touch screen, turn Lasso on first): the same digits light up in every chart. "
               f"Click the selected point again, click or double-click empty space, or Clear selection to clear "
               f"it. Points beyond the axes are pinned to the edge and drawn as x.")
    linked_charts(page, [chart(title, points, axes) for title, (points, axes) in views.items()],
                  ui.test_split().labels[:SHOWN], ui.DIGIT_COLORS, note)
