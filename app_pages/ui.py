"""What the app's pages share: cached models and data, and how images are shown.

Models are `st.cache_resource` (one copy per process, never mutated by a session);
arrays derived from them are `st.cache_data`. A missing or damaged weight file turns
into an error box that names the model and the command that trains it; the page goes on.
"""

from __future__ import annotations

import gc
import io
import json
from pathlib import Path

import numpy as np
import streamlit as st
import torch
from PIL import Image

from explorer.baselines import PCABaseline
from explorer.data import DataUnavailableError, Split, batched, load_split
from explorer.models import Autoencoder
from explorer.pretrained import SHIPPED_PCA_COMPONENTS, WeightsError, load_card, load_pca, load_pretrained
from explorer.releases import RELEASES, names_for

LATENT_2D_MODELS = names_for("latent", latent_dim=2)  # the models whose code is a plane
BENCHMARK_JSON = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.json"
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
def _load(name: str) -> Autoencoder:
    # Shared by every session's thread: nothing here may set per-thread state such as
    # grad mode; each inference below runs under torch.inference_mode() itself.
    return _freeze_loaded(load_pretrained(name))


def label(name: str) -> str:
    """What a model picker shows: the release's label and its name."""
    return f"{RELEASES[name].label}  ({name})" if name in RELEASES else name


def model(name: str) -> Autoencoder | None:
    """The shipped model, or None after showing an error that says how to train it."""
    try:
        return _load(name)
    except WeightsError as exc:
        st.error(f"**{name} is not available.** {exc}", icon=":material/error:")
        return None


def card(name: str) -> dict | None:
    try:
        return load_card(name)
    except WeightsError:
        return None


@st.cache_resource(show_spinner="Loading the MNIST test set...")
def test_split() -> Split:
    return _freeze_loaded(load_split("mnist", train=False))


@st.cache_resource(show_spinner="Loading the MNIST training set...")
def train_split() -> Split:
    return _freeze_loaded(load_split("mnist", train=True))


def data_or_stop() -> Split:
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
            return PCABaseline.fit(SHIPPED_PCA_COMPONENTS, train_split().floats)


def pca(n_components: int) -> PCABaseline:
    """PCA with n components: the leading ones of a single fit, shared by every page."""
    return _pca_full().first(n_components)


@st.cache_data(show_spinner="Encoding the 10,000 test digits...")
def test_codes(name: str) -> np.ndarray:
    m, split = _load(name), test_split()
    # In small batches: one pass over all 10,000 digits holds ~600 MB of activations at once.
    return batched(m.encode, split.floats, split.labels if m.conditional else None, batch=250).numpy()


@st.cache_data(show_spinner=False)
def pca_codes(n_components: int) -> np.ndarray:
    return pca(n_components).encode(test_split().floats)


@st.cache_data(show_spinner="Decoding a grid over the latent plane...")
def decode_grid(name: str, steps: int, low: float, high: float, digit: int = 0) -> np.ndarray:
    """(steps, steps, 28, 28): row 0 is the top of the plane (largest z2), col 0 the left."""
    m = _load(name)
    axis = np.linspace(low, high, steps, dtype=np.float32)
    z1, z2 = np.meshgrid(axis, axis[::-1])
    z = torch.from_numpy(np.stack([z1.ravel(), z2.ravel()], 1))
    y = torch.full((len(z),), digit) if m.conditional else None
    with torch.inference_mode():
        out = torch.cat([m.decode(z[i:i + 1024], None if y is None else y[i:i + 1024]) for i in range(0, len(z), 1024)])
    return out.numpy().reshape(steps, steps, 28, 28)


def decode(name: str, z: np.ndarray, digit: int | None = None) -> np.ndarray:
    """(N, 2) codes -> (N, 28, 28) images."""
    m = _load(name)
    zt = torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(-1, m.latent_dim)
    y = torch.full((len(zt),), int(digit or 0)) if m.conditional else None
    with torch.inference_mode():
        return m.decode(zt, y).numpy()[:, 0]


def latent_range(name: str) -> tuple[float, float]:
    """A symmetric range that covers the test codes (VAE/AAE codes sit near N(0, I))."""
    codes = test_codes(name)
    r = float(np.percentile(np.abs(codes), 99.5))
    return -round(max(r, 1.0), 1), round(max(r, 1.0), 1)


def big(image: np.ndarray, scale: int = 8) -> np.ndarray:
    """Upscale with nearest neighbour so pixels stay crisp on a projector: (H, W) -> uint8."""
    a = (np.clip(np.asarray(image, dtype=np.float32), 0, 1) * 255).round().astype(np.uint8)
    return np.kron(a, np.ones((scale, scale), dtype=np.uint8))


def png_bytes(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray((np.clip(image, 0, 1) * 255).round().astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def show_row(images: list[np.ndarray], captions: list[str], scale: int = 8) -> None:
    cols = st.columns(len(images))
    for col, image, caption in zip(cols, images, captions):
        col.image(big(image, scale), caption=caption)


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
