"""Watch the latent space learn: snapshots of a 2-D model taken while it trains.

`HistoryRecorder` is a callback for `explorer.train.fit`. At about 20 moments, log-spaced
over the run because early training changes the plane fastest, it records the codes of a
fixed 1,000 test digits and a 20x20 manifold of decodes; it also keeps the loss of every
step. `train_all.py` writes the result as `history.safetensors` beside a 2-D model's weights.

Stored compactly (under 1 MB): codes as float16; the manifold's digits at 14x14 (a tile is
about 20 screen pixels wide on the page) with 16 grey levels, two pixels per byte.

The reader (`load_history`, `History`, `unpack`) runs in the app's server, which must never
import PyTorch: only the recorder needs it, and it imports it when it takes a snapshot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

MOMENTS = 20  # snapshots, the untrained model (step 0) included
DIGITS = 1000  # the first 1,000 test digits
GRID = 20  # manifold decodes per axis
TILE = 14  # stored size of each manifold digit
LEVELS = 15  # grey levels 0..15 fit in 4 bits
HISTORY_FILE = "history.safetensors"


def moment_steps(total_steps: int, moments: int = MOMENTS) -> list[int]:
    """Step 0 and up to moments - 1 log-spaced steps ending at the last one."""
    spaced = np.geomspace(1, max(1, total_steps), moments - 1).round().astype(int)
    return [0, *sorted(set(spaced.tolist()))]


def pack(tiles: np.ndarray) -> np.ndarray:
    """(..., 14) floats in [0, 1] -> (..., 7) uint8: two 4-bit grey levels per byte."""
    q = np.clip(np.rint(tiles * LEVELS), 0, LEVELS).astype(np.uint8)
    return (q[..., 0::2] << 4) | q[..., 1::2]


def unpack(packed: np.ndarray) -> np.ndarray:
    """The inverse of `pack`, to floats in [0, 1]: (..., 7) uint8 -> (..., 14)."""
    q = np.stack([packed >> 4, packed & 0x0F], axis=-1).reshape(*packed.shape[:-1], packed.shape[-1] * 2)
    return q.astype(np.float32) / LEVELS


def code_range(codes: np.ndarray) -> float:
    """Half-width of a square that holds the codes (at least 1, the prior's sigma)."""
    return max(1.0, float(np.percentile(np.abs(codes), 99.5)))


class HistoryRecorder:
    """Call as `fit(..., callback=recorder)`; then `recorder.save(path)`."""

    def __init__(self, images, labels, total_steps: int, moments: int = MOMENTS):
        self.images, self.labels = images, labels  # torch tensors: (N, 1, 28, 28) floats, (N,)
        self.steps = moment_steps(total_steps, moments)
        self.total_steps = total_steps
        self.conditional = False  # set by snapshot: True when the model decodes (z, digit), drawn as digit 0
        self.losses: list[float] = []  # the training loss of every step
        self.codes, self.ranges, self.manifolds, self.recorded = [], [], [], []

    def __call__(self, model, step: int, logs: dict) -> None:
        if step > 0:
            self.losses.append(float(logs["loss"]))
        if step in self.steps:
            self.snapshot(model, step)

    def snapshot(self, model, step: int) -> None:
        # Imported here, not at the top: the app's server imports this module for the reader.
        import torch
        import torch.nn.functional as F

        was_training = model.training
        model.eval()  # BatchNorm uses its running statistics; nothing here draws random numbers
        device = next(model.parameters()).device
        y = self.labels.to(device) if model.conditional else None
        with torch.no_grad():
            codes = model.encode(self.images.to(device), y).float().cpu().numpy()
            r = code_range(codes)
            axis = np.linspace(-r, r, GRID, dtype=np.float32)
            z1, z2 = np.meshgrid(axis, axis[::-1])  # row 0 is the top of the plane, as in the app
            z = torch.from_numpy(np.stack([z1.ravel(), z2.ravel()], 1)).to(device)
            digit = torch.zeros(len(z), dtype=torch.long, device=device) if model.conditional else None
            decodes = F.avg_pool2d(model.decode(z, digit).float(), 2)  # (400, 1, 14, 14)
        model.train(was_training)
        self.conditional = bool(model.conditional)
        self.codes.append(codes.astype(np.float16))
        self.ranges.append(r)
        self.manifolds.append(pack(decodes.cpu().numpy().reshape(GRID, GRID, TILE, TILE)))
        self.recorded.append(step)

    def save(self, path: Path) -> None:
        """Write atomically, like the weights beside it."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        save_file({
            "steps": np.asarray(self.recorded, np.int64),
            "ranges": np.asarray(self.ranges, np.float32),
            "codes": np.stack(self.codes),  # (M, N, 2) float16
            "manifolds": np.stack(self.manifolds),  # (M, 20, 20, 14, 7) packed uint8
            "labels": self.labels.numpy().astype(np.uint8),
            "losses": np.asarray(self.losses, np.float32),
        }, str(tmp), metadata={"total_steps": str(self.total_steps), "conditional": str(self.conditional).lower(),
                               "format": json.dumps({"tile": TILE, "levels": LEVELS})})
        tmp.chmod(0o644)
        tmp.replace(path)


@dataclass
class History:
    steps: np.ndarray  # (M,) training steps of the snapshots
    ranges: np.ndarray  # (M,) half-width of the manifold's square
    codes: np.ndarray  # (M, N, 2) float32
    manifolds: np.ndarray  # (M, 20, 20, 14, 7) packed; `manifold(i)` unpacks one
    labels: np.ndarray  # (N,)
    losses: np.ndarray  # (total_steps,)
    total_steps: int
    conditional: bool | None = None  # None: written before the flag was stored

    def manifold(self, i: int) -> np.ndarray:
        """Moment i's manifold as one (280, 280) image in [0, 1]."""
        tiles = unpack(self.manifolds[i])  # (20, 20, 14, 14)
        return tiles.transpose(0, 2, 1, 3).reshape(GRID * TILE, GRID * TILE)


def check(h: History) -> None:
    """Shapes that agree with each other, or a ValueError: a file cut or edited by hand must not
    reach the page as an IndexError."""
    m, n = len(h.steps), len(h.labels)
    if m == 0 or h.codes.shape != (m, n, 2) or h.ranges.shape != (m,):
        raise ValueError(f"{m} moments, codes {h.codes.shape}, ranges {h.ranges.shape}, {n} labels")
    if h.manifolds.shape != (m, GRID, GRID, TILE, TILE // 2):
        raise ValueError(f"manifolds {h.manifolds.shape}, expected ({m}, {GRID}, {GRID}, {TILE}, {TILE // 2})")
    if h.steps[0] < 0 or np.any(np.diff(h.steps) <= 0) or len(h.losses) < h.steps[-1]:
        raise ValueError(f"{len(h.losses)} losses and steps {h.steps.tolist()} for {h.total_steps} steps")


def load_history(path: Path) -> History:
    """Raises FileNotFoundError or ValueError (damaged file) with the path in the message."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no training history at {path}")
    try:
        with safe_open(str(path), "np") as f:
            arrays = {k: f.get_tensor(k) for k in f.keys()}
            meta = f.metadata()
        conditional = {"true": True, "false": False}.get(meta.get("conditional"))
        h = History(arrays["steps"], arrays["ranges"], arrays["codes"].astype(np.float32), arrays["manifolds"],
                    arrays["labels"], arrays["losses"], int(meta["total_steps"]), conditional)
        check(h)
        return h
    except Exception as exc:  # safetensors header, missing keys or metadata
        raise ValueError(f"the training history {path} is damaged ({type(exc).__name__}: {exc})") from exc
