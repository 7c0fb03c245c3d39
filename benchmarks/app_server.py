"""`streamlit run app.py` on a free localhost port, and Debian's Chromium to drive it: shared by
the app benchmark (`benchmarks/app_latency.py`) and the browser tests (`tests/test_browser.py`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Debian's Chromium (Playwright's own download does not work offline); the flags keep it from
# reaching for the network at start-up.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(env: dict | None = None, start_timeout: float = 90.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start the app, wait for its health check to answer, yield (url, process), stop it.

    Raises RuntimeError, with the server's own output, if it exits or does not answer in
    `start_timeout` seconds: a benchmark or test must not carry on against no server.
    """
    port = free_port()
    # The server's output goes to a file (a pipe nobody reads could fill and block it); it is
    # shown if the server fails to start.
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
             "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        url = f"http://127.0.0.1:{port}"
        try:
            if not answers_health_check(url, proc, start_timeout):
                log.seek(0)
                raise RuntimeError(f"streamlit did not answer {url}/_stcore/health within {start_timeout:.0f} s "
                                   f"(exit code {proc.poll()}); its output:\n{log.read()[-4000:]}")
            yield url, proc
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def answers_health_check(url: str, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return True
        except OSError:
            time.sleep(0.2)  # the polling interval, not a wait for a result
    return False


def wait_until_idle(page, timeout_ms: float = 300_000) -> None:
    """Until the script run has finished, every element's code has arrived and every image on
    the page has been decoded. Streamlit loads an element type's code the first time it is
    drawn and shows a grey skeleton (`stSkeleton`) until then: on a busy machine that can be
    seconds after the run ends, and a check or screenshot taken then sees grey boxes."""
    page.wait_for_function(
        """() => { const app = document.querySelector('[data-testid="stApp"]');
                   const state = app && app.getAttribute('data-test-script-state');
                   return state && !['initial', 'running', 'rerunRequested'].includes(state)
                          && !document.querySelector('[data-testid="stSkeleton"]')
                          && [...document.images].every(img => img.complete || img.loading === 'lazy'); }""",
        timeout=timeout_ms)


def wait_for_pad(page, timeout_ms: float = 180_000) -> None:
    """Until the latent pad has drawn its first decode: in the page by ONNX Runtime Web (the
    digit canvas counts its updates), or from the precomputed grid where WebAssembly is missing.

    The component lives in a shadow root, which document.querySelector does not enter, so
    the canvases are found by Playwright's locator and handed to the check. The WebAssembly
    runtime and the ONNX file load once per page: on a busy 2-core machine that can take a minute."""
    # Re-read through the locator each time: a rerun may mount the component's canvases anew.
    digit = page.locator("canvas.digit")
    digit.wait_for(timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if digit.evaluate("e => Number(e.dataset.updates) > 0 || "
                          "e.getRootNode().querySelector('canvas.pad').dataset.mode === 'fallback'"):
            return
        page.wait_for_timeout(250)
    raise TimeoutError(f"the latent pad drew no decode within {timeout_ms / 1000:.0f} s")


def drag_in_circles(page, pad, counter, seconds: float) -> tuple[int, float, int]:
    """Press on the pad and move the mouse round a circle for `seconds` (Playwright's own
    pointer moves); returns (moves, seconds taken, how much `counter`'s data-updates grew)."""
    import math

    box = pad.bounding_box()
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"] * 0.35
    page.mouse.move(cx + r, cy)
    page.mouse.down()
    before = int(counter.evaluate("e => e.dataset.updates"))
    start, moves = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        page.mouse.move(cx + r * math.cos(moves * 0.15), cy + r * math.sin(moves * 0.15))
        moves += 1
    elapsed = time.perf_counter() - start
    return moves, elapsed, int(counter.evaluate("e => e.dataset.updates")) - before
