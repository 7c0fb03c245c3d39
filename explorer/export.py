"""ONNX beside each release's safetensors, so the app (onnxruntime) and the browser
(ONNX Runtime Web) run the models without PyTorch.

    python -m explorer.export                  # every shipped model of pretrained/mnist/
    python -m explorer.export --check          # exit 1 if any export is missing or stale

Per release folder `pretrained/<dataset>/<name>/`:
- models with a code: `encoder.onnx` (image, and the digit for a conditional model, in;
  `mean` and `logvar` out for the VAEs, `code` for the others) and `decoder.onnx` (code, and
  the digit, in; image in [0, 1] out);
- image-to-image models (denoiser, super-resolution): `model.onnx`, the whole forward pass;
- the digit classifier (`pretrained/<dataset>/classifier/`, explorer/classifier.py):
  `classifier.onnx`, image in, the ten digits' `probabilities` out (`export_classifier`).

Everything is read from the model itself (`task`, `conditional`, `latent_dim`, the
presence of a `posterior`), not from its architecture, so retrained or resized models export
unchanged. Each file records in its metadata the sha256 of the `model.safetensors` it was
made from (`safetensors_sha256`): a test and `--check` catch an export older than its weights.

The export is deterministic (the TorchScript exporter, fixed opset, constant folding on the
CPU): the same weights give the same bytes, so the files are made at set-up (`make setup`)
and at train time instead of being stored in git a second time.

Beside the folders it writes `pretrained/<dataset>/releases.json`, the release list the app's
server reads without importing PyTorch (`explorer.shipped.load_catalog`), from `RELEASES`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from explorer.atomic import replace_atomically
from explorer.classifier import load_classifier
from explorer.models import MODELS, Autoencoder
from explorer.pretrained import PRETRAINED_ROOT, list_pretrained, load_model
from explorer.releases import RELEASES
from explorer.shipped import CATALOG_FILE, catalog_path, classifier_dir

OPSET = 17  # ONNX Runtime Web 1.30 and onnxruntime 1.32 both run it fully
SHA_KEY = "safetensors_sha256"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def is_variational(model: Autoencoder) -> bool:
    """VAEs expose their posterior; their encoder exports its mean and log-variance."""
    return hasattr(model, "posterior")


class _Encoder(nn.Module):
    def __init__(self, model: Autoencoder):
        super().__init__()
        self.model = model

    def forward(self, image, digit=None):  # (N, 1, 28, 28), (N,) int64
        if is_variational(self.model):
            q = self.model.posterior(image, digit)
            return q.mean, q.logvar  # (N, d), (N, d); logvar clamped as DiagonalGaussian does
        return self.model.encode(image, digit)  # (N, d)


class _Decoder(nn.Module):
    def __init__(self, model: Autoencoder):
        super().__init__()
        self.model = model

    def forward(self, code, digit=None):  # (N, d), (N,) int64
        return self.model.decode(code, digit)  # (N, 1, 28, 28) in [0, 1]


class _Forward(nn.Module):
    def __init__(self, model: Autoencoder):
        super().__init__()
        self.model = model

    def forward(self, image):  # denoiser (N, 1, 28, 28); super-resolution (N, 1, 28/f, 28/f)
        return self.model.reconstruct(image)  # (N, 1, 28, 28) in [0, 1]


class _Probabilities(nn.Module):
    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier

    def forward(self, image):  # (N, 1, 28, 28) in [0, 1]
        return torch.softmax(self.classifier(image), dim=1)  # (N, 10): the app wants confidence, not logits


CLASSIFIER_ONNX = "classifier.onnx"


def input_side(model: Autoencoder) -> int:
    """Side of the image the model's forward pass takes: low-res for super-resolution."""
    return 28 // getattr(model.config, "factor", 1)


def graphs(model: Autoencoder) -> dict[str, tuple[nn.Module, dict[str, torch.Tensor], list[str]]]:
    """File name -> (module, named example inputs, output names)."""
    digit = {"digit": torch.zeros(2, dtype=torch.int64)} if model.conditional else {}
    if model.task != "latent":
        return {"model.onnx": (_Forward(model), {"image": torch.rand(2, 1, input_side(model), input_side(model))},
                               ["image_out"])}
    code_out = ["mean", "logvar"] if is_variational(model) else ["code"]
    return {
        "encoder.onnx": (_Encoder(model), {"image": torch.rand(2, 1, 28, 28), **digit}, code_out),
        "decoder.onnx": (_Decoder(model), {"code": torch.zeros(2, model.latent_dim), **digit}, ["image"]),
    }


def onnx_files(model: Autoencoder) -> list[str]:
    return ["encoder.onnx", "decoder.onnx"] if model.task == "latent" else ["model.onnx"]


def _export_one(module: nn.Module, inputs: dict, outputs: list[str], path: Path, metadata: dict[str, str]) -> None:
    import onnx

    names = list(inputs)
    tmp = Path(tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)[1])
    try:
        with warnings.catch_warnings():
            # The TorchScript exporter is deprecated in favour of dynamo, which is slower and
            # not byte-for-byte reproducible; this one is, and covers every op we use.
            warnings.simplefilter("ignore")
            torch.onnx.export(module, tuple(inputs.values()), str(tmp), dynamo=False, opset_version=OPSET,
                              input_names=names, output_names=outputs, do_constant_folding=True,
                              dynamic_axes={n: {0: "batch"} for n in names + outputs})
        proto = onnx.load(str(tmp))
        for key, value in sorted(metadata.items()):
            proto.metadata_props.add(key=key, value=value)
        onnx.save(proto, str(tmp))
        tmp.chmod(0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def catalog() -> dict:
    """What the app needs of `RELEASES` and `MODELS`, as `explorer.shipped.load_catalog` returns it."""
    return {"releases": [{"name": name, "label": r.label, "task": r.task, "latent_dim": r.latent_dim, "picker": r.picker}
                         for name, r in RELEASES.items()],
            "tasks": {family: cls.task for family, cls in MODELS.items()}}


def write_catalog(dataset_folder: Path) -> Path:
    path = Path(dataset_folder) / CATALOG_FILE
    text = json.dumps(catalog(), indent=1) + "\n"
    if not path.is_file() or path.read_text() != text:  # unchanged: no write, no new mtime
        with replace_atomically(path) as tmp:
            Path(tmp).write_text(text)
    return path


def export_release(folder: Path) -> list[Path]:
    """Write the ONNX files of one release folder (see the module docstring); returns their paths.

    train_all.py calls it right after `save_pretrained`; `python -m explorer.export` calls it
    for every shipped model."""
    folder = Path(folder)
    model = load_model(folder)
    config = json.loads((folder / "config.json").read_text())
    metadata = {
        SHA_KEY: sha256(folder / "model.safetensors"),
        "name": folder.name,
        "family": config["family"],
        "latent_dim": str(model.latent_dim or 0),
        "conditional": str(bool(model.conditional)).lower(),
        "variational": str(is_variational(model)).lower(),
        "num_classes": str(getattr(model.config, "num_classes", 0)),
    }
    written = []
    with torch.no_grad():
        for filename, (module, inputs, outputs) in graphs(model).items():
            _export_one(module.eval(), inputs, outputs, folder / filename, metadata)
            written.append(folder / filename)
    write_catalog(folder.parent)
    return written


def export_classifier(folder: Path) -> Path:
    """Write `classifier.onnx` into the classifier's folder; train_all.py calls it after saving."""
    folder = Path(folder)
    metadata = {SHA_KEY: sha256(folder / "model.safetensors"), "name": folder.name, "family": "classifier"}
    with torch.no_grad():
        _export_one(_Probabilities(load_classifier(folder)).eval(), {"image": torch.rand(2, 1, 28, 28)},
                    ["probabilities"], folder / CLASSIFIER_ONNX, metadata)
    return folder / CLASSIFIER_ONNX


def stale_files(folder: Path) -> list[str]:
    """The ONNX files of a release (or the classifier's) folder that are missing or were made from other weights."""
    import onnx

    folder = Path(folder)
    expected = sha256(folder / "model.safetensors")
    is_classifier = folder.name == classifier_dir().name
    bad = []
    for filename in [CLASSIFIER_ONNX] if is_classifier else onnx_files(load_model(folder)):
        path = folder / filename
        if not path.is_file():
            bad.append(f"{path} is missing")
            continue
        props = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
        if props.get(SHA_KEY) != expected:
            bad.append(f"{path} was made from other weights than {folder / 'model.safetensors'}")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--root", type=Path, default=PRETRAINED_ROOT, help="folder holding <dataset>/<name>/")
    parser.add_argument("--models", nargs="+", help="only these (default: every shipped model)")
    parser.add_argument("--check", action="store_true", help="only check that every export is present and current")
    args = parser.parse_args(argv)
    names = args.models or list_pretrained(args.dataset, args.root)
    if not names:
        print(f"no models in {args.root / args.dataset}", file=sys.stderr)
        return 1
    torch.manual_seed(0)
    problems = []
    if args.check:
        path = catalog_path(args.dataset, args.root)
        if not path.is_file() or json.loads(path.read_text()) != catalog():
            problems.append(f"{path} is missing or does not list explorer.releases.RELEASES")
    else:
        print(f"release list: {write_catalog(args.root / args.dataset)}")
    for name in names:
        folder = args.root / args.dataset / name
        if args.check:
            problems += stale_files(folder)
        elif not stale_files(folder):
            print(f"{name}: up to date")
        else:
            paths = export_release(folder)
            print(f"{name}: wrote {', '.join(p.name for p in paths)}")
    classifier = classifier_dir(args.dataset, args.root)
    if not args.models and (classifier / "model.safetensors").is_file():
        if args.check:
            problems += stale_files(classifier)
        elif not stale_files(classifier):
            print("classifier: up to date")
        else:
            print(f"classifier: wrote {export_classifier(classifier).name}")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print("Rebuild them with: python -m explorer.export", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
