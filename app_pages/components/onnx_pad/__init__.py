"""The latent pad that runs the model in the page (components v2 + ONNX Runtime Web).

Every pointer move decodes at the pointer's exact code with the model's `decoder.onnx`, in
WebAssembly, single-threaded, in the browser; so do the z sliders under the digit, the noise on
the code (eight nearby codes decoded at once), and the conditional VAE's digit buttons. None of
them sends anything to the server. The pad also draws the "you" ring on the latent scatter and
hears its clicks (frontend/src/scatter_link.js): a picked test digit is shown beside its
reconstruction, decoded in the page too, the digit read from a file of 100 test digits that the
browser fetches once and caches (`image_set_url`). A drawing canvas beside it turns the
drawing into an MNIST-style 28x28 as it is drawn, encodes it with `encoder.onnx`, and moves its
point (and, for a VAE, a one-sigma ellipse) across the pad. Where WebAssembly is unavailable
the pad falls back to the nearest of a precomputed grid of decodes, and says so.

Nothing comes from a CDN: the bundle (`frontend/`, built by `make setup` into `assets/`)
and ONNX Runtime's .wasm are served from this component's own asset directory, and the ONNX
files from `pretrained/`, both through Streamlit's components-v2 asset route (which, unlike
`static/`, serves .js and .wasm with their proper types). An asset directory is normally
declared in an installed package's pyproject.toml; this app is not installed, so it declares
the same manifest to the running Streamlit itself (`_register`).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from explorer.atomic import replace_atomically

ASSETS = Path(__file__).resolve().parent / "assets"
BUNDLE = "onnx_pad.js"
PACKAGE = "latent_explorer"
PAD = f"{PACKAGE}.onnx_pad"
WEIGHTS = f"{PACKAGE}.weights"
IMAGES = f"{PACKAGE}.images"
# The pad's pictures (manifold background, fallback sprite sheet) as files, named by their
# content: sent once per model as a URL the browser caches, not inside the element's data,
# which is sent again on every run of the page's fragment (1.1 MB a time as a data URL).
IMAGE_DIR = Path(tempfile.gettempdir()) / f"latent_explorer_pad-{os.getuid()}"
BUILD_COMMAND = "make setup (or: cd frontend && npm ci && npm run build)"

HTML = """
<div class="onnx-pad">
  <div class="col">
    <canvas class="pad" width="360" height="360" aria-label="latent plane: drag to move the code"></canvas>
    <div class="readout" aria-live="polite"></div>
    <div class="status"></div>
  </div>
  <div class="col">
    <canvas class="digit" width="280" height="280" aria-label="decoded digit"></canvas>
    <div class="labels" role="group" aria-label="digit to draw (the conditional VAE's label)"></div>
    <label class="slider"><span>z1 <output class="z1"></output></span><input class="z1" type="range" aria-label="z1"></label>
    <label class="slider"><span>z2 <output class="z2"></output></span><input class="z2" type="range" aria-label="z2"></label>
    <label class="slider" title="The lesson's second task: add Gaussian noise to the code and see what nearby codes decode to.">
      <span>noise on the code (sigma) <output class="sigma">0.00</output></span>
      <input class="sigma" type="range" min="0" max="1" step="0.05" value="0" aria-label="noise on the code (sigma)"></label>
  </div>
  <div class="neighbours" hidden>
    <div class="neighbours-title"></div>
    <div class="strip"></div>
  </div>
  <div class="col draw-col">
    <canvas class="draw" width="256" height="256" aria-label="drawing canvas: draw a digit and watch its code"></canvas>
    <div class="draw-row">
      <canvas class="recon" width="112" height="112" aria-label="reconstruction of the drawing"></canvas>
      <div class="draw-info"><div class="draw-code">Draw a digit: its code appears on the pad.</div>
        <button class="clear" type="button">Clear</button></div>
    </div>
  </div>
  <div class="picked">
    <div class="picked-title">Click or tap a point in the scatter below to jump there and see that test image
      beside its reconstruction.</div>
    <div class="picked-row" hidden>
      <figure><canvas class="original" width="168" height="168" aria-label="the picked test image"></canvas>
        <figcaption>original</figcaption></figure>
      <figure><canvas class="reconstruction" width="168" height="168"
        aria-label="its reconstruction, decoded in this page"></canvas><figcaption>reconstruction</figcaption></figure>
    </div>
  </div>
</div>
"""


def _register() -> None:
    """Declare the asset directories to the running Streamlit (as an installed component's
    pyproject.toml would): the bundle's folder, and pretrained/ for the ONNX files."""
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager
    from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest

    from explorer.onnx_models import PRETRAINED_ROOT

    manager = get_bidi_component_manager()
    if manager.get_component_asset_root(PAD) is not None:
        return
    root = PRETRAINED_ROOT.resolve()
    manager.register_from_manifest(ComponentManifest(PACKAGE, "1", [ComponentConfig("onnx_pad", "assets")]),
                                   ASSETS.parent)
    manager.register_from_manifest(ComponentManifest(PACKAGE, "1", [ComponentConfig("weights", root.name)]),
                                   root.parent)
    IMAGE_DIR.mkdir(parents=True, exist_ok=True)
    manager.register_from_manifest(ComponentManifest(PACKAGE, "1", [ComponentConfig("images", IMAGE_DIR.name)]),
                                   IMAGE_DIR.parent)


_made: dict = {}  # the bidi component manager -> the pad's component, made with it


def _component():
    """The pad's component, declared once per running Streamlit: declaring it resolves and checks
    its asset paths on disk, which took ~30% of a latent move's server time (py-spy, 20 students)."""
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager

    manager = get_bidi_component_manager()
    if _made.get("manager") is not manager:
        _register()
        _made.update(manager=manager, component=st.components.v2.component(PAD, html=HTML, css="onnx_pad.css",
                                                                            js=BUNDLE))
    return _made["component"]


def _png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG")
    return buf.getvalue()


def _publish(data: bytes, name: str) -> str:
    # Written once, atomically: several sessions may publish the same picture at once.
    path = IMAGE_DIR / name
    if not path.is_file():
        with replace_atomically(path) as tmp:
            tmp.write_bytes(data)
    return f"../{IMAGES}/{name}"


def image_url(array: np.ndarray) -> str:
    """A uint8 (H, W) image as a PNG file the pad loads by URL (relative to the bundle).
    Named by a hash of its pixels, so a browser's cached copy is never stale."""
    data = _png(array)
    return _publish(data, f"{hashlib.sha256(data).hexdigest()[:24]}.png")


def image_set_url(arrays: list[np.ndarray], name: str) -> str:
    """Several uint8 (H, W) images as PNG files `<name>-<hash of their pixels>-<i>.png`; returns
    the URL of file i with "{i}" in place of i, which the page fills in. Named by the pixels, not
    the PNG bytes: files a previous run wrote are found without encoding them again (100 test-digit
    sheets take 0.35 s to encode, on a freshly started server's first latent page)."""
    digest = hashlib.sha256()
    for a in arrays:
        digest.update(repr(a.shape).encode() + np.ascontiguousarray(a, np.uint8).tobytes())
    stem = f"{name}-{digest.hexdigest()[:16]}"
    for i, a in enumerate(arrays):
        if not (IMAGE_DIR / f"{stem}-{i}.png").is_file():
            _publish(_png(a), f"{stem}-{i}.png")
    return f"../{IMAGES}/{stem}-{{i}}.png"


_bundle_found = False


def available() -> bool:
    """Whether the bundle is built. Once found it is not looked for again (a disk access on every
    latent move); while missing it is, so a bundle built while the app runs is picked up."""
    global _bundle_found
    _bundle_found = _bundle_found or (ASSETS / BUNDLE).is_file()
    return _bundle_found


def onnx_pad(model: str, *, low: float, high: float, noise: tuple = (), chart: str = "",
             test_digits: str | None = None, digits_per_file: int = 100, conditional: bool = False,
             variational: bool = False, digit: int = 0, fallback_sheet: str | None = None, fallback_steps: int = 0,
             background: str | None = None, dataset: str = "mnist", key: str = "onnx_pad") -> None:
    """Mount the pad. Everything it does after that is the page's own and sends nothing to the
    server: the point, the z sliders, the noise on the code, and a click on a test digit in
    the scatter of Streamlit key `chart` (the pad jumps there, moves the "you" ring and shows
    that digit beside its reconstruction; after a model switch it follows the digit to its code
    in the new chart). `noise`: (a, b) standard normal draws, one neighbour each, scaled by the
    sigma slider. `test_digits`: the `image_set_url` of the test set, `digits_per_file` digits a
    file in rows of ten. `fallback_sheet` is the `image_url` of `fallback_steps` x
    `fallback_steps` decodes (row 0 at the top of the plane), drawn only where WebAssembly is
    unavailable."""
    if not available():
        st.error(f"The latent pad's bundle is missing ({ASSETS / BUNDLE}). Build it with: {BUILD_COMMAND}")
        return None
    component = _component()
    # Relative to the bundle's URL: .../bidi-components/latent_explorer.onnx_pad/onnx_pad.js
    weights = f"../{WEIGHTS}/{dataset}/{model}/"
    # Only scalars and tuples in `data`: for a list Streamlit asks pandas whether it is a table,
    # and importing pandas cost a freshly started server 0.7 s on its first latent page.
    component(
        key=key,
        data={"model": model, "decoder": weights + "decoder.onnx", "encoder": weights + "encoder.onnx",
              "low": low, "high": high, "noise": tuple(noise), "chart": chart, "testDigits": test_digits,
              "digitsPerFile": digits_per_file, "conditional": conditional, "variational": variational,
              "digit": int(digit), "sheet": fallback_sheet, "steps": fallback_steps, "background": background},
    )
