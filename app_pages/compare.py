"""AE against PCA: the same test digits in PCA's plane and in two learned 2-D latents."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from app_pages import ui
from explorer import metrics

METHODS = {"PCA-2": None, "conv_ae-2": "conv_ae-2", "conv_vae-2": "conv_vae-2"}
AXES = {"PCA-2": ("PC1", "PC2"), "conv_ae-2": ("z1", "z2"), "conv_vae-2": ("z1", "z2")}
SIZES = [2, 4, 8, 16, 32, 64]
SHOWN = 3000  # points per scatter: enough to see the clusters, light enough to stay fast
BULK = (0.5, 99.5)  # percentiles each axis is ranged to; points beyond are pinned to the edge


@st.cache_data(show_spinner="Encoding the test digits...")
def codes_for(method: str) -> np.ndarray:
    """(SHOWN, 2) codes of the first SHOWN test digits: only these are drawn, so only these are encoded."""
    x = ui.test_split().float_images(slice(SHOWN))
    if METHODS[method] is None:
        return ui.pca(2).encode(x)
    return ui.model(METHODS[method]).batched("encode", x, batch=500)


def axis_ranges(codes: np.ndarray) -> list[tuple[float, float]]:
    """Per axis, the bulk of the points plus a margin: a few outliers no longer squeeze the rest into a strip."""
    ranges = []
    for values in codes.T:
        lo, hi = np.percentile(values, BULK)
        pad = 0.08 * (hi - lo)
        ranges.append((float(lo - pad), float(hi + pad)))
    return ranges


def on_select(key: str) -> None:
    points = st.session_state.get(key, {}).get("selection", {}).get("points", [])
    # Trace d holds the shown digits d in test-set order, so (trace, point) gives the test index.
    labels = ui.test_split().labels[:SHOWN]
    by_digit = [np.nonzero(labels == d)[0] for d in range(10)]
    st.session_state.cmp_selected = sorted({int(by_digit[p["curve_number"]][p["point_index"]])
                                            for p in points if p.get("curve_number", 99) < 10})
    # Every chart is redrawn from this one selection (new keys drop Plotly's own per-chart
    # selection), so all charts and the caption agree.
    st.session_state.cmp_generation += 1


def clear_selection() -> None:
    st.session_state.cmp_selected = []
    st.session_state.cmp_generation += 1


def figure(method: str, selected: set[int]) -> go.Figure:
    codes, labels = codes_for(method), ui.test_split().labels[:SHOWN]
    (x_lo, x_hi), (y_lo, y_hi) = axis_ranges(codes)
    fig = go.Figure()
    for digit in range(10):
        idx = np.nonzero(labels == digit)[0]
        x, y = codes[idx, 0], codes[idx, 1]
        outside = (x < x_lo) | (x > x_hi) | (y < y_lo) | (y > y_hi)
        chosen = [i for i, j in enumerate(idx) if j in selected] if selected else None
        fig.add_trace(go.Scattergl(
            x=np.clip(x, x_lo, x_hi), y=np.clip(y, y_lo, y_hi), mode="markers", name=str(digit),
            customdata=np.stack([idx, x, y], 1), showlegend=False,
            marker={"size": np.where(outside, 9, 5), "color": ui.DIGIT_COLORS[digit],
                    "symbol": np.where(outside, "x", "circle")},
            selectedpoints=chosen, selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 0.07}},
            hovertemplate=f"digit {digit}<br>test image #%{{customdata[0]}}<br>at (%{{customdata[1]:.2f}}, "
                          f"%{{customdata[2]:.2f}})<extra></extra>",
        ))
    x_title, y_title = AXES[method]
    fig.update_layout(title=method, height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10}, font={"size": 15},
                      dragmode="lasso", xaxis={"title": x_title, "range": [x_lo, x_hi]},
                      yaxis={"title": y_title, "range": [y_lo, y_hi]})
    return fig


def legend() -> None:
    chips = "".join(f"<span style='margin-right:.9rem;white-space:nowrap'><span style='display:inline-block;width:.8rem;"
                    f"height:.8rem;border-radius:50%;background:{c};margin-right:.3rem'></span>{d}</span>"
                    for d, c in enumerate(ui.DIGIT_COLORS))
    st.markdown(f"<div style='font-size:1.05rem'><b>digit</b>&nbsp;&nbsp;{chips}</div>", unsafe_allow_html=True)


@st.fragment
def scatters() -> None:
    selected = set(st.session_state.cmp_selected)
    methods = [m for m in METHODS if METHODS[m] is None or ui.model(METHODS[m]) is not None]
    legend()
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.caption(f"The first {SHOWN:,} test digits. Draw a lasso round some points in one chart: the same digits light "
               f"up in every chart. Points beyond the axes are pinned to the edge and drawn as x."
               + (f" **{len(selected)} selected.**" if selected else ""))
    c2.button("Clear selection", on_click=clear_selection, disabled=not selected, key="cmp_clear")
    generation = st.session_state.cmp_generation
    # Two charts per row: each wide enough (about 390 px at 1280x720) to lasso a cluster.
    for row in range(0, len(methods), 2):
        for col, method in zip(st.columns(2), methods[row:row + 2]):
            key = f"cmp_{method}_{generation}"
            with col:
                st.plotly_chart(figure(method, selected), key=key, on_select=lambda k=key: on_select(k),
                                selection_mode=("points", "lasso", "box"))


def table() -> None:
    rows = []
    for method, name in METHODS.items():
        card = ui.card(name or "conv_ae-2")
        if not card:
            continue
        m = card["metrics"]["pca"] if name is None else card["metrics"]
        rows.append({"method": "PCA, 2 components" if name is None else name, "MSE": f"{m['mse']:.4f}",
                     "PSNR (dB)": f"{m['psnr']:.2f}", "k-NN acc.": f"{m['knn_accuracy']:.3f}"})
    if rows:
        # A static table: it wraps on a phone instead of hiding its last column behind a scroll bar.
        st.table(rows)
        st.caption("On the 10,000 MNIST test images; k-NN (k=5) fit on the 60,000 training codes. "
                   "Reproduce with `python -m explorer.evaluate`.")


@st.cache_data(show_spinner="Measuring PCA at each size...")
def pca_curve() -> list[float]:
    # In equal chunks (so the mean of chunk means is the mean): a whole-set reconstruction
    # holds several 31 MB copies of the test set at once.
    split = ui.test_split()
    chunks = [split.float_images(slice(i, i + 2000)) for i in range(0, len(split), 2000)]
    return [float(np.mean([metrics.mse(ui.pca(d).reconstruct(x), x) for x in chunks])) for d in SIZES]


def size_chart() -> None:
    bench = ui.benchmark_figures().get("ae_vs_pca", {}).get("rows", [])
    fig = go.Figure()
    if bench:
        sizes = [r["latent_dim"] for r in bench]
        fig.add_trace(go.Scatter(x=sizes, y=[r["pca_mse"] for r in bench], mode="lines+markers", name="PCA"))
        fig.add_trace(go.Scatter(x=sizes, y=[r["ae_mse"] for r in bench], mode="lines+markers",
                                 name="convolutional autoencoder"))
        caption = ("Lower is better. **PCA**: keep the first k principal components of the training digits. "
                   "**Convolutional autoencoder**: the same network trained once for each code size k. "
                   "Both measured on the 10,000 test digits by `make bench` (benchmarks/latent_sizes.py; table in "
                   "docs/benchmarks.md).")
    else:
        fig.add_trace(go.Scatter(x=SIZES, y=pca_curve(), mode="lines+markers", name="PCA"))
        for name in ("conv_ae-2", "conv_ae-32"):
            card = ui.card(name)
            if card:
                fig.add_trace(go.Scatter(x=[card["latent_dim"]], y=[card["metrics"]["mse"]], mode="markers",
                                         marker={"size": 14}, name=f"{name} (shipped)"))
        caption = ("Lower is better. **PCA**: keep the first k principal components, measured here on the 10,000 "
                   "test digits. Dots: the two shipped autoencoders. `make bench` trains the whole range and this "
                   "chart picks it up.")
    ticks = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1]
    fig.update_layout(xaxis={"type": "log", "title": "code size k (numbers per digit)", "tickvals": SIZES},
                      yaxis={"type": "log", "title": "reconstruction MSE per pixel", "tickvals": ticks,
                             "ticktext": [str(t) for t in ticks]},
                      legend={"orientation": "h", "y": 1.12}, height=400, font={"size": 15},
                      margin={"t": 30, "l": 10, "r": 10, "b": 10})
    st.plotly_chart(fig, key="cmp_sizes")
    st.caption(caption)


def gallery() -> None:
    available = [n for n in ("conv_ae-2", "conv_ae-32") if ui.card(n)]
    if not available:
        return
    c1, c2 = st.columns(2)
    name = c1.radio("AE size", available, horizontal=True, key="gallery_model")
    digits = c2.multiselect("Digits", list(range(10)), default=[0, 2, 4, 7, 9], key="gallery_digits")
    m = ui.model(name)
    if m is None or not digits:
        return
    split = ui.test_split()
    labels = split.labels
    picks = [int(np.nonzero(labels == d)[0][0]) for d in digits]
    x = split.float_images(picks)
    pca_rec = ui.pca(m.latent_dim).reconstruct(x)[:, 0]
    ae_rec = m.reconstruct(x)[:, 0]
    for orig, p, a in zip(x[:, 0], pca_rec, ae_rec):
        ui.show_row([orig, p, a], ["original", f"PCA-{m.latent_dim}", name], scale=5)


def main() -> None:
    st.title("Autoencoder against PCA")
    ui.intro("PCA is the best <i>linear</i> way to squeeze digits into a few numbers; an autoencoder can bend. "
             "<b>Lasso digits in one chart</b> and see where the same digits land in the others.")
    for key, value in {"cmp_selected": [], "cmp_generation": 0}.items():
        if key not in st.session_state:
            st.session_state[key] = value
    ui.data_or_stop()
    scatters()
    st.subheader("How well each 2-D code reconstructs and separates digits")
    table()
    st.subheader("Reconstruction error against code size")
    size_chart()
    st.subheader("Gallery: original, PCA, autoencoder")
    gallery()


main()
