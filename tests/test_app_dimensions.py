"""The "More than two dimensions" page through AppTest, on the shipped weights and maps, and the
selection both pages with linked scatters share (app_pages/linked_scatter.py)."""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explorer.data import load_arrays
from explorer.onnx_models import load_onnx

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
    assert any("scikit-learn" in c.value and "seed 0" in c.value for c in at.caption)


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


def decode(value):
    """Plotly's JSON packs numpy arrays as {"dtype", "bdata", "shape"}."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return array.reshape([int(s) for s in str(value.get("shape", len(array))).split(",")])
    return np.asarray(value)


def highlighted(at: AppTest) -> list[list[int]]:
    """Per linked scatter, the test indices drawn at full opacity."""
    charts = []
    for chart in at.get("plotly_chart"):
        data = json.loads(chart.proto.spec)["data"]
        if [t["type"] for t in data] != ["scattergl"]:
            continue  # not a linked scatter (one WebGL trace): the bar chart, the size chart
        shown = []
        for trace in data:
            index = decode(trace["customdata"])[:, 0].astype(int)
            opacity = np.broadcast_to(decode(trace["marker"].get("opacity", 1.0)), index.shape)
            shown += index[opacity == 1].tolist()
        charts.append(sorted(shown))
    return charts


@pytest.mark.parametrize("page, prefix, charts", [("dimensions", "dims", 3), ("compare", "cmp", 3)])
def test_one_selection_draws_every_chart_and_the_caption(page, prefix, charts):
    at = open_page(page)
    assert [len(h) for h in highlighted(at)] == [3000] * charts
    at.session_state[f"{prefix}_selected"] = [5, 17, 2999]
    at.run()
    assert highlighted(at) == [[5, 17, 2999]] * charts
    assert any(re.search(r"\*\*3 selected\.\*\*", c.value) for c in at.caption)
    clear = at.button(key=f"{prefix}_clear")
    assert not clear.disabled
    clear.click().run()
    assert not at.exception and at.session_state[f"{prefix}_selected"] == []
    assert [len(h) for h in highlighted(at)] == [3000] * charts
    assert not any("selected.**" in c.value for c in at.caption)
    assert at.button(key=f"{prefix}_clear").disabled


def test_the_selection_survives_a_model_change():
    at = open_page()
    at.session_state["dims_selected"] = [42]
    at.run()
    at.selectbox(key="dims_model").set_value("sparse_ae-32").run()
    assert highlighted(at) == [[42]] * 3
