"""What a release folder holds, read without PyTorch: model cards, the PCA fit and the list
of releases. The app's server reads these (`explorer.pretrained` re-exports them and adds
the PyTorch side: saving and loading the models themselves).

`pretrained/<dataset>/releases.json` lists the releases the way `explorer.releases` declares
them (order, label, task, code size, whether model pickers list it), because importing
`explorer.releases` imports the models, and so PyTorch. `explorer.export` writes it beside
the ONNX files, from `RELEASES`; tests/test_export.py checks that it is current.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file as load_numpy

from explorer.baselines import PCABaseline

# EXPLORER_PRETRAINED points the app and tools at another release folder (tests use it).
PRETRAINED_ROOT = Path(os.environ.get("EXPLORER_PRETRAINED", Path(__file__).resolve().parent.parent / "pretrained"))
SHIPPED_PCA_COMPONENTS = 64  # the largest PCA any page or card compares with
CATALOG_FILE = "releases.json"
# The digit classifier's folder beside the autoencoders (`explorer/classifier.py`): shipped
# with them, but not a release of `RELEASES`, so the model lists leave it out.
CLASSIFIER = "classifier"
EXPORT_COMMAND = "python -m explorer.export"


class WeightsError(RuntimeError):
    """A model's weights are missing or damaged; the message says how to rebuild them."""


def train_command(name: str, dataset: str = "mnist") -> str:
    extra = "" if dataset == "mnist" else f" --dataset {dataset}"
    return f"python train_all.py --models {name}{extra}"


def model_dir(name: str, dataset: str = "mnist", root: Path | None = None) -> Path:
    return Path(root or PRETRAINED_ROOT) / dataset / name


def read_card(name: str, dataset: str = "mnist", root: Path | None = None) -> dict:
    """The card as written; `load_card` also fills in the task of cards written before it was stored."""
    try:
        return json.loads((model_dir(name, dataset, root) / "card.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise WeightsError(f"No readable card for '{name}' ({exc}). Train it with: {train_command(name, dataset)}") from exc


def load_card(name: str, dataset: str = "mnist", root: Path | None = None) -> dict:
    card = read_card(name, dataset, root)
    try:
        # Cards written before the task was stored: the family's task, from the release list.
        if "task" not in card:
            card["task"] = load_catalog(dataset, root)["tasks"][card["family"]]
    except KeyError as exc:
        raise WeightsError(f"No task in the card of '{name}' ({exc}). Train it with: {train_command(name, dataset)}") from exc
    return card


def list_pretrained(dataset: str = "mnist", root: Path | None = None) -> list[str]:
    """Names of the shipped autoencoders for `dataset` (folders holding a config.json; not the classifier)."""
    base = Path(root or PRETRAINED_ROOT) / dataset
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir()
                  if (p / "config.json").is_file() and not p.name.startswith(".") and p.name != CLASSIFIER)


def classifier_dir(dataset: str = "mnist", root: Path | None = None) -> Path:
    return model_dir(CLASSIFIER, dataset, root)


def catalog_path(dataset: str = "mnist", root: Path | None = None) -> Path:
    return Path(root or PRETRAINED_ROOT) / dataset / CATALOG_FILE


def load_catalog(dataset: str = "mnist", root: Path | None = None) -> dict:
    """{"releases": [{"name", "label", "task", "latent_dim", "picker"}, ...] in release order,
    "tasks": {family: task}}. Without the file (not exported yet), the shipped folders in
    alphabetical order, labelled by name, from their cards."""
    path = catalog_path(dataset, root)
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        releases = []
        for name in list_pretrained(dataset, root):
            try:
                card = read_card(name, dataset, root)
            except WeightsError:
                continue
            releases.append({"name": name, "label": name, "task": card.get("task"),
                             "latent_dim": card.get("latent_dim"), "picker": "-beta" not in name})
        return {"releases": releases, "tasks": {}}


def pca_path(dataset: str = "mnist", root: Path | None = None) -> Path:
    return Path(root or PRETRAINED_ROOT) / dataset / "pca.safetensors"


def load_pca(dataset: str = "mnist", root: Path | None = None) -> PCABaseline:
    path = pca_path(dataset, root)
    if not path.is_file():
        raise WeightsError(f"No PCA baseline at {path}. Write it with: {train_command('pca', dataset)}")
    try:
        arrays = load_numpy(str(path))
        mean, components = arrays["mean"].astype(np.float32), arrays["components"].astype(np.float32)
        if mean.ndim != 1 or components.ndim != 2 or components.shape[1] != mean.shape[0]:
            raise ValueError(f"shapes mean {mean.shape}, components {components.shape} do not fit together")
    except Exception as exc:  # safetensors header, missing keys, wrong shapes
        raise WeightsError(
            f"The PCA baseline {path} is damaged ({type(exc).__name__}: {exc}). "
            f"Rewrite it with: {train_command('pca', dataset)}"
        ) from exc
    return PCABaseline(mean, components)
