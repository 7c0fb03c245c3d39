"""Photo-like renderings of MNIST test digits: what people upload, with known labels.

Each image takes one MNIST test digit, draws it as pen or pencil strokes on a sheet of
paper (plain, ruled, squared, with a margin line), lights it unevenly, photographs it
(rotation, mild perspective, blur, sensor noise) and saves it as a JPEG. A `condition`
names the one thing that is made hard for that image; everything else is drawn from mild
everyday settings, so the per-condition accuracy says what that condition costs.

Everything is seeded: `render(digit, condition, seed)` returns the same bytes every time,
so tests can keep fixed hard cases and the benchmark its corpus.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage

CONDITIONS = ("plain", "ruled", "squared", "margin", "blue_ink", "red_ink", "pencil", "thin_pen", "thick_pen",
              "gradient", "shadow", "rotation", "perspective", "blur", "jpeg_low", "small", "phone")

PHONE_SIZE = (3000, 4000)  # a 12-megapixel phone photo, portrait

INKS = {"black": (0.12, 0.12, 0.15), "blue": (0.10, 0.16, 0.55), "red": (0.75, 0.10, 0.12),
        "pencil": (0.42, 0.42, 0.44)}
LINE_COLOURS = ((0.62, 0.75, 0.92), (0.70, 0.80, 0.90), (0.72, 0.72, 0.74))  # light blue, pale blue, grey
MARGIN_COLOUR = (0.92, 0.45, 0.50)


@dataclass(frozen=True)
class Photo:
    jpeg: bytes
    label: int
    condition: str
    size: tuple[int, int]  # (width, height) of the photo


def _stroke_mask(digit: np.ndarray, height: int, width_factor: float, rng: np.random.Generator) -> np.ndarray:
    """The digit as a pen's ink coverage in [0, 1], about `height` pixels tall.

    MNIST's grey levels are anti-aliased strokes about 2-3 px wide at 28 px; upscaled smoothly
    and thresholded they give a stroke path, whose width we then set like a pen's.
    """
    scale = height / 20.0  # MNIST digits are about 20 px tall inside the 28 px field
    side = int(round(28 * scale))
    big = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC), np.float32) / 255
    mask = big > 0.5
    # Pen width relative to MNIST's own: erode or dilate the path by a distance in pixels.
    change = (width_factor - 1.0) * 1.2 * scale
    if change > 0:
        mask = ndimage.distance_transform_edt(~mask) <= change
    elif change < 0:
        dt = ndimage.distance_transform_edt(mask)
        keep = dt > -change
        # Never let a thin pen erase a stroke: keep at least the stroke's core.
        mask = keep | (dt >= np.maximum(ndimage.maximum_filter(dt, size=int(3 * scale) | 1) - 0.5, 1))
    cover = ndimage.gaussian_filter(mask.astype(np.float32), 0.6 + 0.1 * scale * rng.random())
    return np.clip(cover * 1.3, 0, 1)


def _paper(h: int, w: int, kind: str, rng: np.random.Generator, line_gap: float) -> np.ndarray:
    """(h, w, 3) paper colour in [0, 1] with its printed lines."""
    tint = np.array([0.93, 0.92, 0.88]) + rng.uniform(-0.03, 0.03, 3)
    page = np.ones((h, w, 3), np.float32) * np.clip(tint, 0, 1).astype(np.float32)
    if kind in ("ruled", "squared"):
        colour = np.array(LINE_COLOURS[rng.integers(len(LINE_COLOURS))], np.float32)
        thick = max(1, int(round(line_gap * rng.uniform(0.03, 0.06))))
        offset = rng.uniform(0, line_gap)
        for y in np.arange(offset, h, line_gap):
            page[int(y):int(y) + thick] = colour * page[int(y):int(y) + thick]
        if kind == "squared":
            for x in np.arange(rng.uniform(0, line_gap), w, line_gap):
                page[:, int(x):int(x) + thick] = colour * page[:, int(x):int(x) + thick]
    if kind == "margin":
        thick = max(2, int(round(line_gap * 0.06)))
        x = int(rng.uniform(0.05, 0.25) * w)
        page[:, x:x + thick] = np.array(MARGIN_COLOUR, np.float32) * page[:, x:x + thick]
        page[:, x + 3 * thick:x + 4 * thick] *= np.array(MARGIN_COLOUR, np.float32)  # many notebooks draw two
    return page


def _lighting(h: int, w: int, strength: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth brightness field: 1 on the lit side, 1 - strength on the far one."""
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    return 1.0 - strength * ramp


def _shadow(h: int, w: int, rng: np.random.Generator, hard: bool) -> np.ndarray:
    """A phone's or hand's shadow over one corner: a polygon at 45-70% brightness."""
    corner = rng.integers(4)
    reach_x, reach_y = rng.uniform(0.3, 0.6) * w, rng.uniform(0.3, 0.6) * h
    cx, cy = (0 if corner in (0, 3) else w), (0 if corner in (0, 1) else h)
    sx, sy = (1 if cx == 0 else -1), (1 if cy == 0 else -1)
    poly = [(cx, cy), (cx + sx * reach_x * rng.uniform(1.0, 1.6), cy), (cx + sx * reach_x, cy + sy * reach_y),
            (cx, cy + sy * reach_y * rng.uniform(1.0, 1.6))]
    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).polygon(poly, fill=255)
    if not hard:
        img = img.filter(ImageFilter.GaussianBlur(0.05 * min(w, h)))
    else:
        img = img.filter(ImageFilter.GaussianBlur(1.5))
    dark = rng.uniform(0.3, 0.55)
    return 1.0 - dark * np.asarray(img, np.float32) / 255


def _perspective(image: Image.Image, amount: float, rng: np.random.Generator) -> Image.Image:
    """Move each corner inwards by up to `amount` of the side: a phone held slightly tilted."""
    w, h = image.size
    d = lambda s: rng.uniform(0, amount) * s  # noqa: E731
    quad = (d(w), d(h), d(w), h - d(h), w - d(w), h - d(h), w - d(w), d(h))
    return image.transform((w, h), Image.Transform.QUAD, quad, Image.Resampling.BILINEAR)


def render(digit: np.ndarray, label: int, condition: str, seed: int, ink: str | None = None,
           shadow: str | None = None) -> Photo:
    """One photo of `digit` (28x28 uint8, white on black) under `condition`, as JPEG bytes.

    `ink` ("black", "blue", "red", "pencil") and `shadow` ("hard", "soft") pin those choices,
    for tests that need one particular hard case.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; choose from {CONDITIONS}")
    rng = np.random.default_rng(seed)
    c = condition
    pinned_ink, pinned_shadow = ink, shadow
    # Everyday settings, overridden by the condition below.
    paper = "plain"
    ink = ("black", "blue")[rng.integers(2)]
    width = rng.uniform(0.9, 1.3)
    light = rng.uniform(0.0, 0.2)
    shadow = None
    angle = rng.uniform(-5, 5)
    persp = 0.0
    blur = rng.uniform(0, 0.6)
    quality = int(rng.integers(85, 96))
    noise = rng.uniform(0.005, 0.02)
    size = (int(rng.integers(400, 900)), int(rng.integers(400, 900)))
    digit_frac = rng.uniform(0.35, 0.65)  # digit height as a fraction of the photo's short side
    table = False
    if c in ("ruled", "squared", "margin"):
        paper = c
        ink = ("black", "blue", "red")[rng.integers(3)]
    elif c == "blue_ink":
        ink = "blue"
    elif c == "red_ink":
        ink = "red"
    elif c == "pencil":
        ink = "pencil"
    elif c == "thin_pen":
        width = rng.uniform(0.5, 0.7)
    elif c == "thick_pen":
        width = rng.uniform(1.6, 2.2)  # wider fills a digit's loops: unreadable to anyone
    elif c == "gradient":
        light = rng.uniform(0.35, 0.6)
    elif c == "shadow":
        shadow = "hard" if rng.random() < 0.6 else "soft"
    elif c == "rotation":
        angle = rng.uniform(-15, 15)
    elif c == "perspective":
        persp = rng.uniform(0.04, 0.1)
    elif c == "blur":
        blur = rng.uniform(1.0, 2.5)
    elif c == "jpeg_low":
        quality = int(rng.integers(50, 61))
    elif c == "small":
        size = (int(rng.integers(1400, 2200)), int(rng.integers(1100, 1700)))
        digit_frac = rng.uniform(0.07, 0.12)
    elif c == "phone":
        size = PHONE_SIZE
        digit_frac = rng.uniform(0.2, 0.45)
        table = rng.random() < 0.5
        paper = ("plain", "ruled", "squared")[rng.integers(3)]
        light = rng.uniform(0.1, 0.4)
    ink = pinned_ink or ink
    shadow = pinned_shadow or shadow

    # Work at a resolution where a digit is ~200 px tall, then scale the photo to its size:
    # a real phone photo is soft at the pixel level anyway, and this keeps rendering fast.
    w, h = size
    draw_scale = min(1.0, 220 / (digit_frac * min(w, h)))
    dw, dh = int(round(w * draw_scale)), int(round(h * draw_scale))
    digit_h = int(round(digit_frac * min(dw, dh)))
    line_gap = digit_h / rng.uniform(1.6, 2.4) if c != "phone" else digit_h / rng.uniform(2, 3)
    pad = int(0.2 * max(dw, dh))  # room so rotation and perspective never show the canvas edge
    H, W = dh + 2 * pad, dw + 2 * pad
    page = _paper(H, W, paper, rng, line_gap)
    cover = _stroke_mask(digit, digit_h, width, rng)
    if ink == "pencil":
        grain = ndimage.gaussian_filter(rng.random(cover.shape).astype(np.float32), 0.8)
        cover = cover * np.clip(0.55 + 1.5 * (grain - 0.5) + rng.uniform(0.0, 0.25), 0.2, 1.0)
    y0 = pad + int(dh / 2 - cover.shape[0] / 2 + rng.uniform(-0.12, 0.12) * dh)
    x0 = pad + int(dw / 2 - cover.shape[1] / 2 + rng.uniform(-0.12, 0.12) * dw)
    region = page[y0:y0 + cover.shape[0], x0:x0 + cover.shape[1]]
    colour = np.array(INKS[ink], np.float32) * rng.uniform(0.85, 1.1)
    region[:] = region * (1 - cover[..., None]) + region * np.clip(colour, 0, 1) * cover[..., None]
    if table:
        # The page ends inside the photo: the rest is a darker table top.
        edge = int(pad + rng.uniform(0.04, 0.12) * dw)
        side = rng.integers(4)
        table_colour = np.array([0.35, 0.27, 0.2], np.float32) * rng.uniform(0.6, 1.3)
        if side == 0:
            page[:, :edge] = table_colour
        elif side == 1:
            page[:, W - edge:] = table_colour
        elif side == 2:
            page[:edge] = table_colour
        else:
            page[H - edge:] = table_colour

    photo = Image.fromarray((np.clip(page, 0, 1) * 255).astype(np.uint8))
    photo = photo.rotate(angle, resample=Image.Resampling.BILINEAR, center=(x0 + cover.shape[1] / 2, y0 + cover.shape[0] / 2))
    if persp:
        photo = _perspective(photo, persp, rng)
    photo = photo.crop((pad, pad, pad + dw, pad + dh))
    arr = np.asarray(photo, np.float32) / 255
    arr = arr * _lighting(dh, dw, light, rng)[..., None]
    if shadow:
        arr = arr * _shadow(dh, dw, rng, shadow == "hard")[..., None]
    photo = Image.fromarray((np.clip(arr, 0, 1) * 255).astype(np.uint8))
    if blur:
        photo = photo.filter(ImageFilter.GaussianBlur(blur))
    if (dw, dh) != (w, h):
        photo = photo.resize((w, h), Image.Resampling.BILINEAR)
    # Sensor noise, added at the photo's own resolution (on a reduced copy for 12 MP photos).
    arr = np.asarray(photo, np.int16)
    n = rng.normal(0, noise * 255, (min(h, 512), min(w, 512), 1)).astype(np.int16)
    arr = arr + np.tile(n, (-(-h // n.shape[0]), -(-w // n.shape[1]), 3))[:h, :w]
    photo = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=quality)
    return Photo(buf.getvalue(), int(label), condition, (w, h))


def corpus(images: np.ndarray, labels: np.ndarray, per_condition: int, seed: int = 0,
           conditions: tuple[str, ...] = CONDITIONS):
    """Yield `per_condition` photos for each condition, from MNIST test digits picked with `seed`.

    `images` (N, 28, 28) uint8 and `labels` (N,). Each photo also carries the index of its digit.
    """
    rng = np.random.default_rng(seed)
    for ci, condition in enumerate(conditions):
        picks = rng.choice(len(labels), size=per_condition, replace=False)
        for j, i in enumerate(picks):
            yield int(i), render(images[i], int(labels[i]), condition, seed * 1_000_003 + ci * 10_007 + j)
