"""Every page of the app through Streamlit's own AppTest, on the shipped weights."""

import base64
import gc
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from explorer.data import load_arrays
from explorer.onnx_models import load_onnx

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["latent", "compare", "denoise", "super_resolution", "interpolate", "beta", "history", "dimensions", "models"]
TIMEOUT = 120  # the first run of a page fits PCA and encodes the test set


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(f"app_pages/{page}.py")
    return at.run()


def captions(at: AppTest) -> list[str]:
    return [c for img in at.image for c in img.captions]


def digit_png() -> bytes:
    image = Image.new("L", (200, 260), 255)
    ImageDraw.Draw(image).line([(40, 40), (160, 40), (90, 220)], fill=0, width=16)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_exception(page):
    at = open_page(page)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value


def pad_data(at: AppTest) -> dict:
    """What the latent page handed its pad (the component's data, as the browser gets it)."""
    pad = next(c for c in at.get("bidi_component") if c.proto.component_name.endswith("onnx_pad"))
    return json.loads(pad.proto.json)


def images(at: AppTest) -> list[str]:
    return [img.value for img in at.image]


def test_the_latent_pad_gets_eight_fixed_noise_draws():
    """The noise on the code runs in the page: it scales eight standard normal draws made once
    (seed 0), so the same point and sigma always show the same neighbours."""
    data = pad_data(open_page("latent"))
    noise = np.array(data["noise"])
    assert noise.shape == (8, 2)
    np.testing.assert_allclose(noise, np.random.default_rng(0).standard_normal((8, 2)))


def test_latent_model_switch_and_cvae_digit_reach_the_pad():
    at = open_page("latent")
    at.selectbox(key="latent_model").set_value("cvae-2").run()
    assert not at.exception and at.selectbox(key="cvae_digit").value == 7
    # The page says why the conditional VAE's scatter is one blob.
    assert any("holds only the style" in i.value or "hold only the style" in i.value for i in at.info)
    data = pad_data(at)
    assert data["model"] == "cvae-2" and data["conditional"] and data["digit"] == 7
    assert data["decoder"].endswith("/mnist/cvae-2/decoder.onnx")
    at.selectbox(key="cvae_digit").set_value(3).run()
    assert not at.exception and pad_data(at)["digit"] == 3


def test_the_pad_gets_every_test_digit_as_files_it_can_show_a_pick_from():
    """A picked test digit is shown by the page itself, from sheets of test digits the pad
    fetches by URL: digit i sits in file i // 100, at row (i % 100) // 10, column i % 10."""
    from app_pages.components.onnx_pad import IMAGE_DIR, IMAGES

    data = pad_data(open_page("latent"))
    template, per_file = data["testDigits"], data["digitsPerFile"]
    assert template.startswith(f"../{IMAGES}/") and "{i}" in template and per_file == 100
    test = load_arrays("mnist", train=False, download=False)
    for index in [0, 42, 1_234, 9_999]:
        sheet = np.asarray(Image.open(IMAGE_DIR / template.split("/")[-1].replace("{i}", str(index // per_file))))
        k = index % per_file
        row, col = k // 10, k % 10
        np.testing.assert_array_equal(sheet[28 * row:28 * (row + 1), 28 * col:28 * (col + 1)], test.images[index, 0])
    files = list(IMAGE_DIR.glob(template.split("/")[-1].replace("{i}", "*")))
    assert len(files) == 100 and max(f.stat().st_size for f in files) < 20_000  # what one pick may fetch


def test_latent_scatter_holds_every_test_digit_and_the_pad_marks_it():
    at = open_page("latent")
    charts = [e for e in at.get("bidi_component") if e.proto.component_name == "latent_scatter"]
    assert len(charts) == 1
    data = json.loads(charts[0].proto.json)
    labels = np.frombuffer(base64.b64decode(data["labels"]), dtype=np.uint8)
    assert np.array_equal(labels, load_arrays("mnist", train=False, download=False).labels)  # all 10,000, in order
    steps = np.frombuffer(base64.b64decode(data["xy"]), dtype="<u2").reshape(-1, 2)
    low, high = np.array(data["scale"]).T
    codes = load_onnx("vae-2").encode(load_arrays("mnist", train=False, download=False).float_images(slice(0, 50)))
    assert np.abs(low + steps[:50] / 65535 * (high - low) - codes).max() < (high - low).max() / 65535 + 1e-4
    # The "you" ring and the clicks are the pad's, in the page: it finds the chart by its key.
    assert pad_data(at)["chart"] == "scatter_vae-2" == data["key"] and charts[0].proto.id.endswith("scatter_vae-2")


def test_denoise_noise_level_changes_the_scores():
    at = open_page("denoise")
    first = captions(at)
    at.slider(key="dn_level_gaussian").set_value(0.1).run()
    assert not at.exception and captions(at) != first
    # Three digits x (noisy, AE, PCA, median), then the not-a-digit exercise (noisy, AE).
    psnr = [float(c.split("PSNR ")[1].split(" dB")[0]) for c in captions(at) if "PSNR" in c]
    assert len(psnr) == 3 * 4 + 2
    for noisy, denoised in zip(psnr[0:12:4], psnr[1:12:4]):
        assert denoised > noisy


def test_denoise_upload_good_and_bad_files():
    at = open_page("denoise")
    at.segmented_control(key="dn_source").set_value("Upload").run()
    at.file_uploader(key="dn_upload").set_value([
        ("seven.png", digit_png(), "image/png"),
        ("notes.png", b"this is a text file, not an image", "image/png"),
        ("empty.png", b"", "image/png"),
    ]).run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "notes.png" in errors and "not an image" in errors and "empty.png" in errors
    assert any("seven.png" in m.value for m in at.markdown)
    assert at.download_button  # the denoised upload can be downloaded


def test_denoise_shows_an_upload_as_it_is_by_default_and_noise_is_a_choice():
    at = open_page("denoise")
    at.segmented_control(key="dn_source").set_value("Upload").run()
    at.file_uploader(key="dn_upload").set_value([("seven.png", digit_png(), "image/png")]).run()
    assert not at.exception
    assert at.radio(key="dn_mode_own").value.startswith("Denoise it as it is")
    assert "as the model receives it" in captions(at) and not any("noisy" in c for c in captions(at)[:4])
    at.radio(key="dn_mode_own").set_value("Add noise to see the denoiser work").run()
    assert not at.exception and any(c.startswith("noisy") for c in captions(at))


def test_two_uploads_with_the_same_name_both_show_with_their_own_downloads():
    at = open_page("denoise")
    at.segmented_control(key="dn_source").set_value("Upload").run()
    other = Image.new("L", (200, 260), 255)
    ImageDraw.Draw(other).ellipse((50, 40, 150, 220), outline=0, width=16)  # a 0
    buf = io.BytesIO()
    other.save(buf, "PNG")
    at.file_uploader(key="dn_upload").set_value([("image.png", digit_png(), "image/png"),
                                                  ("image.png", buf.getvalue(), "image/png")]).run()
    assert not at.exception
    headings = [m.value for m in at.markdown if m.value.startswith("**image.png")]
    assert headings == ["**image.png**", "**image.png (2)**"]
    big = [b for b in at.get("download_button") if "280x280" in b.proto.label]
    assert len(big) == 2
    # Each button holds its own file, made when it is pressed (the files themselves are downloaded
    # and checked in tests/test_browser_room.py).
    assert len({b.proto.deferred_file_id for b in big}) == 2 and all(b.proto.deferred_file_id for b in big)


def test_an_upload_with_two_digits_says_which_one_was_used():
    from explorer.data import load_split

    digits = load_split("mnist", False).images[:2, 0].numpy()  # a 7 and a 2 from the test set
    page = Image.new("L", (900, 600), 235)  # dark ink on light paper, as a photo of a page
    page.paste(Image.fromarray(255 - digits[0]).resize((420, 420), Image.Resampling.BICUBIC), (40, 90))
    page.paste(Image.fromarray(255 - digits[1]).resize((220, 220), Image.Resampling.BICUBIC), (600, 200))
    buf = io.BytesIO()
    page.save(buf, "PNG")
    at = open_page("denoise")
    at.segmented_control(key="dn_source").set_value("Upload").run()
    at.file_uploader(key="dn_upload").set_value([("two.png", buf.getvalue(), "image/png")]).run()
    assert not at.exception
    assert any("largest" in c.value for c in at.caption), [c.value for c in at.caption]


def test_super_resolution_factor_changes_output():
    at = open_page("super_resolution")
    first = captions(at)
    at.segmented_control(key="sr_factor").set_value(4).run()
    assert not at.exception and captions(at) != first
    assert any("7x7" in c for c in captions(at))


def test_interpolate_and_sample_controls():
    at = open_page("interpolate")
    before = [img.value for img in at.image]
    at.number_input(key="sample_seed").set_value(5).run()
    assert not at.exception and [img.value for img in at.image] != before
    at.selectbox(key="ib_digit").set_value(3).run()
    assert not at.exception


@pytest.mark.slow
def test_missing_weights_are_reported_not_raised(tmp_path):
    env = dict(os.environ, EXPLORER_PRETRAINED=str(tmp_path))
    script = (
        "from streamlit.testing.v1 import AppTest\n"
        f"for page in {PAGES!r}:\n"
        f"    at = AppTest.from_file({APP!r}, default_timeout=120)\n"
        "    at.switch_page(f'app_pages/{page}.py'); at.run()\n"
        "    assert not at.exception, (page, at.exception)\n"
        "    shown = ' '.join(e.value for e in at.error) + ' '.join(w.value for w in at.warning)\n"
        "    assert 'train_all.py' in shown, (page, shown)\n"
        "print('ok')\n"
    )
    # A fresh interpreter, so the weights folder is read from the environment at import.
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]


@pytest.mark.slow
def test_the_app_never_imports_torchvision_or_sklearn():
    """Together they cost the app process ~300 MB (torchvision pulls in torch._dynamo): the app
    reads MNIST with numpy and the shipped PCA fit, so neither should be imported."""
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"for page in {PAGES!r}:\n"
        f"    at = AppTest.from_file({APP!r}, default_timeout={TIMEOUT})\n"
        "    at.switch_page(f'app_pages/{page}.py')\n"
        "    assert not at.run().exception, page\n"
        "print(sorted(m for m in ('torchvision', 'sklearn') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_loaded_models_and_data_are_frozen_out_of_the_garbage_collector():
    # A full collection walks every tracked object while holding the GIL; what the cached
    # loaders load lives as long as the process, so they freeze it (ui._freeze_loaded).
    open_page("latent")
    gc.collect()
    assert gc.get_freeze_count() > 100_000  # the models, MNIST and the modules
    assert len(gc.get_objects()) < gc.get_freeze_count() / 2


def test_models_page_follows_the_lesson_order_and_measures_sparsity():
    from explorer.pretrained import list_pretrained
    from explorer.shipped import read_card
    from explorer.releases import RELEASES
    at = open_page("models")
    assert not at.exception
    shown = [s.value for s in at.subheader]
    # The training curves, then one card per release in the lesson's order; the nine beta copies share one card, then the classifier.
    singles = [n for n in RELEASES if n in list_pretrained() and not n.startswith("vae-2-beta")]
    assert shown == ["Training curves", *singles, "vae-2-beta0.1 ... vae-2-beta32", "classifier"]
    lines = [m.value for m in at.markdown if "code sparsity" in m.value]
    assert len(lines) == 1 and "mean activation" in lines[0]
    def first_column(header: str) -> list[str]:  # of the markdown table whose first line is `header`
        table = next(m.value for m in at.markdown if m.value.startswith(header))
        return [row.split("|")[1].strip() for row in table.splitlines()[2:]]

    models = first_column("| model |")  # "**name**<br><small>N parameters, size, time</small>"
    assert [cell.split("**")[1] for cell in models] == singles
    assert all("parameters, " in cell and " MB, trained in " in cell for cell in models)
    # The denoiser's row gives its headline figure, the one its quality target is set on (sigma 0.5).
    table = next(m.value for m in at.markdown if m.value.startswith("| model |"))
    denoiser_row = next(row for row in table.splitlines() if "**denoising_ae**" in row)
    assert f"Gaussian sigma 0.5: {read_card('denoising_ae')['headline']['value']:.2f} dB" in denoiser_row
    assert first_column("| beta |") == ["0.1", "0.25", "0.5", "1", "2", "4", "8", "16", "32"]
    # Two charts, not one per card: every model's training curve in one, the beta set's in the other,
    # each curve the card's losses.
    curves, betas = (json.loads(c.proto.spec)["data"] for c in at.get("plotly_chart"))
    assert [c["name"] for c in curves] == singles and len(betas) == 9
    assert all(c["y"] == pytest.approx(read_card(n)["epoch_losses"]) for c, n in zip(curves, singles))
    assert any("test accuracy: **0.99" in m.value for m in at.markdown)
