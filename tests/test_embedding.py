"""The t-SNE maps of the 32-D codes (explorer/embedding.py): the computation on a tiny input, the
file round trip, train_all.py writing one, and the shipped maps against the shipped weights."""

import shutil

import numpy as np
import pytest
import sklearn

import train_all
from explorer import embedding
from explorer.data import load_arrays
from explorer.shipped import PRETRAINED_ROOT, model_dir


def two_clusters(n: int = 40, dim: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 2
    return rng.normal(size=(n, dim)).astype(np.float32) + 12 * labels[:, None], labels


def test_tsne_is_seeded_and_keeps_clusters_apart():
    codes, labels = two_clusters()
    a, b = embedding.tsne_map(codes, seed=0), embedding.tsne_map(codes, seed=0)
    assert a.shape == (40, 2) and a.dtype == np.float32
    assert np.array_equal(a, b)  # the same codes and seed: the same map
    centres = np.stack([a[labels == k].mean(0) for k in (0, 1)])
    spread = max(np.linalg.norm(a[labels == k] - centres[k], axis=1).mean() for k in (0, 1))
    assert np.linalg.norm(centres[0] - centres[1]) > 3 * spread


def test_a_tiny_input_gets_a_perplexity_it_can_use():
    assert embedding.usable_perplexity(3000) == embedding.PERPLEXITY
    assert embedding.usable_perplexity(10) == 3.0
    assert embedding.tsne_map(two_clusters(10)[0]).shape == (10, 2)


def test_file_round_trip_and_damage(tmp_path):
    codes, labels = two_clusters()
    xy = embedding.tsne_map(codes)
    meta = {"method": "t-SNE", "library": "scikit-learn", "version": sklearn.__version__, "seed": 0,
            "perplexity": 13.0, "points": 40, "latent_dim": 8, "weights_sha256": "ab"}
    path = tmp_path / embedding.EMBEDDING_FILE
    embedding.save_embedding(embedding.Embedding(xy, labels, meta), path)
    back = embedding.load_embedding(path)
    assert np.allclose(back.xy, xy, rtol=1e-3, atol=1e-2)  # stored as float16
    assert np.array_equal(back.labels, labels) and back.meta == meta
    with pytest.raises(FileNotFoundError):
        embedding.load_embedding(tmp_path / "missing.safetensors")
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="damaged"):
        embedding.load_embedding(path)


def test_embed_release_maps_a_shipped_models_onnx_codes(tmp_path):
    folder = tmp_path / "ae-32"
    shutil.copytree(model_dir("ae-32"), folder)
    test = load_arrays("mnist", train=False, download=False)
    e = embedding.embed_release(folder, test.images[:60], test.labels[:60], seed=3)
    back = embedding.load_embedding(folder / embedding.EMBEDDING_FILE)
    assert back.xy.shape == (60, 2) and np.array_equal(back.labels, test.labels[:60])
    assert back.meta["seed"] == 3 and back.meta["latent_dim"] == 32 and back.meta["version"] == sklearn.__version__
    assert back.meta["iterations"] == embedding.ITERATIONS and back.meta["angle"] == embedding.ANGLE
    assert back.meta["weights_sha256"] == embedding.weights_sha256(folder)
    assert np.allclose(back.xy, e.xy, rtol=1e-3, atol=1e-2)


@pytest.mark.slow
def test_train_all_writes_a_map_beside_a_32d_model(tmp_path):
    out = tmp_path / "pt"
    assert train_all.main(["--quick", "--no-progress", "--models", "ae-32", "--out", str(out),
                           "--checkpoints", str(tmp_path / "ckpt")]) == 0
    e = embedding.load_embedding(out / "mnist" / "ae-32" / embedding.EMBEDDING_FILE)
    assert e.meta["points"] == train_all.QUICK_TEST and e.meta["seed"] == embedding.SEED
    assert e.meta["weights_sha256"] == embedding.weights_sha256(out / "mnist" / "ae-32")


@pytest.mark.parametrize("name", ["ae-32", "sparse_ae-32", "conv_ae-32"])
def test_the_shipped_map_belongs_to_the_shipped_weights(name):
    """Retrain a model and forget `python -m explorer.embedding`, and this fails."""
    assert name in embedding.mapped_models()
    folder = model_dir(name, root=PRETRAINED_ROOT)
    e = embedding.load_embedding(folder / embedding.EMBEDDING_FILE)
    labels = load_arrays("mnist", train=False, download=False).labels
    assert e.meta["points"] == embedding.POINTS and np.array_equal(e.labels, labels[:embedding.POINTS])
    assert e.meta["seed"] == embedding.SEED and e.meta["perplexity"] == embedding.PERPLEXITY
    assert e.meta["library"] == "scikit-learn" and e.meta["version"]
    assert e.meta["weights_sha256"] == embedding.weights_sha256(folder)
    assert np.isfinite(e.xy).all() and (folder / embedding.EMBEDDING_FILE).stat().st_size < 40_000
