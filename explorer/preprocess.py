"""Turn any picture of a digit into what an MNIST model expects, the way MNIST was made.

MNIST's digits are white ink on black, cropped to the ink, scaled to fit a 20x20 box with
the aspect ratio kept (anti-aliased), then placed in a 28x28 field so that their centre of
mass sits at the centre. `to_mnist` repeats those steps on a user's image, after finding the
digit in it the way a person would:

1. Decode small: JPEGs are decoded at 1/2-1/8 scale (libjpeg's "draft" mode) and every
   image is shrunk to `DETAIL_SIDE`, so a 12-megapixel phone photo costs milliseconds.
2. Ink, not paper: each pixel is divided by the paper around it (a grey closing wider than
   any stroke), which removes lighting gradients and shadows, hard-edged ones included.
   Ink is scored by brightness *and* colour value, so light-blue rules, red margins and
   grey squares (light, coloured) score low while blue, black and red pens score high.
3. Strokes, not everything dark: connected components of the ink; lines and page edges
   (which run into two borders of the photo) and specks are dropped, the digit is the
   component with the most ink, and small pieces close to it (a 5's detached bar) join it.
   When several digit-sized marks are left, the largest is used and a note says so.
4. A digit that is small in the photo is cut out of the detailed image and analysed again.
5. MNIST's look: strokes become full white and are thickened or thinned to MNIST's width
   (about 2-3 px at 28x28), then cropped, fitted to 20x20 and centred by mass.

Every failure a person can cause (not an image, truncated, too large, no digit) raises
`ImageError` with a message meant for that person.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

MAX_PIXELS = 40_000_000  # refuse larger images before decoding them (a 40000x40000 PNG is 1.6 G)
DETAIL_SIDE = 1000  # images are decoded/shrunk to this long side; a small digit is re-read from it
# (1000, not 1024: a 4000-px phone photo then decodes at 1/4 scale, 4x less work than 1/2)
WORK_SIDE = 320  # the whole picture is analysed at this long side
DIGIT_SIDE = 160  # a digit smaller than this (in work pixels) is cut out and analysed again
# MNIST's stroke width at 28x28 as `stroke_width` measures it: 25th-75th percentile of the
# test set is 2.2-3.4, median 2.6. Strokes outside [MIN, MAX] are brought to the nearer bound.
MNIST_STROKE_MIN, MNIST_STROKE_MAX = 2.3, 3.2


class ImageError(ValueError):
    """The input cannot be turned into a digit; `str(err)` explains why in plain words."""


@dataclass(frozen=True)
class Preprocessed:
    """`to_mnist_with_notes`' answer: the digit and what a person should know about it."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], white on black
    notes: tuple[str, ...] = ()  # plain sentences, e.g. that one of several digits was used


def open_image(source: Image.Image | bytes | str | Path | io.IOBase, draft_side: int | None = None) -> Image.Image:
    """Open and fully decode an image, turning every decoder failure into `ImageError`.

    With `draft_side`, a JPEG is decoded at the smallest of 1/1, 1/2, 1/4 or 1/8 scale that
    still has `draft_side` pixels on its long side (much faster than decoding it whole).
    """
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
        if draft_side and image.format == "JPEG" and max(w, h) > draft_side:
            scale = draft_side / max(w, h)
            image.draft(image.mode, (int(w * scale), int(h * scale)))
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


def to_gray_and_value(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """Brightness and colour value (the brightest channel), float32 (H, W) in [0, 1].

    Light-blue rules and a red margin are bright in their own channel (value near the
    paper's) while blue, red and black ink are dark in every channel: the value tells them
    apart where brightness alone does not. Grey and transparent images have value = gray.
    """
    if image.mode in ("RGB", "RGBX", "YCbCr", "CMYK") or (image.mode == "P" and "transparency" not in image.info):
        rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
        return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32), rgb.max(axis=2)
    gray = to_gray(image)
    return gray, gray


def shrink(image: Image.Image, side: int = WORK_SIDE) -> Image.Image:
    if max(image.size) > side:
        w, h = image.size
        scale = side / max(w, h)
        # reducing_gap: Pillow first bins by an integer factor (fast), then resamples the rest.
        image = image.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX,
                             reducing_gap=2.0)
    return image


def ink_map(gray: np.ndarray, value: np.ndarray | None = None, light_paper: bool | None = None) -> np.ndarray:
    """Ink strength >= 0, paper 0: the darkness of each pixel relative to the paper around it.

    On light paper both brightness and value are divided by their local paper level (a grey
    closing: the max filter wipes out strokes narrower than its size, the min filter puts
    the paper's edges, a shadow's included, back where they were), so a gradient or a
    shadow leaves a ratio of 1 everywhere on paper.
    """
    value = gray if value is None else value
    if light_paper is None:
        light_paper = float(np.median(gray)) > 0.5
    h, w = gray.shape
    size = max(9, int(0.3 * min(h, w)))  # wider than the thickest pen stroke on a frame-filling digit
    if not light_paper:
        if min(h, w) < 48:  # MNIST-like images are clean enough as they are
            return gray.copy()
        return np.clip(gray - ndimage.grey_opening(gray, size=(size, size)), 0, None)
    if min(h, w) < 48:
        paper_g, paper_v = np.percentile(gray, 90), np.percentile(value, 90)
    else:
        paper_g = paper_level(gray, size)
        paper_v = paper_g if value is gray else paper_level(value, size)
    ratio = 0.5 * gray / np.maximum(paper_g, 1e-3) + 0.5 * value / np.maximum(paper_v, 1e-3)
    return np.clip(1.0 - ratio, 0, None)


def paper_level(channel: np.ndarray, size: int) -> np.ndarray:
    """The paper's brightness under every pixel: a grey closing wider than any stroke.

    Computed at half resolution (the paper is smooth except at shadow edges, which move by
    at most a pixel) for a quarter of the work; the max is taken before subsampling so no
    bright paper between strokes is lost.
    """
    h, w = channel.shape
    half = ndimage.maximum_filter(channel, size=2)[::2, ::2]
    closed = ndimage.grey_closing(half, size=(size // 2, size // 2))
    return np.repeat(np.repeat(closed, 2, axis=0), 2, axis=1)[:h, :w]


@dataclass(frozen=True)
class Found:
    mask: np.ndarray  # (H, W) bool: the digit's ink
    box: tuple[int, int, int, int]  # top, left, bottom, right (exclusive) of the mask
    others: int  # further digit-sized marks that were not used


def find_digit(ink: np.ndarray) -> Found:
    """The digit's strokes in an ink map: components, lines and specks dropped."""
    peak = float(np.percentile(ink, 99.9))
    if peak < 0.15:
        raise ImageError("No digit found: the image looks blank (no ink that stands out from the background).")
    mask = ink > max(0.45 * peak, 0.1)
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    h, w = ink.shape
    if min(h, w) >= 48:
        # A stroke that crosses a ruled or squared line dark enough to pass the threshold is
        # joined to it, and the whole runs into the borders. Lines are 1-2 px here and strokes
        # wider: a 3x3 opening of those components peels the lines off and frees the digit.
        boxes = ndimage.find_objects(labels)
        crossing = [i + 1 for i, (ys, xs) in enumerate(boxes)
                    if (ys.start == 0) + (ys.stop == h) + (xs.start == 0) + (xs.stop == w) >= 2]
        if crossing:
            joined = np.isin(labels, crossing)
            mask = (mask & ~joined) | ndimage.binary_opening(joined, structure=np.ones((3, 3)))
            labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        raise ImageError("No digit found: the image looks blank (no ink that stands out from the background).")
    index = np.arange(1, n + 1)
    mass = np.asarray(ndimage.sum_labels(ink, labels, index))
    area = np.asarray(ndimage.sum_labels(mask, labels, index))
    boxes = ndimage.find_objects(labels)
    score = mass.copy()
    for i, (ys, xs) in enumerate(boxes):
        borders = (ys.start == 0) + (ys.stop == h) + (xs.start == 0) + (xs.stop == w)
        if borders >= 2 and min(h, w) >= 48:
            score[i] = 0  # a ruled line, margin, page edge or shadow edge runs across the photo
        elif borders == 1 and min(h, w) >= 48:
            score[i] *= 0.3  # more likely a page edge or a cut-off mark than the digit
    best = int(np.argmax(score))
    if score[best] <= 0:
        raise ImageError("No digit found: only lines or page edges stand out from the paper.")
    by, bx = boxes[best]
    bh, bw = by.stop - by.start, bx.stop - bx.start
    side = max(bh, bw)
    # Pieces of the same digit (a 5's bar, a pencil stroke broken by the paper's grain) lie
    # within reach of its box; pieces elsewhere are other marks.
    reach = 0.25 * side
    keep = [best]
    others = 0
    for i, (ys, xs) in enumerate(boxes):
        if i == best or score[i] <= 0:
            continue
        near = (ys.start < by.stop + reach and ys.stop > by.start - reach
                and xs.start < bx.stop + reach and xs.stop > bx.start - reach)
        thickness = area[i] / max(ys.stop - ys.start, xs.stop - xs.start)
        if near and area[i] >= 0.06 * area[best] and thickness >= 2:
            keep.append(i)  # not a speck, nor a scrap of ruled line left by the peeling above
        elif not near and mass[i] >= 0.35 * mass[best] and max(ys.stop - ys.start, xs.stop - xs.start) >= 0.5 * side:
            others += 1
    digit = np.isin(labels, np.asarray(keep) + 1)
    rows, cols = np.nonzero(digit.any(1))[0], np.nonzero(digit.any(0))[0]
    return Found(digit, (int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1), others)


def stroke_width(mask: np.ndarray) -> float:
    """Typical stroke width of a binary mask: twice the mean distance to the edge along the
    strokes' ridges, which is the pixels across a stroke plus one (an edge pixel is at
    distance 1). On MNIST test digits (pixels > 0.5) it is 2.2-3.4 for the middle half,
    median 2.6, 2.0-4.2 for 90% of them."""
    mask = np.asarray(mask, bool)
    if not mask.any():
        return 0.0
    dt = ndimage.distance_transform_edt(np.pad(mask, 1))
    ridge = (dt > 0) & (dt >= ndimage.maximum_filter(dt, size=3) - 1e-6)
    return float(2 * dt[ridge].mean())


def normalise_strokes(mask: np.ndarray) -> np.ndarray:
    """Cropped digit mask -> float image in [0, 1] whose strokes have MNIST's width once the
    digit is fitted to 20x20 (a thick marker is thinned, a fine pen thickened)."""
    side = max(mask.shape)
    scale = 20 / side  # crop pixels -> 28x28 pixels
    # The measure at 28x28 reads ~1 px wider than the same stroke measured at full size
    # (a pixel on the edge counts as distance 1), so compare like with like.
    width28 = stroke_width(mask) * scale + 1
    target = min(max(width28, MNIST_STROKE_MIN), MNIST_STROKE_MAX)
    change = (target - width28) / 2 / scale  # in crop pixels, on each side of the stroke
    if abs(change) >= 0.5:
        pad = int(np.ceil(max(change, 0))) + 1
        padded = np.pad(mask, pad)
        if change > 0:
            mask = ndimage.distance_transform_edt(~padded) <= change
        else:
            dt = ndimage.distance_transform_edt(padded)
            thinned = dt > -change
            # Never erase a stroke: keep each stroke's ridge where thinning would drop it.
            ridge = dt >= ndimage.maximum_filter(dt, size=3) - 1e-6
            mask = thinned | (ridge & padded)
        rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
        mask = mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return mask.astype(np.float32)


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


def load_for_analysis(source) -> Image.Image:
    image = open_image(source, draft_side=DETAIL_SIDE)
    image = ImageOps.exif_transpose(image) if image.mode != "P" else image
    if image.mode == "CMYK":
        image = image.convert("RGB")
    if min(image.size) < 2:
        raise ImageError("The image is too small: it needs at least 2x2 pixels.")
    return shrink(image, DETAIL_SIDE)


def to_mnist_with_notes(image: Image.Image | bytes | str | Path | io.IOBase) -> Preprocessed:
    """Any image of one digit -> `Preprocessed`: the MNIST-style (28, 28) array and notes.

    Raises ImageError when the input is not a readable image or holds no digit.
    """
    detail = load_for_analysis(image)
    work = shrink(detail, WORK_SIDE)
    gray, value = to_gray_and_value(work)
    light_paper = float(np.median(gray)) > 0.5
    found = find_digit(ink_map(gray, value, light_paper))
    notes = []
    if found.others:
        notes.append(f"This picture holds {found.others + 1} separate marks the size of a digit; "
                     "the largest was used. Crop the photo to one digit to choose another.")
    mask = found.mask
    top, left, bottom, right = found.box
    zoom = detail.size[0] / work.size[0]
    if max(bottom - top, right - left) < DIGIT_SIDE and zoom > 1.2:
        # The digit is small in the photo: cut it out of the detailed image with room around
        # it for the paper estimate and find it again there, at a useful resolution.
        side = max(bottom - top, right - left)
        margin = 0.6 * side
        crop_box = (max(0, int((left - margin) * zoom)), max(0, int((top - margin) * zoom)),
                    min(detail.size[0], int((right + margin) * zoom) + 1),
                    min(detail.size[1], int((bottom + margin) * zoom) + 1))
        crop = shrink(detail.crop(crop_box), int(WORK_SIDE * 0.8))
        g, v = to_gray_and_value(crop)
        try:
            mask = find_digit(ink_map(g, v, light_paper)).mask
        except ImageError:
            pass  # keep the first reading
    rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    digit = normalise_strokes(mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    return Preprocessed(fit_and_center(digit), tuple(notes))


def to_mnist(image: Image.Image | bytes | str | Path | io.IOBase) -> np.ndarray:
    """Any image of one digit -> MNIST-style float32 array (28, 28) in [0, 1], white on black.

    Raises ImageError when the input is not a readable image or holds no digit.
    """
    return to_mnist_with_notes(image).image


def to_grayscale_28(image: Image.Image | bytes | str | Path | io.IOBase) -> np.ndarray:
    """Any image squashed to 28x28 grey in [0, 1], with no digit-finding (for non-digit pictures)."""
    image = open_image(image)
    if image.mode == "CMYK":
        image = image.convert("RGB")
    gray = to_gray(shrink(image))
    return np.asarray(Image.fromarray(gray.astype(np.float32)).resize((28, 28), Image.Resampling.LANCZOS)).clip(0, 1)
