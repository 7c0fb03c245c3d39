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
from explorer.baselines import PCABaseline, gaussian_blur, median_filter, upscale
from explorer.data import Split, batched, load_split
from explorer.models import VAE, Autoencoder, SuperResolution, Task, bce_per_image
from explorer.pretrained import PRETRAINED_ROOT, SHIPPED_PCA_COMPONENTS, WeightsError, list_pretrained, load_model

DENOISE_SIGMAS = (0.1, 0.3, 0.5)
DENOISE_PCA_COMPONENTS = 32  # PCA denoising: project the noisy image onto 32 components
NOISE_SEED = 1234  # the same noise for every model and baseline
# The one figure a card leads with and the tests reproduce; a VAE leads with its -ELBO.
HEADLINE: dict[Task, str] = {"latent": "mse", "denoise": "psnr_sigma_0.5", "super_resolution": "psnr"}


def fit_pca(train: Split) -> PCABaseline:
    """PCA fit once with every component a comparison needs; each takes the leading ones."""
    return PCABaseline.fit(SHIPPED_PCA_COMPONENTS, train.floats)


def headline_metric(model: Autoencoder) -> str:
    return "neg_elbo" if isinstance(model, VAE) else HEADLINE[model.task]


def latent_metrics(model: Autoencoder, train: Split, test: Split, pca: PCABaseline) -> dict:
    """Reconstruction and k-NN accuracy of the codes, beside PCA with as many components."""
    train_y, test_y = (train.labels, test.labels) if model.conditional else (None, None)
    test_x, train_x = test.floats, train.floats
    recon = batched(model.reconstruct, test_x, test_y)
    codes_test, codes_train = batched(model.encode, test_x, test_y), batched(model.encode, train_x, train_y)
    out = {
        "mse": metrics.mse(recon, test_x),
        "psnr": metrics.psnr(recon, test_x),
        "knn_accuracy": metrics.knn_accuracy(codes_train, train.labels, codes_test, test.labels),
    }
    pca = pca.first(model.latent_dim)
    pca_recon = pca.reconstruct(test_x)
    out["pca"] = {
        "components": model.latent_dim,
        "mse": metrics.mse(pca_recon, test_x),
        "psnr": metrics.psnr(pca_recon, test_x),
        "knn_accuracy": metrics.knn_accuracy(pca.encode(train_x), train.labels, pca.encode(test_x), test.labels),
    }
    if isinstance(model, VAE):
        out.update(negative_elbo(model, test_x, test.labels))
    return out


@torch.inference_mode()
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


def sparsity(model: Autoencoder, images: torch.Tensor, labels: torch.Tensor | None = None,
             near_zero: float = 0.1) -> dict:
    """How sparse a model's codes are on `images`: the mean code activation (the Keras blog's
    figure: 3.33 for its sparse AE against 7.30 for the plain one) and the fraction of code
    units whose magnitude is below `near_zero`, the units an L1 penalty switches off."""
    if len(images) == 0:
        raise ValueError("sparsity needs at least one image")
    codes = batched(model.encode, images, labels if model.conditional else None)
    return metrics.code_sparsity(codes.float().numpy(), near_zero)


def denoising_metrics(model: Autoencoder, train: Split, test: Split, pca: PCABaseline) -> dict:
    test_x, out = test.floats, {}
    pca = pca.first(DENOISE_PCA_COMPONENTS)
    for sigma in DENOISE_SIGMAS:
        noisy = noise.corrupt(test_x, "gaussian", sigma, seed=NOISE_SEED)
        denoised = batched(model.reconstruct, noisy)
        candidates = {
            "model": denoised,
            "noisy": noisy,
            "median3": median_filter(noisy),
            "gaussian_blur": gaussian_blur(noisy, sigma=1.0),
            "pca": pca.reconstruct(noisy),
        }
        out[f"sigma_{sigma}"] = {
            k: {"psnr": metrics.psnr(v, test_x), "ssim": metrics.ssim(v, test_x)} for k, v in candidates.items()
        }
        out[f"psnr_sigma_{sigma}"] = out[f"sigma_{sigma}"]["model"]["psnr"]
    return out


def super_resolution_metrics(model: SuperResolution, train: Split, test: Split, pca: PCABaseline) -> dict:
    test_x = test.floats
    low = model.downsample(test_x)
    out = batched(model.reconstruct, low)
    result = {"factor": model.config.factor, "psnr": metrics.psnr(out, test_x), "ssim": metrics.ssim(out, test_x)}
    for mode in ("nearest", "bilinear", "bicubic"):
        up = upscale(low, 28, mode)
        result[mode] = {"psnr": metrics.psnr(up, test_x), "ssim": metrics.ssim(up, test_x)}
    return result


EVALUATORS = {"latent": latent_metrics, "denoise": denoising_metrics, "super_resolution": super_resolution_metrics}


def evaluate_model(model: Autoencoder, train: Split, test: Split, pca: PCABaseline | None = None) -> dict:
    """All figures for one model, on CPU tensors of the given splits. Pass `pca` (from
    `fit_pca(train)`) when evaluating several models, so it is fit once."""
    model = model.cpu().eval()
    result = {"task": model.task, **EVALUATORS[model.task](model, train, test, pca or fit_pca(train))}
    key = headline_metric(model)
    result["headline"] = {"metric": key, "value": result[key]}
    return result


def headline_only(model: Autoencoder, test: Split) -> float:
    """Just the headline figure, measured the same way as in `evaluate_model` (fast)."""
    model = model.cpu().eval()
    x, y = test.floats, test.labels
    if isinstance(model, VAE):
        return negative_elbo(model, x, y)["neg_elbo"]
    inputs = {
        "latent": lambda: x,
        "denoise": lambda: noise.corrupt(x, "gaussian", 0.5, seed=NOISE_SEED),
        "super_resolution": lambda: model.downsample(x),
    }[model.task]()
    recon = batched(model.reconstruct, inputs, y if model.conditional else None)
    return metrics.mse(recon, x) if model.task == "latent" else metrics.psnr(recon, x)


def latent_summary(m: dict) -> str:
    extra = f"  -ELBO {m['neg_elbo']:.1f} nats" if "neg_elbo" in m else ""
    return (f"MSE {m['mse']:.4f} (PCA {m['pca']['mse']:.4f})  PSNR {m['psnr']:.2f} dB "
            f"(PCA {m['pca']['psnr']:.2f})  kNN {m['knn_accuracy']:.3f} (PCA {m['pca']['knn_accuracy']:.3f}){extra}")


def denoise_summary(m: dict) -> str:
    return "; ".join(f"s={sigma}: {s['model']['psnr']:.2f} dB (noisy {s['noisy']['psnr']:.2f}, "
                     f"median {s['median3']['psnr']:.2f}, PCA {s['pca']['psnr']:.2f})"
                     for sigma, s in ((sigma, m[f"sigma_{sigma}"]) for sigma in DENOISE_SIGMAS))


def super_resolution_summary(m: dict) -> str:
    return (f"PSNR {m['psnr']:.2f} dB (bicubic {m['bicubic']['psnr']:.2f})  "
            f"SSIM {m['ssim']:.3f} (bicubic {m['bicubic']['ssim']:.3f})")


SUMMARIES = {"latent": latent_summary, "denoise": denoise_summary, "super_resolution": super_resolution_summary}


def summary_row(name: str, m: dict) -> str:
    return f"{name:22s} " + SUMMARIES[m["task"]](m)


def markdown_rows(name: str, m: dict) -> list[str]:
    """The README's results rows of one model (the denoiser has one per noise level)."""
    if m["task"] == "latent":
        p = m["pca"]
        elbo = f"; -ELBO {m['neg_elbo']:.1f} nats" if "neg_elbo" in m else ""
        return [f"| `{name}` | MSE {m['mse']:.4f}, k-NN {m['knn_accuracy']:.3f}{elbo} | "
                f"PCA-{p['components']}: MSE {p['mse']:.4f}, k-NN {p['knn_accuracy']:.3f} |"]
    if m["task"] == "super_resolution":
        return [f"| `{name}` | PSNR {m['psnr']:.2f} dB, SSIM {m['ssim']:.3f} | "
                f"bicubic: {m['bicubic']['psnr']:.2f} dB, SSIM {m['bicubic']['ssim']:.3f} |"]
    return [f"| `{name}` sigma {sigma} | PSNR {s['model']['psnr']:.2f} dB | noisy {s['noisy']['psnr']:.2f}, "
            f"3x3 median {s['median3']['psnr']:.2f}, PCA-32 {s['pca']['psnr']:.2f} dB |"
            for sigma, s in ((sigma, m[f"sigma_{sigma}"]) for sigma in DENOISE_SIGMAS)]


def markdown_table(results: dict) -> str:
    """The README's results table, from the same figures."""
    rows = ["| model | figure on the 10,000 MNIST test images | baseline |", "|---|---|---|"]
    for name, m in results.items():
        rows += markdown_rows(name, m)
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
    pca = fit_pca(train)
    results, failures = {}, 0
    for name in names:
        try:
            model = load_model(args.weights / "mnist" / name)
        except WeightsError as exc:
            print(f"{name:22s} SKIPPED: {exc}", file=sys.stderr)
            failures += 1
            continue
        results[name] = evaluate_model(model, train, test, pca)
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
