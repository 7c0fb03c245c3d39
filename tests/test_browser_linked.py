"""Issue 10's check, in a real browser, on both pages with linked scatters (AE against PCA, and
More than two dimensions): a click on one point selects that test digit in every chart and the
count says so; Clear selection, a click on the selected point, on empty space or a double-click
empty every chart; a lasso selects the same digits everywhere; on a phone a tap does the same,
and a finger lassoes once Lasso is on (and scrolls, selecting nothing, while it is off).

The charts are canvases (app_pages/components/linked_charts.js). Each says what it draws at full
opacity (`data-highlighted`: "all" or the test indices) and where it draws a test digit
(`canvas.pointAt(i)`), so the check is "the same test digits in every chart", not "something
changed"."""

import time

import pytest

from benchmarks.app_server import ROOT, wait_until_idle
from tests.test_browser import browser, server  # noqa: F401

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PAGES = {"compare": "Autoencoder against PCA", "dimensions": "More than two dimensions"}
DESKTOP = {"viewport": {"width": 1280, "height": 720}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
EVERYTHING = list(range(3000))


def open_page(browser, server, path: str, device: dict):
    context = browser.new_context(**device)
    page = context.new_page()
    page.goto(f"{server}/{path}")
    page.get_by_role("heading", name=PAGES[path]).first.wait_for(timeout=120_000)
    wait_until_idle(page, 180_000)
    charts(page).nth(2).wait_for(timeout=60_000)
    return context, page


def charts(page):
    return page.locator("canvas.scatter")  # locators see into the component's shadow root


def highlighted(page) -> list[list[int]]:
    """Per chart, the test indices drawn at full opacity."""
    drawn = charts(page).evaluate_all("cs => cs.map(c => c.dataset.highlighted)")
    return [EVERYTHING if d == "all" else [int(i) for i in d.split(",")] for d in drawn]


def wait_for(page, expected: list[int], timeout: float = 10.0) -> None:
    """Until every one of the three charts highlights exactly `expected`."""
    deadline = time.monotonic() + timeout
    while (drawn := highlighted(page)) != [expected] * 3:
        if time.monotonic() > deadline:
            raise AssertionError(f"the charts highlight {[d[:5] for d in drawn]} (first five), not {expected[:5]}")
        page.wait_for_timeout(50)


def point_on_screen(page, chart: int, index: int = 18) -> tuple[float, float]:
    """Where one chart draws test digit `index` (18 is a 3), scrolled into view."""
    canvas = charts(page).nth(chart)
    canvas.scroll_into_view_if_needed()
    settle(canvas)
    return tuple(canvas.evaluate(f"c => c.pointAt({index})"))


def hover(page, x: float, y: float) -> int:
    """Move the mouse to (x, y) and return the test index its label names: points overlap, and
    the one picked is the one the label shows."""
    page.mouse.move(x, y)
    label = page.locator(".tooltip:not([hidden])")
    label.wait_for(timeout=10_000)
    return int(label.text_content().split("test image #")[1].split(" ")[0])


def clear_button(page):
    return page.get_by_role("button", name="Clear selection")


@pytest.mark.parametrize("path", list(PAGES))
def test_click_selects_one_digit_everywhere_and_clear_empties_every_chart(server, browser, path):
    context, page = open_page(browser, server, path, DESKTOP)
    try:
        assert highlighted(page) == [EVERYTHING] * 3  # nothing selected: every point drawn in full
        assert clear_button(page).is_disabled()
        if path == "compare":  # its size chart is a canvas too: no Plotly chart left on the page
            assert page.locator(".line-chart canvas").get_attribute("data-drawn") == "12"
        assert page.locator(".js-plotly-plot").count() == 0
        chart = 1  # not the first chart: the selection must reach the ones before it too
        x, y = point_on_screen(page, chart)
        wanted = hover(page, x, y)  # hover first, as a person does
        page.mouse.click(x, y)
        wait_for(page, [wanted])
        page.get_by_text(f"1 selected: test image #{wanted}, a ").wait_for(timeout=10_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{path}_selected_1280.png")

        clear_button(page).click()
        wait_for(page, EVERYTHING)
        assert page.get_by_text("Nothing selected.").is_visible()
        assert clear_button(page).is_disabled()
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_clicking_the_selected_point_again_clears_it(server, browser, path):
    context, page = open_page(browser, server, path, DESKTOP)
    try:
        x, y = point_on_screen(page, 0)
        wanted = hover(page, x, y)
        page.mouse.click(x, y)
        wait_for(page, [wanted])
        page.mouse.click(x, y)
        wait_for(page, EVERYTHING)
    finally:
        context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_tapping_a_point_on_a_phone_selects_it_everywhere(server, browser, path):
    context, page = open_page(browser, server, path, PHONE)
    try:
        chart = 2
        x, y = point_on_screen(page, chart)
        page.touchscreen.tap(x, y)
        # A phone shows no label before the tap: the digit that lights up everywhere is the one
        # nearest the finger (test digit 18 or one drawn on top of it).
        charts(page).nth(chart).evaluate("c => new Promise(done => { const t = setInterval(() => { "
                                         "if (c.dataset.highlighted !== 'all') { clearInterval(t); done(); } }, 50); })")
        picked = highlighted(page)[chart]
        assert len(picked) == 1
        wait_for(page, picked)
        px, py = point_on_screen(page, chart, picked[0])
        assert ((px - x) ** 2 + (py - y) ** 2) ** 0.5 < 8
        # The count and Clear selection stay on screen while the phone shows the third chart.
        status = page.get_by_text(f"1 selected: test image #{picked[0]}, a ")
        box = status.bounding_box()
        assert status.is_visible() and 0 <= box["y"] and box["y"] + box["height"] <= 844
        assert clear_button(page).is_enabled()
        page.screenshot(path=SCREENSHOTS / f"{path}_selected_390.png")
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()


def inside_square(page, chart: int, cx: float, cy: float, r: float) -> set[int]:
    """The test digits a chart draws inside the square of half-side r round (cx, cy)."""
    return set(charts(page).nth(chart).evaluate(f"""c => [...Array(3000).keys()].filter(i => {{
        const [x, y] = c.pointAt(i); return Math.abs(x - {cx}) < {r} && Math.abs(y - {cy}) < {r}; }})"""))


def wait_for_lasso(page, chart: int, cx: float, cy: float, r: float) -> list[int]:
    """Until every chart highlights the same digits, those the square lasso drawn round (cx, cy)
    holds: every point 3 px or more inside it, none 3 px or more outside (the lasso is the path
    the pointer events traced, so points on its edge may go either way). Returns them."""
    wait_for_agreement(page)
    chosen = set(highlighted(page)[0])
    sure, possible = inside_square(page, chart, cx, cy, r - 3), inside_square(page, chart, cx, cy, r + 3)
    assert 1 < len(sure) and len(possible) < 3000
    assert sure <= chosen <= possible, (len(sure), len(chosen), len(possible))
    return sorted(chosen)


def wait_for_agreement(page, timeout: float = 10.0) -> None:
    """Until the three charts highlight the same digits, and not all of them."""
    deadline = time.monotonic() + timeout
    while not ((drawn := highlighted(page))[0] != EVERYTHING and drawn == [drawn[0]] * 3):
        assert time.monotonic() < deadline, "the charts do not agree on a selection"
        page.wait_for_timeout(50)


def square_path(cx: float, cy: float, r: float, steps: int = 8) -> list[tuple[float, float]]:
    corners = [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r), (cx - r, cy - r)]
    return [corners[0]] + [(a[0] + (b[0] - a[0]) * k / steps, a[1] + (b[1] - a[1]) * k / steps)
                           for a, b in zip(corners, corners[1:]) for k in range(1, steps + 1)]


def test_a_mouse_lasso_selects_the_digits_inside_it_everywhere(server, browser):
    context, page = open_page(browser, server, "dimensions", DESKTOP)
    try:
        canvas = charts(page).first  # the t-SNE map
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"] * 0.2
        path = square_path(cx, cy, r)
        page.mouse.move(*path[0])
        page.mouse.down()
        for x, y in path[1:]:
            page.mouse.move(x, y)
        page.mouse.up()
        expected = wait_for_lasso(page, 0, cx, cy, r)
        page.get_by_text(f"{len(expected)} selected.").wait_for(timeout=10_000)
        page.screenshot(path=SCREENSHOTS / "dimensions_lasso_1280.png")
    finally:
        context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_a_click_or_double_click_on_empty_space_clears_the_selection(server, browser, path):
    context, page = open_page(browser, server, path, DESKTOP)
    try:
        for clear in ("double-click", "empty space"):
            x, y = point_on_screen(page, 1)
            wanted = hover(page, x, y)
            page.mouse.click(x, y)
            wait_for(page, [wanted])
            spot = charts(page).nth(1).evaluate("c => c.emptySpot()")
            assert spot, "no empty spot in the chart"
            page.mouse.move(*spot)
            page.mouse.dblclick(*spot) if clear == "double-click" else page.mouse.click(*spot)
            wait_for(page, EVERYTHING)
            assert clear_button(page).is_disabled(), clear
    finally:
        context.close()


def touch_drag(context, page, path: list[tuple[float, float]]) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": path[0][0], "y": path[0][1]}]})
    for x, y in path[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def settle(locator, timeout: float = 10.0) -> None:
    """Until the element stops moving on screen (the page stops scrolling)."""
    deadline, last = time.monotonic() + timeout, None
    while (box := locator.bounding_box()) != last and time.monotonic() < deadline:
        last = box
        locator.page.wait_for_timeout(300)


def test_a_phone_lassoes_with_a_finger_once_lasso_is_on(server, browser):
    context, page = open_page(browser, server, "compare", PHONE)
    try:
        canvas = charts(page).first
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"] * 0.25
        lasso = page.get_by_role("button", name="Lasso: off")
        assert lasso.is_visible()
        touch_drag(context, page, square_path(cx, cy, r))  # Lasso off: the finger selects nothing
        page.wait_for_timeout(1500)
        settle(lasso)  # the drag may fling the page, and a tap during a fling only stops it
        assert highlighted(page) == [EVERYTHING] * 3

        lasso.tap()
        page.get_by_role("button", name="Lasso: on").wait_for(timeout=5_000)
        canvas.scroll_into_view_if_needed()
        settle(canvas)
        box = canvas.bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        touch_drag(context, page, square_path(cx, cy, r))
        expected = wait_for_lasso(page, 0, cx, cy, r)
        page.get_by_text(f"{len(expected)} selected.").wait_for(timeout=10_000)
        page.screenshot(path=SCREENSHOTS / "compare_lasso_390.png")
    finally:
        context.close()


def test_the_selection_survives_a_model_change(server, browser):
    context, page = open_page(browser, server, "dimensions", DESKTOP)
    try:
        x, y = point_on_screen(page, 1)
        wanted = hover(page, x, y)
        page.mouse.click(x, y)
        wait_for(page, [wanted])
        option = page.get_by_role("option").filter(has_text="(sparse_ae-32)")
        for _ in range(3):  # a click while the page still settles may not open the list
            page.locator(".st-key-dims_model [data-testid='stSelectbox']").click()
            try:
                option.wait_for(timeout=5_000)
                break
            except Exception:  # noqa: BLE001 - Playwright's TimeoutError: try the click again
                page.keyboard.press("Escape")
        option.click()
        page.get_by_text("PCA-2 of sparse_ae-32's codes").wait_for(timeout=120_000)
        wait_until_idle(page)
        wait_for(page, [wanted])
    finally:
        context.close()
