"""The beta trade-off re-measured: every shipped `vae-2-beta<b>` on the MNIST test set.

    python -m benchmarks.run --only beta

The cards hold the same figures (train_all.py measures them after training); this section
measures the shipped weights again, so the report's table and chart come from a run anyone
can repeat, and says how far each figure is from its card.
"""

from __future__ import annotations

from pathlib import Path

from explorer import beta as beta_lib
from explorer.baselines import PCABaseline
from explorer.data import Split
from explorer.evaluate import latent_metrics
from explorer.pretrained import load_card, load_pretrained

FIGURES = ("reconstruction_nll", "kl", "neg_elbo", "mse", "knn_accuracy")


def run(train: Split, test: Split, pca: PCABaseline, chart: Path) -> dict:
    rows, card_gap = [], 0.0
    for b in beta_lib.BETAS:
        name = beta_lib.beta_release(b)
        measured = latent_metrics(load_pretrained(name), train, test, pca)
        row = {"beta": b, **{k: measured[k] for k in FIGURES}}
        card = load_card(name)["metrics"]
        card_gap = max(card_gap, *(abs(row[k] - card[k]) for k in FIGURES))
        rows.append(row)
    beta_lib.plot(rows, chart)
    return {"rows": rows, "test_images": len(test), "train_images": len(train),
            "largest_difference_from_cards": card_gap, "collapse_kl_nats": beta_lib.COLLAPSE_KL_NATS}


def markdown(result: dict) -> list[str]:
    rows = result["rows"]
    partly = [f"{r['beta']:g}" for r in rows if beta_lib.collapsed(r) and not beta_lib.fully_collapsed(r)]
    fully = [f"{r['beta']:g}" for r in rows if beta_lib.fully_collapsed(r)]
    return [
        "## The beta trade-off\n",
        f"The shipped 2-D fully connected VAEs (784-{beta_lib.BETA_HIDDEN}-2, vae-2's recipe) trained with the KL "
        f"term weighted by beta, measured again on {result['test_images']:,} test images (k-NN fit on "
        f"{result['train_images']:,} training codes); reconstruction and KL in nats per image, one posterior "
        f"sample each. Largest difference from the cards' figures: {result['largest_difference_from_cards']:.2g}. "
        + (f"Posterior collapse, partial (KL under {result['collapse_kl_nats']} nats): beta {', '.join(partly) or 'none'}; "
           f"complete (under {beta_lib.FULL_COLLAPSE_KL_NATS} nats, every decode the same digit): beta "
           f"{', '.join(fully) or 'none'}."
           if partly or fully else f"No beta collapses the posterior (KL stays above {result['collapse_kl_nats']} nats "
                             f"everywhere; the largest beta keeps {rows[-1]['kl']:.2f} nats)."),
        "\n![Reconstruction and KL against beta; k-NN accuracy against beta](beta.png)\n",
        beta_lib.markdown_table(rows),
        "",
    ]
