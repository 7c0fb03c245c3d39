"""What the app's pages share: cached models and data, and how images are shown.

Models are `st.cache_resource` (one copy per process, never mutated by a session);
arrays derived from them are `st.cache_data`. A missing or damaged weight file turns
into an error box that names the model and the command that trains it; the page goes on.

The server never imports PyTorch (tests/test_app_no_torch.py): models are their ONNX exports
run by onnxruntime (`explorer.onnx_models`), data, noise, metrics and baselines are numpy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
import gc
import io
import json
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.basedatatypes import BaseFigure
import streamlit as st
from PIL import Image

from explorer.baselines import PCABaseline
from explorer.data import ArraySplit, DataUnavailableError, load_arrays
from explorer.onnx_models import OnnxClassifier, OnnxModel, OnnxWeightsError, load_onnx, load_onnx_classifier
from explorer.shipped import SHIPPED_PCA_COMPONENTS, WeightsError, load_card, load_catalog, load_pca, model_dir

BENCHMARK_JSON = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.json"
# Figures carry no Plotly template: Streamlit's theme styles every chart in the browser anyway,
# and copying and serialising Plotly's default template (6.5 KB a chart) was the larger part of
# building a small chart on every page run (the Models page's dozen loss charts, since merged
# into two: ~40% of its time).
pio.templates.default = "none"


def figure_spec(spec: dict) -> dict:
    """A figure given as plain dicts (data, layout), unvalidated, as the JSON-ready dict Plotly
    sends: numbers as base64 arrays, template applied. Build it once and cache it; `shown` wraps it."""
    return go.Figure(spec, _validate=False).to_dict()


class shown(BaseFigure):  # noqa: N801 - used like a function: st.plotly_chart(ui.shown(spec))
    """A prebuilt `figure_spec` for st.plotly_chart, without copying it on every page run.

    st.plotly_chart turns a figure into its dict with `to_dict()`, a deep copy; of a figure built
    from dicts it would validate every property instead. For the latent scatter's 10,000 points
    that copy was most of a return to the page, for every student. Here `to_dict` hands over the
    cached dict itself, which Streamlit only serialises. Nothing may mutate it."""

    def __init__(self, spec: dict):  # not BaseFigure.__init__, which builds Plotly's object tree
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec

    to_plotly_json = to_dict


DIGIT_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]  # Plotly's D3 palette


def _freeze_loaded(value):
    """Move what is alive now (modules, models, data sets) out of the garbage collector's reach.

    Streamlit's sessions allocate and free objects all the time, and every full collection
    walks every tracked object (~290,000 with the models loaded), holding the GIL. Loaded
    models and data live as long as the process, so each cached loader below, which runs
    once per process and key, collects the garbage once and freezes the rest (`gc.freeze`:
    cheap, it moves lists). Returns `value`, so a loader ends with `return _freeze_loaded(x)`."""
    gc.collect()
    gc.freeze()
    return value


@st.cache_resource(show_spinner="Loading model...")
def _load(name: str) -> OnnxModel:
    # Shared by every session's thread: onnxruntime's `run` is thread-safe.
    return _freeze_loaded(load_onnx(name))


@st.cache_resource(show_spinner=False)
def releases() -> list[dict]:
    """The shipped releases in the lesson's order (explorer.releases, through releases.json).
    Read once per process, like the models; never mutated."""
    return load_catalog()["releases"]


def names_for(task: str, latent_dim: int | None = None) -> list[str]:
    """What a model picker lists: releases of one task (and code size), in release order."""
    return [r["name"] for r in releases()
            if r["picker"] and r["task"] == task and (latent_dim is None or r["latent_dim"] == latent_dim)]


def latent_2d_models() -> list[str]:
    return names_for("latent", latent_dim=2)  # the models whose code is a plane


def picker_labels() -> dict[str, str]:
    """What a model picker shows for each release: its label and its name."""
    return {r["name"]: f"{r['label']}  ({r['name']})" if r["label"] != r["name"] else r["name"] for r in releases()}


def picker_format() -> Callable[[str], str]:
    """A model picker's `format_func`. The labels are built once a run here: a picker formats
    each option more than once a run, and each time went through the cache of `releases()`."""
    names = picker_labels()
    return lambda name: names.get(name, name)


def model(name: str) -> OnnxModel | None:
    """The shipped model, or None after showing an error that says how to train it."""
    try:
        return _load(name)
    except OnnxWeightsError as exc:
        # A model that was never trained has no folder: the message names train_all.py.
        st.error(f"**{name} is not available.** {exc}", icon=":material/error:")
        return None


@st.cache_resource(show_spinner="Loading the digit classifier...")
def _load_classifier() -> OnnxClassifier:
    return _freeze_loaded(load_onnx_classifier())


def classifier() -> OnnxClassifier | None:
    """The shipped digit classifier (explorer/classifier.py), or None after an error that says how to train it."""
    try:
        return _load_classifier()
    except OnnxWeightsError as exc:
        st.error(f"**The digit classifier is not available.** {exc}", icon=":material/error:")
        return None


def card(name: str) -> dict | None:
    """The model's card, or None if it has none. Read once per version of the file (the Models
    page reads 30 cards a run; parsing them was most of its server time). Never mutated."""
    path = model_dir(name) / "card.json"
    try:
        return _card(str(path), path.stat().st_mtime_ns, name)
    except (OSError, WeightsError):
        return None


@functools.lru_cache(maxsize=128)
def _card(path: str, mtime_ns: int, name: str) -> dict:
    return load_card(name)  # path and mtime only key the cache: a rewritten card is read again


@st.cache_resource(show_spinner="Loading the MNIST test set...")
def test_split() -> ArraySplit:
    # No download here: that would go through torchvision, and so PyTorch (`make setup` fetches it).
    return _freeze_loaded(load_arrays("mnist", train=False, download=False))


@st.cache_resource(show_spinner="Loading the MNIST training set...")
def train_split() -> ArraySplit:
    return _freeze_loaded(load_arrays("mnist", train=True, download=False))


def data_or_stop() -> ArraySplit:
    try:
        return test_split()
    except DataUnavailableError as exc:
        st.error(f"MNIST is not available: {exc}")
        st.stop()


@st.cache_resource(show_spinner="Loading the PCA baseline...")
def _pca_full() -> PCABaseline:
    try:
        return _freeze_loaded(load_pca())
    except WeightsError:
        # Without the shipped fit, fit it here: it needs the 60,000 training digits in memory.
        with st.spinner("Fitting PCA on the 60,000 training digits..."):
            return PCABaseline.fit(SHIPPED_PCA_COMPONENTS, train_split().float_images())


def pca(n_components: int) -> PCABaseline:
    """PCA with n components: the leading ones of a single fit, shared by every page."""
    return _pca_full().first(n_components)


@st.cache_data(show_spinner="Encoding the 10,000 test digits...")
def test_codes(name: str) -> np.ndarray:
    m, split, batch = _load(name), test_split(), 250
    # In small batches, each converted to floats on its own: one pass over all 10,000 digits
    # holds ~600 MB of activations at once, and their floats 31 MB.
    return np.concatenate([m.encode(split.float_images(slice(i, i + batch)),
                                    split.labels[i:i + batch] if m.conditional else None)
                           for i in range(0, len(split), batch)])


@st.cache_data(show_spinner="Decoding a grid over the latent plane...")
def decode_grid(name: str, steps: int, low: float, high: float, digit: int = 0) -> np.ndarray:
    """(steps, steps, 28, 28): row 0 is the top of the plane (largest z2), col 0 the left."""
    m = _load(name)
    axis = np.linspace(low, high, steps, dtype=np.float32)
    z1, z2 = np.meshgrid(axis, axis[::-1])
    z = np.stack([z1.ravel(), z2.ravel()], 1)
    y = np.full(len(z), digit) if m.conditional else None
    return m.batched("decode", z, y, batch=1024).reshape(steps, steps, 28, 28)


def decode(name: str, z: np.ndarray, digit: int | None = None) -> np.ndarray:
    """(N, 2) codes -> (N, 28, 28) images."""
    m = _load(name)
    z = np.asarray(z, dtype=np.float32).reshape(-1, m.latent_dim)
    return m.decode(z, np.full(len(z), int(digit or 0)) if m.conditional else None)[:, 0]


@st.cache_data(show_spinner=False)
def latent_range(name: str) -> tuple[float, float]:
    """A symmetric range that covers the test codes (VAE/AAE codes sit near N(0, I)).
    Cached: the latent page asks on every run, and a percentile of 20,000 numbers is ~1 ms."""
    codes = test_codes(name)
    r = float(np.percentile(np.abs(codes), 99.5))
    return -round(max(r, 1.0), 1), round(max(r, 1.0), 1)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A [0, 1] float image as 0-255 bytes."""
    return (np.clip(np.asarray(image, dtype=np.float32), 0, 1) * 255).round().astype(np.uint8)


def big(image: np.ndarray, scale: int = 8) -> np.ndarray:
    """Upscale with nearest neighbour so pixels stay crisp on a projector: (H, W) -> uint8."""
    return np.kron(to_uint8(image), np.ones((scale, scale), dtype=np.uint8))


def png_bytes(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buf, "PNG")
    return buf.getvalue()


def show_row(images: list[np.ndarray], captions: list[str], scale: int = 8) -> None:
    cols = st.columns(len(images))
    for col, image, caption in zip(cols, images, captions):
        pixels = to_uint8(image)
        # As the PNG it is: by default Streamlit re-encodes an image without alpha as a JPEG, on
        # every run, which blurred the crisp pixels and made the file six times larger (4 KB, not 0.7).
        col.image(_big_png(pixels.tobytes(), pixels.shape, scale), caption=caption, output_format="PNG")


@functools.lru_cache(maxsize=1024)
def _big_png(pixels: bytes, shape: tuple[int, int], scale: int) -> bytes:
    """An image's upscaled PNG, made once per process: most images a page shows (its default
    digits, the exercise, the gallery) are the same on every run and for every student, and
    encoding them was a third of a page switch's server time (py-spy, 20 students)."""
    return png_bytes(big(np.frombuffer(pixels, dtype=np.uint8).reshape(shape) / 255, scale) / 255)


def intro(text: str) -> None:
    st.markdown(f"<div style='font-size:1.15rem'>{text}</div>", unsafe_allow_html=True)


def benchmark_figures() -> dict:
    try:
        return json.loads(BENCHMARK_JSON.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]
MAX_UPLOAD_MB = 20  # the same limit as .streamlit/config.toml; checked again in uploads.read
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
