"""A 2-D map of a model's codes when they have more than two numbers: t-SNE of the test digits.

    python -m explorer.embedding                       # every shipped model with a code of 3+ numbers
    python -m explorer.embedding --models conv_ae-32   # one model, from its shipped weights

`embed_release(folder, images, labels)` encodes the first `POINTS` test digits with the
release's ONNX encoder (the same numbers the app computes), runs scikit-learn's t-SNE with a
fixed seed and writes `tsne.safetensors` beside the weights. `train_all.py` calls it after it
exports a model whose code has more than two numbers; this command does the same for weights
already shipped, without retraining.

Stored compactly (about 15 KB): the map as float16, the labels as uint8; the metadata names
the library and its version, the seed, the perplexity and the SHA-256 of the weights it was
computed from, so a test can tell a map that no longer matches its model.

The reader (`load_embedding`) runs in the app's server: this module never imports PyTorch,
and imports scikit-learn only to compute a map.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

from explorer.atomic import replace_atomically
from explorer.onnx_models import OnnxModel
from explorer.shipped import PRETRAINED_ROOT, load_catalog

EMBEDDING_FILE = "tsne.safetensors"
# The first 3,000 test digits, the ones the app's scatters draw. t-SNE of 3,000 32-D codes takes
# about 7 s on one core of the 2-core development machine (ITERATIONS, ANGLE); all 10,000 were not tried.
POINTS = 3000
SEED = 0  # t-SNE starts from PCA and then follows random gradient noise: fixed, the map is reproducible
PERPLEXITY = 30.0  # scikit-learn's default: roughly how many neighbours each point keeps close
# Half scikit-learn's default 1,000 iterations, and a coarser Barnes-Hut approximation than its 0.5:
# `train_all.py` draws three maps, and these settings take conv_ae-32's from 20 s to 7 s on one core of
# the 2-core CPU (2026-11-27, nothing else running; README, "The t-SNE maps"). The clusters come out
# the same, only less spread: a 5-NN classifier on that map reads 0.932 of the digits with the
# defaults and 0.930 with these.
ITERATIONS = 500
ANGLE = 0.8


@dataclass
class Embedding:
    xy: np.ndarray  # (N, 2) float32: the map, in t-SNE's own units (only distances between points mean anything)
    labels: np.ndarray  # (N,) int64: the digits, the first N of the test set
    meta: dict  # method, library, version, seed, perplexity, points, weights_sha256


def tsne_map(codes: np.ndarray, seed: int = SEED, perplexity: float = PERPLEXITY) -> np.ndarray:
    """(N, d) codes -> (N, 2) float32 map; the same codes and seed give the same map."""
    from sklearn.manifold import TSNE  # only here: the app's server reads maps, it never computes one

    codes = np.asarray(codes, dtype=np.float32)
    tsne = TSNE(n_components=2, perplexity=usable_perplexity(len(codes), perplexity), init="pca", random_state=seed,
                max_iter=ITERATIONS, angle=ANGLE)
    return tsne.fit_transform(codes).astype(np.float32)


def usable_perplexity(points: int, perplexity: float = PERPLEXITY) -> float:
    """t-SNE needs fewer neighbours than points: a tiny input (tests, --quick) gets a smaller perplexity."""
    return min(perplexity, max(1.0, (points - 1) / 3))


def weights_sha256(folder: Path) -> str:
    return hashlib.sha256((Path(folder) / "model.safetensors").read_bytes()).hexdigest()


def embed_release(folder: Path, images: np.ndarray, labels: np.ndarray, seed: int = SEED) -> Embedding:
    """Encode (N, 1, 28, 28) uint8 test digits with the release's ONNX encoder, map them, write
    `tsne.safetensors` in the folder and return the map."""
    import sklearn

    folder = Path(folder)
    model = OnnxModel(folder)
    floats = np.asarray(images, dtype=np.float32) / np.float32(255.0)
    codes = model.batched("encode", floats, np.asarray(labels) if model.conditional else None, batch=250)
    xy = tsne_map(codes, seed)
    meta = {"method": "t-SNE", "library": "scikit-learn", "version": sklearn.__version__, "seed": seed,
            "perplexity": usable_perplexity(len(codes)), "iterations": ITERATIONS, "angle": ANGLE, "points": len(codes),
            "latent_dim": int(codes.shape[1]), "weights_sha256": weights_sha256(folder)}
    embedding = Embedding(xy, np.asarray(labels, dtype=np.int64), meta)
    save_embedding(embedding, folder / EMBEDDING_FILE)
    return embedding


def save_embedding(embedding: Embedding, path: Path) -> None:
    with replace_atomically(Path(path)) as tmp:
        save_file({"xy": embedding.xy.astype(np.float16), "labels": embedding.labels.astype(np.uint8)},
                  str(tmp), metadata={k: str(v) for k, v in embedding.meta.items()})


def load_embedding(path: Path) -> Embedding:
    """Raises FileNotFoundError, or ValueError for a damaged file, with the path in the message."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no t-SNE map at {path}")
    try:
        with safe_open(str(path), "np") as f:
            xy, labels, meta = f.get_tensor("xy").astype(np.float32), f.get_tensor("labels"), f.metadata()
        meta = {**meta, "seed": int(meta["seed"]), "points": int(meta["points"]),
                "perplexity": float(meta["perplexity"]), "latent_dim": int(meta["latent_dim"])}
        if "iterations" in meta:  # maps written before 2026-11-27 ran scikit-learn's defaults and do not say
            meta.update(iterations=int(meta["iterations"]), angle=float(meta["angle"]))
        if xy.shape != (meta["points"], 2) or labels.shape != (meta["points"],):
            raise ValueError(f"map {xy.shape} and labels {labels.shape} for {meta['points']} points")
    except Exception as exc:  # safetensors header, missing keys or metadata, wrong shapes
        raise ValueError(f"the t-SNE map {path} is damaged ({type(exc).__name__}: {exc})") from exc
    return Embedding(xy, labels.astype(np.int64), meta)


def mapped_models(dataset: str = "mnist", root: Path | None = None) -> list[str]:
    """The shipped models whose code has more than two numbers: the ones that get a map."""
    return [r["name"] for r in load_catalog(dataset, root)["releases"]
            if r["task"] == "latent" and (r["latent_dim"] or 0) > 2]


def main(argv: list[str] | None = None) -> int:
    from explorer.data import DataUnavailableError, load_arrays

    parser = argparse.ArgumentParser(description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=None, metavar="NAME",
                        help="which shipped models (default: every one with a code of 3+ numbers)")
    parser.add_argument("--points", type=int, default=POINTS, help=f"the first N test digits (default {POINTS})")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--root", type=Path, default=PRETRAINED_ROOT, help="release root (default: pretrained/)")
    args = parser.parse_args(argv)
    names = args.models or mapped_models(root=args.root)
    try:
        test = load_arrays("mnist", train=False, download=False)
    except DataUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name in names:
        start = time.perf_counter()
        e = embed_release(args.root / "mnist" / name, test.images[:args.points], test.labels[:args.points], args.seed)
        print(f"{name}: t-SNE of {e.meta['points']} codes ({e.meta['library']} {e.meta['version']}, "
              f"seed {e.meta['seed']}) in {time.perf_counter() - start:.1f} s -> {args.root / 'mnist' / name / EMBEDDING_FILE}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
