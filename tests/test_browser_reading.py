"""The latent explorer's "Colour by what a classifier reads" switch in a real Chromium (same
set-up as test_browser.py): turning it on colours the pad's background and puts the reading
behind the scatter. Screenshots at 1280x720 and at a 390x844 phone go to artifacts/screenshots/."""

import time

import pytest

from benchmarks.app_server import wait_for_pad
from test_browser import SCREENSHOTS, browser, no_exception, server, wait_for_app, wait_until_idle  # noqa: F401
from test_browser_trade_offs import view  # noqa: F401

pytestmark = pytest.mark.browser

SWITCH = "Colour by what a classifier reads"
# The share of the pad's pixels with colour in them (max - min channel > 40 of 255). The
# manifold is grey, so this is ~0 before; the pad's marker and ellipse are a few pixels.
COLOURED_SHARE = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
    for (let i = 0; i < d.length; i += 4) {
        const hi = Math.max(d[i], d[i + 1], d[i + 2]), lo = Math.min(d[i], d[i + 1], d[i + 2]);
        if (hi - lo > 40) n++; }
    return n / (d.length / 4); }"""


def wait_for_colour(pad, coloured: bool, timeout_s: float = 30) -> float:
    """Until the pad's share of coloured pixels is over one half (or under 5%); returns it.
    The pad lives in a shadow root that document.querySelector does not enter, so the check
    goes through Playwright's locator."""
    deadline = time.monotonic() + timeout_s
    while True:
        share = pad.evaluate(COLOURED_SHARE)
        if (share > 0.5) if coloured else (share < 0.05):
            return share
        assert time.monotonic() < deadline, f"the pad's coloured share stayed at {share:.3f}"
        pad.page.wait_for_timeout(100)


def test_the_switch_colours_the_pad_and_the_scatter(server, view):  # noqa: F811
    page, which = view
    page.goto(server)
    wait_for_app(page, "Latent explorer")
    pad = page.locator("canvas.pad")
    wait_for_pad(page)
    wait_for_colour(pad, coloured=False)
    chart = page.locator(".latent-scatter canvas").first
    chart.wait_for(timeout=60_000)
    assert chart.get_attribute("data-background") == "none"

    switch = page.get_by_text(SWITCH)
    switch.scroll_into_view_if_needed()
    switch.click()
    page.get_by_text("of the 10 digits").first.wait_for(timeout=120_000)  # the measured readout
    wait_for_colour(pad, coloured=True)  # a new background URL: loaded, then drawn
    wait_until_idle(page)
    # The same reading behind the 10,000 points, drawn under them (a new chart: the page reran).
    page.locator(".latent-scatter canvas[data-background='drawn']").first.wait_for(state="attached", timeout=30_000)
    no_exception(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"latent-reading-{which}.png")
    page.screenshot(path=SCREENSHOTS / f"latent-reading-{which}-full.png", full_page=True)

    switch.click()  # and off again: the grey manifold comes back, the scatter loses its picture
    wait_for_colour(pad, coloured=False)
    wait_until_idle(page)
    page.locator(".latent-scatter canvas[data-background='none']").first.wait_for(state="attached", timeout=30_000)
    assert page.locator(".latent-scatter canvas[data-background='drawn']").count() == 0
    no_exception(page)
