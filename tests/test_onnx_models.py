"""The server's torch-free models equal the PyTorch ones, and importing them loads no torch."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.onnx_models import OnnxWeightsError, load_onnx
from explorer.pretrained import list_pretrained, load_pretrained

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", list_pretrained())
def test_onnx_model_equals_pytorch(name):
    ref, model = load_pretrained(name), load_onnx(name)
    assert model is load_onnx(name), "one set of sessions per model and process"
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        if ref.task != "latent":
            side = 28 // getattr(ref.config, "factor", 1)
            x = torch.rand(4, 1, side, side, generator=g)
            np.testing.assert_allclose(model.reconstruct(x.numpy()), ref.reconstruct(x).numpy(), atol=1e-4)
            with pytest.raises(ValueError, match="no code"):
                model.encode(x.numpy())
            return
        x = torch.rand(4, 1, 28, 28, generator=g)
        y = torch.tensor([0, 3, 7, 9]) if ref.conditional else None
        digits = None if y is None else y.numpy()
        z = 2 * torch.randn(4, ref.latent_dim, generator=g)
        assert model.latent_dim == ref.latent_dim and model.conditional == ref.conditional
        np.testing.assert_allclose(model.encode(x.numpy(), digits), ref.encode(x, y).numpy(), atol=1e-4)
        np.testing.assert_allclose(model.decode(z.numpy(), digits), ref.decode(z, y).numpy(), atol=1e-4)
        np.testing.assert_allclose(model.reconstruct(x.numpy(), digits), ref.reconstruct(x, y).numpy(), atol=1e-4)
        if hasattr(ref, "posterior"):
            mean, logvar = model.posterior(x.numpy(), digits)
            np.testing.assert_allclose(logvar, ref.posterior(x, y).logvar.numpy(), atol=1e-4)
        if ref.conditional:
            with pytest.raises(ValueError, match="digit"):
                model.decode(z.numpy())


def test_missing_export_names_the_command(tmp_path):
    (tmp_path / "mnist" / "vae-2").mkdir(parents=True)
    (tmp_path / "mnist" / "vae-2" / "config.json").write_text("{}")
    with pytest.raises(OnnxWeightsError, match="python -m explorer.export"):
        load_onnx("vae-2", root=tmp_path)
    with pytest.raises(OnnxWeightsError, match="train_all.py --models nope"):
        load_onnx("nope", root=tmp_path)


def test_importing_the_onnx_models_loads_no_torch():
    code = ("import sys; from explorer.onnx_models import load_onnx; m = load_onnx('cvae-2'); "
            "m.decode([[0.0, 0.0]], 3); import explorer; "
            "print(sorted(k for k in sys.modules if k == 'torch' or k.startswith('torch.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_the_package_still_offers_load_pretrained():
    code = "from explorer import load_pretrained, list_pretrained; print(len(list_pretrained()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert int(out.stdout) >= 11


@pytest.mark.parametrize("name", ["super_resolution-x2", "super_resolution-x4"])
def test_onnx_super_resolution_takes_the_same_low_res_input(name):
    ref, model = load_pretrained(name), load_onnx(name)
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    assert model.factor == ref.config.factor
    np.testing.assert_allclose(model.downsample(x.numpy()), ref.downsample(x).numpy(), atol=1e-6)


def test_batched_calls_equal_one_call_and_sparsity_equals_evaluate():
    from explorer.data import load_arrays, load_split
    from explorer.evaluate import sparsity
    from explorer.metrics import code_sparsity

    arrays, split = load_arrays("mnist", train=False), load_split("mnist", train=False)
    np.testing.assert_array_equal(arrays.images, split.images.numpy())
    np.testing.assert_array_equal(arrays.labels, split.labels.numpy())
    np.testing.assert_array_equal(arrays.float_images(), split.floats.numpy())
    model = load_onnx("cvae-2")
    x, y = arrays.float_images(slice(300)), arrays.labels[:300]
    np.testing.assert_array_equal(model.batched("encode", x, y, batch=128), model.encode(x, y))
    # The Models page's sparsity (ONNX codes, numpy) is the one evaluate measures with PyTorch.
    ours = code_sparsity(load_onnx("sparse_ae-32").batched("encode", x))
    theirs = sparsity(load_pretrained("sparse_ae-32"), split.floats[:300])
    assert ours == pytest.approx(theirs, abs=1e-5)
    assert 0 < ours["near_zero_fraction"] < 1
