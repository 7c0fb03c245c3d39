"""What the latent explorer draws that is the same for every student: the 10,000-point scatter,
the pad's pictures, the test digits as files and the classifier's reading of the plane, each
built once per process.

Apart from app_pages/latent.py because a page file runs anew on every visit, and each cached
function defined in it is registered anew too: Streamlit reads the function's source to key its
cache, about a millisecond each, on every visit of every student."""

import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

from app_pages import ui
from app_pages.components.latent_pad import sprite_sheet
from app_pages.components.latent_scatter import scatter_data
from app_pages.components.onnx_pad import image_set_url, image_url
from explorer.plane_reading import PlaneReading, chart_picture, grid_codes, pad_picture, read_plane

PAD_STEPS = 49  # decodes per axis sent to the browser: 49 x 49 = 2,401 digits
MANIFOLD_STEPS = 20
READING_STEPS = 112  # classified decodes per axis: 12,544 cells of 5x5 pixels on the pad's 560-pixel picture
SCATTER_TITLE = "10,000 test digits: click or tap one"
DIGITS_PER_FILE = 100  # a 10x10 sheet of test digits, ~17 KB: what a pick may fetch, once, then cached


@st.cache_resource(show_spinner=False)
def scatter_base(name: str, low: float, high: float, reading_digit: int | None = None) -> dict:
    """The 10,000-point scatter's data (components/latent_scatter.py), built once per model
    (the pad moves its "you" ring, in the page). With `reading_digit` (the label the plane is
    decoded with; 0 for unconditional models), the classifier's reading of the plane is drawn
    behind the points, over the same square.

    A resource, not data: cache_data would copy 10,000 points on every page run, and nothing
    mutates it."""
    background = None
    if reading_digit is not None:
        # 5 pixels a cell: the browser smooths a stretched picture, and 4 pixels a cell blurred the boundaries.
        background = png_data_url(chart_picture(plane_reading(name, low, high, reading_digit), ui.DIGIT_COLORS, cell=5))
    return scatter_data(SCATTER_TITLE, ui.test_codes(name), ui.test_split().labels, ui.DIGIT_COLORS, low, high,
                        background)


def png_data_url(picture: np.ndarray) -> str:
    """The picture inline, as a URL: the chart needs no second request (~10 KB)."""
    buf = io.BytesIO()
    Image.fromarray(picture).save(buf, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


# The pad's pictures as URLs: each PNG is encoded and written once per model and digit, not per move.
@st.cache_data(show_spinner=False)
def sheet_url(name: str, low: float, high: float, digit: int) -> str:
    return image_url(sprite_sheet(ui.decode_grid(name, PAD_STEPS, low, high, digit)))


@st.cache_data(show_spinner=False)
def background_url(name: str, low: float, high: float, digit: int, coloured: bool = False) -> str:
    manifold = sprite_sheet(ui.decode_grid(name, MANIFOLD_STEPS, low, high, digit))
    if coloured:
        return image_url(pad_picture(plane_reading(name, low, high, digit), ui.DIGIT_COLORS, manifold))
    return image_url(manifold)


@st.cache_resource(show_spinner=False)
def test_digit_files() -> str:
    """The 10,000 test digits as 100 PNG sheets of 10x10, for the pad to show a picked digit
    without asking the server. Encoded once per machine (0.35 s; later processes find the files
    by their pixels' hash). Returns their `image_set_url`."""
    images = ui.test_split().images[:, 0]
    files = -(-len(images) // DIGITS_PER_FILE)
    padded = np.zeros((files * DIGITS_PER_FILE, 28, 28), np.uint8)
    padded[:len(images)] = images
    # Rows of ten: digit k of a sheet at row k // 10, column k % 10 (as the pad reads it).
    sheets = padded.reshape(files, DIGITS_PER_FILE // 10, 10, 28, 28).transpose(0, 1, 3, 2, 4)
    return image_set_url(list(sheets.reshape(files, 28 * DIGITS_PER_FILE // 10, 280)), "mnist-test")


@st.cache_data(show_spinner="Reading the plane's decodes with the classifier...")
def plane_reading(name: str, low: float, high: float, digit: int) -> PlaneReading:
    """What the classifier reads in the decode at the centre of each of READING_STEPS^2 cells
    (0.8 s for vae-2 on the 2-core CPU). Decoded in slices, not through `ui.decode_grid`: cached, the
    12,544 decodes would hold 39 MB per model and digit; the reading holds 63 KB."""
    codes, classifier = grid_codes(low, high, READING_STEPS), ui.classifier()
    return read_plane(np.concatenate([classifier.probabilities(ui.decode(name, codes[i:i + 1024], digit))
                                      for i in range(0, len(codes), 1024)]))
