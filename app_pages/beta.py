"""The beta trade-off: one slider moves a 2-D VAE from a plain AE's spread-out codes to
posterior collapse. Every figure is read from the models' cards (measured by train_all.py
on the 10,000 MNIST test images); the scatter and the manifold are computed here."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from app_pages import ui
from explorer.beta import (BETA_HIDDEN, BETAS, COLLAPSE_KL_NATS, beta_release, collapsed, figures, fully_collapsed,
                           what_changed)
from app_pages.components.latent_pad import sprite_sheet
from explorer.shipped import train_command

MANIFOLD_STEPS = 20
READOUTS = [  # card key, label, format, True when a rise is bad
    ("reconstruction_nll", "Reconstruction", "{:.1f} nats", True),
    ("kl", "KL to the prior", "{:.2f} nats", False),
    ("mse", "Reconstruction MSE", "{:.4f}", True),
    ("knn_accuracy", "k-NN accuracy of the codes", "{:.3f}", False),
]


@st.cache_data(show_spinner=False)
def shipped_rows() -> dict[float, dict]:
    """The figures of every beta whose card is readable."""
    rows = {}
    for beta in BETAS:
        card = ui.card(beta_release(beta))
        if card is not None:
            rows[beta] = figures(card)
    return rows


@st.cache_data(show_spinner="Encoding the 10,000 test digits with each beta...")
def common_range(betas: tuple[float, ...]) -> float:
    """One axis range for every beta, so the scatter's shrinking is visible as beta grows."""
    return max(float(np.percentile(np.abs(ui.test_codes(beta_release(b))), 99.5)) for b in betas) * 1.05


@st.cache_resource(show_spinner=False)
def scatter_base(beta: float, r: float) -> dict:
    """The test codes coloured by digit, with the prior's 1- and 2-sigma circles. A dict
    built and validated once per beta (a resource: never mutated, see `scatter_figure`)."""
    codes, labels = ui.test_codes(beta_release(beta)), ui.test_split().labels
    fig = go.Figure()
    for digit in range(10):
        mask = labels == digit
        fig.add_trace(go.Scattergl(x=codes[mask, 0], y=codes[mask, 1], mode="markers", name=str(digit),
                                   marker={"size": 3, "color": ui.DIGIT_COLORS[digit], "opacity": 0.55},
                                   hoverinfo="skip"))
    t = np.linspace(0, 2 * np.pi, 120)
    for radius in (1, 2):
        fig.add_trace(go.Scatter(x=radius * np.cos(t), y=radius * np.sin(t), mode="lines", hoverinfo="skip",
                                 name=f"prior {radius} sigma", line={"color": "#444", "dash": "dash", "width": 1.5},
                                 showlegend=radius == 1))
    fig.update_layout(height=480, margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend_title_text="digit",
                      xaxis={"range": [-r, r], "title": "z1"}, yaxis={"range": [-r, r], "title": "z2",
                                                                    "scaleanchor": "x"},
                      font={"size": 15}, title=f"10,000 test codes at beta = {beta:g}")
    return fig.to_dict()


def scatter_figure(beta: float, r: float) -> go.Figure:
    # A new figure around the cached dict, unvalidated: validating 10,000 points again on
    # every slider move would cost tens of milliseconds (see the latent explorer).
    base = scatter_base(beta, r)
    return go.Figure({"data": list(base["data"]), "layout": base["layout"]}, _validate=False)


@st.cache_data(show_spinner=False)
def manifold(beta: float) -> tuple[np.ndarray, float]:
    """The 20x20 grid of decodes over the range this model's test codes cover."""
    name = beta_release(beta)
    low, high = ui.latent_range(name)
    return sprite_sheet(ui.decode_grid(name, MANIFOLD_STEPS, low, high)), high


def readouts(row: dict, ref: dict | None) -> None:
    sentences = what_changed(row, ref) if ref else {}
    for col, (key, label, fmt, rise_is_bad) in zip(st.columns(len(READOUTS)), READOUTS):
        delta = None if ref is None or row["beta"] == ref["beta"] else row[key] - ref[key]
        col.metric(label, fmt.format(row[key]), delta=None if delta is None else f"{delta:+.4g} vs beta 1",
                   delta_color="inverse" if rise_is_bad else "normal")
        col.caption(sentences.get(key, ""))


def verdict(row: dict, spread: float) -> None:
    if collapsed(row) and not fully_collapsed(row):
        bits = row["kl"] / np.log(2)
        st.warning(f"**Partial posterior collapse.** At beta = {row['beta']:g} the code carries only {row['kl']:.2f} "
                   f"nats ({bits:.1f} bits) about each digit, under {COLLAPSE_KL_NATS:g}: the test codes huddle on the "
                   f"prior (spread {spread:.2f}, the prior's 1), the code tells few digits apart (k-NN "
                   f"{row['knn_accuracy']:.3f}), and the manifold keeps a few blurred digit shapes instead of ten "
                   "digits.", icon=":material/compress:")
    elif collapsed(row):
        st.warning(f"**Posterior collapse.** At beta = {row['beta']:g} the KL term wins: the code carries only "
                   f"{row['kl']:.2f} nats about each digit, every posterior sits almost on the prior N(0, I) "
                   f"(test codes' spread {spread:.2f}, the prior's 1), and the manifold decodes to nearly the same "
                   "blurred average digit everywhere.", icon=":material/compress:")
    elif row["beta"] > 1:
        st.warning(f"**Large beta: pulled toward posterior collapse.** The code carries {row['kl']:.2f} nats about "
                   f"each digit (beta 1: more), the test codes shrink toward the prior's centre (spread {spread:.2f}, "
                   f"the prior's 1) and decodes blur toward an average digit. Below {COLLAPSE_KL_NATS:g} nats the "
                   "posterior would have collapsed onto the prior.", icon=":material/compress:")
    elif row["beta"] < 1:
        st.info(f"**Small beta: codes spread like a plain autoencoder's.** The KL term barely pulls: the test "
                f"codes spread to {spread:.2f} (the prior's is 1), reconstructions are sharper, and the plane "
                "has regions the prior rarely samples.", icon=":material/scatter_plot:")
    else:
        st.info(f"**Beta = {row['beta']:g}.** Reconstruction and closeness to the prior are traded: "
                f"the codes' spread is {spread:.2f} (the prior's is 1).", icon=":material/balance:")


@st.fragment
def explorer(rows: dict[float, dict]) -> None:
    """The slider and everything it changes: moving it reruns only this."""
    betas = sorted(rows)
    if "beta" not in st.session_state or st.session_state.beta not in rows:
        st.session_state.beta = 1.0 if 1.0 in rows else betas[0]
    beta = st.select_slider("beta, the weight of the KL term", options=betas, key="beta",
                            format_func=lambda b: f"{b:g}")
    row, ref = rows[beta], rows.get(1.0)
    codes = ui.test_codes(beta_release(beta))
    verdict(row, float(codes.std()))
    readouts(row, ref)
    col_scatter, col_manifold = st.columns([1.25, 1])
    with col_scatter:
        st.plotly_chart(scatter_figure(beta, common_range(tuple(betas))), key="beta_scatter")
    with col_manifold:
        sheet, high = manifold(beta)  # as a JPEG (Streamlit's default): smaller than PNG for blurred decodes
        st.image(sheet, caption=f"20x20 decodes over z1, z2 in [-{high:g}, {high:g}], the range of this model's "
                                "test codes", width="stretch")


def main() -> None:
    st.title("The beta trade-off")
    ui.intro("A VAE's loss is <b>reconstruction + beta x KL</b>: how badly it redraws the digit, plus how far each "
             "code's posterior strays from the prior N(0, I). <b>Move the slider.</b> At small beta the codes spread "
             "out like a plain autoencoder's; at large beta they collapse onto the prior and every decode blurs "
             "toward one average digit.")
    ui.data_or_stop()
    rows = shipped_rows()
    missing = [beta_release(b) for b in BETAS if b not in rows]
    if missing:
        st.error(f"Not trained: {', '.join(missing)}. Train them with `{train_command(' '.join(missing))}`.")
    if not rows:
        return
    explorer(rows)
    st.caption(f"{len(BETAS)} copies of the fully connected 2-D VAE (784-{BETA_HIDDEN}-2, vae-2's recipe with a narrower "
               "hidden layer), trained by `python train_all.py` for 20 epochs each at beta = "
               + ", ".join(f"{b:g}" for b in BETAS) + ". The figures are on the 10,000 MNIST test images: "
               "reconstruction and KL in nats per image (one posterior sample), MSE per pixel of the decoded "
               "posterior mean, k-NN (k = 5) fit on the 60,000 training codes.")


main()
