"""Denoise: add noise to a digit (yours or MNIST's) and let the denoising autoencoder clean it."""

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from app_pages import ui, uploads
from app_pages.components.draw_pad import draw_pad
from explorer import baselines, metrics, noise

MODEL = "denoising_ae"
PCA_COMPONENTS = 32
AS_IS, ADD_NOISE = "Denoise it as it is", "Add noise to see the denoiser work"
DOWNLOAD_SCALE = 10  # the upscaled download: 280x280, big enough to look at


def choose_inputs() -> tuple[list[uploads.Upload], bool]:
    """The images to work on, and whether they are the person's own (uploaded or drawn)."""
    source = st.segmented_control("Input", ["Test digits", "Upload", "Draw"], default="Test digits",
                                  key="dn_source", required=True)
    if source == "Upload":
        files = st.file_uploader("Images of digits (PNG, JPEG, WebP, BMP, GIF, TIFF); several at once is fine",
                                 type=ui.UPLOAD_TYPES, accept_multiple_files=True, key="dn_upload",
                                 max_upload_size=ui.MAX_UPLOAD_MB)
        return uploads.read(files), True
    if source == "Draw":
        st.caption("Draw one digit, white on black, then press **Use drawing**.")
        data = draw_pad(key="dn_draw")
        return (uploads.read([uploads.Named("drawing.png", data)]) if data else []), True
    c1, c2 = st.columns(2)
    count = c1.slider("How many digits", 1, 6, 3, key="dn_count")
    pick_seed = c2.number_input("Which digits (seed)", 0, 10_000, 0, key="dn_pick")
    split = ui.test_split()
    idx = np.random.default_rng(int(pick_seed)).choice(len(split), count, replace=False)
    return [uploads.Upload(f"test #{i}", f"test-{i}", split.float_images(i)[0], index=k)
            for k, i in enumerate(idx)], False


@st.fragment
def denoise(inputs: list[uploads.Upload], own: bool) -> None:
    # The person's intent is the default: their own image is denoised as it is; the test
    # digits are clean, so for them the demonstration (add noise, then denoise) comes first.
    mode = st.radio("What to do", [AS_IS, ADD_NOISE], index=0 if own else 1, horizontal=True,
                    key=f"dn_mode_{'own' if own else 'test'}")
    if mode == ADD_NOISE:
        c1, c2, c3 = st.columns([1.2, 1, 0.8])
        kind = c1.segmented_control("Noise", ["gaussian", "salt_pepper"], default="gaussian", key="dn_kind",
                                    required=True,
                                    format_func=lambda k: {"gaussian": "Gaussian", "salt_pepper": "Salt & pepper"}[k])
        level = c2.slider("Gaussian sigma" if kind == "gaussian" else "Pixels flipped", 0.0,
                          0.7 if kind == "gaussian" else 0.5, 0.5 if kind == "gaussian" else 0.2, 0.05,
                          key=f"dn_level_{kind}")
        seed = c3.number_input("Noise seed", 0, 10_000, 0, key="dn_seed")
    model = ui.model(MODEL)
    if model is None:
        return
    pca = ui.pca(PCA_COMPONENTS)
    for item in inputs:
        x = item.image[None, None]  # (1, 1, 28, 28)
        noisy = x if mode == AS_IS else noise.corrupt(x, kind, level, seed=int(seed))
        outputs = {"denoising AE": model.reconstruct(noisy), f"PCA-{PCA_COMPONENTS}": pca.reconstruct(noisy),
                   "3x3 median": baselines.median_filter(noisy)}
        if mode == AS_IS:
            # No clean image to score against: the picture is the result.
            images = [x[0, 0]] + [out[0, 0] for out in outputs.values()]
            captions = ["as the model receives it"] + list(outputs)
        else:
            images = [item.image, noisy[0, 0]] + [out[0, 0] for out in outputs.values()]
            captions = ["clean", f"noisy\n{score(noisy, x)}"] + [f"{k}\n{score(v, x)}" for k, v in outputs.items()]
        st.markdown(f"**{item.label}**")
        uploads.show_note(item)
        ui.show_row(images, captions, scale=7)
        result = outputs["denoising AE"][0, 0]
        d1, d2 = st.columns(2)
        # The files are made when a button is pressed, not on every run for every digit (two PNG
        # encodings per digit per run, most of them never downloaded).
        d1.download_button(f"Download the denoised digit ({28 * DOWNLOAD_SCALE}x{28 * DOWNLOAD_SCALE} PNG)",
                           lambda r=result: ui.png_bytes(ui.big(r, DOWNLOAD_SCALE) / 255),
                           file_name=f"{item.stem}-denoised.png", mime="image/png", key=f"dl_{item.index}_{item.stem}")
        d2.download_button("28x28 PNG", lambda r=result: ui.png_bytes(r), file_name=f"{item.stem}-denoised-28x28.png",
                           mime="image/png", key=f"dl28_{item.index}_{item.stem}")


def score(out: np.ndarray, clean: np.ndarray) -> str:
    return f"PSNR {metrics.psnr(out, clean):.1f} dB, SSIM {metrics.ssim(out, clean):.2f}"


def not_a_digit() -> np.ndarray:
    """A small picture that is not a digit: a face, drawn so the app needs no image files."""
    from explorer.preprocess import to_grayscale_28  # after the page's title: see app_pages/uploads.py

    image = Image.new("L", (112, 112), 0)
    d = ImageDraw.Draw(image)
    d.ellipse((10, 10, 102, 102), outline=255, width=6)
    d.ellipse((32, 36, 46, 50), fill=255)
    d.ellipse((66, 36, 80, 50), fill=255)
    d.arc((30, 45, 82, 88), 20, 160, fill=255, width=6)
    return to_grayscale_28(image)


def exercise() -> None:
    st.subheader("The lesson's exercise: a picture that is not a digit")
    model = ui.model(MODEL)
    if model is None:
        return
    x = not_a_digit()[None, None]
    noisy = noise.corrupt(x, "gaussian", 0.3, seed=0)
    out = model.reconstruct(noisy)
    # The sentence follows the measurement, so it cannot contradict the pictures.
    kept = metrics.ssim(out, x)
    if kept >= 0.7:
        st.markdown(f"The denoiser was trained only on digits, yet it cleans this face too and keeps it a face "
                    f"(SSIM {kept:.2f} against the clean face). Its code is a spatial map, not a few numbers, and a "
                    f"skip hands its decoder the encoder's 14x14 maps, so it learned local strokes and edges rather "
                    f"than whole digits, and a face is made of those too. "
                    f"A bottleneck of a few numbers (the Latent explorer's models) would redraw it as a digit.")
    else:
        st.markdown(f"The denoiser learned what *digits* look like. Given a face it has nothing to match and pulls "
                    f"it towards digit-like strokes (SSIM {kept:.2f} against the clean face): it removes noise "
                    f"*and* detail it never saw. An autoencoder is only as general as its training data.")
    ui.show_row([x[0, 0], noisy[0, 0], out[0, 0]],
                ["not a digit", f"noisy\n{score(noisy, x)}", f"denoising AE\n{score(out, x)}"], scale=7)


def main() -> None:
    st.title("Denoise")
    ui.intro("A denoising autoencoder is trained on pairs (noisy digit, clean digit), with fresh noise every time. "
             "<b>Upload, draw or pick a digit</b> and compare the autoencoder with two classic filters.")
    ui.data_or_stop()
    inputs, own = choose_inputs()
    if inputs:
        denoise(inputs, own)
    exercise()


main()
