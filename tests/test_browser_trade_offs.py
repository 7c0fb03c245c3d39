"""The trade-off pages in a real Chromium (same set-up as test_browser.py): moving each page's
control changes the picture and the figures. Screenshots at 1280x720 and at a 390x844 phone
go to artifacts/screenshots/ for a person to look at."""

import re

import pytest

from test_browser import SCREENSHOTS, browser, no_exception, server, wait_for_app, wait_until_idle  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(params=[{"width": 1280, "height": 720}, {"width": 390, "height": 844, "touch": True}],
                ids=["desktop", "phone"])
def view(browser, request):  # noqa: F811
    size = dict(request.param)
    touch = size.pop("touch", False)
    context = browser.new_context(viewport=size, has_touch=touch, is_mobile=touch)
    pg = context.new_page()
    yield pg, request.node.callspec.id
    context.close()


def metric_values(page) -> list[str]:
    return page.locator("[data-testid='stMetricValue']").all_inner_texts()


def test_beta_slider_moves_the_codes_and_the_readouts(server, view):  # noqa: F811
    page, which = view
    page.goto(f"{server}/beta")
    wait_for_app(page, "The beta trade-off")
    manifold = page.locator("[data-testid='stImage'] img").first
    plot = page.locator(".js-plotly-plot").first
    manifold.wait_for(timeout=60_000)
    plot.scroll_into_view_if_needed()
    before = {"metrics": metric_values(page), "manifold": manifold.screenshot(), "plot": plot.screenshot()}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"beta-1-{which}.png", full_page=True)

    thumb = page.get_by_role("slider").first
    thumb.scroll_into_view_if_needed()
    thumb.focus()
    for _ in range(3):  # beta 1 -> 2 -> 4 -> 8, as a keyboard user moves it
        thumb.press("ArrowRight")
    page.wait_for_function("before => document.querySelector(\"[data-testid='stMetricValue']\").innerText !== before",
                           arg=before["metrics"][0], timeout=60_000)
    page.get_by_text("Posterior collapse").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    assert page.locator("[data-testid='stSliderThumbValue']").first.inner_text().strip() == "8"
    after = metric_values(page)
    assert len(after) == 4 and all(a != b for a, b in zip(after, before["metrics"]))
    assert manifold.screenshot() != before["manifold"]
    plot.scroll_into_view_if_needed()
    assert plot.screenshot() != before["plot"]
    no_exception(page)
    page.screenshot(path=SCREENSHOTS / f"beta-8-{which}.png", full_page=True)


def test_picking_another_digit_redraws_every_traversal_row(server, view):  # noqa: F811
    """More than two dimensions: the first test image of 3 instead of test image #0 (a 7):
    the original, its reconstruction and every unit's row are drawn again, with new captions."""
    page, which = view
    page.goto(f"{server}/dimensions")
    wait_for_app(page, "More than two dimensions")
    rows = page.locator("[data-testid='stImage']")
    rows.first.wait_for(timeout=60_000)
    captions = page.locator("[data-testid='stImageCaption']")
    before = {"srcs": [i.get_attribute("src") for i in page.locator("[data-testid='stImage'] img").all()[:11]],
              "captions": captions.all_inner_texts()[:11]}
    assert "test image #0 (a 7)" in before["captions"][0]
    jump = page.locator("[data-testid='stButtonGroup'] button").filter(has_text=re.compile(r"^\s*3\s*$")).first
    jump.scroll_into_view_if_needed()
    jump.click()
    page.get_by_text("(a 3)").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    after = {"srcs": [i.get_attribute("src") for i in page.locator("[data-testid='stImage'] img").all()[:11]],
             "captions": captions.all_inner_texts()[:11]}
    assert len(after["srcs"]) == 11 and all(a != b for a, b in zip(after["srcs"], before["srcs"]))
    assert after["captions"][0].startswith("test image #18 (a 3)")  # MNIST's first test 3 is #18
    no_exception(page)
    page.screenshot(path=SCREENSHOTS / f"dimensions-3-{which}.png")


def test_history_side_by_side_shows_both_models_and_their_gaps(server, view):  # noqa: F811
    """How the latent space learns, side by side: vae-2 and conv_ae-2 at the last moment, each
    with its scatter, its manifold and the measured share of its square without a code."""
    page, which = view
    page.goto(f"{server}/history")
    wait_for_app(page, "How the latent space learns")
    page.get_by_text("Side by side with a second model").first.click()
    page.get_by_text("Beside it").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    thumb = page.get_by_role("slider").first
    thumb.focus()
    thumb.press("End")
    page.get_by_text("When training ends").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    assert page.locator("[data-testid='stPlotlyChart']").count() == 2
    assert page.locator("[data-testid='stImage']").count() == 2
    lines = page.get_by_text("cells hold no test code").all_inner_texts()
    assert len(lines) == 2 and lines[0] != lines[1]
    no_exception(page)
    page.screenshot(path=SCREENSHOTS / f"history-pair-{which}.png")
