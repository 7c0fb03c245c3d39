"""The "More than two dimensions" page through AppTest, on the shipped weights and maps, and what
both pages with linked scatters hand their charts (app_pages/linked_scatter.py; selecting in them
happens in the page and is checked in Chromium, tests/test_browser_linked.py)."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explorer.data import load_arrays
from explorer.embedding import ITERATIONS
from explorer.onnx_models import load_onnx
from explorer.shipped import load_pca

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 180  # the first run encodes the 10,000 test digits


def open_page(page: str = "dimensions") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def grid(at: AppTest) -> list[str]:
    return [img.value for img in at.image]


def row_captions(at: AppTest) -> list[str]:
    return [c for img in at.image for c in img.captions if c.startswith("unit ")]


def test_the_page_shows_every_unit_of_the_chosen_model():
    at = open_page()
    assert at.title[0].value == "More than two dimensions"
    assert at.selectbox(key="dims_model").value == "conv_ae-32"
    rows = row_captions(at)
    assert len(rows) == 32 and len({r.split(":")[0] for r in rows}) == 32  # every unit once
    changes = [float(r.rsplit("change ", 1)[1]) for r in rows]
    assert changes == sorted(changes, reverse=True)  # sorted by how much they change the image
    assert not at.info  # the shipped t-SNE map was found
    note = charts(at)["note"]  # drawn beside the charts: where the t-SNE map comes from
    assert "scikit-learn" in note and "seed 0" in note and f"{ITERATIONS:,} iterations" in note


def test_another_digit_or_model_redraws_the_grid():
    at = open_page()
    first = grid(at)
    at.number_input(key="dims_index").set_value(1).run()
    assert not at.exception
    second = grid(at)
    assert len(second) == len(first) and second != first
    assert any("test image #1 (a 2)" in c for img in at.image for c in img.captions)
    at.selectbox(key="dims_model").set_value("ae-32").run()
    assert not at.exception and grid(at) != second
    assert any("ae-32's reconstruction" in c for img in at.image for c in img.captions)


def test_jumping_to_a_digit_picks_its_first_test_image():
    at = open_page()
    at.segmented_control(key="dims_jump").set_value(3).run()
    labels = load_arrays("mnist", train=False, download=False).labels
    assert at.number_input(key="dims_index").value == int(np.nonzero(labels == 3)[0][0])
    assert at.segmented_control(key="dims_jump").value is None  # a one-off jump


def test_the_sparse_readout_counts_the_active_units_it_draws():
    at = open_page()
    assert not any("units are active" in m.value for m in at.markdown)  # only for the sparse AE
    at.selectbox(key="dims_model").set_value("sparse_ae-32").run()
    at.number_input(key="dims_index").set_value(4).run()
    assert not at.exception
    sentence = next(m.value for m in at.markdown if "units are active" in m.value)
    images = load_arrays("mnist", train=False, download=False).float_images([4])
    code = load_onnx("sparse_ae-32").encode(images)[0]
    assert f"**{int((code > 0).sum())} of 32 units are active**" in sentence
    assert "test image #4" in sentence


def charts(at: AppTest) -> dict:
    """The data the linked charts component (app_pages/components/linked_charts.py) was mounted with."""
    mounted = [e for e in at.get("bidi_component") if e.proto.component_name == "linked_charts"]
    assert len(mounted) == 1
    return json.loads(mounted[0].proto.json)


def points(view: dict) -> np.ndarray:
    """A view's (n, 2) coordinates, unpacked from their 16-bit steps as linked_charts.js does."""
    steps = np.frombuffer(base64.b64decode(view["xy"]), dtype="<u2").reshape(-1, 2)
    low, high = np.array(view["scale"]).T
    return low + steps / 65535 * (high - low)


@pytest.mark.parametrize("page, titles", [
    ("dimensions", ["t-SNE of conv_ae-32's codes", "PCA-2 of the pixels", "PCA-2 of conv_ae-32's codes"]),
    ("compare", ["PCA-2", "conv_ae-2", "conv_vae-2"])])
def test_the_linked_charts_get_the_first_test_digits_in_every_view(page, titles):
    at = open_page(page)
    data = charts(at)
    assert [v["title"] for v in data["views"]] == titles
    labels = np.frombuffer(base64.b64decode(data["labels"]), dtype=np.uint8)
    test = load_arrays("mnist", train=False, download=False)
    assert np.array_equal(labels, test.labels[:3000])
    # The PCA view is the shipped PCA's plane of those same digits, to well under a pixel.
    pca = next(v for v in data["views"] if v["title"].startswith("PCA-2") and "codes" not in v["title"])
    expected = load_pca("mnist").first(2).encode(test.float_images(slice(3000)))
    span = np.ptp(expected, axis=0)
    assert np.abs(points(pca) - expected).max(0).tolist() <= (span / 65535 * 0.51 + 1e-6).tolist()
    for view in data["views"]:  # the axes hold the bulk: at most ~1% of points pinned to an edge per axis
        xy = points(view)
        (x0, x1), (y0, y1) = view["range"]
        assert ((xy[:, 0] < x0) | (xy[:, 0] > x1)).mean() <= 0.011 and ((xy[:, 1] < y0) | (xy[:, 1] > y1)).mean() <= 0.011


def test_a_model_change_keeps_the_page_s_selection_key_and_redraws_the_views():
    at = open_page()
    before = charts(at)
    at.selectbox(key="dims_model").set_value("sparse_ae-32").run()
    after = charts(at)
    assert after["id"] == before["id"] == "dims"  # linked_charts.js keeps the selection per id
    assert after["views"][2]["title"] == "PCA-2 of sparse_ae-32's codes" and after["views"][2] != before["views"][2]
    assert after["views"][1] == before["views"][1]  # the pixels' PCA does not depend on the model


def test_the_size_chart_draws_the_benchmark_s_measured_errors():
    """AE against PCA's error-against-code-size chart (a canvas: app_pages/components/line_chart.py)
    gets every row docs/benchmarks.json holds for it, as measured."""
    at = open_page("compare")
    mounted = [e for e in at.get("bidi_component") if e.proto.component_name == "line_chart"]
    assert len(mounted) == 1
    data = json.loads(mounted[0].proto.json)
    rows = json.loads((Path(APP).parent / "docs" / "benchmarks.json").read_text())["ae_vs_pca"]["rows"]
    pca, ae = data["series"]
    assert pca["x"] == ae["x"] == [r["latent_dim"] for r in rows]
    assert pca["y"] == [r["pca_mse"] for r in rows] and ae["y"] == [r["ae_mse"] for r in rows]
    assert all(b < a for a, b in zip(pca["y"], ae["y"]))  # the AE below PCA at every size

