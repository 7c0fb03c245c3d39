"""`make bench-quick`: the whole benchmark code on tiny settings (figures meaningless)."""

import json

import pytest

from benchmarks import run

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # its app section drives Chromium; minutes


def test_quick_benchmark_writes_every_section(tmp_path, capsys):
    assert run.main(["--quick", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "benchmarks.json").read_text())
    assert results["quick"] is True
    small, large = results["sizes"]["rows"]
    assert (small["latent_dim"], large["latent_dim"]) == (2, 4)
    assert large["pca_mse"] < small["pca_mse"] < 0.25  # more components reconstruct better
    assert 0 < small["ae_mse"] < 0.25 and 0.1 <= small["pca_knn"] <= 1
    vae = results["published"]["vae"][0]
    assert vae["k"] == 8
    # Two hidden layers, one epoch on 512 digits: far from trained, but a likelihood in range.
    assert 100 < vae["nll_nats"] < 600, vae  # 543 nats is a coin flip per pixel
    hinton = results["published"]["hinton"]
    assert 0 < hinton["ae_squared_error"] < 784 and 0 < hinton["pca_squared_error"] < 784
    # The shipped models on 256 test digits: the claims the app makes hold here too.
    sr = results["baselines"]["super_resolution"]["2"]
    assert sr["psnr"] > sr["bicubic"]["psnr"]
    noisy = results["baselines"]["denoising"]["sigma_0.5"]
    assert noisy["model"]["psnr"] > max(noisy["noisy"]["psnr"], noisy["median3"]["psnr"])
    # The shipped beta set re-measured on 256 digits: more KL weight, fewer nats in the code.
    beta = results["beta"]
    assert [r["beta"] for r in beta["rows"]] == list(run.beta_trade_off.beta_lib.BETAS)
    assert beta["rows"][0]["kl"] > beta["rows"][-1]["kl"] > 0 and (tmp_path / "beta.png").stat().st_size > 10_000
    assert "## The beta trade-off" in (tmp_path / "benchmarks.md").read_text()
    lesson, ours = results["speed"]["runs"][0]["lesson"], results["speed"]["runs"][0]["ours"]
    assert lesson["epochs"] == 1 and lesson["seconds"] > 0 and 0 < lesson["test_mse"] < 0.25
    assert ours["seconds"] > 0 and ours["checks"] and ours["steps"] == ours["checks"][-1]["step"]
    assert set(results["train_all"]["models"]) == set(run.RELEASES) | {run.CLASSIFIER}
    assert {r["model"] for r in results["throughput"]["runs"]} >= {"conv_ae", "ae"}
    for r in results["throughput"]["runs"]:
        assert r["speedup"] == pytest.approx(r["ours_images_per_s"] / r["reference_images_per_s"])
        assert r["step_only_images_per_s"] > 0 and r["matmul_gflops"] > 0.1
    assert set(results["app"]["first_render"]) == set(run.app_latency.PAGES)
    assert not any(v["exception"] for v in results["app"]["first_render"].values())
    browser = results["app"]["browser"]
    # Each pointer move while dragging redraws the digit in the browser, without a round trip.
    assert browser["updates_per_second"] >= 0.5 * browser["pointer_moves_per_second"] > 0
    assert browser["pages_visited"] == run.app_latency.PAGES
    assert browser["latent_update_moves"] == 3 and 0 < browser["latent_update_p50_ms"] <= browser["latent_update_max_ms"]
    classroom = results["classroom"]
    assert [row["students"] for row in classroom["sizes"]] == [2]
    # Picks fetch a sheet of test digits the first time; moves off them ask the server nothing.
    assert all(row["errors"] == [] and row["kinds"]["latent"]["count"] > 0 and row["in_page"] > 0
               for row in classroom["sizes"])
    assert set(classroom["gc"]) == {"gc_on", "gc_off"}
    # gc.freeze() takes the loaded modules and models out of the collections Streamlit runs.
    assert classroom["gc_cost"]["tracked_after_freeze_and_a_rerun"] < classroom["gc_cost"]["tracked_objects"] / 10
    latent = classroom["sizes"][0]["kinds"]["latent"]
    assert sum(latent["bytes_mean_by_element"].values()) == pytest.approx(latent["bytes_mean"], rel=0.01)
    assert classroom["balanced"]["errors"] == [] and classroom["balanced"]["sticky"]
    pages = results["app"]["pages"]
    assert set(pages["cold"]) == set(pages["warm_switch_s"]) == {"models", "super_resolution"}
    assert all(0 < c["first_content_s"] <= c["complete_s"] for c in pages["cold"].values())
    assert results["app"]["browser"]["app_peak_memory_mb"] > 50  # a Python process with torch loaded
    in_page = results["app"]["in_page"]["models"]
    assert set(in_page) == {"vae-2", "conv_vae-2", "cvae-2", "aae-2", "conv_ae-2"}
    assert all(r["decodes_per_second"] > 0 and r["weight_bytes"] > 0 for r in in_page.values())
    # A pick in the scatter is drawn by the page: timed from the click, with nothing sent to the server.
    assert browser["pick"]["n"] == 3 and 0 < browser["pick"]["p50_ms"] <= browser["pick"]["max_ms"]
    assert browser["pick"]["frames_sent"] == 0
    assert set(results["section_minutes"]) == set(run.SECTIONS) and all(m >= 0 for m in results["section_minutes"].values())
    assert set(results["section_cpu"]) == set(run.SECTIONS)
    assert (tmp_path / "ae_vs_pca.png").stat().st_size > 1000
    photos = results["photos"]
    assert photos["images"] == len(run.photos.CONDITIONS) and set(photos["conditions"]) == set(run.photos.CONDITIONS)
    assert photos["seconds_per_12mp_image"]["images"] == 1 and 0 <= photos["overall"]["knn"] <= 1
    assert (tmp_path / "photos_samples.png").stat().st_size > 1000
    text = (tmp_path / "benchmarks.md").read_text()
    assert "AE against PCA" in text and "Where the time goes: training throughput" in text and "Time to quality" in text and "App latency" in text and "warm switch" in text
    assert "A classroom on the app" in text
    assert "Photos of handwritten digits" in text
    assert run.photos.refused_sentence(photos["refused"]) in text  # "1 photo was refused", never "1 photos were"
