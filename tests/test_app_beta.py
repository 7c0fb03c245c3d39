"""The beta trade-off page through AppTest, on the shipped weights: moving the slider changes
the scatter, the manifold and every readout, and large beta is called posterior collapse."""

import base64
import json
from pathlib import Path

import numpy as np

from streamlit.testing.v1 import AppTest

from explorer.beta import BETAS, beta_release, figures
from explorer.pretrained import load_card

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_beta_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("app_pages/beta.py")
    return at.run()


def points(trace: dict) -> np.ndarray:
    """Plotly sends arrays as base64 typed arrays."""
    return np.frombuffer(base64.b64decode(trace["bdata"]), dtype=trace["dtype"])


def state(at: AppTest) -> dict:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    digits = [t for t in spec["data"] if t["name"] in [str(d) for d in range(10)]]
    return {"metrics": [m.value for m in at.metric], "image": at.image[0].proto.imgs[0].url,
            "title": spec["layout"]["title"]["text"], "points": sum(len(points(t["x"])) for t in digits),
            "x": [t["x"]["bdata"] for t in digits]}


def test_the_beta_slider_changes_the_picture_and_the_figures():
    at = open_beta_page()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert at.select_slider(key="beta").value == 1.0
    before = state(at)
    ref = figures(load_card(beta_release(1.0)))
    assert before["metrics"][0] == f"{ref['reconstruction_nll']:.1f} nats" and before["points"] == 10_000

    at.select_slider(key="beta").set_value(BETAS[-1]).run()
    assert not at.exception
    after = state(at)
    big = figures(load_card(beta_release(BETAS[-1])))
    assert after["metrics"] == [f"{big['reconstruction_nll']:.1f} nats", f"{big['kl']:.2f} nats",
                                f"{big['mse']:.4f}", f"{big['knn_accuracy']:.3f}"]
    assert all(a != b for a, b in zip(after["metrics"], before["metrics"]))
    assert after["image"] != before["image"] and after["x"] != before["x"]
    assert after["title"].endswith(f"beta = {BETAS[-1]:g}")
    assert big["kl"] < 0.1 and any("Posterior collapse" in w.value for w in at.warning)  # beta 32: no code left
    assert any("nats worse than at beta 1" in c.value for c in at.caption)

    at.select_slider(key="beta").set_value(16.0).run()
    partial = figures(load_card(beta_release(16.0)))
    assert 0.1 < partial["kl"] < 1.5 and any("Partial posterior collapse" in w.value and f"{partial['kl']:.2f} nats"
                                             in w.value for w in at.warning)

    at.select_slider(key="beta").set_value(BETAS[0]).run()
    assert not at.exception and not at.warning
    assert any("spread like a plain autoencoder" in i.value for i in at.info)
    assert state(at)["x"] not in (before["x"], after["x"])
