"""App latency and memory: first render of each page, server time of one latent update,
peak memory with every model loaded (all through Streamlit's AppTest, in this process),
and decoded-image updates per second in a real browser while the latent pad is dragged."""

from __future__ import annotations

import resource
import statistics
import time
from pathlib import Path

import numpy as np

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["latent", "compare", "denoise", "super_resolution", "interpolate", "models"]


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


def latent_updates(n: int = 200) -> dict:
    """Move the z1 slider n times; each move is one rerun as the browser would trigger it."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    values = np.linspace(-2, 2, n)
    times = []
    for v in values:
        at.slider(key="z1").set_value(round(float(v), 2))
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"updates": n, "p50_ms": statistics.median(times), "p95_ms": times[int(0.95 * (n - 1))],
            "note": "a full AppTest rerun of the latent page per move: an upper bound on the fragment's server time"}


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def browser_updates_per_second(seconds: float = 3.0) -> dict:
    """Drag across the pad for `seconds` and count how often the digit canvas was redrawn."""
    import socket
    import subprocess
    import sys
    import urllib.request

    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", APP, "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(url)
            pad = page.locator("canvas.pad")
            pad.wait_for(timeout=120_000)
            page.wait_for_timeout(1000)
            box = pad.bounding_box()
            cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"] * 0.35
            page.mouse.move(cx + r, cy)
            page.mouse.down()
            before = int(pad.evaluate("e => e.dataset.updates"))
            start, moves = time.perf_counter(), 0
            while time.perf_counter() - start < seconds:
                angle = moves * 0.15
                page.mouse.move(cx + r * np.cos(angle), cy + r * np.sin(angle))
                moves += 1
            elapsed = time.perf_counter() - start
            after = int(pad.evaluate("e => e.dataset.updates"))
            page.mouse.up()
            browser.close()
        return {"updates_per_second": (after - before) / elapsed, "pointer_moves_per_second": moves / elapsed,
                "seconds": elapsed}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
