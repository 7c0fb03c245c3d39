"""What a digit classifier reads across a 2-D latent plane, as a picture and as figures.

The latent explorer decodes a grid of codes over the plane, runs the shipped classifier
(explorer/classifier.py, through its ONNX export) on every decode, and colours each cell by
the digit it reads, brighter where the classifier is surer. The boundaries between digit
regions become visible, and the test digits' codes can be compared with them: a 4 whose code
lies in a region that reads as 9 is decoded as a 9.

Grid convention (as `app_pages/ui.decode_grid`): row 0 is the top of the plane (largest z2),
column 0 its left edge. Cell (r, c) of a `steps` x `steps` grid over [low, high]^2 covers
an equal square of the plane and is decoded at its centre (`grid_codes`), so the picture,
stretched over [low, high]^2, shows each reading where it was measured.

Numpy only: the app's server runs it without PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PlaneReading:
    digit: np.ndarray  # (steps, steps) int: the digit read in each cell's decode
    confidence: np.ndarray  # (steps, steps) float in [0.1, 1]: the classifier's probability of that digit

    @property
    def steps(self) -> int:
        return self.digit.shape[0]


def grid_codes(low: float, high: float, steps: int) -> np.ndarray:
    """(steps * steps, 2) float32: the centre of every cell, row by row from the top left."""
    half = (high - low) / steps / 2
    axis = np.linspace(low + half, high - half, steps, dtype=np.float32)
    z1, z2 = np.meshgrid(axis, axis[::-1])
    return np.stack([z1.ravel(), z2.ravel()], 1)


def read_plane(probabilities: np.ndarray) -> PlaneReading:
    """(steps * steps, 10) or (steps, steps, 10) class probabilities, in grid order -> the reading."""
    p = np.asarray(probabilities, dtype=np.float32)
    steps = int(round(np.sqrt(p.size // 10)))
    p = p.reshape(steps, steps, 10)
    return PlaneReading(p.argmax(-1).astype(np.uint8), p.max(-1))  # small: the app caches one per model and digit


def hex_to_rgb(colours: list[str]) -> np.ndarray:
    """["#1f77b4", ...] -> (N, 3) floats in [0, 1]."""
    return np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours], dtype=np.float32) / 255


def _cells_to_pixels(values: np.ndarray, side: int) -> np.ndarray:
    """(steps, steps, ...) -> (side, side, ...): each cell a block, nearest neighbour."""
    idx = np.arange(side) * values.shape[0] // side
    return values[idx][:, idx]


def pad_picture(reading: PlaneReading, colours: list[str], manifold: np.ndarray) -> np.ndarray:
    """The pad's background: the manifold's strokes in white over cells coloured by the digit
    read there, the colour as strong as the classifier's confidence (dark where it hesitates).

    `manifold`: (side, side) uint8 or floats in [0, 1], the grid of decodes the pad shows.
    Returns (side, side, 3) uint8."""
    m = np.asarray(manifold, dtype=np.float32)
    m = m / 255 if m.max() > 1 else m
    side = m.shape[0]
    colour = hex_to_rgb(colours)[reading.digit] * reading.confidence[..., None]  # (steps, steps, 3)
    field = 0.85 * _cells_to_pixels(colour, side)  # a little dark, so white strokes stand out on it
    out = field * (1 - m[..., None]) + m[..., None]  # strokes white, background the reading
    return (out * 255).round().astype(np.uint8)


def chart_picture(reading: PlaneReading, colours: list[str], cell: int = 4, strength: float = 0.45) -> np.ndarray:
    """Behind the scatter: pale cells (the colour mixed with white, `strength` x confidence of
    it) so the test digits' points, in the same colours at full strength, stay visible on them.
    Returns (steps * cell, steps * cell, 3) uint8."""
    a = strength * reading.confidence[..., None]
    cells = (1 - a) + a * hex_to_rgb(colours)[reading.digit]
    return (_cells_to_pixels(cells, reading.steps * cell) * 255).round().astype(np.uint8)


def cells_of(codes: np.ndarray, low: float, high: float, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, 2) codes -> row, column and whether the code lies inside the plane shown."""
    codes = np.asarray(codes, dtype=np.float64)
    inside = np.all((codes >= low) & (codes <= high), axis=1)
    scaled = (codes - low) / (high - low) * steps
    col = np.clip(np.floor(scaled[:, 0]).astype(int), 0, steps - 1)
    row = np.clip(steps - 1 - np.floor(scaled[:, 1]).astype(int), 0, steps - 1)
    return row, col, inside


@dataclass(frozen=True)
class ReadingSummary:
    share: np.ndarray  # (10,): the share of the plane's cells that read as each digit
    digits_read: list[int]  # the digits read in at least one cell
    test_inside: int  # test codes inside the plane shown
    test_agree: float  # of those, the share whose cell reads as their own label

    @property
    def largest(self) -> int:
        return int(self.share.argmax())


def summarise(reading: PlaneReading, codes: np.ndarray, labels: np.ndarray, low: float, high: float) -> ReadingSummary:
    share = np.bincount(reading.digit.ravel(), minlength=10) / reading.digit.size
    row, col, inside = cells_of(codes, low, high, reading.steps)
    agree = reading.digit[row, col] == np.asarray(labels)
    return ReadingSummary(share, [d for d in range(10) if share[d] > 0], int(inside.sum()),
                          float(agree[inside].mean()) if inside.any() else 0.0)
