"""AE against PCA across latent sizes: the convolutional AE trained at each d, PCA with d
components, on the MNIST test set: per-pixel MSE, PSNR and k-NN (k=5) accuracy of the codes."""

from __future__ import annotations

from dataclasses import replace

import torch

from explorer.data import Split
from explorer.evaluate import fit_pca, latent_metrics
from explorer.models import build
from explorer.releases import RELEASES
from explorer.train import fit

SIZES = (2, 4, 8, 16, 32, 64)


def run(train: Split, test: Split, device: torch.device, epochs: int, sizes=SIZES, progress=True) -> dict:
    rows, pca = [], fit_pca(train)
    for d in sizes:
        torch.manual_seed(0)
        model = build("conv_ae", **{**RELEASES["conv_ae-32"].config, "latent_dim": d})
        # The shipped conv_ae-32's architecture and recipe (batch, learning rate), for `epochs` epochs.
        config = replace(RELEASES["conv_ae-32"].train, epochs=epochs)
        result = fit(model, train, config, device, desc=f"conv_ae d={d}", progress=progress)
        m = latent_metrics(model.cpu().eval(), train, test, pca)
        rows.append({
            "latent_dim": d,
            "ae_mse": m["mse"], "ae_psnr": m["psnr"], "ae_knn": m["knn_accuracy"],
            "pca_mse": m["pca"]["mse"], "pca_psnr": m["pca"]["psnr"], "pca_knn": m["pca"]["knn_accuracy"],
            "train_seconds": result.seconds,
        })
    return {"epochs": epochs, "rows": rows}


def plot(result: dict, path) -> None:
    """MSE against latent size, both axes logarithmic, as a PNG for docs/."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    sizes = [r["latent_dim"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    ax.plot(sizes, [r["pca_mse"] for r in rows], "o-", label="PCA")
    ax.plot(sizes, [r["ae_mse"] for r in rows], "o-", label=f"convolutional AE ({result['epochs']} epochs)")
    ax.set(xscale="log", yscale="log", xlabel="latent size d", ylabel="test MSE per pixel",
           title="MNIST reconstruction error against latent size")
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
