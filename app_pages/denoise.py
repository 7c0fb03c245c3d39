"""Denoise: add noise to a digit (yours or MNIST's) and let the denoising autoencoder clean it."""

import numpy as np
import streamlit as st
import torch
from PIL import Image, ImageDraw

from app_pages import ui
from app_pages.components.draw_pad import draw_pad
from explorer import metrics, noise
from explorer.baselines import median_filter
from explorer.preprocess import to_grayscale_28

MODEL = "denoising_ae"
PCA_COMPONENTS = 32


def choose_inputs() -> list[tuple[str, np.ndarray]]:
    source = st.segmented_control("Input", ["Random test digits", "Upload", "Draw"], default="Random test digits",
                                  key="dn_source", required=True)
    if source == "Upload":
        files = st.file_uploader("Images of digits (PNG, JPEG, WebP, BMP, GIF, TIFF); several at once is fine",
                                 type=ui.UPLOAD_TYPES, accept_multiple_files=True, key="dn_upload",
                                 max_upload_size=ui.MAX_UPLOAD_MB)
        return ui.read_uploads(files)
    if source == "Draw":
        st.caption("Draw one digit, white on black, then press **Use drawing**.")
        data = draw_pad(key="dn_draw")
        return ui.read_uploads([_Bytes("drawing.png", data)]) if data else []
    count = st.slider("How many digits", 1, 6, 3, key="dn_count")
    pick_seed = st.number_input("Which digits (seed)", 0, 10_000, 0, key="dn_pick")
    split = ui.test_split()
    idx = np.random.default_rng(int(pick_seed)).choice(len(split), count, replace=False)
    return [(f"test #{i}", split.floats[i, 0].numpy()) for i in idx]


class _Bytes:
    """Lets a drawing go through the same path as an uploaded file."""

    def __init__(self, name: str, data: bytes):
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


@st.fragment
def denoise(inputs: list[tuple[str, np.ndarray]]) -> None:
    c1, c2, c3, c4 = st.columns(4)
    kind = c1.segmented_control("Noise", ["gaussian", "salt_pepper"], default="gaussian", key="dn_kind", required=True,
                                format_func=lambda k: {"gaussian": "Gaussian", "salt_pepper": "Salt and pepper"}[k])
    level = c2.slider("Gaussian sigma" if kind == "gaussian" else "Fraction of pixels flipped",
                      0.0, 0.7 if kind == "gaussian" else 0.5, 0.5 if kind == "gaussian" else 0.2, 0.05, key=f"dn_level_{kind}")
    seed = c3.number_input("Noise seed", 0, 10_000, 0, key="dn_seed")
    already_noisy = c4.toggle("My image is already noisy", key="dn_as_is",
                              help="Skip adding noise: the clean image is then unknown, so no scores are shown.")
    model = ui.model(MODEL)
    if model is None:
        return
    pca = ui.pca(PCA_COMPONENTS)
    for name, clean in inputs:
        x = torch.from_numpy(clean)[None, None]
        noisy = x if already_noisy else noise.corrupt(x, kind, level, seed=int(seed))
        with torch.inference_mode():
            outputs = {"denoising AE": model.reconstruct(noisy), f"PCA-{PCA_COMPONENTS}": pca.reconstruct(noisy),
                       "3x3 median": median_filter(noisy)}
        images, captions = ([], []) if already_noisy else ([clean], ["clean"])
        images.append(noisy[0, 0].numpy())
        captions.append("input" if already_noisy else f"noisy\n{score(noisy, x)}")
        for label, out in outputs.items():
            images.append(out[0, 0].numpy())
            captions.append(label if already_noisy else f"{label}\n{score(out, x)}")
        st.markdown(f"**{name}**")
        ui.show_row(images, captions, scale=7)
        st.download_button("Download the denoised digit (PNG)", ui.png_bytes(outputs["denoising AE"][0, 0].numpy()),
                           file_name=f"denoised-{name.replace(' ', '_').replace('#', '')}.png", mime="image/png",
                           key=f"dl_{name}")


def score(out: torch.Tensor, clean: torch.Tensor) -> str:
    return f"PSNR {metrics.psnr(out, clean):.1f} dB, SSIM {metrics.ssim(out, clean):.2f}"


def not_a_digit() -> np.ndarray:
    """A small picture that is not a digit: a face, drawn so the app needs no image files."""
    image = Image.new("L", (112, 112), 0)
    d = ImageDraw.Draw(image)
    d.ellipse((10, 10, 102, 102), outline=255, width=6)
    d.ellipse((32, 36, 46, 50), fill=255)
    d.ellipse((66, 36, 80, 50), fill=255)
    d.arc((30, 45, 82, 88), 20, 160, fill=255, width=6)
    return to_grayscale_28(image)


def exercise() -> None:
    st.subheader("The lesson's exercise: a picture that is not a digit")
    st.markdown("The denoiser learned what *digits* look like. Give it a face and it has nothing to match, so it "
                "draws the face towards digit-like strokes and blobs: it removes noise *and* detail it never saw. "
                "An autoencoder is only as general as its training data.")
    model = ui.model(MODEL)
    if model is None:
        return
    x = torch.from_numpy(not_a_digit())[None, None]
    noisy = noise.corrupt(x, "gaussian", 0.3, seed=0)
    with torch.inference_mode():
        out = model.reconstruct(noisy)
    ui.show_row([x[0, 0].numpy(), noisy[0, 0].numpy(), out[0, 0].numpy()],
                ["not a digit", f"noisy\n{score(noisy, x)}", f"denoising AE\n{score(out, x)}"], scale=7)


def main() -> None:
    st.title("Denoise")
    ui.intro("A denoising autoencoder is trained on pairs (noisy digit, clean digit), with fresh noise every time. "
             "<b>Pick or upload a digit, choose the noise</b>, and compare the autoencoder with two classic filters. "
             "Higher PSNR and SSIM mean closer to the clean image.")
    ui.data_or_stop()
    inputs = choose_inputs()
    if inputs:
        with st.expander("What the model receives (after MNIST-style preprocessing)", expanded=False):
            ui.show_row([a for _, a in inputs], [n for n, _ in inputs], scale=4)
        denoise(inputs)
    exercise()


main()
