"""Scatters of the same test digits in several 2-D views with one selection shared by all of them:
the AE-against-PCA page and the "More than two dimensions" page draw their charts with `show`.

Click a point (tap it on a phone: tap_select.js) to select that test digit, or pick the lasso
(or box) in a chart's toolbar and draw round some points: the same digits light up in every
chart. Clicking the one selected point again, a double-click, a click on empty space or "Clear
selection" clears it (the first three in tap_select.js). On a phone the toolbar stays (box and
lasso only), and a finger draws the lasso.

Why the charts open in pan mode and not lasso mode: while Plotly's drag mode is lasso or box,
Streamlit sets its clickmode to "event", so a click selects nothing there (read in Streamlit
1.67's bundled PlotlyChart component); in pan mode it sets "event+select" and a click selects the point under it.
The axes are fixed (no zoom or pan): a drag does nothing until the lasso is picked.

One selection, a sorted list of test-set indices in st.session_state, draws every chart. Each
chart shows it by its markers' opacity, not by Plotly's `selectedpoints`, so a chart holds no
selection of its own: whatever a person clicks or lassoes arrives as a new selection, and a
changed figure is a new element in Streamlit (its id includes the figure), so every chart and
the caption are redrawn from the one list and always agree. The price: a double-click, or a
click on empty space, sends Python nothing (Plotly clears its own selection then, but a freshly
drawn chart has none, and its Streamlit value is already empty), so tap_select.js presses
"Clear selection" for it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from app_pages import ui

SHOWN = 3000  # points per scatter: enough to see the clusters, light enough to stay fast
BULK = (0.5, 99.5)  # percentiles each axis is ranged to; points beyond are pinned to the edge
FADED = 0.07  # opacity of the points outside a selection
# Box and lasso only (the axes are fixed, so Plotly offers no zoom), shown all the time: on a
# phone there is no hover to reveal it, and three buttons stay clear of the chart's title.
TOOLBAR = {"displayModeBar": True, "displaylogo": False, "modeBarButtonsToRemove": ["toImage"]}
# Digit d (a number) -> its colour: band d of ten equal bands of [0, 1], with cmin -0.5 and cmax 9.5.
DIGIT_SCALE = [[(d + edge) / 10, c] for d, c in enumerate(ui.DIGIT_COLORS) for edge in (0, 1)]
FEW = 50  # a selection this small is also drawn larger, ringed: one point must be findable on a phone

# Makes a tap on a phone select the point under the finger (see tap_select.js for why); the
# latent page's scatter uses it too.
tap_select = st.components.v2.component("tap_select", html="<span></span>",
                                         js=(Path(__file__).resolve().parent / "tap_select.js").read_text())


def init(prefix: str) -> None:
    for key, value in {f"{prefix}_selected": [], f"{prefix}_generation": 0}.items():
        if key not in st.session_state:
            st.session_state[key] = value


def selected(prefix: str) -> list[int]:
    return st.session_state[f"{prefix}_selected"]


def set_selection(prefix: str, indices: list[int]) -> None:
    st.session_state[f"{prefix}_selected"] = sorted(indices)
    # New chart keys: every chart is drawn afresh from this one selection.
    st.session_state[f"{prefix}_generation"] += 1


def clear(prefix: str) -> None:
    set_selection(prefix, [])


def on_select(prefix: str, key: str) -> None:
    event = st.session_state.get(key, {}).get("selection", {})
    points = event.get("points", [])
    # One trace whose point i is test digit i.
    picked = sorted({int(p["point_index"]) for p in points if p.get("curve_number") == 0 and "point_index" in p})
    clicked = not event.get("lasso") and not event.get("box")
    if clicked and len(picked) == 1 and picked == selected(prefix):
        picked = []  # a click on the one selected point: the chart knows no selection, so this is the way to undo it
    set_selection(prefix, picked)


def axis_ranges(codes: np.ndarray) -> list[tuple[float, float]]:
    """Per axis, the bulk of the points plus a margin: a few outliers no longer squeeze the rest into a strip."""
    ranges = []
    for values in codes.T:
        lo, hi = np.percentile(values, BULK)
        pad = 0.08 * (hi - lo)
        ranges.append((float(lo - pad), float(hi + pad)))
    return ranges


@st.cache_resource(show_spinner=False, max_entries=48)
def figure(title: str, codes: np.ndarray, axes: tuple[str, str], chosen: tuple[int, ...]) -> dict:
    """codes: (SHOWN, 2), row i is test digit i; returns a `ui.figure_spec`, shared by every
    session with the same selection (most often none) and never mutated.

    Built as plain dicts and handed to Plotly unvalidated: validating per-point sizes and
    symbols (then in 30 traces) took most of a second per page run (a page switch of every student in
    a classroom), and these dicts only use properties Plotly knows."""
    labels = ui.test_split().labels[:SHOWN]
    (x_lo, x_hi), (y_lo, y_hi) = axis_ranges(codes)
    few = 0 < len(chosen) <= FEW
    x, y = codes[:, 0], codes[:, 1]
    outside = (x < x_lo) | (x > x_hi) | (y < y_lo) | (y > y_hi)
    inside = np.zeros(len(codes), bool)
    inside[list(chosen)] = True
    marker = {"size": np.where(outside, 9, 5) + (5 * inside if few else 0),
              # The digit as a number on a stepped scale of the ten colours: 3,000 int8 (4 KB as
              # base64), where 3,000 colour strings were 30 KB per chart, sent on every visit.
              "color": labels.astype(np.int8), "colorscale": DIGIT_SCALE, "cmin": -0.5, "cmax": 9.5,
              "opacity": np.where(inside, 1.0, FADED) if chosen else 1.0,
              "symbol": np.where(outside, 4, 0).astype(np.int8)}  # Plotly's numbers for "x" and "circle"
    if few:
        marker["line"] = {"width": np.where(inside, 1.5, 0.0), "color": "#222"}
    # One trace, point i is test digit i: the browser sets up one WebGL trace, not ten (one per digit),
    # and a clicked point's index is its test index. Coloured per point, so no digit is always drawn on top.
    traces = [{
        "type": "scattergl", "x": np.clip(x, x_lo, x_hi), "y": np.clip(y, y_lo, y_hi), "mode": "markers",
        "customdata": np.stack([np.arange(len(codes)), x, y, labels], 1), "showlegend": False, "marker": marker,
        "hovertemplate": "digit %{customdata[3]}<br>test image #%{customdata[0]}<br>at (%{customdata[1]:.2f}, "
                         "%{customdata[2]:.2f})<extra></extra>",
    }]
    layout = {"title": {"text": title}, "height": 380, "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
              "font": {"size": 15}, "dragmode": "pan",
              "xaxis": {"title": {"text": axes[0]}, "range": [x_lo, x_hi], "fixedrange": True},
              "yaxis": {"title": {"text": axes[1]}, "range": [y_lo, y_hi], "fixedrange": True}}
    return ui.figure_spec({"data": traces, "layout": layout})


def legend() -> None:
    chips = "".join(f"<span style='margin-right:.9rem;white-space:nowrap'><span style='display:inline-block;width:.8rem;"
                    f"height:.8rem;border-radius:50%;background:{c};margin-right:.3rem'></span>{d}</span>"
                    for d, c in enumerate(ui.DIGIT_COLORS))
    st.markdown(f"<div style='font-size:1.05rem'><b>digit</b>&nbsp;&nbsp;{chips}</div>", unsafe_allow_html=True)


def show(prefix: str, views: dict[str, tuple[np.ndarray, tuple[str, str]]], note: str = "") -> None:
    """Legend, caption with the selection's size, "Clear selection", then the charts two to a row.

    views: title -> ((SHOWN, 2) points, (x axis title, y axis title)), in the order drawn; note: a
    caption under the charts (where their points come from)."""
    chosen = set(selected(prefix))
    tap_select(key="tap_select")  # one per page: app.css hides its element by this key
    legend()
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.caption(f"The first {SHOWN:,} test digits. **Click a point** to select that digit, or pick the lasso in a "
               f"chart's toolbar and draw round some points: the same digits light up in every chart. Click the "
               f"selected point again, click or double-click empty space, or Clear selection to clear it. Points "
               f"beyond the axes are pinned to the edge and drawn as x."
               + (f" **{len(chosen)} selected.**" if chosen else ""))
    c2.button("Clear selection", on_click=clear, args=(prefix,), disabled=not chosen, key=f"{prefix}_clear")
    generation = st.session_state[f"{prefix}_generation"]
    titles = list(views)
    # Two charts per row: each wide enough (about 390 px at 1280x720) to lasso a cluster. An odd
    # chart out leaves a column free: the note goes there, beside the chart, instead of below.
    for row in range(0, len(titles), 2):
        columns = st.columns(2)
        for col, title in zip(columns, titles[row:row + 2]):
            key = f"{prefix}_{title}_{generation}"
            points, axes = views[title]
            with col:
                st.plotly_chart(ui.shown(figure(title, points, axes, tuple(sorted(chosen)))), key=key,
                                on_select=lambda k=key: on_select(prefix, k), selection_mode=("points", "lasso", "box"),
                                config=TOOLBAR)
    if note:
        (columns[1] if len(titles) % 2 else st).caption(note)
