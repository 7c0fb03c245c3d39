"""Release weights: `model.safetensors` + `config.json` + `card.json` per model folder.

Beside the models, `pretrained/<dataset>/pca.safetensors` holds the PCA baseline fit on
the training set, so the app can compare against PCA without loading 60,000 images.

The layout is `pretrained/<dataset>/<name>/`. `config.json` names the model family and its
config, and the model is rebuilt with `MODELS[family](Config(**config))` (the diffusers
`from_pretrained` pattern); weights are safetensors, so nothing is ever unpickled.
A folder is replaced as a whole: written beside the old one, then swapped in by rename,
so an interrupted write never leaves half a model and the last good weights stay.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import load_file, save_file

from explorer.atomic import replace_atomically
from explorer.baselines import PCABaseline
from explorer.models import MODELS, Autoencoder, build, family_of
from explorer.quantize import dequantize, stored_state
# The torch-free half (cards, the PCA fit, the release list), re-exported: the app imports it from there.
from explorer.shipped import (PRETRAINED_ROOT, SHIPPED_PCA_COMPONENTS, WeightsError, list_pretrained,  # noqa: F401
                              load_pca, model_dir, pca_path, read_card, train_command)

FILES = ("card.json", "config.json", "model.safetensors")


def save_pretrained(model: Autoencoder, folder: Path, card: dict, dtype: torch.dtype | None = None,
                    int8: bool = False) -> None:
    """Write the folder beside the old one and swap it in: the last good weights stay until then.
    `dtype` (e.g. torch.float16) stores floating tensors smaller; `int8` stores the large
    matrices as int8 rows (explorer/quantize.py) and the rest in float16. Loading casts back."""
    family = family_of(model)
    config = {"family": family, "config": asdict(model.config)}
    with replace_atomically(folder, folder=True) as tmp:
        # BatchNorm's running statistics stay float32 (`stored_state` says why).
        save_file(stored_state(model, dtype, int8), tmp / "model.safetensors", metadata={"family": family})
        (tmp / "model.safetensors").chmod(0o644)  # safetensors writes 0600; the app may run as another user
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        (tmp / "card.json").write_text(json.dumps(card, indent=2) + "\n")


def load_model(folder: Path, device: torch.device | str | None = None) -> Autoencoder:
    """Rebuild a model from a folder written by `save_pretrained`, in eval mode."""
    folder = Path(folder)
    name = folder.name
    if not (folder / "config.json").is_file() or not (folder / "model.safetensors").is_file():
        raise WeightsError(
            f"No weights for '{name}' in {folder}. Train them with: {train_command(name, folder.parent.name)}"
        )
    try:
        config = json.loads((folder / "config.json").read_text())
        model = build(config["family"], **config["config"])
        state = dequantize(load_file(folder / "model.safetensors"))
        model.load_state_dict(state)
    except Exception as exc:  # JSON, safetensors header, missing or mis-shaped tensors
        raise WeightsError(
            f"The weights of '{name}' in {folder} are damaged ({type(exc).__name__}: {exc}). "
            f"Retrain them with: {train_command(name, folder.parent.name)}"
        ) from exc
    return model.to(device or "cpu").eval()


def load_pretrained(name: str, dataset: str = "mnist", device: torch.device | str | None = None,
                    root: Path | None = None) -> Autoencoder:
    """A shipped model in eval mode: `encode`, `decode` and `reconstruct` on (N, 1, H, W) in [0, 1]."""
    return load_model(model_dir(name, dataset, root), device)


def load_card(name: str, dataset: str = "mnist", root: Path | None = None) -> dict:
    card = read_card(name, dataset, root)
    try:
        # Cards written before the task was stored: the family's class declares it.
        card.setdefault("task", MODELS[card["family"]].task)
    except KeyError as exc:
        raise WeightsError(f"No readable card for '{name}' ({exc}). Train it with: {train_command(name, dataset)}") from exc
    return card


def save_pca(pca: PCABaseline, path: Path) -> None:
    # safetensors writes the raw buffer: it must be C-ordered, or the file holds a transpose
    # (scikit-learn's covariance_eigh hands back Fortran-ordered components).
    arrays = {"mean": pca.mean, "components": pca.components}
    with replace_atomically(path) as tmp:
        save_numpy({k: np.ascontiguousarray(v, np.float32) for k, v in arrays.items()}, str(tmp))
