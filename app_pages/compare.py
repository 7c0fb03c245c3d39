"""AE against PCA: the same test digits in PCA's plane and in two learned 2-D latents."""

import numpy as np
import streamlit as st

from app_pages import linked_scatter, ui
from app_pages.components.line_chart import line_chart
from explorer import metrics

METHODS = {"PCA-2": None, "conv_ae-2": "conv_ae-2", "conv_vae-2": "conv_vae-2"}
AXES = {"PCA-2": ("PC1", "PC2"), "conv_ae-2": ("z1", "z2"), "conv_vae-2": ("z1", "z2")}
SIZES = [2, 4, 8, 16, 32, 64]


@st.cache_data(show_spinner="Encoding the test digits...")
def codes_for(method: str) -> np.ndarray:
    """(SHOWN, 2) codes of the first SHOWN test digits: only these are drawn, so only these are encoded."""
    x = ui.test_split().float_images(slice(linked_scatter.SHOWN))
    if METHODS[method] is None:
        return ui.pca(2).encode(x)
    return ui.model(METHODS[method]).batched("encode", x, batch=500)


@st.fragment
def scatters() -> None:
    methods = [m for m in METHODS if METHODS[m] is None or ui.model(METHODS[m]) is not None]
    linked_scatter.show("cmp", {m: (codes_for(m), AXES[m]) for m in methods})


def table() -> None:
    rows = ["| method | MSE | PSNR (dB) | k-NN acc. |", "|---|---|---|---|"]
    for name in METHODS.values():
        card = ui.card(name or "conv_ae-2")
        if not card:
            continue
        m = card["metrics"]["pca"] if name is None else card["metrics"]
        rows.append(f"| {'PCA, 2 components' if name is None else name} | {m['mse']:.4f} | {m['psnr']:.2f} | "
                    f"{m['knn_accuracy']:.3f} |")
    if len(rows) > 2:
        # A static table that wraps on a phone; markdown, not st.table, which would import pandas
        # on a freshly started server (0.7 s of this page's first run).
        st.markdown("\n".join(rows))
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
    if bench:
        sizes = [r["latent_dim"] for r in bench]
        series = [{"name": "PCA", "x": sizes, "y": [r["pca_mse"] for r in bench]},
                  {"name": "convolutional autoencoder", "x": sizes, "y": [r["ae_mse"] for r in bench]}]
        caption = ("Lower is better. **PCA**: keep the first k principal components of the training digits. "
                   "**Convolutional autoencoder**: the same network trained once for each code size k. "
                   "Both measured on the 10,000 test digits by `make bench` (benchmarks/latent_sizes.py; table in "
                   "docs/benchmarks.md).")
    else:
        series = [{"name": "PCA", "x": SIZES, "y": pca_curve()}]
        for name in ("conv_ae-2", "conv_ae-32"):
            card = ui.card(name)
            if card:
                series.append({"name": f"{name} (shipped)", "x": [card["latent_dim"]], "y": [card["metrics"]["mse"]],
                               "lines": False})
        caption = ("Lower is better. **PCA**: keep the first k principal components, measured here on the 10,000 "
                   "test digits. Dots: the two shipped autoencoders. `make bench` trains the whole range and this "
                   "chart picks it up.")
    line_chart(series, "code size k (numbers per digit)", "reconstruction MSE per pixel", SIZES,
               [0.002, 0.005, 0.01, 0.02, 0.05, 0.1], key="cmp_sizes")
    st.caption(caption + " Both axes are logarithmic; hover or tap a point for its figure.")


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
             "<b>Click a point or lasso some in one chart</b> and see where the same digits land in the others.")
    ui.data_or_stop()
    scatters()
    st.subheader("How well each 2-D code reconstructs and separates digits")
    table()
    st.subheader("Reconstruction error against code size")
    size_chart()
    st.subheader("Gallery: original, PCA, autoencoder")
    gallery()


main()
