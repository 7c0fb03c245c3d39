"""Run every benchmark, print the tables, write docs/benchmarks.md and docs/benchmarks.json.

    python -m benchmarks.run                 # the full run (make bench)
    python -m benchmarks.run --quick         # same code on tiny settings (make bench-quick)
    python -m benchmarks.run --only sizes published

--quick trains on a few hundred images for one epoch and writes to artifacts/bench-quick/:
its figures are meaningless, it exists so the code paths are exercised by `make test`.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from benchmarks import app_latency, beta_trade_off, in_page, latent_sizes, photos, published, serving, speed, throughput
from explorer.data import load_split
from explorer.evaluate import denoising_metrics, fit_pca, super_resolution_metrics
from explorer.pretrained import list_pretrained, load_card, load_pretrained, model_dir
from explorer.releases import RELEASES, versions
from explorer.shipped import CLASSIFIER, classifier_dir, read_card
from explorer.train import pick_device

SECTIONS = ("sizes", "published", "baselines", "beta", "speed", "train_all", "throughput", "app", "classroom", "photos")

FULL = {"size_epochs": 5, "hinton_epochs": 16, "vae_epochs": 100, "vae_k": 1000, "vae_test_images": None,
        "lesson_epochs": speed.LESSON_EPOCHS, "lesson_train_images": None, "speed_check_every": 200,
        "throughput_rounds": 5, "throughput_batches": 30, "browser_picks": 40, "browser_seconds": 3.0,
        "browser_latent_moves": 60, "photos_per_condition": 36, "timed_pages": app_latency.PAGES,
        # classroom: students per run, seconds each; a 10-minute soak with 20 seats, GC on and off.
        "classroom_sizes": (1, 10, 30, 60), "classroom_seconds": 60, "classroom_settle_s": 10,
        "soak_s": 600, "soak_seats": 20, "soak_stay_s": (30, 120), "soak_wait_ttl": True,
        "balanced_students": 20, "balanced_s": 60}
QUICK = {"size_epochs": 1, "hinton_epochs": 1, "vae_epochs": 1, "vae_k": 8, "vae_test_images": 64,
         "lesson_epochs": 1, "lesson_train_images": 512, "speed_check_every": 2,
         "throughput_rounds": 1, "throughput_batches": 2, "browser_picks": 3, "browser_seconds": 0.5,
         "browser_latent_moves": 3, "photos_per_condition": 1, "timed_pages": ["models", "super_resolution"],
         "train_images": 512, "test_images": 256,
         "classroom_sizes": (2,), "classroom_seconds": 6, "classroom_settle_s": 1,
         "soak_s": 12, "soak_seats": 2, "soak_stay_s": (4, 8), "soak_wait_ttl": False,
         "balanced_students": 4, "balanced_s": 15}


class Lap:
    """Minutes since the previous call (or since it was made): one section's own duration."""

    def __init__(self):
        self.last = time.perf_counter()

    def __call__(self) -> float:
        now = time.perf_counter()
        minutes, self.last = (now - self.last) / 60, now
        return round(minutes, 1)


def cpu_name() -> str:
    """The CPU's model name and the widest vector unit torch uses on it (AVX2, AVX512): the
    same figure differs between the machines a run may land on."""
    name = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        name = models[0] if models else name
    return f"{name}, {torch.backends.cpu.get_cpu_capability()}"


def machine() -> dict:
    import os
    return {"cpu": cpu_name(), "cores": os.cpu_count(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "platform": platform.platform()}


def train_all_table() -> dict:
    """What `python train_all.py` trains, from the shipped cards and files: every release and the classifier."""
    folders = {name: model_dir(name) for name in list_pretrained()} | {CLASSIFIER: classifier_dir()}
    return speed.train_all_table({name: load_card(name) if name != CLASSIFIER else read_card(name)
                                  for name in folders},
                                 {name: (f / "model.safetensors").stat().st_size for name, f in folders.items()})


def markdown(results: dict) -> str:
    minutes, cpus = results.get("section_minutes", {}), results.get("section_cpu", {})

    def when(k: str, v: str) -> str:
        # Sections run before durations and CPUs were recorded show neither.
        notes = [f"{minutes[k]} min"] if k in minutes else []
        notes += [cpus[k]] if k in cpus else []
        return f"{k} {v[:16]}" + (f" ({'; '.join(notes)})" if notes else "")

    s = [f"# Benchmarks\n\nLatest run on {results['machine']['cores']} CPU cores ({results['machine']['cpu']}), "
         f"GPU: {results['machine']['gpu']}; torch {results['versions']['torch']}. Reproduce with `make bench` "
         f"(`python -m benchmarks.run`; `--only SECTION` reruns one).\n",
         "Each section, when it was last run, how long it took and on which CPU: "
         + ", ".join(when(k, v) for k, v in results.get("sections_run", {}).items()) + "\n"]
    if "sizes" in results:
        r = results["sizes"]
        s.append(f"## AE against PCA across latent size\n\nConvolutional AE trained {r['epochs']} epochs at each size; "
                 "MNIST test set. ![MSE against latent size](ae_vs_pca.png)\n")
        s.append("| d | AE MSE | PCA MSE | AE PSNR | PCA PSNR | AE k-NN | PCA k-NN |\n|---|---|---|---|---|---|---|")
        for row in r["rows"]:
            s.append(f"| {row['latent_dim']} | {row['ae_mse']:.4f} | {row['pca_mse']:.4f} | {row['ae_psnr']:.2f} | "
                     f"{row['pca_psnr']:.2f} | {row['ae_knn']:.3f} | {row['pca_knn']:.3f} |")
        s.append("")
    if "published" in results:
        p = results["published"]
        h = p["hinton"]
        s.append("## Quality against published results\n")
        s.append(f"Reconstruction, squared error per test image at d = 30: convolutional AE **{h['ae_squared_error']:.2f}** "
                 f"({h['epochs']} epochs) against {h['hinton_ae']:.2f} for Hinton & Salakhutdinov's deep AE; "
                 f"PCA-30 here {h['pca_squared_error']:.2f} (published {h['hinton_pca']:.2f}).\n")
        s.append("| VAE latent | encoder | epochs | K | test images | -log p(x), nats | Davidson et al. Gaussian VAE |\n"
                 "|---|---|---|---|---|---|---|")
        for v in p["vae"]:
            net = "-".join(str(n) for n in [784, *v.get("hidden_layers", [512]), v["latent_dim"]])
            s.append(f"| {v['latent_dim']} | {net} | {v['epochs']} | {v['k']} | {v['test_images']} | "
                     f"**{v['nll_nats']:.2f}** | {v['davidson_gaussian_vae']} |")
        s.append("")
    if "baselines" in results:
        p = results["baselines"]
        s.append("## Denoising and super-resolution against classic methods\n")
        s.append("Denoising (shipped `denoising_ae`), PSNR dB / SSIM:\n")
        s.append("| sigma | noisy | 3x3 median | Gaussian blur | PCA-32 | denoising AE |\n|---|---|---|---|---|---|")
        for key, row in p["denoising"].items():
            if not key.startswith("sigma_"):
                continue
            cell = lambda k: f"{row[k]['psnr']:.2f} / {row[k]['ssim']:.3f}"  # noqa: E731
            s.append(f"| {key[6:]} | {cell('noisy')} | {cell('median3')} | {cell('gaussian_blur')} | {cell('pca')} | **{cell('model')}** |")
        s.append("\nSuper-resolution (shipped models), PSNR dB / SSIM:\n")
        s.append("| factor | nearest | bilinear | bicubic | autoencoder |\n|---|---|---|---|---|")
        for f, m in p["super_resolution"].items():
            s.append(f"| x{f} | " + " | ".join(f"{m[k]['psnr']:.2f} / {m[k]['ssim']:.3f}" for k in ("nearest", "bilinear", "bicubic"))
                     + f" | **{m['psnr']:.2f} / {m['ssim']:.3f}** |")
        s.append("")
    if "beta" in results:
        s += beta_trade_off.markdown(results["beta"])
    if "speed" in results:
        s += speed.markdown(results["speed"])
    if "train_all" in results:
        s += speed.train_all_markdown(results["train_all"])
    if "throughput" in results:
        t = results["throughput"]
        s.append("## Where the time goes: training throughput\n\nSecondary to time to quality above. Images per second of train_all.py's loop against the lesson's "
                 "DataLoader + ToTensor loop (run in its own process), interleaved rounds, median. "
                 "*Step only* is the train step alone on one batch made in advance: no data pipeline "
                 "can feed it faster, so its ratio is the most that changing the loop alone could reach.\n")
        s.append("| model | device | ours | lesson loop | ratio | step only | ratio bound |\n|---|---|---|---|---|---|---|")
        for row in t["runs"]:
            # Runs from before the step-only figure existed lack it.
            step = f"{row['step_only_images_per_s']:.0f} | {row['speedup_bound']:.2f}x" if "speedup_bound" in row else "- | -"
            s.append(f"| {row['model']} | {row['device']} | {row['ours_images_per_s']:.0f} | "
                     f"{row['reference_images_per_s']:.0f} | **{row['speedup']:.2f}x** | {step} |")
        for row in t["runs"]:
            if "speedup_ceiling" in row:  # absent from runs made before it was measured
                s.append(f"\n{row['model']} on {row['device']}: a train step costs {row['flops_per_image'] / 1e6:.1f} "
                         f"MFLOP per image (PyTorch's FLOP counter). At {row['matmul_gflops']:.0f} GFLOPS, this "
                         f"machine's speed on a 2048x2048 fp32 matrix product, no fp32 loop over this model "
                         f"passes {row['arithmetic_bound_images_per_s']:.0f} images/s: "
                         f"{row['speedup_ceiling']:.2f}x the lesson loop.")
        s.append("")
    if "app" in results:
        a = results["app"]
        s.append("## App latency and memory\n")
        b = a["browser"]
        if "latent_update_frames_sent" in b:  # the z sliders in the page (earlier runs timed a server rerun)
            s.append(f"- latent move as the person waits for it, in Chromium, from the key press on the pad's z1 "
                     f"slider to the digit decoded and drawn at the new point, in the page, "
                     f"{b['latent_update_moves']} moves: p50 **{b['latent_update_p50_ms']:.0f} ms**, "
                     f"p95 **{b['latent_update_p95_ms']:.0f} ms**, max {b['latent_update_max_ms']:.0f} ms; "
                     f"websocket frames sent to the server meanwhile: **{b['latent_update_frames_sent']}**")
        if "pick" in b:  # picks in the page (earlier runs timed the server's rerun for one)
            k = b["pick"]
            s.append(f"- a pick as the person waits for it, in Chromium, from the click on a test digit in the latent "
                     f"scatter to that digit and its reconstruction drawn (decoded in the page; the first pick from "
                     f"a sheet of 100 test digits fetches it, ~17 KB), {k['n']} picks: p50 **{k['p50_ms']:.0f} ms**, "
                     f"p95 **{k['p95_ms']:.0f} ms**, max {k['max_ms']:.0f} ms; websocket frames sent to the server "
                     f"meanwhile: **{k['frames_sent']}**")
        s.append("- first render: " + ", ".join(f"{k} {v['seconds']:.1f} s" for k, v in a["first_render"].items()))
        s.append(f"- peak memory of the `streamlit run` process after every page was visited in the browser: "
                 f"**{b['app_peak_memory_mb']:.0f} MB**")
        s.append(f"- browser, dragging the latent pad: **{b['updates_per_second']:.0f} decoded-image updates/s** "
                 f"({b['pointer_moves_per_second']:.0f} pointer moves/s sent by Playwright)")
        if "pages" in a:
            t = a["pages"]["targets"]
            s.append(f"\nEach page opened in Chromium at 1280x720 on a freshly started `streamlit run` (cold), and "
                     f"reached through the menu on a warm server (targets: first content < {t['first_content_s']:.0f} s, "
                     f"complete < {t['complete_s']:.0f} s cold; warm switch < {t['warm_switch_s']} s):\n")
            s.append("| page | cold first content (s) | cold complete (s) | warm switch (s) |\n|---|---|---|---|")
            for name, c in a["pages"]["cold"].items():
                w = a["pages"]["warm_switch_s"].get(name, float("nan"))
                s.append(f"| {name} | {c['first_content_s']:.1f} | {c['complete_s']:.1f} | {w:.1f} |")
        if "in_page" in a:
            s.append("\nThe latent pad decoding in the page (ONNX Runtime Web, single-threaded WebAssembly), "
                     "headless Chromium; pointer moved from inside the page every 4 ms while pressed:\n")
            s.append("| model | decodes/s | pointer moves/s | last decode | stroke to point (ms) | "
                     "weights downloaded | runtime downloaded |\n|---|---|---|---|---|---|---|")
            for name, r in a["in_page"]["models"].items():
                lags = ", ".join(f"{v:.0f}" for v in r["stroke_to_point_ms"])
                s.append(f"| {name} | **{r['decodes_per_second']:.0f}** | {r['page_moves_per_second']:.0f} | "
                         f"{r['last_decode_ms']:.1f} ms | {lags} | {r['weight_bytes'] / 1e6:.1f} MB | "
                         f"{r['runtime_bytes'] / 1e6:.1f} MB |")
        s.append("")
    if "classroom" in results:
        s += serving.markdown(results["classroom"])
    if "photos" in results:
        s += photos.markdown(results["photos"])
    return "\n".join(s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--out", type=Path, default=None, help="default: docs/ (full) or artifacts/bench-quick/ (quick)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    out = args.out or (Path("artifacts/bench-quick") if args.quick else Path("docs"))
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(args.device)

    train, test = load_split("mnist", True), load_split("mnist", False)
    if args.quick:
        train, test = train.head(settings["train_images"]), test.head(settings["test_images"])
    start, lap = time.perf_counter(), Lap()
    results = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "quick": args.quick,
               "machine": machine(), "versions": versions(), "settings": settings}
    progress = not args.quick

    if "sizes" in args.only:
        sizes = (2, 4) if args.quick else latent_sizes.SIZES
        results["sizes"] = latent_sizes.run(train, test, device, settings["size_epochs"], sizes, progress)
        latent_sizes.plot(results["sizes"], out / "ae_vs_pca.png")
        # The app's "error against latent size" chart reads this key.
        results["ae_vs_pca"] = results["sizes"]
        results.setdefault("section_minutes", {})["sizes"] = lap()
    if "published" in args.only:
        results["published"] = {
            "hinton": published.reconstruction_vs_hinton(train, test, device, settings["hinton_epochs"], progress),
            "vae": [published.vae_log_likelihood(train, test, device, d, settings["vae_epochs"], settings["vae_k"],
                                                 settings["vae_test_images"], progress) for d in (2, 10)],
        }
        results.setdefault("section_minutes", {})["published"] = lap()
    if "baselines" in args.only:
        results["baselines"] = {
            "denoising": denoising_metrics(load_pretrained("denoising_ae"), train, test, fit_pca(train)),
            "super_resolution": {f: super_resolution_metrics(load_pretrained(f"super_resolution-x{f}"), train, test, None)
                                 for f in (2, 4)},
        }
        results.setdefault("section_minutes", {})["baselines"] = lap()
    if "beta" in args.only:
        results["beta"] = beta_trade_off.run(train, test, fit_pca(train), out / "beta.png")
        results.setdefault("section_minutes", {})["beta"] = lap()
    if "speed" in args.only:
        devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
        results["speed"] = {
            "runs": [speed.run(train, test, d, settings["lesson_epochs"], settings["speed_check_every"],
                               settings["lesson_train_images"], progress) for d in devices],
        }
        results.setdefault("section_minutes", {})["speed"] = lap()
    if "train_all" in args.only:  # read from the shipped cards: rerun it after retraining a model
        results["train_all"] = train_all_table()
        results.setdefault("section_minutes", {})["train_all"] = lap()
    if "throughput" in args.only:
        runs = [throughput.run(torch.device("cpu"), settings["throughput_rounds"], settings["throughput_batches"],
                               "conv_ae", **RELEASES["conv_ae-32"].config),
                throughput.run(torch.device("cpu"), settings["throughput_rounds"], settings["throughput_batches"],
                               "ae", **RELEASES["ae-32"].config)]
        if torch.cuda.is_available():
            runs.append(throughput.run(torch.device("cuda"), settings["throughput_rounds"],
                                       settings["throughput_batches"], "conv_ae", **RELEASES["conv_ae-32"].config))
        results["throughput"] = {"runs": runs}
        results.setdefault("section_minutes", {})["throughput"] = lap()
    if "app" in args.only:
        results["app"] = {"first_render": app_latency.first_renders(),
                          "bench_process_peak_memory_mb": app_latency.peak_memory_mb(),
                          "browser": app_latency.browser_session(settings["browser_seconds"],
                                                                 settings["browser_latent_moves"],
                                                                 settings["browser_picks"]),
                          "pages": app_latency.page_timings(settings["timed_pages"]),
                          "in_page": in_page.in_page_session(settings["browser_seconds"])}
        results.setdefault("section_minutes", {})["app"] = lap()
    if "classroom" in args.only:
        results["classroom"] = serving.run(
            settings["classroom_sizes"], settings["classroom_seconds"], settings["classroom_settle_s"],
            settings["soak_s"], settings["soak_seats"], settings["soak_stay_s"], settings["soak_wait_ttl"],
            settings["balanced_students"], settings["balanced_s"])
        results.setdefault("section_minutes", {})["classroom"] = lap()

    if "photos" in args.only:
        # The CNN is trained once per training set and cached: the quick run's on 512 images.
        cache = Path("artifacts/bench-quick/classifier" if args.quick else "artifacts/classifier")
        results["photos"] = photos.run(train, test, settings["photos_per_condition"], cache,
                                       out / "photos_samples.png", progress=progress)
        results.setdefault("section_minutes", {})["photos"] = lap()

    results["duration_s"] = time.perf_counter() - start
    results["sections_run"] = {name: results["date"] for name in args.only}
    results["section_cpu"] = {name: results["machine"]["cpu"] for name in args.only}
    path = out / "benchmarks.json"
    if path.is_file() and not args.quick and set(args.only) != set(SECTIONS):
        # A partial run updates its sections and keeps the others from earlier runs.
        previous = json.loads(path.read_text())
        merged = {key: {**previous.get(key, {}), **results.get(key, {})}
                  for key in ("sections_run", "section_minutes", "section_cpu")}
        results = {**previous, **results, **merged}
        results.get("speed", {}).pop("train_all", None)  # runs before 2026-11-27 kept the cards' table there
    path.write_text(json.dumps(results, indent=2) + "\n")
    text = markdown(results)
    (out / "benchmarks.md").write_text(text + "\n")
    print(text)
    print(f"\nwrote {out / 'benchmarks.md'} and {out / 'benchmarks.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
