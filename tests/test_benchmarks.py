"""`make bench-quick`: the whole benchmark code on tiny settings (figures meaningless)."""

import json

import pytest

from benchmarks import run

pytestmark = pytest.mark.browser  # its app section drives Chromium


def test_quick_benchmark_writes_every_section(tmp_path, capsys):
    assert run.main(["--quick", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "benchmarks.json").read_text())
    assert results["quick"] is True
    assert [r["latent_dim"] for r in results["sizes"]["rows"]] == [2, 4]
    assert results["published"]["vae"][0]["k"] == 8 and results["published"]["hinton"]["ae_squared_error"] > 0
    assert results["baselines"]["super_resolution"]["2"]["psnr"] > 0
    assert {r["model"] for r in results["throughput"]["runs"]} >= {"conv_ae", "ae"}
    assert all(r["speedup"] > 0 and r["speedup_bound"] > 0 and r["speedup_ceiling"] > 0 for r in results["throughput"]["runs"])
    assert set(results["app"]["first_render"]) == set(run.app_latency.PAGES)
    assert not any(v["exception"] for v in results["app"]["first_render"].values())
    assert results["app"]["browser"]["updates_per_second"] > 0
    assert results["app"]["browser"]["app_peak_memory_mb"] > 50  # a Python process with torch loaded
    in_page = results["app"]["in_page"]["models"]
    assert set(in_page) == {"vae-2", "conv_vae-2", "cvae-2", "aae-2", "conv_ae-2"}
    assert all(r["decodes_per_second"] > 0 and r["weight_bytes"] > 0 for r in in_page.values())
    assert 0 < results["app"]["latent"]["p50_ms"] <= results["app"]["latent"]["full_rerun_p95_ms"]
    assert set(results["section_minutes"]) == set(run.SECTIONS) and all(m >= 0 for m in results["section_minutes"].values())
    assert set(results["section_cpu"]) == set(run.SECTIONS)
    assert (tmp_path / "ae_vs_pca.png").stat().st_size > 1000
    text = (tmp_path / "benchmarks.md").read_text()
    assert "AE against PCA" in text and "Training throughput" in text and "App latency" in text
