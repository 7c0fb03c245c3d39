"""The history page in Chromium at a projector's 1280x720 and on a 390x844 touch phone, on a small
history recorded here: the scatter and the manifold sit side by side and fully visible on the
projector, stacked on the phone; Play walks through every moment and stops at the last.
Screenshots go to artifacts/screenshots/history-<size>.png."""

import pytest

from benchmarks.app_server import running_app
from tests.test_app_history import record_tiny_history
from tests.test_browser import SCREENSHOTS, browser, no_exception, wait_until_idle  # noqa: F401
from tests.test_browser_room import SIZES

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = record_tiny_history(tmp_path_factory.mktemp("pretrained"))
    with running_app(env={"EXPLORER_PRETRAINED": str(root)}) as (url, _):
        yield url


@pytest.mark.parametrize("size", list(SIZES))
def test_the_history_page_fits_and_plays(server, browser, size):  # noqa: F811
    context = browser.new_context(**SIZES[size])
    page = context.new_page()
    try:
        page.goto(f"{server}/history")
        page.get_by_text("Moment 1 of 7", exact=False).first.wait_for(timeout=120_000)
        wait_until_idle(page)
        scatter = page.locator("[data-testid='stPlotlyChart']").first
        scatter.locator(".scatterlayer").wait_for(timeout=60_000)
        manifold = page.locator("[data-testid='stImage'] img").first
        a, b = scatter.bounding_box(), manifold.bounding_box()
        viewport = page.viewport_size
        if size == "desk":
            # Side by side, both wholly on the projector's screen without scrolling.
            assert a["x"] + a["width"] <= b["x"] and abs(a["y"] - b["y"]) < 40, (a, b)
            for box in (a, b):
                assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
                assert box["x"] + box["width"] <= viewport["width"], box
        else:
            assert b["y"] >= a["y"] + a["height"] - 1, (a, b)  # stacked: the manifold under the scatter
            assert a["width"] > 0.8 * viewport["width"] and b["width"] > 0.8 * viewport["width"], (a, b)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"history-{size}.png")
        before = manifold.get_attribute("src")

        page.get_by_role("button", name="Play").click()
        page.get_by_text("Moment 2 of 7", exact=False).first.wait_for(timeout=60_000)
        page.get_by_text("Moment 7 of 7", exact=False).first.wait_for(timeout=120_000)
        page.get_by_role("button", name="Play").wait_for(timeout=30_000)  # stopped by itself
        wait_until_idle(page)
        assert page.locator("[data-testid='stImage'] img").first.get_attribute("src") != before
        no_exception(page)
    finally:
        context.close()
