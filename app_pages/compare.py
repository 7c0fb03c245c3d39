"""AE against PCA: the same test digits in PCA's plane and in two learned 2-D latents."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app_pages import ui
from explorer import metrics

METHODS = {"PCA-2": None, "conv_ae-2": "conv_ae-2", "conv_vae-2": "conv_vae-2"}
SIZES = [2, 4, 8, 16, 32, 64]
SHOWN = 3000  # points per scatter: enough to see the clusters, light enough to stay fast


def codes_for(method: str) -> np.ndarray:
    return ui.pca_codes(2) if METHODS[method] is None else ui.test_codes(METHODS[method])


def on_select(method: str) -> None:
    points = st.session_state.get(f"cmp_{method}", {}).get("selection", {}).get("points", [])
    # Trace d holds the shown digits d in test-set order, so (trace, point) gives the test index.
    labels = ui.test_split().labels.numpy()[:SHOWN]
    by_digit = [np.nonzero(labels == d)[0] for d in range(10)]
    st.session_state.cmp_selected = sorted({int(by_digit[p["curve_number"]][p["point_index"]]) for p in points})


def figure(method: str, selected: set[int]) -> go.Figure:
    codes, labels = codes_for(method)[:SHOWN], ui.test_split().labels.numpy()[:SHOWN]
    fig = go.Figure()
    for digit in range(10):
        idx = np.nonzero(labels == digit)[0]
        chosen = [i for i, j in enumerate(idx) if j in selected] if selected else None
        fig.add_trace(go.Scattergl(
            x=codes[idx, 0], y=codes[idx, 1], mode="markers", name=str(digit), customdata=idx,
            marker={"size": 5, "color": ui.DIGIT_COLORS[digit]},
            selectedpoints=chosen, selected={"marker": {"size": 9, "opacity": 1}},
            unselected={"marker": {"opacity": 0.08}},
            hovertemplate=f"digit {digit}<br>test image #%{{customdata}}<extra></extra>",
        ))
    fig.update_layout(title=method, height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend_title_text="digit", font={"size": 15}, dragmode="lasso")
    return fig


@st.fragment
def scatters() -> None:
    selected = set(st.session_state.get("cmp_selected", []))
    st.caption(f"{SHOWN:,} test digits. Lasso or click points in one chart to highlight the same digits in the others"
               + (f": {len(selected)} selected." if selected else "."))
    for col, method in zip(st.columns(len(METHODS)), METHODS):
        if METHODS[method] is not None and ui.model(METHODS[method]) is None:
            continue
        with col:
            st.plotly_chart(figure(method, selected), key=f"cmp_{method}", on_select=lambda m=method: on_select(m),
                            selection_mode=("points", "lasso", "box"))


def table() -> None:
    rows = []
    for method, name in METHODS.items():
        if name is None:
            card = ui.card("conv_ae-2")
            if card:
                m = card["metrics"]["pca"]
                rows.append({"method": "PCA, 2 components", "MSE": m["mse"], "PSNR (dB)": m["psnr"], "k-NN accuracy": m["knn_accuracy"]})
            continue
        card = ui.card(name)
        if card:
            m = card["metrics"]
            rows.append({"method": name, "MSE": m["mse"], "PSNR (dB)": m["psnr"], "k-NN accuracy": m["knn_accuracy"]})
    if rows:
        st.dataframe(pd.DataFrame(rows).style.format({"MSE": "{:.4f}", "PSNR (dB)": "{:.2f}", "k-NN accuracy": "{:.3f}"}),
                     hide_index=True)
        st.caption("On the 10,000 MNIST test images; k-NN (k=5) fit on the 60,000 training codes. "
                   "Reproduce with `python -m explorer.evaluate`.")


@st.cache_data(show_spinner="Measuring PCA at each size...")
def pca_curve() -> list[float]:
    # In equal chunks (so the mean of chunk means is the mean): a whole-set reconstruction
    # holds several 31 MB copies of the test set at once.
    chunks = ui.test_split().floats.split(2000)
    return [float(np.mean([metrics.mse(ui.pca(d).reconstruct(x), x) for x in chunks])) for d in SIZES]


def size_chart() -> None:
    fig = go.Figure(go.Scatter(x=SIZES, y=pca_curve(), mode="lines+markers", name="PCA (computed here)"))
    bench = ui.benchmark_figures().get("ae_vs_pca", {}).get("rows", [])
    if bench:
        fig.add_trace(go.Scatter(x=[r["latent_dim"] for r in bench], y=[r["ae_mse"] for r in bench],
                                 mode="lines+markers", name="convolutional AE (make bench)"))
    else:
        for name in ("conv_ae-2", "conv_ae-32"):
            card = ui.card(name)
            if card:
                fig.add_trace(go.Scatter(x=[card["latent_dim"]], y=[card["metrics"]["mse"]], mode="markers",
                                         marker={"size": 14}, name=f"{name} (shipped)"))
        st.caption("Only the two shipped AE sizes are shown; `make bench` trains the whole range and this chart picks it up.")
    fig.update_layout(xaxis={"type": "log", "title": "latent size", "tickvals": SIZES},
                      yaxis={"type": "log", "title": "reconstruction MSE per pixel"},
                      height=420, font={"size": 15}, margin={"t": 30})
    st.plotly_chart(fig)


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
    labels = split.labels.numpy()
    picks = [int(np.nonzero(labels == d)[0][0]) for d in digits]
    x = split.floats[picks]
    pca_rec = ui.pca(m.latent_dim).reconstruct(x)[:, 0].numpy()
    ae_rec = ui.decode(name, ui.test_codes(name)[picks])
    for row, (orig, p, a) in enumerate(zip(x[:, 0].numpy(), pca_rec, ae_rec)):
        ui.show_row([orig, p, a], ["original", f"PCA-{m.latent_dim}", name] if row == 0 else ["", "", ""], scale=5)


def main() -> None:
    st.title("Autoencoder against PCA")
    ui.intro("PCA is the best <i>linear</i> way to squeeze digits into a few numbers. An autoencoder can bend. "
             "Compare how the same test digits spread out in each 2-D code: <b>select a cluster in one chart</b> "
             "and see where those digits land in the others.")
    if "cmp_selected" not in st.session_state:
        st.session_state.cmp_selected = []
    ui.data_or_stop()
    scatters()
    st.subheader("How well each 2-D code reconstructs and separates digits")
    table()
    st.subheader("Reconstruction error against latent size")
    size_chart()
    st.subheader("Gallery: original, PCA, autoencoder")
    gallery()


main()
