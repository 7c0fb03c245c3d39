"""Issue 10's check, in a real browser, on both pages with linked scatters (AE against PCA, and
More than two dimensions): a click on one point selects that test digit in every chart and the
caption counts it; Clear selection empties every chart; on a phone a tap does the same.

What a chart highlights is read from the figure Plotly is drawing (`gd.data`: the markers'
opacity, with each point's test index in its customdata), so the check is "the same test
digits in every chart", not "something changed"."""

import re

import pytest

from benchmarks.app_server import ROOT, wait_until_idle
from tests.test_browser import browser, server  # noqa: F401

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PAGES = {"compare": ("Autoencoder against PCA", 3), "dimensions": ("More than two dimensions", 3)}
DESKTOP = {"viewport": {"width": 1280, "height": 720}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}

# Per chart, the test indices drawn at full opacity: every point when nothing is selected.
HIGHLIGHTED = """() => {
    const list = v => (Array.isArray(v) || ArrayBuffer.isView(v)) ? Array.from(v) : null;
    return [...document.querySelectorAll('.js-plotly-plot')].filter(gd => gd._fullData && gd._fullData.length === 1 && gd._fullData[0].type === 'scattergl')
        .map(gd => gd._fullData.flatMap(t => {
            const opacity = list(t.marker.opacity);
            return list(t.customdata).map((c, i) => [list(c)[0], opacity ? opacity[i] : (t.marker.opacity ?? 1)]);
        }).filter(([, o]) => o === 1).map(([c]) => c).sort((a, b) => a - b));
}"""


def open_page(browser, server, path: str, device: dict):
    context = browser.new_context(**device)
    page = context.new_page()
    page.goto(f"{server}/{path}")
    page.get_by_role("heading", name=PAGES[path][0]).first.wait_for(timeout=120_000)
    wait_for_charts(page, PAGES[path][1])
    return context, page


def wait_for_charts(page, count: int, timeout: float = 180_000) -> None:
    wait_until_idle(page, timeout)
    page.wait_for_function(f"() => ({HIGHLIGHTED})().length === {count}", timeout=timeout)


def highlighted(page) -> list[list[int]]:
    return page.evaluate(HIGHLIGHTED)


def point_on_screen(page, chart: int, point: int = 18) -> tuple[float, float]:
    """Where Plotly draws one point (test digit `point`, a 3) of one chart, by its own axis
    mapping, scrolled into view."""
    plot = page.locator(".js-plotly-plot").nth(chart)
    plot.scroll_into_view_if_needed()
    plot.evaluate("gd => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return tuple(plot.evaluate(f"""gd => {{
        const L = gd._fullLayout, t = gd._fullData[0], r = gd.getBoundingClientRect();
        return [r.left + L._size.l + L.xaxis.l2p(t.x[{point}]), r.top + L._size.t + L.yaxis.l2p(t.y[{point}])];
    }}"""))


def hover(page, x: float, y: float) -> int:
    """Move the pointer to (x, y) and return the test index its hover label names: points overlap,
    and Plotly picks the one on top, which a person sees in the label."""
    page.mouse.move(x, y)
    label = page.locator(".hoverlayer .hovertext").first
    label.wait_for(timeout=10_000)
    return int(re.search(r"test image #(\d+)", label.text_content()).group(1))


def wait_for_selection(page, expected: list[int], timeout: float = 60_000) -> None:
    page.wait_for_function(f"() => {{ const h = ({HIGHLIGHTED})(); return h.length > 0 && "
                           f"h.every(s => JSON.stringify(s) === {str(expected)!r}); }}", timeout=timeout)


def wait_for_one_selected(page, timeout: float = 60_000) -> int:
    """Until every chart highlights the same single test digit; returns its index."""
    page.wait_for_function(f"() => {{ const h = ({HIGHLIGHTED})(); return h.length === 3 && "
                           f"h.every(s => s.length === 1 && s[0] === h[0][0]); }}", timeout=timeout)
    return highlighted(page)[0][0]


def distance_to(page, chart: int, index: int, x: float, y: float) -> float:
    """Screen distance from (x, y) to where the chart draws test digit `index`."""
    plot = page.locator(".js-plotly-plot").nth(chart)
    px, py = plot.evaluate(f"""gd => {{
        const L = gd._fullLayout, r = gd.getBoundingClientRect();
        for (const t of gd._fullData) for (let i = 0; i < t.x.length; i++)
            if (t.customdata[i][0] === {index})
                return [r.left + L._size.l + L.xaxis.l2p(t.x[i]), r.top + L._size.t + L.yaxis.l2p(t.y[i])];
    }}""")
    return ((px - x) ** 2 + (py - y) ** 2) ** 0.5


@pytest.mark.parametrize("path", list(PAGES))
def test_click_selects_one_digit_everywhere_and_clear_empties_every_chart(server, browser, path):
    context, page = open_page(browser, server, path, DESKTOP)
    try:
        everything = highlighted(page)
        assert all(len(h) == 3000 for h in everything)  # nothing selected: every point drawn in full
        chart = 1  # not the first chart: the selection must reach the ones before it too
        x, y = point_on_screen(page, chart)
        wanted = hover(page, x, y)  # hover first, as a person does
        page.mouse.click(x, y)
        wait_for_selection(page, [wanted])
        page.get_by_text("1 selected.").first.wait_for(timeout=30_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{path}_selected_1280.png")

        page.get_by_role("button", name="Clear selection").click()
        wait_for_charts(page, PAGES[path][1])
        page.wait_for_function(f"() => ({HIGHLIGHTED})().every(h => h.length === 3000)", timeout=60_000)
        assert page.get_by_text("selected.").count() == 0
        assert page.get_by_role("button", name="Clear selection").is_disabled()
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
        wait_for_selection(page, [wanted])
        x, y = point_on_screen(page, 0)  # the charts were drawn anew: the same point, in the new chart
        assert hover(page, x, y) == wanted
        page.mouse.click(x, y)
        page.wait_for_function(f"() => ({HIGHLIGHTED})().length === 3 && ({HIGHLIGHTED})().every(h => h.length === 3000)",
                               timeout=60_000)
    finally:
        context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_tapping_a_point_on_a_phone_selects_it_everywhere(server, browser, path):
    context, page = open_page(browser, server, path, PHONE)
    try:
        chart = 2
        x, y = point_on_screen(page, chart)
        page.touchscreen.tap(x, y)
        # A phone shows no hover label before the tap: the digit that lights up in every chart is
        # one drawn under the finger (points overlap; Plotly picks the one on top).
        picked = wait_for_one_selected(page)
        assert distance_to(page, chart, picked, *point_on_screen(page, chart)) < 8
        page.get_by_text("1 selected.").first.wait_for(timeout=30_000)
        page.screenshot(path=SCREENSHOTS / f"{path}_selected_390.png")
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()


def test_a_lasso_from_the_toolbar_selects_the_same_digits_everywhere(server, browser):
    context, page = open_page(browser, server, "dimensions", DESKTOP)
    try:
        plot = page.locator(".js-plotly-plot").first  # the t-SNE map
        plot.scroll_into_view_if_needed()
        box = plot.locator(".nsewdrag").first.bounding_box()
        plot.hover()  # the toolbar shows while the pointer is over the chart
        plot.locator(".modebar-btn[data-val='lasso']").first.click()
        cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"] * 0.2
        page.mouse.move(cx - r, cy - r)
        page.mouse.down()
        for x, y in [(cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r), (cx - r, cy - r)]:
            page.mouse.move(x, y, steps=8)
        page.mouse.up()
        page.wait_for_function(f"() => {{ const h = ({HIGHLIGHTED})(); return h.length === 3 && h[0].length > 1 && "
                               f"h[0].length < 3000 && h.every(s => JSON.stringify(s) === JSON.stringify(h[0])); }}",
                               timeout=60_000)
        count = len(highlighted(page)[0])
        page.get_by_text(f"{count} selected.").first.wait_for(timeout=30_000)
    finally:
        context.close()


EMPTY_SPOT = """gd => {
    // A spot of the plot area at least 25 px from every drawn point (outliers included).
    const L = gd._fullLayout, r = gd.getBoundingClientRect(), s = L._size, pts = [];
    for (const t of gd._fullData) for (let i = 0; i < t.x.length; i++) pts.push([L.xaxis.l2p(t.x[i]), L.yaxis.l2p(t.y[i])]);
    for (let y = 12; y < s.h - 12; y += 6) for (let x = 12; x < s.w - 12; x += 6)
        if (pts.every(([px, py]) => Math.hypot(px - x, py - y) > 25)) return [r.left + s.l + x, r.top + s.t + y];
    return null;
}"""


@pytest.mark.parametrize("path", list(PAGES))
def test_a_click_or_double_click_on_empty_space_clears_the_selection(server, browser, path):
    context, page = open_page(browser, server, path, DESKTOP)
    everything = f"() => ({HIGHLIGHTED})().length === 3 && ({HIGHLIGHTED})().every(h => h.length === 3000)"
    try:
        for clear in ("double-click", "empty space"):
            x, y = point_on_screen(page, 1)
            wanted = hover(page, x, y)
            page.mouse.click(x, y)
            wait_for_selection(page, [wanted])
            plot = page.locator(".js-plotly-plot").nth(1)
            plot.scroll_into_view_if_needed()
            spot = plot.evaluate(EMPTY_SPOT)
            assert spot, "no empty spot in the chart"
            page.mouse.move(*spot)
            # (A double-click on a point is two clicks on it: select, then unselect; Streamlit
            # redraws the chart between them, so the browser sees no double-click there.)
            page.mouse.dblclick(*spot) if clear == "double-click" else page.mouse.click(*spot)
            page.wait_for_function(everything, timeout=60_000)
            assert page.get_by_role("button", name="Clear selection").is_disabled(), clear
    finally:
        context.close()


def test_a_phone_can_lasso_with_a_finger(server, browser):
    """The linked charts keep a toolbar on a phone (box and lasso only, clear of the titles), and a
    finger drawn round some points selects them in every chart."""
    context, page = open_page(browser, server, "compare", PHONE)
    try:
        plot = page.locator(".js-plotly-plot").first
        plot.scroll_into_view_if_needed()
        lasso = plot.locator(".modebar-btn[data-val='lasso']").first
        assert lasso.is_visible()
        title, bar = plot.locator(".gtitle").first.bounding_box(), plot.locator(".modebar").first.bounding_box()
        assert title["x"] + title["width"] <= bar["x"] or title["y"] + title["height"] <= bar["y"], (title, bar)
        lasso.tap()
        box = plot.locator(".nsewdrag").first.bounding_box()
        cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"] * 0.25
        cdp = context.new_cdp_session(page)
        path = [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r), (cx - r, cy - r)]
        steps = [path[0]] + [(a[0] + (b[0] - a[0]) * k / 8, a[1] + (b[1] - a[1]) * k / 8)
                             for a, b in zip(path, path[1:]) for k in range(1, 9)]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": steps[0][0], "y": steps[0][1]}]})
        for x, y in steps[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_function(f"() => {{ const h = ({HIGHLIGHTED})(); return h.length === 3 && h[0].length > 1 && "
                               f"h[0].length < 3000 && h.every(s => JSON.stringify(s) === JSON.stringify(h[0])); }}",
                               timeout=60_000)
        page.get_by_text(f"{len(highlighted(page)[0])} selected.").first.wait_for(timeout=30_000)
        page.screenshot(path=SCREENSHOTS / "compare_lasso_390.png")
    finally:
        context.close()
