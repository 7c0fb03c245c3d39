"""Measure every shipped model on the 10,000 MNIST test images, beside its baselines.

    python -m explorer.evaluate                      # all shipped models, table + JSON
    python -m explorer.evaluate --models conv_ae-32  # some of them

Reconstruction MSE/PSNR and k-NN (k=5) accuracy of the codes, with PCA at the same latent
size beside each; denoising PSNR/SSIM at Gaussian sigma 0.1/0.3/0.5 beside the noisy
input, a 3x3 median filter and PCA; super-resolution PSNR/SSIM beside bicubic; negative
ELBO of each VAE. `train_all.py` writes the same figures into each model card.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from explorer import metrics, noise
from explorer.data import Split, load_split
from explorer.models import VAE, Autoencoder, DenoisingAE, SuperResolution, bce_per_image
from explorer.pretrained import PRETRAINED_ROOT, WeightsError, list_pretrained, load_model

DENOISE_SIGMAS = (0.1, 0.3, 0.5)
DENOISE_PCA_COMPONENTS = 32  # PCA denoising: project the noisy image onto 32 components
NOISE_SEED = 1234  # the same noise for every model and baseline


@torch.no_grad()
def batched(fn, x: torch.Tensor, y: torch.Tensor | None = None, batch: int = 1000) -> torch.Tensor:
    outs = []
    for i in range(0, len(x), batch):
        args = (x[i:i + batch],) if y is None else (x[i:i + batch], y[i:i + batch])
        outs.append(fn(*args).cpu())
    return torch.cat(outs)


_PCA_CACHE: dict[tuple[int, int], metrics.PCABaseline] = {}


def pca_baseline(n_components: int, train_images: torch.Tensor) -> metrics.PCABaseline:
    """PCA fit once per process, size and training set (a fit on 60,000 images takes seconds)."""
    key = (n_components, id(train_images))
    if key not in _PCA_CACHE:
        _PCA_CACHE[key] = metrics.PCABaseline.fit(n_components, train_images)
    return _PCA_CACHE[key]


def headline_metric(model: Autoencoder) -> str:
    """The one figure a card leads with and the tests reproduce."""
    if isinstance(model, DenoisingAE):
        return "psnr_sigma_0.5"
    if isinstance(model, SuperResolution):
        return "psnr"
    if isinstance(model, VAE):
        return "neg_elbo"
    return "mse"


def latent_metrics(model, train_x, train_y, test_x, test_y) -> dict:
    kwargs = {"y": test_y} if model.conditional else {}
    recon = batched(model.reconstruct, test_x, **kwargs)
    codes_test = batched(model.encode, test_x, **kwargs)
    codes_train = batched(model.encode, train_x, **({"y": train_y} if model.conditional else {}))
    out = {
        "mse": metrics.mse(recon, test_x),
        "psnr": metrics.psnr(recon, test_x),
        "knn_accuracy": metrics.knn_accuracy(codes_train, train_y, codes_test, test_y),
    }
    pca = pca_baseline(model.latent_dim, train_x)
    pca_recon = pca.reconstruct(test_x)
    out["pca"] = {
        "components": model.latent_dim,
        "mse": metrics.mse(pca_recon, test_x),
        "psnr": metrics.psnr(pca_recon, test_x),
        "knn_accuracy": metrics.knn_accuracy(pca.encode(train_x), train_y, pca.encode(test_x), test_y),
    }
    if isinstance(model, VAE):
        out.update(negative_elbo(model, test_x, test_y))
    return out


@torch.no_grad()
def negative_elbo(model: VAE, x: torch.Tensor, y: torch.Tensor, seed: int = 0) -> dict:
    """-ELBO in nats per image, one posterior sample per image (seeded, so reproducible)."""
    torch.manual_seed(seed)
    rec_total, kl_total = 0.0, 0.0
    for i in range(0, len(x), 1000):
        xb, yb = x[i:i + 1000], y[i:i + 1000]
        q = model.posterior(xb, yb)
        logits = model.decode_logits(q.sample(), yb)
        rec_total += bce_per_image(logits, xb).sum().item()
        kl_total += q.kl().sum().item()
    n = len(x)
    return {"neg_elbo": (rec_total + kl_total) / n, "reconstruction_nll": rec_total / n, "kl": kl_total / n}


def denoising_metrics(model, train_x, test_x) -> dict:
    out = {}
    pca = pca_baseline(DENOISE_PCA_COMPONENTS, train_x)
    for sigma in DENOISE_SIGMAS:
        noisy = noise.corrupt(test_x, "gaussian", sigma, seed=NOISE_SEED)
        denoised = batched(model.reconstruct, noisy)
        candidates = {
            "model": denoised,
            "noisy": noisy,
            "median3": metrics.median_filter(noisy),
            "gaussian_blur": metrics.gaussian_blur(noisy, sigma=1.0),
            "pca": pca.reconstruct(noisy),
        }
        out[f"sigma_{sigma}"] = {
            k: {"psnr": metrics.psnr(v, test_x), "ssim": metrics.ssim(v, test_x)} for k, v in candidates.items()
        }
        out[f"psnr_sigma_{sigma}"] = out[f"sigma_{sigma}"]["model"]["psnr"]
    return out


def super_resolution_metrics(model: SuperResolution, test_x) -> dict:
    low = model.downsample(test_x)
    out = batched(model.reconstruct, low)
    result = {"factor": model.config.factor, "psnr": metrics.psnr(out, test_x), "ssim": metrics.ssim(out, test_x)}
    for mode in ("nearest", "bilinear", "bicubic"):
        up = metrics.upscale(low, 28, mode)
        result[mode] = {"psnr": metrics.psnr(up, test_x), "ssim": metrics.ssim(up, test_x)}
    return result


def evaluate_model(model: Autoencoder, train: Split, test: Split) -> dict:
    """All figures for one model, on CPU tensors of the given splits."""
    model = model.cpu().eval()
    train_x, test_x = train.floats, test.floats
    if isinstance(model, DenoisingAE):
        result = denoising_metrics(model, train_x, test_x)
    elif isinstance(model, SuperResolution):
        result = super_resolution_metrics(model, test_x)
    else:
        result = latent_metrics(model, train_x, train.labels, test_x, test.labels)
    key = headline_metric(model)
    result["headline"] = {"metric": key, "value": result[key]}
    return result


def headline_only(model: Autoencoder, test: Split) -> float:
    """Just the headline figure, measured the same way as in `evaluate_model` (fast)."""
    model = model.cpu().eval()
    x, y = test.floats, test.labels
    key = headline_metric(model)
    if key == "neg_elbo":
        return negative_elbo(model, x, y)["neg_elbo"]
    if key == "psnr_sigma_0.5":
        return metrics.psnr(batched(model.reconstruct, noise.corrupt(x, "gaussian", 0.5, seed=NOISE_SEED)), x)
    if key == "psnr":
        return metrics.psnr(batched(model.reconstruct, model.downsample(x)), x)
    kwargs = {"y": y} if model.conditional else {}
    return metrics.mse(batched(model.reconstruct, x, **kwargs), x)


def summary_row(name: str, m: dict) -> str:
    if "pca" in m:
        extra = f"  -ELBO {m['neg_elbo']:.1f} nats" if "neg_elbo" in m else ""
        return (f"{name:22s} MSE {m['mse']:.4f} (PCA {m['pca']['mse']:.4f})  PSNR {m['psnr']:.2f} dB "
                f"(PCA {m['pca']['psnr']:.2f})  kNN {m['knn_accuracy']:.3f} (PCA {m['pca']['knn_accuracy']:.3f}){extra}")
    if "bicubic" in m:
        return f"{name:22s} PSNR {m['psnr']:.2f} dB (bicubic {m['bicubic']['psnr']:.2f})  SSIM {m['ssim']:.3f} (bicubic {m['bicubic']['ssim']:.3f})"
    parts = []
    for sigma in DENOISE_SIGMAS:
        s = m[f"sigma_{sigma}"]
        parts.append(f"s={sigma}: {s['model']['psnr']:.2f} dB (noisy {s['noisy']['psnr']:.2f}, "
                     f"median {s['median3']['psnr']:.2f}, PCA {s['pca']['psnr']:.2f})")
    return f"{name:22s} " + "; ".join(parts)


def markdown_table(results: dict) -> str:
    """The README's results table, from the same figures."""
    rows = ["| model | figure on the 10,000 MNIST test images | baseline |", "|---|---|---|"]
    for name, m in results.items():
        if "pca" in m:
            p = m["pca"]
            elbo = f"; -ELBO {m['neg_elbo']:.1f} nats" if "neg_elbo" in m else ""
            rows.append(f"| `{name}` | MSE {m['mse']:.4f}, k-NN {m['knn_accuracy']:.3f}{elbo} | "
                        f"PCA-{p['components']}: MSE {p['mse']:.4f}, k-NN {p['knn_accuracy']:.3f} |")
        elif "bicubic" in m:
            rows.append(f"| `{name}` | PSNR {m['psnr']:.2f} dB, SSIM {m['ssim']:.3f} | "
                        f"bicubic: {m['bicubic']['psnr']:.2f} dB, SSIM {m['bicubic']['ssim']:.3f} |")
        else:
            for sigma in DENOISE_SIGMAS:
                s = m[f"sigma_{sigma}"]
                rows.append(f"| `{name}` sigma {sigma} | PSNR {s['model']['psnr']:.2f} dB | noisy {s['noisy']['psnr']:.2f}, "
                            f"3x3 median {s['median3']['psnr']:.2f}, PCA-32 {s['pca']['psnr']:.2f} dB |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", help="names under pretrained/mnist (default: all)")
    parser.add_argument("--weights", type=Path, default=PRETRAINED_ROOT, help="pretrained root folder")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--markdown", action="store_true", help="also print the README's results table")
    parser.add_argument("--json", type=Path, default=None, help="where to write the figures (default: <weights>/mnist/evaluation.json)")
    args = parser.parse_args(argv)

    names = args.models or list_pretrained("mnist", args.weights)
    if not names:
        print(f"No shipped models under {args.weights}/mnist. Train them with: python train_all.py", file=sys.stderr)
        return 1
    train, test = load_split("mnist", True, args.data_dir), load_split("mnist", False, args.data_dir)
    results, failures = {}, 0
    for name in names:
        try:
            model = load_model(args.weights / "mnist" / name)
        except WeightsError as exc:
            print(f"{name:22s} SKIPPED: {exc}", file=sys.stderr)
            failures += 1
            continue
        results[name] = evaluate_model(model, train, test)
        print(summary_row(name, results[name]), flush=True)
    out = args.json or args.weights / "mnist" / "evaluation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}")
    if args.markdown:
        print("\n" + markdown_table(results))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
