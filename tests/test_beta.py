"""The beta trade-off: the KL weight in the VAE loss, float16 release storage, the page's figures."""

import pytest
import torch
from safetensors.torch import load_file

from explorer import beta as beta_lib
from explorer.models import build
from explorer.pretrained import load_model, save_pretrained
from explorer.releases import RELEASES


@pytest.mark.parametrize("family", ["vae", "conv_vae"])
def test_beta_weights_the_kl_term(family):
    x = (torch.rand(8, 1, 28, 28) > 0.7).float()
    y = torch.zeros(8, dtype=torch.long)
    losses = {}
    for beta in (1.0, 4.0):
        torch.manual_seed(0)
        model = build(family, latent_dim=2, beta=beta)
        torch.manual_seed(1)  # the same posterior sample for both betas
        out = model.loss(x, y)
        losses[beta] = out
        terms = {k: v.item() for k, v in out.terms.items()}  # terms stay tensors until logged
        assert out.loss.item() == pytest.approx(terms["bce"] + beta * terms["kl"], rel=1e-5)
        losses[beta] = terms
    assert losses[1.0] == pytest.approx(losses[4.0])  # same weights: only the weighting differs


def test_default_beta_is_the_plain_vae():
    assert build("vae").config.beta == 1.0 and build("conv_vae").config.beta == 1.0


def test_every_beta_has_a_small_float16_release():
    for b in beta_lib.BETAS:
        release = RELEASES[beta_lib.beta_release(b)]
        assert release.family == "vae" and release.config["beta"] == b and release.half
    assert RELEASES["vae-2"].config.get("beta", 1.0) == 1.0


def test_float16_storage_round_trips(tmp_path):
    model = build("vae", latent_dim=2, hidden=16, beta=2.0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)  # not the initial weights
    model.half().float()  # what train_all does before measuring a half release
    save_pretrained(model, tmp_path / "m", {"name": "m"}, torch.float16)
    stored = load_file(tmp_path / "m" / "model.safetensors")
    assert {t.dtype for t in stored.values()} == {torch.float16}
    loaded = load_model(tmp_path / "m")
    assert loaded.config.beta == 2.0 and next(loaded.parameters()).dtype == torch.float32
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(loaded.reconstruct(x), model.eval().reconstruct(x))


def row(beta, rec, kl, mse, knn):
    return {"beta": beta, "reconstruction_nll": rec, "kl": kl, "neg_elbo": rec + kl, "mse": mse, "knn_accuracy": knn}


def test_sentences_say_which_way_each_figure_moved():
    ref, big = row(1.0, 146.0, 6.0, 0.04, 0.68), row(8.0, 190.0, 0.3, 0.065, 0.2)
    s = beta_lib.what_changed(big, ref)
    assert s["reconstruction_nll"].startswith("44.0 nats worse") and s["kl"].startswith("5.7 nats less")
    assert s["mse"].startswith("Up") and s["knn_accuracy"].startswith("Down")
    assert beta_lib.collapsed(big) and not beta_lib.collapsed(ref)
    small = beta_lib.what_changed(row(0.1, 130.0, 12.0, 0.03, 0.75), ref)
    assert "better" in small["reconstruction_nll"] and small["kl"].startswith("6.0 nats more")


def test_figures_come_from_the_card():
    card = {"name": "vae-2-beta0.25", "metrics": {"reconstruction_nll": 140.0, "kl": 9.0, "neg_elbo": 149.0,
                                                 "mse": 0.035, "knn_accuracy": 0.7}}
    r = beta_lib.figures(card)
    assert r["beta"] == 0.25 and r["kl"] == 9.0
    table = beta_lib.markdown_table([r])
    assert "| 0.25 | 140.0 | 9.00 | 149.0 | 0.0350 | 0.700 |" in table
