"""App latency and memory: first render of each page (through Streamlit's AppTest, in this
process), and, against `streamlit run` in a real browser, decoded-image updates per second while
the latent pad is dragged, what a latent move and a pick in the scatter take from the person's
action to the picture, and the peak memory of the app process after every page has been visited."""

from __future__ import annotations

import resource
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks.app_server import CHROMIUM, CHROMIUM_ARGS, ROOT, drag_in_circles, running_app, wait_for_pad, wait_until_idle

APP = str(ROOT / "app.py")
PAGES = ["latent", "compare", "denoise", "super_resolution", "interpolate", "beta", "history", "dimensions", "models"]


def first_renders() -> dict:
    from streamlit.testing.v1 import AppTest

    out = {}
    for page in PAGES:
        at = AppTest.from_file(APP, default_timeout=300)
        at.switch_page(f"app_pages/{page}.py")
        start = time.perf_counter()
        at.run()
        out[page] = {"seconds": time.perf_counter() - start, "exception": bool(at.exception)}
    return out


def peak_memory_mb() -> float:
    """This process's peak resident memory (the AppTest runs above load every model here)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def process_peak_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of another process, from Linux's /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def latent_update_waits(page, n: int, frames: list) -> tuple[list[float], int]:
    """What the person waits for after moving a latent slider: from the key press on the pad's
    z1 slider in Chromium to the moment the page has decoded and drawn the digit at the new
    point (the digit canvas's update count). The decode runs in the page; the websocket frames
    the page sent meanwhile are counted from `frames` (every frame the page's websocket sent,
    recorded since before the page opened; none is expected). Seconds per move, frames sent."""
    slider = page.locator("input.z1")
    digit = page.locator("canvas.digit").element_handle()
    slider.focus()
    sent_before = len(frames)
    waits = []
    for i in range(n):
        before = int(digit.evaluate("e => e.dataset.updates"))
        start = time.perf_counter()
        slider.press("ArrowRight" if i % 20 < 10 else "ArrowLeft")  # back and forth inside the range
        page.wait_for_function("([e, before]) => +e.dataset.updates > before", arg=[digit, before],
                               polling="raf", timeout=120_000)
        waits.append(time.perf_counter() - start)
    return waits, len(frames) - sent_before


def pick_waits(page, n: int, frames: list) -> tuple[list[float], int]:
    """What the person waits for after clicking a test digit in the latent scatter: from the
    click to the page having drawn that digit beside its reconstruction (decoded in the page;
    the first pick from a sheet of 100 test digits fetches it). Seconds per pick, and the
    websocket frames the page sent meanwhile (none is expected)."""
    chart = page.locator(".st-key-scatter_vae-2 .latent-scatter canvas").first
    chart.scroll_into_view_if_needed()
    picked = page.locator(".picked").element_handle()
    sent_before = len(frames)
    waits = []
    for i in range(n):
        # Test image i * 251 or the next one drawn: spread over the plane and over the sheets of test digits.
        x, y = chart.evaluate("(c, i) => { while (!c.pointAt(i % 10000)) i++; return c.pointAt(i % 10000); }",
                              i * 251)
        page.mouse.move(x, y)  # hover first, as a person does: the label names the point a click picks
        page.locator(".st-key-scatter_vae-2 .tip:not([hidden])").wait_for(timeout=10_000)
        before = int(picked.evaluate("e => e.dataset.updates"))
        start = time.perf_counter()
        page.mouse.click(x, y)
        page.wait_for_function("([e, before]) => +e.dataset.updates > before", arg=[picked, before],
                               polling="raf", timeout=120_000)
        waits.append(time.perf_counter() - start)
    return waits, len(frames) - sent_before


def summary_ms(waits: list[float]) -> dict:
    ms = sorted(w * 1000 for w in waits)
    return {"p50_ms": statistics.median(ms), "p95_ms": ms[int(0.95 * (len(ms) - 1))], "max_ms": ms[-1], "n": len(ms)}


def browser_session(seconds: float = 3.0, latent_moves: int = 30, picks: int = 30) -> dict:
    """`streamlit run app.py` as a user gets it, driven by Chromium: visit every page (so every
    model and cache is loaded), drag across the latent pad for `seconds` and count how often
    the digit canvas was redrawn, then time `latent_moves` slider moves from the key press to
    the updated picture, and `picks` clicks on test digits in the scatter to the picked digit
    and its reconstruction drawn. Reports the app process's own peak memory."""
    from playwright.sync_api import sync_playwright

    with running_app(env={"MALLOC_ARENA_MAX": "2"}) as (url, proc):  # as `make run` starts it
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            frames = []  # every websocket frame the page sends, from the first page on
            page.on("websocket", lambda ws: ws.on("framesent", lambda frame: frames.append(frame)))
            for path in [p for p in PAGES if p != "latent"]:
                page.goto(f"{url}/{path}")
                page.locator("h1").first.wait_for(timeout=300_000)
                wait_until_idle(page)
            page.goto(url)
            pad = page.locator("canvas.pad")
            pad.wait_for(timeout=120_000)
            wait_until_idle(page)
            wait_for_pad(page)
            moves, elapsed, updates = drag_in_circles(page, pad, pad, seconds)
            page.mouse.up()
            wait_until_idle(page)
            waits, frames_sent = latent_update_waits(page, latent_moves, frames)
            pick_times, pick_frames = pick_waits(page, picks, frames)
            browser.close()
        waits_ms = sorted(w * 1000 for w in waits)
        return {"latent_update_p50_ms": statistics.median(waits_ms),
                "latent_update_p95_ms": waits_ms[int(0.95 * (len(waits_ms) - 1))], "latent_update_max_ms": waits_ms[-1],
                "latent_update_moves": len(waits_ms), "latent_update_frames_sent": frames_sent,
                "pick": {**summary_ms(pick_times), "frames_sent": pick_frames},
                "updates_per_second": updates / elapsed, "pointer_moves_per_second": moves / elapsed,
                "seconds": elapsed, "app_peak_memory_mb": process_peak_mb(proc.pid),
                "pages_visited": list(PAGES)}


TARGETS = {"first_content_s": 3.0, "complete_s": 5.0, "warm_switch_s": 1.5}
TITLES = {"latent": "Latent explorer", "compare": "AE against PCA", "denoise": "Denoise",
          "super_resolution": "Super-resolution", "interpolate": "Interpolate and sample",
          "beta": "The beta trade-off", "history": "How the latent space learns",
          "dimensions": "More than two dimensions", "models": "Models"}


def page_timings(pages: list[str] = PAGES) -> dict:
    """Per page, on a freshly started server (nothing cached): seconds from opening the page to
    its title and intro on screen (first content) and to the end of its script run (complete).
    Then, on one warm server, the seconds a page switch through the menu takes to complete."""
    from playwright.sync_api import sync_playwright

    cold = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name in pages:
            with running_app(env={"MALLOC_ARENA_MAX": "2"}, start_timeout=300) as (url, _):  # as `make run` starts it
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                start = time.perf_counter()
                page.goto(f"{url}/{'' if name == 'latent' else name}")
                page.locator("h1").first.wait_for(timeout=300_000)
                first = time.perf_counter() - start
                wait_until_idle(page)
                cold[name] = {"first_content_s": first, "complete_s": time.perf_counter() - start}
                page.close()
        warm = {}
        with running_app(env={"MALLOC_ARENA_MAX": "2"}, start_timeout=300) as (url, _):
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            for name in pages:  # warm every cache first
                page.goto(f"{url}/{'' if name == 'latent' else name}")
                page.locator("h1").first.wait_for(timeout=300_000)
                wait_until_idle(page)
            for name in [*pages[1:], pages[0]]:
                start = time.perf_counter()
                page.locator("[data-testid='stSidebarNavLink']", has_text=TITLES[name]).first.click()
                page.wait_for_function("n => location.pathname.replace('/', '') === n", arg="" if name == "latent" else name)
                wait_until_idle(page)
                warm[name] = time.perf_counter() - start
        browser.close()
    return {"cold": cold, "warm_switch_s": warm, "targets": TARGETS}
