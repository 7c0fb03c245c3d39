"""Turn any picture of a digit into what an MNIST model expects, the way MNIST was made.

MNIST's digits are white ink on black, cropped to the ink, scaled to fit a 20x20 box with
the aspect ratio kept (anti-aliased), then placed in a 28x28 field so that their centre of
mass sits at the centre. `to_mnist` repeats those steps on a user's image: photos of dark
ink on uneven paper, white-on-black digits, RGBA, palette, 16-bit and CMYK files all work.

Every failure a person can cause (not an image, truncated, too large, no ink) raises
`ImageError` with a message meant for that person.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

MAX_PIXELS = 40_000_000  # refuse larger images before decoding them (a 40000x40000 PNG is 1.6 G)
WORK_SIDE = 256  # images are shrunk to this many pixels on the long side before analysis


class ImageError(ValueError):
    """The input cannot be turned into a digit; `str(err)` explains why in plain words."""


def open_image(source: Image.Image | bytes | str | Path | io.IOBase) -> Image.Image:
    """Open and fully decode an image, turning every decoder failure into `ImageError`."""
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise ImageError("The file is empty (0 bytes).")
        source = io.BytesIO(source)
    try:
        image = Image.open(source)
        w, h = image.size
        if w * h > MAX_PIXELS:
            raise ImageError(f"The image is {w}x{h} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels.")
        image.seek(0)  # animated GIF/WebP/TIFF: use the first frame
        image.load()
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow refuses absurd sizes from the header alone, before our own check can run.
        raise ImageError(f"The image is far too large to open; the limit is {MAX_PIXELS // 1_000_000} megapixels.") from exc
    except UnidentifiedImageError as exc:
        raise ImageError("This file is not an image we can read (PNG, JPEG, WebP, BMP, GIF or TIFF).") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"The image file is damaged or truncated ({exc}).") from exc
    return image


def to_gray(image: Image.Image) -> np.ndarray:
    """Any PIL mode -> float32 (H, W) in [0, 1], transparency composited away."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(image, dtype=np.float32)
        top = 65535.0 if image.mode.startswith("I;16") or a.max() > 255 else 255.0
        if image.mode == "F":
            top = max(1.0, float(a.max()))
        return np.clip(a / top, 0, 1)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
        gray = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        alpha = rgba[..., 3]
        # Composite over whichever backdrop contrasts with the visible ink, so both dark ink
        # and white ink on a transparent background survive.
        visible = alpha > 0.5
        ink_is_light = visible.any() and gray[visible].mean() > 0.5
        backdrop = 0.0 if ink_is_light else 1.0
        return gray * alpha + backdrop * (1 - alpha)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def shrink(image: Image.Image, side: int = WORK_SIDE) -> Image.Image:
    if max(image.size) > side:
        image = image.copy()
        image.thumbnail((side, side), Image.Resampling.BOX)
    return image


def ink_map(gray: np.ndarray) -> np.ndarray:
    """Ink strength in [0, 1], background 0: inverted if the page is light, unevenness removed."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    ink = 1.0 - gray if np.median(border) > 0.5 else gray.copy()
    h, w = ink.shape
    if min(h, w) >= 64:
        # Uneven lighting: a grey opening wider than any stroke keeps only the background,
        # which we subtract. Small images (MNIST-like) are clean enough to skip this.
        size = max(9, min(h, w) // 5)
        ink = ink - ndimage.grey_opening(ink, size=(size, size))
    ink = np.clip(ink, 0, None)
    peak = float(np.percentile(ink, 99.9))
    if peak < 0.15:
        raise ImageError("No digit found: the image looks blank (no ink that stands out from the background).")
    ink = np.clip(ink / peak, 0, 1)
    ink[ink < 0.2] = 0.0  # paper grain and JPEG noise
    return ink


def fit_and_center(ink: np.ndarray, box: int = 20, field: int = 28) -> np.ndarray:
    rows, cols = np.nonzero(ink)
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.asarray(Image.fromarray(crop.astype(np.float32)).resize((new_w, new_h), Image.Resampling.LANCZOS))
    # Thin strokes fade when shrunk; MNIST's strokes reach full white, so restore the peak.
    small = np.clip(small / max(float(small.max()), 1e-6), 0, 1)
    cy, cx = ndimage.center_of_mass(small)
    top = int(round(field / 2 - cy))
    left = int(round(field / 2 - cx))
    top = min(max(top, 0), field - new_h)
    left = min(max(left, 0), field - new_w)
    out = np.zeros((field, field), dtype=np.float32)
    out[top:top + new_h, left:left + new_w] = small
    return out


def to_mnist(image: Image.Image | bytes | str | Path | io.IOBase) -> np.ndarray:
    """Any image of one digit -> MNIST-style float32 array (28, 28) in [0, 1], white on black.

    Raises ImageError when the input is not a readable image or holds no ink.
    """
    image = open_image(image)
    image = ImageOps.exif_transpose(image) if image.mode != "P" else image
    if image.mode == "CMYK":
        image = image.convert("RGB")
    gray = to_gray(shrink(image))
    if gray.size == 0 or min(gray.shape) < 2:
        raise ImageError("The image is too small: it needs at least 2x2 pixels.")
    return fit_and_center(ink_map(gray))


def to_grayscale_28(image: Image.Image | bytes | str | Path | io.IOBase) -> np.ndarray:
    """Any image squashed to 28x28 grey in [0, 1], with no digit-finding (for non-digit pictures)."""
    image = open_image(image)
    if image.mode == "CMYK":
        image = image.convert("RGB")
    gray = to_gray(shrink(image))
    return np.asarray(Image.fromarray(gray.astype(np.float32)).resize((28, 28), Image.Resampling.LANCZOS)).clip(0, 1)
