"""Model cards: what each shipped model is, how it was trained and how well it does."""

import numpy as np
import streamlit as st

from app_pages import ui
from explorer.beta import BETAS, beta_release
from explorer.metrics import code_sparsity as sparsity
from explorer.shipped import CLASSIFIER, PRETRAINED_ROOT, list_pretrained, read_card, train_command


def latent_lines(m: dict) -> list[str]:
    p = m["pca"]
    lines = [f"Reconstruction MSE **{m['mse']:.4f}** (PCA-{p['components']}: {p['mse']:.4f})",
             f"PSNR **{m['psnr']:.2f} dB** (PCA: {p['psnr']:.2f} dB)",
             f"k-NN accuracy of the codes **{m['knn_accuracy']:.3f}** (PCA: {p['knn_accuracy']:.3f})"]
    if "neg_elbo" in m:
        lines.append(f"Negative ELBO **{m['neg_elbo']:.1f} nats** per image (reconstruction {m['reconstruction_nll']:.1f} + KL {m['kl']:.1f})")
    return lines


def super_resolution_lines(m: dict) -> list[str]:
    return [f"PSNR **{m['psnr']:.2f} dB** (bicubic: {m['bicubic']['psnr']:.2f} dB)",
            f"SSIM **{m['ssim']:.3f}** (bicubic: {m['bicubic']['ssim']:.3f})"]


def denoise_lines(m: dict) -> list[str]:
    """One line per noise level, the hardest first: sigma 0.5 is the card's headline (the
    denoiser's quality target), so the summary table, which shows only a first line, shows it."""
    lines = []
    for key in sorted((k for k in m if k.startswith("sigma_")), reverse=True):
        s = m[key]
        lines.append(f"Gaussian {key.replace('_', ' ')}: **{s['model']['psnr']:.2f} dB** (noisy {s['noisy']['psnr']:.2f}, "
                     f"3x3 median {s['median3']['psnr']:.2f}, PCA {s['pca']['psnr']:.2f})")
    return lines


METRIC_LINES = {"latent": latent_lines, "denoise": denoise_lines, "super_resolution": super_resolution_lines}


@st.cache_data(show_spinner="Measuring code sparsity on the test digits...")
def code_sparsity(name: str) -> dict | None:
    """Mean code activation and near-zero fraction of `name` on the 10,000 test digits."""
    # The codes the ONNX encoder gives (the same ones evaluate.sparsity measures with PyTorch).
    return None if ui.model(name) is None else sparsity(ui.test_codes(name))


def sparsity_lines() -> list[str]:
    sparse, plain = code_sparsity("sparse_ae-32"), code_sparsity("ae-32")
    if sparse is None or plain is None:
        return []
    return [f"code sparsity on the test digits (measured here): mean activation **{sparse['mean_activation']:.2f}** "
            f"against **{plain['mean_activation']:.2f}** for ae-32; units below 0.1: "
            f"**{sparse['near_zero_fraction']:.0%}** against **{plain['near_zero_fraction']:.0%}** "
            "(the Keras blog's sparse AE: 3.33 against 7.30)"]


def summary_table(names: list[str]) -> None:
    """One row per model, read from its card and its weight file on disk. Three columns, the
    model's numbers under its name: a phone (390 px) shows the whole table, where six columns
    (and before that a data grid) hid the last ones behind a sideways scroll."""
    rows = ["| model | what it is | headline (model / PCA) |", "|---|---|---|"]
    for name in names:
        card = ui.card(name)
        if card is None:
            continue
        weights = PRETRAINED_ROOT / "mnist" / name / "model.safetensors"
        size = f"{weights.stat().st_size / 1e6:.2f} MB" if weights.exists() else "weights missing"
        numbers = f"{card['parameters']:,} parameters, {size}, trained in {card['seconds'] / 60:.1f} min"
        headline = METRIC_LINES[card["task"]](card["metrics"])[0].replace("**", "")
        rows.append(f"| **{name}**<br><small>{numbers}</small> | {card['description'].split('. ')[0]} | {headline} |")
    st.markdown("\n".join(rows), unsafe_allow_html=True)


# Plotly's D3 palette and two more: colours alone would repeat past ten models.
COLOURS = [*ui.DIGIT_COLORS, "#000075", "#9a6324"]


def dash(card: dict) -> str:
    """Line style by what the loss holds: an image mapped to an image (dotted), a reconstruction
    plus the KL term (dashed: the models measured by their ELBO), a reconstruction only (solid)."""
    if card["task"] in ("denoise", "super_resolution"):
        return "dot"
    return "dash" if "neg_elbo" in card["metrics"] else "solid"


@st.cache_resource(show_spinner=False)
def loss_figure(names: tuple[str, ...], losses: tuple[np.ndarray, ...], dashes: tuple[str, ...], height: int) -> dict:
    """A loss-per-epoch chart, one curve per name, built once per process and losses (a
    `ui.figure_spec`): rebuilt on every run, charts were two thirds of this page's server time,
    and a page switch of every student in a classroom. Losses as arrays: Streamlit hashes an
    array's bytes at once, and a tuple of floats one by one."""
    epochs = max(len(curve) for curve in losses)
    data = [{"type": "scatter", "x": list(range(1, len(curve) + 1)), "y": curve.tolist(), "name": name,
             "mode": "lines", "line": {"dash": style, "width": 2.5},
             "hovertemplate": f"{name}<br>epoch %{{x}}: %{{y:.1f}} nats<extra></extra>"}
            for name, curve, style in zip(names, losses, dashes)]
    layout = {"height": height, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, "font": {"size": 14},
              "yaxis": {"title": {"text": "loss (nats per image)"}},
              # Whole epochs only; no toolbar (config), which on a phone sat over the chart.
              "xaxis": {"title": {"text": "epoch"}, "tickformat": "d", "dtick": max(1, epochs // 10)},
              "colorway": COLOURS,
              # Below the chart: beside it, the eleven names took half a phone's width.
              # y in fractions of the plot area's height, which is the figure's less about 140 px of
              # margins and axis titles: the legend starts about 70 px below the plot, clear of "epoch".
              "legend": {"orientation": "h", "yanchor": "top", "y": -70 / (height - 140), "x": 0}}
    return ui.figure_spec({"data": data, "layout": layout})


def training_curves(names: list[str]) -> None:
    """Every model's training loss in one chart: one chart draws in the browser in a fraction of
    the time of one per card (eleven of them took about a third of a page switch), and side by side the
    curves show which models learn fast and which keep improving."""
    cards = [(n, ui.card(n)) for n in names]
    cards = [(n, c) for n, c in cards if c is not None and c.get("epoch_losses")]
    if not cards:
        return
    st.subheader("Training curves")
    figure = loss_figure(tuple(n for n, _ in cards), tuple(np.array(c["epoch_losses"]) for _, c in cards),
                         tuple(dash(c) for _, c in cards), 520)
    st.plotly_chart(ui.shown(figure), key="curves", config={"displayModeBar": False})
    st.caption("The loss each model minimised, averaged over each epoch of training, in nats per training image: "
               "the binary cross-entropy of the reconstruction, plus the KL term for the VAEs (dashed) and the L1 "
               "penalty on the code for the sparse AE. The denoiser's is against noisy inputs and the "
               "super-resolution models' against low-resolution ones (dotted). So the curves show how fast each "
               "model learned, not which one is best: the cards below give each model's figures on the test "
               "images. Click a name in the legend to hide its curve.")


def show(name: str) -> None:
    card = ui.card(name)
    if card is None:
        st.error(f"**{name}**: no readable card. Train it with `{train_command(name)}`.")
        return
    with st.container(border=True):
        st.subheader(name)
        st.write(card["description"])
        # Text only: the training curve is in the chart above the cards.
        c1, c2 = st.columns(2)
        c1.markdown(f"- parameters: **{card['parameters']:,}**\n"
                    f"- latent size: **{card['latent_dim'] or 'spatial (no vector code)'}**\n"
                    f"- trained: **{card['train_config']['epochs']} epochs** in **{card['seconds'] / 60:.1f} min** "
                    f"on **{card['device']}** (torch {card['versions']['torch']})\n"
                    f"- test images: {card['test_images']:,}; data hash `{card['data_sha256']}`")
        with c2:
            st.markdown("\n".join(f"- {line}" for line in METRIC_LINES[card["task"]](card["metrics"])))
            if name.startswith("sparse_ae"):
                st.markdown("\n".join(f"- {line}" for line in sparsity_lines()))


def beta_set_card(names: list[str]) -> None:
    """The beta set as one card: nine copies of one model differ only in beta, so one table and
    one chart of their loss curves say more (and draw faster) than nine cards."""
    cards = [(n, ui.card(n)) for n in names]
    cards = [(n, c) for n, c in cards if c is not None]
    if not cards:
        return
    with st.container(border=True):
        st.subheader(f"{cards[0][0]} ... {cards[-1][0]}")
        st.write(f"The fully connected 2-D VAE with its KL term weighted by beta, {len(cards)} copies for the beta "
                 "trade-off page (784-48-2, 20 epochs each).")
        c1, c2 = st.columns([1, 1.3])
        with c1:
            # Markdown, not st.dataframe: a static table, and no pandas import on a fresh server.
            st.markdown("\n".join(["| beta | -ELBO | KL | k-NN | time |", "|---|---|---|---|---|"] + [
                f"| {c['name'].rsplit('beta', 1)[1]} | {c['metrics']['neg_elbo']:.1f} | {c['metrics']['kl']:.2f} | "
                f"{c['metrics']['knn_accuracy']:.3f} | {c['seconds']:.0f} s |" for _, c in cards]))
            st.caption(f"{cards[0][1]['parameters']:,} parameters each; nats per test image.")
        with c2:
            names = tuple(f"beta {c['name'].rsplit('beta', 1)[1]}" for _, c in cards)
            losses = tuple(np.array(c["epoch_losses"]) for _, c in cards)
            st.plotly_chart(ui.shown(loss_figure(names, losses, ("solid",) * len(names), 300)),
                            key="curve_beta_set", config={"displayModeBar": False})
            st.caption("Training loss per epoch, in nats per image (the KL term weighted by beta).")


def classifier_card() -> None:
    try:
        card = read_card(CLASSIFIER)
    except Exception:  # noqa: BLE001 - no classifier shipped: nothing to show
        return
    weights = PRETRAINED_ROOT / "mnist" / CLASSIFIER / "model.safetensors"
    with st.container(border=True):
        st.subheader(CLASSIFIER)
        st.write(card["description"])
        st.markdown(f"- test accuracy: **{card['metrics']['accuracy']:.4f}** of the {card['test_images']:,} test digits\n"
                    f"- parameters: **{card['parameters']:,}**, {weights.stat().st_size / 1e6:.2f} MB on disk\n"
                    f"- trained: **{card['train_config']['epochs']} epochs** in **{card['seconds']:.0f} s** on "
                    f"**{card['device']}** (torch {card['versions']['torch']})")


def main() -> None:
    st.title("Models")
    ui.intro("Every model the app uses, with the figures measured on the 10,000 MNIST test images. "
             "Re-run them with <code>python -m explorer.evaluate</code>; retrain with <code>python train_all.py</code>.")
    names = list_pretrained()
    if not names:
        st.warning("No shipped weights found in pretrained/mnist. Train them with `python train_all.py`.")
        return
    # The lesson's order (explorer.releases), not alphabetical; anything else shipped goes last.
    order = {r["name"]: i for i, r in enumerate(ui.releases())}
    names = sorted(names, key=lambda n: (order.get(n, len(order)), n))
    betas = [n for n in names if n in {beta_release(b) for b in BETAS}]
    names = [n for n in names if n not in betas]
    summary_table(names)
    training_curves(names)
    for name in names:
        show(name)
    beta_set_card(betas)
    classifier_card()


main()
