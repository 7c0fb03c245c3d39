"""Super-resolution: a 14x14 or 7x7 digit back to 28x28, against classic upscaling."""

import numpy as np
import streamlit as st

from app_pages import uploads
from app_pages import ui
from explorer import baselines, metrics


def inputs() -> list[uploads.Upload]:
    source = st.segmented_control("Input", ["Test digits", "Upload"], default="Test digits",
                                  key="sr_source", required=True)
    if source == "Upload":
        files = st.file_uploader("Images of digits", type=ui.UPLOAD_TYPES, accept_multiple_files=True, key="sr_upload",
                                 max_upload_size=ui.MAX_UPLOAD_MB)
        return uploads.read(files)
    seed = st.number_input("Which digits (seed)", 0, 10_000, 1, key="sr_pick")
    split = ui.test_split()
    idx = np.random.default_rng(int(seed)).choice(len(split), 3, replace=False)
    return [uploads.Upload(f"test #{i}", f"test-{i}", split.float_images(i)[0], index=k) for k, i in enumerate(idx)]


@st.fragment
def upscale(images: list[uploads.Upload]) -> None:
    factor = st.segmented_control("Scale", [2, 4], default=2, key="sr_factor", required=True,
                                  format_func=lambda f: f"x{f}  ({28 // f}x{28 // f} -> 28x28)")
    name = f"super_resolution-x{factor}"
    model = ui.model(name)
    if model is None:
        return
    for item in images:
        x = item.image[None, None]  # (1, 1, 28, 28)
        low = model.downsample(x)
        nearest, bicubic = baselines.upscale(low, 28, "nearest"), baselines.upscale(low, 28, "bicubic")
        restored = model.reconstruct(low)
        st.markdown(f"**{item.label}**")
        uploads.show_note(item)
        # The low-res image is shown with its big pixels (nearest neighbour) at the others' size.
        ui.show_row([item.image, nearest[0, 0], bicubic[0, 0], restored[0, 0]],
                    ["original", f"low-res {28 // factor}x{28 // factor}\nPSNR {metrics.psnr(nearest, x):.1f} dB",
                     f"bicubic\nPSNR {metrics.psnr(bicubic, x):.1f} dB",
                     f"autoencoder\nPSNR {metrics.psnr(restored, x):.1f} dB"], scale=7)
    card = ui.card(name)
    if card:
        m = card["metrics"]
        st.caption(f"On all 10,000 test digits: autoencoder {m['psnr']:.2f} dB against bicubic "
                   f"{m['bicubic']['psnr']:.2f} dB (`python -m explorer.evaluate`).")


def main() -> None:
    st.title("Super-resolution")
    ui.intro("Average-pool a digit down to 14x14 (x2) or 7x7 (x4) and try to get the 28x28 original back. "
             "Bicubic interpolation only smooths; the autoencoder has seen thousands of digits and "
             "<b>restores sharp strokes</b>. The low-res image is shown with its big pixels, at the same size.")
    ui.data_or_stop()
    images = inputs()
    if images:
        upscale(images)


main()
