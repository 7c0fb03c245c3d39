"""The latent pad running the models in the page (ONNX Runtime Web, WebAssembly), in headless
Chromium against `streamlit run`: decodes per second while the pad is dragged, for every 2-D
model; the time from a stroke to its code on the pad; and the bytes a browser downloads to
open the latent explorer (each model's two ONNX files, and the runtime shared by all)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse


from benchmarks.app_server import CHROMIUM, CHROMIUM_ARGS, ROOT, drag_in_circles, running_app, wait_until_idle

MODELS = ["vae-2", "conv_vae-2", "cvae-2", "aae-2", "conv_ae-2"]
ROUTE = "/_stcore/bidi-components/"


def served_file(url: str) -> Path | None:
    """The file behind a components-v2 asset URL (ours: the pad's bundle or a model's ONNX)."""
    path = unquote(urlparse(url).path)
    if ROUTE not in path:
        return None
    component, _, rest = path.split(ROUTE, 1)[1].partition("/")
    base = {"latent_explorer.onnx_pad": ROOT / "app_pages/components/onnx_pad/assets",
            "latent_explorer.weights": ROOT / "pretrained"}.get(component)
    return base / rest if base else None


def wait_for_wasm(page, model: str) -> None:
    digit = page.locator("canvas.digit")
    for _ in range(1200):
        info = digit.evaluate("e => ({model: e.dataset.model, "
                              "mode: e.getRootNode().querySelector('canvas.pad').dataset.mode})")
        if info["model"] == model and info["mode"] == "wasm":
            return
        if info["mode"] == "fallback":
            raise RuntimeError("the pad fell back to the precomputed grid")
        page.wait_for_timeout(100)
    raise RuntimeError(f"{model} never decoded in the page")


def drag(page, seconds: float) -> dict:
    pad, digit = page.locator("canvas.pad"), page.locator("canvas.digit")
    pad.scroll_into_view_if_needed()
    moves, elapsed, updates = drag_in_circles(page, pad, digit, seconds)
    # Playwright's moves cross processes and arrive slower than a mouse's (and headless
    # Chromium's frame rate on a busy 2-core CPU is ~20/s), so also move the pointer from
    # inside the page every 4 ms, still pressed: faster than any mouse reports, so the pad
    # decodes as often as it can (moves that arrive during a decode are merged into the next).
    in_page = pad.evaluate("""(pad, seconds) => new Promise(done => {
        const digit = pad.getRootNode().querySelector('canvas.digit'), r = pad.getBoundingClientRect();
        const before = +digit.dataset.updates, t0 = performance.now();
        let moves = 0;
        const step = () => {
            const now = performance.now(), a = moves * 0.15;
            if (now - t0 > seconds * 1000) {
                return done({decodes: +digit.dataset.updates - before, moves, seconds: (now - t0) / 1000});
            }
            pad.dispatchEvent(new PointerEvent('pointermove', {bubbles: true, clientX: r.left + r.width * (0.5 + 0.35 * Math.cos(a)),
                                                              clientY: r.top + r.height * (0.5 + 0.35 * Math.sin(a))}));
            moves++;
            setTimeout(step, 4);
        };
        setTimeout(step, 4);
    })""", seconds)
    ms = float(pad.evaluate("e => e.dataset.decodeMs"))
    page.mouse.up()
    wait_until_idle(page)
    return {"decodes_per_second": in_page["decodes"] / in_page["seconds"],
            "page_moves_per_second": in_page["moves"] / in_page["seconds"],
            "playwright_decodes_per_second": updates / elapsed,
            "playwright_moves_per_second": moves / elapsed, "last_decode_ms": ms}


def draw_seven(page) -> dict:
    """Three strokes of a 7; after each, the time until the page's code for it was on the pad."""
    draw = page.locator("canvas.draw")
    draw.scroll_into_view_if_needed()
    box = draw.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    lags = []
    page.mouse.move(x + 0.2 * w, y + 0.2 * h)
    page.mouse.down()
    for px, py in [(0.8, 0.2), (0.55, 0.55), (0.4, 0.85)]:
        page.mouse.move(x + px * w, y + py * h, steps=6)
        # The first encode that started after the stroke's last move: from that move to its point.
        for _ in range(200):
            t = draw.evaluate("e => [+e.dataset.lastMove, +e.dataset.encodeStart, +e.dataset.encodeEnd]")
            if t[1] >= t[0] and t[2] >= t[1]:
                lags.append(t[2] - t[0])
                break
            page.wait_for_timeout(20)
        else:
            raise RuntimeError("no encode followed the stroke")
    page.mouse.up()
    page.get_by_role("button", name="Clear").click()
    return {"stroke_to_point_ms": lags, "last_encode_ms": float(draw.evaluate("e => e.dataset.encodeMs"))}


def in_page_session(seconds: float = 3.0, models: list[str] | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    with running_app(env={"MALLOC_ARENA_MAX": "2"}, start_timeout=300) as (url, _):  # as `make run` starts it
        out = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for model in models or MODELS:
                # A fresh context per model: an empty cache, so every byte it needs is fetched.
                context = browser.new_context(viewport={"width": 1500, "height": 1100})
                page = context.new_page()
                fetched = []
                page.on("requestfinished", lambda r: fetched.append(r.url))
                page.goto(url)
                page.locator("canvas.pad").wait_for(timeout=300_000)
                wait_until_idle(page)
                if model != "vae-2":
                    page.locator("[data-testid='stSelectbox']").first.click()
                    page.get_by_role("option").filter(has_text=f"({model})").click()
                    wait_until_idle(page)
                wait_for_wasm(page, model)
                row = {**drag(page, seconds), **draw_seven(page)}
                files = {f for f in (served_file(u) for u in fetched) if f and f.is_file()}
                row["weight_bytes"] = sum(f.stat().st_size for f in files if f.suffix == ".onnx"
                                          and f.parent.name == model)
                row["runtime_bytes"] = sum(f.stat().st_size for f in files if f.parent.name == "assets")
                out[model] = row
                context.close()
            browser.close()
        return {"models": out, "seconds_per_model": seconds}


def main() -> None:
    import json
    print(json.dumps(in_page_session(), indent=2))


if __name__ == "__main__":
    main()
