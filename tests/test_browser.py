"""What a person does, in a real browser: Playwright drives Debian's Chromium against
`streamlit run app.py` on a free localhost port. Screenshots of every page are written to
artifacts/screenshots/ for a person to look at."""

import base64
import io
import json
import os
import time
import urllib.parse

import numpy as np
import pytest
from PIL import Image, ImageDraw

from benchmarks.app_server import CHROMIUM, CHROMIUM_ARGS, ROOT, running_app, wait_for_pad, wait_until_idle

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PAGES = {"latent": "", "compare": "compare", "denoise": "denoise", "super_resolution": "super_resolution",
         "interpolate": "interpolate", "beta": "beta", "history": "history",
         "dimensions": "dimensions", "models": "models"}


@pytest.fixture(scope="module")
def server():
    with running_app() as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (or apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    pg = context.new_page()
    yield pg
    context.close()


def wait_for_app(page, text: str, timeout: float = 120_000) -> None:
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout)
    wait_until_idle(page, timeout)


def no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_and_is_screenshotted(server, page, name):
    titles = {"latent": "Latent explorer", "compare": "Autoencoder against PCA", "denoise": "Denoise",
              "super_resolution": "Super-resolution", "interpolate": "Interpolate and sample", "beta": "The beta trade-off",
              "history": "How the latent space learns",
              "dimensions": "More than two dimensions", "models": "Models"}
    page.goto(f"{server}/{PAGES[name]}")
    page.get_by_role("heading", name=titles[name]).first.wait_for(timeout=90_000)
    wait_for_app(page, titles[name])
    no_exception(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_dragging_the_latent_pad_updates_the_digit_during_the_drag(server, page):
    page.goto(server)
    wait_for_app(page, "Latent explorer")
    pad, digit = page.locator("canvas.pad"), page.locator("canvas.digit")
    pad.wait_for(timeout=60_000)
    wait_for_pad(page)
    box = pad.bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.15
    page.mouse.move(x0, y0)
    page.mouse.down()
    shots = [digit.screenshot()]
    for i in range(1, 5):  # still pressed: every shot is taken mid-drag
        page.mouse.move(x0 + i * box["width"] * 0.17, y0 + i * box["height"] * 0.17, steps=4)
        shots.append(digit.screenshot())
    page.mouse.up()
    changed = sum(a != b for a, b in zip(shots, shots[1:]))
    assert changed >= 3, "the decoded digit should change while the pointer is dragged"
    # The pad's z sliders follow the point, in the page.
    z = json.loads(pad.get_attribute("data-z"))
    assert float(page.locator("input.z1").input_value()) == pytest.approx(z[0], abs=0.01)
    assert float(page.locator("input.z2").input_value()) == pytest.approx(z[1], abs=0.01)
    no_exception(page)


def test_the_scatter_ring_follows_the_pad(server, page):
    """The pad draws the "you" ring over the scatter itself (the figure is sent once per
    model): after a drag it sits on the pad's code, by Plotly's axis mapping."""
    page.goto(server)
    wait_for_app(page, "Latent explorer")
    ring, pad = page.locator(".you-marker"), page.locator("canvas.pad")
    ring.wait_for(state="attached", timeout=60_000)
    box = pad.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.85, box["y"] + box["height"] * 0.25, steps=3)
    page.mouse.up()
    released = json.loads(pad.get_attribute("data-z"))
    deadline = time.monotonic() + 30
    while not ((z := ring.get_attribute("data-z")) and abs(json.loads(z)[0] - released[0]) < 0.01):
        assert time.monotonic() < deadline, "the ring did not follow the pad"
        page.wait_for_timeout(100)
    # The ring's centre is where the chart draws the released code.
    want = page.locator(".latent-scatter canvas").evaluate("(c, z) => c.toScreen(z)", released)
    b = ring.bounding_box()
    assert abs(b["x"] + b["width"] / 2 - want[0]) < 2 and abs(b["y"] + b["height"] / 2 - want[1]) < 2
    no_exception(page)


def click_test_digit(page, digit: int = 0, nth: int = 0, model: str = "vae-2"):
    """Click the `nth` test image of `digit` in `model`'s latent scatter, as a person does;
    returns its (z1, z2)."""
    from explorer.data import load_arrays

    index = int(np.nonzero(load_arrays("mnist", train=False, download=False).labels == digit)[0][nth])
    canvas = page.locator(f".st-key-scatter_{model} canvas").first
    canvas.wait_for(timeout=60_000)
    canvas.scroll_into_view_if_needed()
    canvas.evaluate("c => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")  # laid out
    x, y = canvas.evaluate("(c, i) => c.pointAt(i)", index)
    page.mouse.move(x, y)  # hover first, as a person does: the label names the point a click picks
    page.locator(f".st-key-scatter_{model} .tip:not([hidden])").wait_for(timeout=10_000)
    page.mouse.click(x, y)
    return canvas.evaluate("(c, i) => c.codeOf(i)", index)


def picks_shown(page) -> int:
    """How often the pad has drawn a picked test digit (or taken one away)."""
    return int(page.locator(".picked").get_attribute("data-updates"))


def wait_for_pick(page, before: int, index: int | None = None) -> dict:
    """Wait until the pad has drawn a picked test digit after `before`; its title and data."""
    picked = page.locator(".picked")
    page.wait_for_function("([e, before, i]) => +e.dataset.updates > before && e.dataset.index !== undefined"
                           " && (i === null || +e.dataset.index === i)",
                           arg=[picked.element_handle(), before, index], timeout=30_000)
    return {"title": page.locator(".picked-title").inner_text(), "index": int(picked.get_attribute("data-index")),
            "z": json.loads(picked.get_attribute("data-z")), "model": picked.get_attribute("data-model")}


def test_clicking_a_scatter_point_shows_that_test_image(latent_page):
    """A click on a test digit, all in the page: the pad jumps to its code, the ring follows, and
    the digit is drawn beside its reconstruction (Python's decode of that code), with not one
    message to the server; a move off it takes the pictures away."""
    from explorer.data import load_arrays

    page = latent_page
    pad, _ = open_latent(page)
    wait_until_idle(page)
    sent, before = len(page.ws_sent), picks_shown(page)
    point = click_test_digit(page)
    pick = wait_for_pick(page, before)
    index = pick["index"]
    assert np.allclose(pick["z"], point, atol=1e-6)
    assert np.allclose(json.loads(pad.get_attribute("data-z")), point, atol=1e-4)
    assert np.allclose(json.loads(page.locator(".you-marker").get_attribute("data-z")), point, atol=1e-4)
    test = load_arrays("mnist", train=False, download=False)
    label = int(test.labels[index])
    assert pick["title"] == f"Test image #{index} (a {label}), at ({point[0]:.2f}, {point[1]:.2f}) in vae-2"
    original = np.array(page.locator("canvas.original").evaluate(READ_PIXELS)).reshape(28, 28)
    np.testing.assert_array_equal(original, test.images[index, 0])
    reconstruction = np.array(page.locator("canvas.reconstruction").evaluate(READ_PIXELS)).reshape(28, 28)
    assert np.abs(reconstruction - python_decode("vae-2", np.array(point, np.float32), label)).max() < 2
    assert len(page.ws_sent) == sent, "a pick sent a message to the server"
    # Moving the point off it (here with the z1 slider) takes the test image away.
    assert page.locator(".picked-row").is_visible()
    page.locator("input.z1").focus()
    page.locator("input.z1").press("ArrowLeft")
    assert page.locator(".picked-row").is_hidden()
    assert page.locator(".picked-title").inner_text().startswith("Click or tap a point in the scatter")
    no_exception(page)


def label_of(index: int) -> int:
    from explorer.data import load_arrays
    return int(load_arrays("mnist", train=False, download=False).labels[index])


def test_picks_work_after_a_model_switch_and_a_page_switch(latent_page):
    page = latent_page
    open_latent(page)
    before = picks_shown(page)
    click_test_digit(page, digit=3, nth=5)
    index = wait_for_pick(page, before)["index"]
    # The picked digit stays picked across a model switch: the point follows it to its code there.
    page.mouse.wheel(0, -10_000)
    before = picks_shown(page)
    page.locator("[data-testid='stSelectbox']").first.click()
    page.get_by_role("option").filter(has_text="(cvae-2)").click()
    pick = wait_for_pick(page, before, index)
    assert pick["model"] == "cvae-2" and pick["title"].endswith(f"in cvae-2, reconstructed with its own label, {label_of(index)}")
    wait_until_idle(page)
    code = page.locator(".st-key-scatter_cvae-2 canvas").first.evaluate("(c, i) => c.codeOf(i)", index)
    label = label_of(index)
    assert np.allclose(pick["z"], code, atol=1e-6)
    # The conditional VAE's reconstruction uses the digit's own label, not the pad's.
    reconstruction = np.array(page.locator("canvas.reconstruction").evaluate(READ_PIXELS)).reshape(28, 28)
    assert np.abs(reconstruction - python_decode("cvae-2", np.array(code, np.float32), label)).max() < 2
    # The new model's chart (another element) hears clicks, and the ring moves onto it.
    before = picks_shown(page)
    z = click_test_digit(page, digit=2, nth=7, model="cvae-2")
    assert np.allclose(wait_for_pick(page, before)["z"], z, atol=1e-6)
    ring = page.locator(".st-key-scatter_cvae-2 .you-marker")
    assert np.allclose(json.loads(ring.get_attribute("data-z")), z, atol=1e-4)
    # Another page and back: nothing is picked.
    page.locator("[data-testid='stSidebarNavLink']", has_text="Models").first.click()
    wait_for_app(page, "Models")
    page.locator("[data-testid='stSidebarNavLink']", has_text="Latent explorer").first.click()
    wait_for_app(page, "Latent explorer")
    page.locator(".picked").wait_for(state="attached", timeout=60_000)
    assert page.locator(".picked-row").is_hidden()
    no_exception(page)


def test_a_move_during_a_model_switch_drops_the_pick(latent_page):
    """A pick follows a model switch only until the person moves: whichever comes first, the new
    model's chart or a move made as the pad gets the new model, the move wins (the pick is not
    shown and the point stays where it was moved). The chart usually arrives within the same
    render, so this cannot force the order in which the pad hears of the two."""
    page = latent_page
    open_latent(page)
    before = picks_shown(page)
    click_test_digit(page, digit=4, nth=3)
    wait_for_pick(page, before)
    page.mouse.wheel(0, -10_000)
    z1 = page.locator("input.z1")
    old_range = z1.get_attribute("max")
    page.locator("[data-testid='stSelectbox']").first.click()
    page.get_by_role("option").filter(has_text="(conv_ae-2)").click()
    # The pad has the new model's range (its fragment reran); the page's rerun with the new chart follows.
    page.wait_for_function("([e, old]) => e.max !== old", arg=[z1.element_handle(), old_range], polling="raf",
                           timeout=30_000)
    z1.press("ArrowRight")  # before (or as) the new chart arrives
    moved = json.loads(page.locator("canvas.pad").get_attribute("data-z"))
    wait_until_idle(page)
    page.locator(".st-key-scatter_conv_ae-2 canvas").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)  # the pad links the new chart within a few hundred ms
    assert page.locator(".picked-row").is_hidden()
    assert json.loads(page.locator("canvas.pad").get_attribute("data-z")) == moved
    no_exception(page)


def digit_png() -> bytes:
    image = Image.new("RGB", (240, 300), "white")
    ImageDraw.Draw(image).line([(50, 50), (190, 50), (110, 260)], fill="black", width=18)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def test_upload_on_the_denoise_page(server, page):
    page.goto(f"{server}/denoise")
    wait_for_app(page, "Denoise")
    page.get_by_role("radio", name="Upload", exact=True).click()
    chooser = page.locator("input[type=file]")
    chooser.wait_for(state="attached", timeout=30_000)
    chooser.set_input_files([{"name": "seven.png", "mimeType": "image/png", "buffer": digit_png()}])
    # The heading above the result, not the uploader's file list: stale elements of the previous
    # run (the random test digits, with their own download buttons) stay on screen while it reruns.
    page.locator("strong", has_text="seven.png").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    assert page.get_by_text("Download the denoised digit").count() == 1
    no_exception(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "denoise-upload.png", full_page=True)

    chooser.set_input_files([{"name": "notes.png", "mimeType": "image/png", "buffer": b"just some text"}])
    page.get_by_text("not an image we can read").first.wait_for(timeout=60_000)
    no_exception(page)
    page.screenshot(path=SCREENSHOTS / "denoise-bad-upload.png", full_page=True)


def test_drawing_a_digit_on_the_denoise_page(server, page):
    page.goto(f"{server}/denoise")
    wait_for_app(page, "Denoise")
    page.get_by_role("radio", name="Draw", exact=True).click()
    canvas = page.locator("canvas.draw")
    canvas.wait_for(timeout=30_000)
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + 0.25 * w, y + 0.2 * h)
    page.mouse.down()
    for px, py in [(0.75, 0.2), (0.45, 0.85)]:  # a 7
        page.mouse.move(x + px * w, y + py * h, steps=8)
    page.mouse.up()
    page.get_by_role("button", name="Use drawing").click()
    page.locator("strong", has_text="drawing.png").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    assert page.get_by_text("Download the denoised digit").count() == 1
    no_exception(page)
    page.screenshot(path=SCREENSHOTS / "denoise-drawing.png", full_page=True)


def luminance(css_color: str) -> float:
    """0 (black) to 1 (white) for a computed CSS 'rgb(r, g, b)' or 'rgba(...)' colour."""
    r, g, b = (int(float(v)) for v in css_color[css_color.index("(") + 1:-1].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_both_themes_are_readable(server, browser, scheme):
    # No theme is fixed in .streamlit/config.toml, so Streamlit follows the system's scheme.
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(server)
        wait_for_app(page, "Latent explorer")
        page.locator("canvas.pad").wait_for(timeout=60_000)
        background = luminance(page.locator("[data-testid='stApp']").evaluate("e => getComputedStyle(e).backgroundColor"))
        heading = luminance(page.get_by_role("heading", name="Latent explorer").first.evaluate("e => getComputedStyle(e).color"))
        readout = luminance(page.locator(".readout").evaluate("e => getComputedStyle(e).color"))
        assert (background < 0.3) == (scheme == "dark"), f"the {scheme} theme was not applied"
        for text in (heading, readout):  # text stands out from the page in either theme
            assert abs(text - background) > 0.5
        no_exception(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"latent-{scheme}.png", full_page=True)
    finally:
        context.close()


# ---------------------------------------------------------------- the model in the page (ONNX)

READ_PIXELS = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, s = c.width / 28, out = [];
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++)
        out.push(d[4 * (Math.floor(y * s + s / 2) * c.width + Math.floor(x * s + s / 2))]);
    return out; }"""


def open_latent(page, model: str | None = None):
    """The latent page with the pad's decoder running in WebAssembly (for `model`)."""
    page.goto(page.server_url)
    wait_for_app(page, "Latent explorer")
    if model:
        page.locator("[data-testid='stSelectbox']").first.click()
        page.get_by_role("option").filter(has_text=f"({model})").click()
        wait_until_idle(page)
    digit = page.locator("canvas.digit")
    digit.wait_for(timeout=60_000)
    wanted = model or "vae-2"
    for _ in range(240):  # the wasm runtime and the ONNX files load once per page
        info = digit.evaluate("e => ({model: e.dataset.model, mode: e.getRootNode().querySelector('canvas.pad').dataset.mode})")
        if info["model"] == wanted and info["mode"] == "wasm":
            return page.locator("canvas.pad"), digit
        assert info["mode"] != "fallback", "the pad fell back to the precomputed grid"
        page.wait_for_timeout(250)
    raise AssertionError(f"the pad never decoded {wanted} in the page: {info}")


def shown_decode(pad, digit):
    """Wait until the digit shows the decode of the pad's current point; (z, label, 28x28 uint8)."""
    for _ in range(200):
        state = digit.evaluate("e => ({z: e.dataset.z, label: e.dataset.label, "
                               "want: e.getRootNode().querySelector('canvas.pad').dataset.z})")
        want = [float(np.float32(v)) for v in json.loads(state["want"])]
        z = json.loads(state["z"])
        if z == want:
            return np.array(z, np.float32), int(state["label"]), np.array(digit.evaluate(READ_PIXELS)).reshape(28, 28)
        digit.page.wait_for_timeout(25)
    raise AssertionError(f"the digit never caught up with the pointer: {state}")


def python_decode(name: str, z: np.ndarray, label: int) -> np.ndarray:
    import torch

    from explorer.pretrained import load_pretrained
    model = load_pretrained(name)
    with torch.no_grad():
        y = torch.tensor([label]) if model.conditional else None
        image = model.decode(torch.from_numpy(z[None]), y)[0, 0].numpy()
    return (np.clip(image, 0, 1) * 255).round()


@pytest.fixture
def latent_page(server, page):
    page.server_url = server
    page.ws_sent = []  # messages the browser sends to Streamlit
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: page.ws_sent.append(frame)))
    return page


@pytest.mark.parametrize("name", ["vae-2", "cvae-2"])
def test_the_pad_shows_the_models_decode_at_the_exact_point(latent_page, name):
    page = latent_page
    pad, digit = open_latent(page, None if name == "vae-2" else name)
    box = pad.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    page.mouse.down()
    previous = None
    for fx, fy in [(0.37, 0.52), (0.61, 0.33), (0.72, 0.71)]:
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=3)
        z, label, shown = shown_decode(pad, digit)
        expected = python_decode(name, z, label)
        assert np.abs(shown - expected).max() < 2, f"at z = {z} the page differs from Python's decode"
        # 1/200 of the latent range along z1 is 1/200 of the pad's width.
        page.mouse.move(box["x"] + box["width"] * (fx + 1 / 200), box["y"] + box["height"] * fy)
        z2, _, nudged = shown_decode(pad, digit)
        assert z2[0] > z[0] and (nudged != shown).any(), "a 1/200 move must change the image"
        previous = nudged
    page.mouse.up()
    if name == "cvae-2":
        z, label, previous = shown_decode(pad, digit)
        # The digit buttons change the label in the page: nothing is sent to the server.
        sent = len(page.ws_sent)
        page.locator(".labels button", has_text="3").click()
        for _ in range(200):
            z, label, shown = shown_decode(pad, digit)
            if label == 3:
                break
            page.wait_for_timeout(25)
        assert label == 3 and (shown != previous).any()
        assert np.abs(shown - python_decode(name, z, 3)).max() < 2
        assert len(page.ws_sent) == sent, "switching the label sent a message to the server"
    page.mouse.up()
    no_exception(page)


def test_moving_the_point_and_its_noise_decodes_in_the_page_and_sends_nothing(latent_page):
    """The pad, its z sliders and the noise on the code all decode in the page: Python's
    decodes, at the codes Python would use (the point plus sigma times eight fixed draws), and
    not one message to the server."""
    page = latent_page
    pad, digit = open_latent(page)
    wait_until_idle(page)
    sent = len(page.ws_sent)
    box = pad.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.45, steps=5)
    page.mouse.up()
    z1 = page.locator("input.z1")
    z1.focus()
    before = json.loads(pad.get_attribute("data-z"))
    for _ in range(5):
        z1.press("ArrowRight")
    z = np.array(json.loads(pad.get_attribute("data-z")))
    assert z[0] > before[0] and z[1] == pytest.approx(before[1])  # the slider moved z1 only
    sigma = page.locator("input.sigma")
    sigma.focus()
    for _ in range(6):
        sigma.press("ArrowRight")  # 0.30
    neighbours = page.locator(".neighbours")
    page.wait_for_function("e => !e.hidden && e.dataset.codes", arg=neighbours.element_handle(), timeout=10_000)
    page.wait_for_timeout(300)  # the last key's decode
    codes = np.array(json.loads(neighbours.get_attribute("data-codes")), np.float32)
    z = np.array(json.loads(pad.get_attribute("data-z")), np.float32)
    expected = z + 0.3 * np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32)
    np.testing.assert_allclose(codes, expected, atol=1e-5)
    shown = np.array(page.locator(".neighbours canvas").first.evaluate(READ_PIXELS)).reshape(28, 28)
    assert np.abs(shown - python_decode("vae-2", codes[0], 0)).max() < 2
    assert "sigma 0.30" in page.locator(".neighbours-title").inner_text()
    assert len(page.ws_sent) == sent, "a latent move sent a message to the server"
    no_exception(page)


def test_a_drawing_is_encoded_where_python_puts_it(latent_page):
    from explorer.preprocess import to_mnist
    import torch

    from explorer.pretrained import load_pretrained
    page = latent_page
    open_latent(page)
    draw = page.locator("canvas.draw")
    draw.scroll_into_view_if_needed()
    box = draw.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    codes = []
    page.mouse.move(x + 0.25 * w, y + 0.2 * h)
    page.mouse.down()
    for px, py in [(0.75, 0.2), (0.45, 0.85)]:  # a 7, stroke by stroke
        page.mouse.move(x + px * w, y + py * h, steps=8)
        page.wait_for_function("e => e.dataset.code", arg=draw.element_handle(), timeout=30_000)
        codes.append(draw.evaluate("e => e.dataset.code"))
    page.mouse.up()
    assert codes[0] != codes[1], "the point moves as strokes are added"
    before = int(draw.evaluate("e => e.dataset.encodes"))
    page.wait_for_timeout(300)  # the last encode (after pointer-up) settles
    state = draw.evaluate("e => ({code: e.dataset.code, sigma: e.dataset.sigma, encodes: e.dataset.encodes, "
                          "png: e.toDataURL('image/png'), ms: e.dataset.encodeMs})")
    assert int(state["encodes"]) >= before
    image = to_mnist(base64.b64decode(state["png"].split(",", 1)[1]))
    with torch.no_grad():
        model = load_pretrained("vae-2")
        mean = model.encode(torch.from_numpy(image)[None, None])[0].numpy()
        sigma = model.posterior(torch.from_numpy(image)[None, None]).std[0].numpy()
    page_code = np.array(json.loads(state["code"]))
    assert np.abs(page_code - mean).max() < 0.05, f"page {page_code}, Python {mean}"
    assert np.abs(np.array(json.loads(state["sigma"])) - sigma).max() < 0.05
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "latent-drawing.png", full_page=True)
    page.get_by_role("button", name="Clear").click()
    assert draw.evaluate("e => e.dataset.code") == ""
    no_exception(page)


def test_the_page_works_with_every_non_local_request_blocked(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    blocked = []

    def route(r):
        host = urllib.parse.urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            return r.continue_()
        blocked.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.server_url = server
    try:
        pad, digit = open_latent(page)
        box = pad.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.8)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6, steps=3)
        shown_decode(pad, digit)
        page.mouse.up()
        # Only Streamlit's own favicon lookup may try to leave the machine, and nothing of the pad.
        assert not [u for u in blocked if "bidi-components" in u or ".wasm" in u or ".onnx" in u]
        no_exception(page)
    finally:
        context.close()


def test_without_webassembly_the_pad_falls_back_and_says_so(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_init_script("delete globalThis.WebAssembly")
    page = context.new_page()
    try:
        page.goto(server)
        wait_for_app(page, "Latent explorer")
        page.get_by_text("WebAssembly is not available").first.wait_for(timeout=60_000)
        pad, digit = page.locator("canvas.pad"), page.locator("canvas.digit")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
        page.mouse.down()
        page.wait_for_timeout(200)
        before = np.array(digit.evaluate(READ_PIXELS))
        page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.9, steps=5)
        page.wait_for_timeout(200)
        after = np.array(digit.evaluate(READ_PIXELS))
        page.mouse.up()
        assert before.max() > 0 and (after != before).any(), "the grid's nearest decode follows the pointer"
        assert pad.evaluate("e => e.dataset.mode") == "fallback"
        no_exception(page)
    finally:
        context.close()
