"""The shipped models without PyTorch: their ONNX exports (`explorer.export`) run by onnxruntime.

For the app's server process: numpy in, numpy out, the same interface as the PyTorch models
(`encode`, `posterior`, `decode`, `reconstruct`), images (N, 1, H, W) float32 in [0, 1].
One `InferenceSession` per file, shared by every caller: onnxruntime's `run` is thread-safe,
and Streamlit serves each session from its own thread.

This module must not import torch, not even through `explorer/__init__.py` (which loads
`explorer.pretrained` lazily for that reason); `tests/test_onnx_models.py` checks it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from explorer.baselines import downsample
from explorer.shipped import CLASSIFIER, EXPORT_COMMAND, PRETRAINED_ROOT


class OnnxWeightsError(RuntimeError):
    """An ONNX export is missing or unreadable; the message says how to rebuild it."""


def _session(path: Path, name: str):
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread per call: the app answers several sessions at once on a small CPU, and a
    # pool per model would multiply idle threads and their stacks.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    # No per-session arena or planned buffers: each session kept the activations of its
    # largest batch (250 digits through a conv encoder) for good, ~110 MB over the app's
    # models; freed after each call the server holds ~40 MB (measured with every model
    # encoding the test set). The models are small: allocating per call costs little.
    options.enable_mem_pattern = False
    options.enable_cpu_mem_arena = False
    if not path.is_file():
        raise OnnxWeightsError(f"No ONNX export of '{name}' at {path}. Make it with: {EXPORT_COMMAND}")
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
        raise OnnxWeightsError(f"The ONNX export {path} is damaged ({exc}). Rebuild it with: {EXPORT_COMMAND}") from exc


class OnnxModel:
    """One release folder's ONNX files. Build it with `load_onnx(name)`."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.name = self.folder.name
        files = ["encoder.onnx", "decoder.onnx"] if (self.folder / "encoder.onnx").is_file() else ["model.onnx"]
        self.sessions = {filename: _session(self.folder / filename, self.name) for filename in files}
        meta = next(iter(self.sessions.values())).get_modelmeta().custom_metadata_map
        self.metadata = dict(meta)
        self.latent_dim = int(meta.get("latent_dim", 0)) or None
        self.has_latent = "encoder.onnx" in self.sessions
        self.conditional = meta.get("conditional") == "true"
        self.variational = meta.get("variational") == "true"
        # The side of the images the first graph takes: 28, or 28 / factor for super-resolution.
        self.input_side = next(iter(self.sessions.values())).get_inputs()[0].shape[-1]
        self.factor = 28 // self.input_side if isinstance(self.input_side, int) else 1

    def _run(self, filename: str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        return self.sessions[filename].run(None, feeds)

    def _digits(self, digits, n: int) -> dict[str, np.ndarray]:
        if not self.conditional:
            return {}
        if digits is None:
            raise ValueError(f"{self.name} needs the digit label: pass digits")
        return {"digit": np.broadcast_to(np.asarray(digits, dtype=np.int64), (n,)).copy()}

    def posterior(self, images: np.ndarray, digits=None) -> tuple[np.ndarray, np.ndarray]:
        """VAEs: (N, 1, 28, 28) -> mean (N, d) and log-variance (N, d)."""
        if not self.variational:
            raise ValueError(f"{self.name} is not a VAE: it has no posterior")
        images = np.ascontiguousarray(images, dtype=np.float32)
        mean, logvar = self._run("encoder.onnx", {"image": images, **self._digits(digits, len(images))})
        return mean, logvar

    def encode(self, images: np.ndarray, digits=None) -> np.ndarray:
        """(N, 1, 28, 28) -> (N, d): the code, or the posterior mean for a VAE."""
        if not self.has_latent:
            raise ValueError(f"{self.name} has no code: use reconstruct")
        images = np.ascontiguousarray(images, dtype=np.float32)
        return self._run("encoder.onnx", {"image": images, **self._digits(digits, len(images))})[0]

    def decode(self, codes: np.ndarray, digits=None) -> np.ndarray:
        """(N, d) -> (N, 1, 28, 28) in [0, 1]."""
        if not self.has_latent:
            raise ValueError(f"{self.name} has no code: use reconstruct")
        codes = np.ascontiguousarray(codes, dtype=np.float32).reshape(-1, self.latent_dim)
        return self._run("decoder.onnx", {"code": codes, **self._digits(digits, len(codes))})[0]

    def downsample(self, images: np.ndarray) -> np.ndarray:
        """Super-resolution's input: (N, 1, 28, 28) average-pooled to (N, 1, 28/f, 28/f)."""
        return downsample(images, self.factor)

    def reconstruct(self, images: np.ndarray, digits=None) -> np.ndarray:
        """The whole forward pass: (N, 1, H, W) -> (N, 1, 28, 28) (super-resolution: low-res in)."""
        if self.has_latent:
            return self.decode(self.encode(images, digits), digits)
        return self._run("model.onnx", {"image": np.ascontiguousarray(images, dtype=np.float32)})[0]

    forward = reconstruct
    __call__ = reconstruct

    def batched(self, method: str, images: np.ndarray, digits=None, batch: int = 500) -> np.ndarray:
        """`encode`/`reconstruct`/... over slices of `batch` images: one call on 10,000 digits
        would hold hundreds of MB of activations at once."""
        fn = getattr(self, method)
        outs = [fn(images[i:i + batch], None if digits is None else digits[i:i + batch])
                for i in range(0, len(images), batch)]
        return np.concatenate(outs)


class OnnxClassifier:
    """The digit classifier's `classifier.onnx` (explorer/classifier.py). Build it with `load_onnx_classifier()`."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.session = _session(self.folder / "classifier.onnx", CLASSIFIER)

    def probabilities(self, images: np.ndarray, batch: int = 500) -> np.ndarray:
        """(N, 1, 28, 28) or (N, 28, 28) in [0, 1] -> (N, 10), each row summing to 1; in slices of `batch`."""
        images = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, 1, 28, 28)
        return np.concatenate([self.session.run(None, {"image": images[i:i + batch]})[0]
                               for i in range(0, len(images), batch)]) if len(images) else np.zeros((0, 10), np.float32)


_cache: dict[Path, OnnxModel | OnnxClassifier] = {}
_lock = threading.Lock()


def load_onnx(name: str, dataset: str = "mnist", root: Path | None = None) -> OnnxModel:
    """A shipped model's ONNX sessions, loaded once per process and shared."""
    folder = (Path(root or PRETRAINED_ROOT) / dataset / name).resolve()
    with _lock:
        if folder not in _cache:
            if not (folder / "config.json").is_file():
                raise OnnxWeightsError(f"No model '{name}' in {folder.parent}. Train it with: "
                                       f"python train_all.py --models {name}")
            _cache[folder] = OnnxModel(folder)
        return _cache[folder]


def load_onnx_classifier(dataset: str = "mnist", root: Path | None = None) -> OnnxClassifier:
    """The shipped digit classifier's ONNX session, loaded once per process and shared."""
    folder = (Path(root or PRETRAINED_ROOT) / dataset / CLASSIFIER).resolve()
    with _lock:
        if folder not in _cache:
            if not (folder / "config.json").is_file():
                raise OnnxWeightsError(f"No digit classifier in {folder.parent}. Train it with: "
                                       f"python train_all.py --models {CLASSIFIER}")
            _cache[folder] = OnnxClassifier(folder)
        return _cache[folder]
