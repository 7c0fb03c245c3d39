"""The latent explorer's "Colour by what a classifier reads" switch through AppTest, on the
shipped weights: the pad's background and the scatter change, and the readout's figures are
those of the picture shown."""

import base64
import io
import json
import re

import numpy as np
from PIL import Image

from app_pages.components.onnx_pad import IMAGE_DIR
from app_pages.ui import DIGIT_COLORS
from explorer.plane_reading import hex_to_rgb
from test_app import open_page


def pad_data(at) -> dict:
    pad = next(c for c in at.get("bidi_component") if "onnx_pad" in c.proto.component_name)
    return json.loads(pad.proto.json)


def chart_data(at) -> dict:
    """What the latent scatter (app_pages/components/latent_scatter.py) was sent."""
    chart = next(c for c in at.get("bidi_component") if c.proto.component_name == "latent_scatter")
    return json.loads(chart.proto.json)


def readout(at) -> str:
    return " ".join(m.value for m in at.markdown
                    if "of the 10 digits" in m.value or "is decoded with the label" in m.value)


def digits_in(picture: np.ndarray) -> np.ndarray:
    """Which digit's colour each pixel of the scatter's picture is a tint of: pixels are
    white * (1 - a) + colour * a, so 1 - pixel points the way of 1 - colour."""
    away = 1 - picture.reshape(-1, 3) / 255
    ref = 1 - hex_to_rgb(DIGIT_COLORS)
    cos = (away @ ref.T) / (np.linalg.norm(away, axis=1, keepdims=True) * np.linalg.norm(ref, axis=1) + 1e-9)
    return cos.argmax(1)


def test_the_switch_colours_the_pad_and_the_scatter_and_says_what_it_shows():
    at = open_page("latent")
    grey = pad_data(at)["background"]
    assert chart_data(at)["background"] is None and not readout(at)

    at.toggle(key="reading_map").set_value(True).run()
    assert not at.exception, at.exception
    coloured = pad_data(at)["background"]
    assert coloured != grey
    pad_picture = np.asarray(Image.open(IMAGE_DIR / coloured.rsplit("/", 1)[1]))
    grey_picture = np.asarray(Image.open(IMAGE_DIR / grey.rsplit("/", 1)[1]))
    assert grey_picture.ndim == 2 and pad_picture.shape == grey_picture.shape + (3,)
    saturation = pad_picture.max(-1).astype(int) - pad_picture.min(-1)
    assert (saturation > 40).mean() > 0.5  # most of the plane is coloured

    # Behind the scatter: a picture the chart stretches over its square, the pad's range.
    chart, pad = chart_data(at), pad_data(at)
    assert chart["range"] == [pad["low"], pad["high"]]
    png = base64.b64decode(chart["background"].split(",", 1)[1])
    digits = digits_in(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")))

    # The sentence's figures are the picture's: how many digits show, and the largest region's share.
    text = readout(at)
    n = int(re.search(r"reads \*\*(\d+) of the 10 digits", text).group(1))
    share, largest = re.search(r"\*\*(\d+)%\*\* of the plane, reads as (\d)", text).groups()
    counts = np.bincount(digits, minlength=10) / len(digits)
    assert n == int((counts > 0.001).sum())
    assert int(largest) == counts.argmax() and abs(int(share) / 100 - counts.max()) <= 0.015
    agree = int(re.search(r"\*\*(\d+)%\*\* sit where the decodes read as their own label", text).group(1))
    assert 40 <= agree <= 100  # about half of the lesson's VAE's test digits sit in their own digit's region

    at.toggle(key="reading_map").set_value(False).run()
    assert pad_data(at)["background"] == grey and chart_data(at)["background"] is None and not readout(at)


def test_the_conditional_vae_reads_the_label_it_was_given():
    at = open_page("latent")
    at.toggle(key="reading_map").set_value(True).run()
    at.selectbox(key="latent_model").set_value("cvae-2").run()
    assert not at.exception, at.exception
    sevens = pad_data(at)["background"]
    share = int(re.search(r"reads \*\*7\*\* in \*\*(\d+)%\*\*", readout(at)).group(1))
    assert share >= 80  # told to draw a 7, it draws something the classifier reads as 7 nearly everywhere
    at.selectbox(key="cvae_digit").set_value(3).run()
    assert not at.exception
    assert pad_data(at)["background"] != sevens and "reads **3**" in readout(at)
    assert chart_data(at)["background"].startswith("data:image/png;base64,")
