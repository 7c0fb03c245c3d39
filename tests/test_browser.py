"""What a person does, in a real browser: Playwright drives Debian's Chromium against
`streamlit run app.py` on a free localhost port. Screenshots of every page are written to
artifacts/screenshots/ for a person to look at."""

import io
import os

import pytest
from PIL import Image, ImageDraw

from benchmarks.app_server import CHROMIUM, CHROMIUM_ARGS, ROOT, running_app, wait_for_sprite_sheet, wait_until_idle

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PAGES = {"latent": "", "compare": "compare", "denoise": "denoise", "super_resolution": "super_resolution",
         "interpolate": "interpolate", "models": "models"}


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
              "super_resolution": "Super-resolution", "interpolate": "Interpolate and sample", "models": "Models"}
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
    wait_for_sprite_sheet(page)
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
    # On release the point is sent to Python, which moves the sliders.
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stSliderThumbValue\"]')]"
                           ".some(e => e.textContent.trim() !== '0.00')", timeout=30_000)
    no_exception(page)


def test_clicking_a_scatter_point_shows_that_test_image(server, page):
    page.goto(server)
    wait_for_app(page, "Latent explorer")
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(timeout=60_000)
    plot.scroll_into_view_if_needed()
    plot.evaluate("gd => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")  # laid out
    # Pixel position of the first point of trace 0, from Plotly's own axis mapping.
    x, y = plot.evaluate("""gd => {
        const L = gd._fullLayout, t = gd._fullData[0], r = gd.getBoundingClientRect();
        return [r.left + L._size.l + L.xaxis.l2p(t.x[0]), r.top + L._size.t + L.yaxis.l2p(t.y[0])];
    }""")
    page.mouse.move(x, y)  # hover first, as a person does: Plotly picks the point under the pointer
    page.locator(".hoverlayer .hovertext").first.wait_for(timeout=10_000)  # the point's label is up
    page.mouse.click(x, y)
    page.get_by_text("Test image #").first.wait_for(timeout=30_000)
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
