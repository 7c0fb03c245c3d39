"""The app in the room: every page at a projector's 1280x720 and on a 390x844 touch phone, in
Chromium. No control's text is cut off, nothing is fetched from another host, the latent pad
and its digit share one screen, a tap on a scatter point works like a click, same-named uploads
each get their own download. Screenshots of every page at both sizes go to artifacts/screenshots/."""

import io
from urllib.parse import urlparse

import pytest
from PIL import Image, ImageDraw

from explorer.data import load_arrays

from tests.test_browser import PAGES, SCREENSHOTS, browser, no_exception, server, wait_until_idle  # noqa: F401

pytestmark = pytest.mark.browser

SIZES = {"desk": {"viewport": {"width": 1280, "height": 720}},
         "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}}

# Text of a control that does not fit its box: the element scrolls (scrollWidth > clientWidth);
# and tables wider than their place.
OVERFLOWING = """() => {
  const sel = 'button, label, [data-testid="stWidgetLabel"] p, [data-baseweb="select"] div[value], '
            + '[data-baseweb="select"] span, [data-testid="stSidebarNavLink"] span, [role="radio"] p, [role="tab"] p';
  return [...document.querySelectorAll(sel)]
    .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > 0)  // not in a closed menu
    .filter(e => e.textContent.trim() && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.textContent.trim())
    // and a table wider than its place (a phone would have to scroll it sideways)
    .concat([...document.querySelectorAll('table')].filter(t => t.offsetParent !== null)
      .filter(t => t.getBoundingClientRect().width > t.parentElement.clientWidth + 1)
      .map(t => 'table: ' + t.textContent.trim().slice(0, 40)));
}"""


@pytest.fixture(params=list(SIZES))
def size(request):
    return request.param


@pytest.fixture
def room(server, browser, size):  # noqa: F811
    """A page at one size that blocks and records every request to a host other than the app's."""
    context = browser.new_context(**SIZES[size])
    app_host = urlparse(server).netloc
    outside = []

    def route(r):
        url = urlparse(r.request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != app_host:
            outside.append(r.request.url)
            return r.abort()
        return r.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.outside_requests = outside
    yield page
    context.close()


def open_page(page, server, path: str) -> None:  # noqa: F811
    page.goto(f"{server}/{path}")
    page.locator("h1").first.wait_for(timeout=120_000)
    wait_until_idle(page)


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_fits_and_fetches_nothing_from_outside(server, room, size, name):  # noqa: F811
    open_page(room, server, PAGES[name])
    no_exception(room)
    assert room.evaluate(OVERFLOWING) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    room.screenshot(path=SCREENSHOTS / f"{name}-{size}.png")
    assert room.outside_requests == []


def test_latent_pad_and_digit_are_both_in_the_first_screen(server, room, size):  # noqa: F811
    open_page(room, server, "")
    vw, vh = room.viewport_size["width"], room.viewport_size["height"]
    for selector in ("canvas.pad", "canvas.digit"):
        room.locator(selector).wait_for(timeout=60_000)
        if size == "phone":  # on a phone the person scrolls to the pad; then pad and digit share the screen
            room.locator("canvas.pad").scroll_into_view_if_needed()
    pad, digit = room.locator("canvas.pad").bounding_box(), room.locator("canvas.digit").bounding_box()
    for box in (pad, digit):
        assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= vw and box["y"] + box["height"] <= vh, box
        assert box["width"] >= 120
    if size == "desk":
        assert digit["x"] >= pad["x"] + pad["width"] - 1 and abs(digit["y"] - pad["y"]) < 10  # side by side
    else:
        assert digit["y"] >= pad["y"] + pad["height"] - 1  # right under the pad


@pytest.mark.parametrize("size", ["phone"])  # a mouse click is checked in tests/test_browser.py
def test_tapping_a_scatter_point_on_a_phone_picks_it(server, room, size):  # noqa: F811
    open_page(room, server, "")
    chart = room.locator(".latent-scatter canvas").first
    chart.wait_for(timeout=60_000)
    chart.scroll_into_view_if_needed()
    wait_until_idle(room)
    x, y = chart.evaluate("c => c.pointAt(2)")  # test image #2, a 1
    room.touchscreen.tap(x, y)
    # Drawn by the pad, in its component's shadow root (which locators see into). The finger
    # may land on a neighbouring point: the digit shown is the one picked, whichever it is.
    picked = room.locator(".picked[data-index]")
    picked.wait_for(state="attached", timeout=30_000)
    index = int(picked.get_attribute("data-index"))
    label = int(load_arrays("mnist", train=False, download=False).labels[index])
    assert room.locator(".picked-title").inner_text().startswith(f"Test image #{index} (a {label})")
    assert room.locator(".picked-row").is_visible()
    no_exception(room)


# Rows of images (every element of every column an image), and the tops of their images.
IMAGE_ROWS = """() => [...document.querySelectorAll('[data-testid="stHorizontalBlock"]')]
  .filter(row => [...row.children].every(col => col.querySelector('[data-testid="stImage"]') &&
    [...col.querySelectorAll('[data-testid="stElementContainer"]')].every(e => e.querySelector('[data-testid="stImage"]'))))
  .map(row => [...row.querySelectorAll('[data-testid="stImage"] img')].map(img => Math.round(img.getBoundingClientRect().top)))"""


@pytest.mark.parametrize("size", ["phone"])
def test_rows_of_images_stay_rows_on_a_phone(server, room, size):  # noqa: F811
    """Denoise's comparison rows (clean, noisy, AE, PCA, median) keep their images side by side
    on a phone instead of stacking into one long column."""
    open_page(room, server, "denoise")
    rows = room.evaluate(IMAGE_ROWS)
    assert len([r for r in rows if len(r) >= 3]) >= 2, rows
    for tops in rows:
        assert max(tops) - min(tops) <= 2, f"a row of images wrapped: image tops {tops}"
    no_exception(room)


def digit_png(shape: str) -> bytes:
    image = Image.new("RGB", (240, 300), "white")
    draw = ImageDraw.Draw(image)
    if shape == "7":
        draw.line([(50, 50), (190, 50), (110, 260)], fill="black", width=18)
    else:
        draw.ellipse((60, 40, 180, 260), outline="black", width=18)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("size", ["desk"])  # the upload path is the same at both sizes
def test_two_same_named_uploads_each_get_a_download(server, room, size):  # noqa: F811
    open_page(room, server, "denoise")
    room.get_by_role("radio", name="Upload", exact=True).click()
    chooser = room.locator("input[type=file]")
    chooser.wait_for(state="attached", timeout=30_000)
    chooser.set_input_files([{"name": "image.jpg", "mimeType": "image/png", "buffer": digit_png("7")},
                             {"name": "image.jpg", "mimeType": "image/png", "buffer": digit_png("0")}])
    room.locator("strong", has_text="image.jpg (2)").first.wait_for(timeout=60_000)
    wait_until_idle(room)
    buttons = room.get_by_role("button", name="Download the denoised digit (280x280 PNG)")
    assert buttons.count() == 2
    for i in range(2):
        with room.expect_download() as info:
            buttons.nth(i).click()
        download = info.value
        assert download.suggested_filename == "image-denoised.png"
        assert Image.open(download.path()).size == (280, 280)
    no_exception(room)
    assert room.outside_requests == []


def test_the_phone_menu_closes_after_a_page_is_picked(server, browser):  # noqa: F811
    page = browser.new_context(**SIZES["phone"]).new_page()
    open_page(page, server, "models")
    menu = page.locator('[data-testid="stSidebar"]')
    page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button').first.tap()
    page.wait_for_function("m => m.getBoundingClientRect().right > 200", arg=menu.element_handle())  # open, over the page
    page.locator("[data-testid='stSidebarNavLink']", has_text="Denoise").first.tap()
    page.wait_for_url("**/denoise")
    # Closed again: the menu slides off the left edge and the page is free to use.
    page.wait_for_function("m => m.getBoundingClientRect().right <= 1", arg=menu.element_handle(), timeout=10_000)
    page.context.close()
