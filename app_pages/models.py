"""Model cards: what each shipped model is, how it was trained and how well it does."""

import plotly.graph_objects as go
import streamlit as st

from app_pages import ui
from explorer.pretrained import list_pretrained, train_command


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
    lines = []
    for key in sorted(k for k in m if k.startswith("sigma_")):
        s = m[key]
        lines.append(f"Gaussian {key.replace('_', ' ')}: **{s['model']['psnr']:.2f} dB** (noisy {s['noisy']['psnr']:.2f}, "
                     f"3x3 median {s['median3']['psnr']:.2f}, PCA {s['pca']['psnr']:.2f})")
    return lines


METRIC_LINES = {"latent": latent_lines, "denoise": denoise_lines, "super_resolution": super_resolution_lines}


def show(name: str) -> None:
    card = ui.card(name)
    if card is None:
        st.error(f"**{name}**: no readable card. Train it with `{train_command(name)}`.")
        return
    with st.container(border=True):
        st.subheader(name)
        st.write(card["description"])
        c1, c2 = st.columns([1, 1.3])
        with c1:
            st.markdown(f"- parameters: **{card['parameters']:,}**\n"
                        f"- latent size: **{card['latent_dim'] or 'spatial (no vector code)'}**\n"
                        f"- trained: **{card['train_config']['epochs']} epochs** in **{card['seconds'] / 60:.1f} min** "
                        f"on **{card['device']}** (torch {card['versions']['torch']})\n"
                        f"- test images: {card['test_images']:,}; data hash `{card['data_sha256']}`")
            st.markdown("\n".join(f"- {line}" for line in METRIC_LINES[card["task"]](card["metrics"])))
        with c2:
            losses = card["epoch_losses"]
            fig = go.Figure(go.Scatter(x=list(range(1, len(losses) + 1)), y=losses, mode="lines+markers"))
            fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 30, "b": 10}, title="training loss per epoch",
                              xaxis_title="epoch", yaxis_title="loss (nats per image)", font={"size": 14})
            st.plotly_chart(fig, key=f"curve_{name}")


def main() -> None:
    st.title("Models")
    ui.intro("Every model the app uses, with the figures measured on the 10,000 MNIST test images. "
             "Re-run them with <code>python -m explorer.evaluate</code>; retrain with <code>python train_all.py</code>.")
    names = list_pretrained()
    if not names:
        st.warning("No shipped weights found in pretrained/mnist. Train them with `python train_all.py`.")
        return
    for name in names:
        show(name)


main()
