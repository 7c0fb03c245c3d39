"""The beta trade-off: one 2-D VAE trained at nine weights of its KL term.

    loss = reconstruction NLL + beta * KL(q(z|x) || N(0, I))      (Higgins et al. 2017)

Small beta lets the codes spread out like a plain autoencoder's (sharp reconstructions, a
plane with gaps the prior never samples); large beta pulls every posterior onto the prior
until the code carries almost nothing about the digit (posterior collapse: every decode
blurs toward an average digit). The releases are `vae-2-beta<beta>`, trained by
`python train_all.py --models vae-2-beta0.1 ...`; their cards hold every figure used here.
"""

from __future__ import annotations

from pathlib import Path

BETAS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
BETA_HIDDEN = 48  # vae-2 has 512; 48 keeps the nine releases in 1.4 MB of the 12 MB weight budget
# Below this many nats of KL per image the code holds less than 2 bits about the digit:
# the posterior has (nearly) collapsed onto the prior.
COLLAPSE_KL_NATS = 1.5
# Below this the code says next to nothing (0.1 nats is 0.14 bits): every decode is the same digit.
FULL_COLLAPSE_KL_NATS = 0.1


def beta_release(beta: float) -> str:
    return f"vae-2-beta{beta:g}"


def figures(card: dict) -> dict:
    """The four figures the page and the report show, from a model card."""
    m = card["metrics"]
    return {"beta": card_beta(card), "reconstruction_nll": m["reconstruction_nll"], "kl": m["kl"],
            "neg_elbo": m["neg_elbo"], "mse": m["mse"], "knn_accuracy": m["knn_accuracy"]}


def card_beta(card: dict) -> float:
    return float(card["name"].rsplit("beta", 1)[1])


def collapsed(row: dict) -> bool:
    return row["kl"] < COLLAPSE_KL_NATS


def fully_collapsed(row: dict) -> bool:
    return row["kl"] < FULL_COLLAPSE_KL_NATS


def what_changed(row: dict, ref: dict) -> dict[str, str]:
    """One sentence per figure on how `row` differs from `ref` (beta = 1), for the page."""
    if row["beta"] == ref["beta"]:
        return {
            "reconstruction_nll": "The plain VAE: reconstruction and KL weighted equally.",
            "kl": "Nats the code carries about each digit beyond the prior N(0, I).",
            "mse": "Squared error per pixel of the decoded posterior mean.",
            "knn_accuracy": "How often a digit's 5 nearest training codes name it correctly.",
        }
    up = row["beta"] > ref["beta"]
    d_rec, d_kl = row["reconstruction_nll"] - ref["reconstruction_nll"], row["kl"] - ref["kl"]
    return {
        "reconstruction_nll": (f"{abs(d_rec):.1f} nats {'worse' if d_rec > 0 else 'better'} than at beta 1: "
                               + ("the decoder is told less about each digit." if up
                                  else "the code may hold more detail, so decodes are sharper.")),
        "kl": (f"{abs(d_kl):.1f} nats {'more' if d_kl > 0 else 'less'} than at beta 1: "
               + ("every code is pulled toward the prior's centre." if up
                  else "the codes are free to spread far from the prior.")),
        "mse": (f"{'Up' if row['mse'] > ref['mse'] else 'Down'} from {ref['mse']:.4f} at beta 1: "
                + ("blurrier decodes." if row["mse"] > ref["mse"] else "closer to the input.")),
        "knn_accuracy": (f"{'Down' if row['knn_accuracy'] < ref['knn_accuracy'] else 'Up'} from "
                         f"{ref['knn_accuracy']:.3f} at beta 1: digits are "
                         + ("harder to tell apart from the code." if row["knn_accuracy"] < ref["knn_accuracy"]
                            else "easier to tell apart from the code.")),
    }


def markdown_table(rows: list[dict]) -> str:
    lines = ["| beta | reconstruction nats | KL nats | -ELBO nats | MSE | k-NN |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['beta']:g} | {r['reconstruction_nll']:.1f} | {r['kl']:.2f} | {r['neg_elbo']:.1f} | "
                     f"{r['mse']:.4f} | {r['knn_accuracy']:.3f} |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    """Reconstruction and KL nats (left) and k-NN accuracy (right) against beta, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    betas = [r["beta"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.6, 3.8), dpi=120)
    ax1.plot(betas, [r["reconstruction_nll"] for r in rows], "o-", label="reconstruction NLL")
    ax1.set(xscale="log", xlabel="beta (weight of the KL term)", ylabel="nats per test image",
            title="Reconstruction against KL")
    ax1b = ax1.twinx()
    ax1b.plot(betas, [r["kl"] for r in rows], "s-", color="#d62728", label="KL")
    ax1b.set_ylabel("KL nats per test image", color="#d62728")
    ax1.legend(ax1.get_lines() + ax1b.get_lines(), ["reconstruction NLL", "KL"], loc="upper center")
    ax2.plot(betas, [r["knn_accuracy"] for r in rows], "o-", color="#2ca02c")
    ax2.set(xscale="log", xlabel="beta", ylabel="k-NN accuracy of the 2-D codes", title="How well codes separate digits",
            ylim=(0, 1))
    for ax in (ax1, ax2):
        ax.set_xticks(betas, [f"{b:g}" for b in betas])
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
