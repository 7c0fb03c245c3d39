"""Interpolate and sample: walk between two digits in pixel space and in latent spaces;
draw new digits from the priors of the generative models."""

import numpy as np
import streamlit as st

from app_pages import ui

STEPS = 8
AE, VAE = "conv_ae-32", "conv_vae-2"


def pick(label: str, key: str, default_digit: int) -> int:
    split = ui.test_split()
    c1, c2 = st.columns(2)
    digit = c1.selectbox(f"{label}: digit", list(range(10)), index=default_digit, key=f"{key}_digit")
    which = c2.number_input(f"{label}: which one", 0, 50, 0, key=f"{key}_n")
    return int(np.nonzero(split.labels == digit)[0][which])


@st.fragment
def interpolation() -> None:
    a, b = pick("From", "ia", 1), pick("To", "ib", 7)
    split = ui.test_split()
    xa, xb = split.float_images(slice(a, a + 1)), split.float_images(slice(b, b + 1))
    t = np.linspace(0, 1, STEPS, dtype=np.float32)[:, None]  # (STEPS, 1)
    rows = {"pixel space (a cross-fade)": ((1 - t)[:, :, None, None] * xa + t[:, :, None, None] * xb)[:, 0]}
    for name in (AE, VAE):
        model = ui.model(name)
        if model is None:
            continue
        za, zb = model.encode(xa), model.encode(xb)
        rows[f"{name} latent"] = model.decode((1 - t) * za + t * zb)[:, 0]
    for title, images in rows.items():
        st.markdown(f"**{title}**")
        ui.show_row(list(images), [f"{v:.2f}" for v in t[:, 0].tolist()], scale=4)
    st.caption("In pixel space the two digits are simply overlaid. In a latent space every step is decoded, "
               "so the in-between images are (mostly) digits themselves.")


@st.fragment
def samples() -> None:
    c1, c2 = st.columns(2)
    seed = c1.number_input("Seed", 0, 10_000, 0, key="sample_seed")
    digit = c2.selectbox("Digit for the conditional VAE", list(range(10)), index=3, key="sample_digit")
    z = np.random.default_rng(int(seed)).standard_normal((8, 2)).astype(np.float32)
    for name, label in [("vae-2", "VAE prior N(0, I)"), ("conv_vae-2", "convolutional VAE prior"),
                        ("aae-2", "adversarial AE prior"), ("cvae-2", f"conditional VAE, digit {digit}")]:
        if ui.model(name) is None:
            continue
        st.markdown(f"**{label}** ({name})")
        ui.show_row(list(ui.decode(name, z, digit)), [""] * len(z), scale=4)
    st.caption("Each column uses the same random code z for every model. The conditional VAE keeps the style "
               "of z and draws the digit you chose.")


def main() -> None:
    st.title("Interpolate and sample")
    ui.intro("Pick two test digits and walk from one to the other: first by cross-fading pixels, then through "
             "the latent space of an autoencoder. Below, <b>draw brand-new digits</b> by decoding random codes "
             "from each generative model's prior.")
    ui.data_or_stop()
    interpolation()
    st.subheader("Samples from the priors")
    samples()


main()
