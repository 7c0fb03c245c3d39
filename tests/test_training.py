"""train_all.py end to end (quick mode), resume, determinism, strict options."""

import json
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import train_all
from explorer import pretrained
from explorer.releases import RELEASES
from explorer.models import build
from explorer.train import TrainConfig, fit


def run_quick(tmp_path, *extra):
    out = tmp_path / "pt"
    code = train_all.main(["--quick", "--no-progress", "--out", str(out),
                           "--checkpoints", str(tmp_path / "ckpt"), *extra])
    return code, out / "mnist"


@pytest.mark.slow
def test_quick_run_writes_every_model(tmp_path, capsys):
    code, folder = run_quick(tmp_path)
    assert code == 0
    # releases.json: the release list the torch-free app reads (explorer/export.py).
    assert sorted(p.name for p in folder.iterdir()) == sorted([*RELEASES, "classifier", "pca.safetensors",
                                                               "releases.json"])
    assert len(pretrained.load_pca(root=folder.parent).components) == pretrained.SHIPPED_PCA_COMPONENTS
    for name in RELEASES:
        card = json.loads((folder / name / "card.json").read_text())
        # 2-D models also record how their latent plane learned (explorer/history.py), and
        # every release gets the ONNX files the app serves (explorer/export.py).
        extra = ["history.safetensors"] if card["latent_dim"] == 2 and RELEASES[name].history else []
        extra += ["encoder.onnx", "decoder.onnx"] if card["task"] == "latent" else ["model.onnx"]
        extra += ["tsne.safetensors"] if card["task"] == "latent" and card["latent_dim"] > 2 else []  # explorer/embedding.py
        assert sorted(p.name for p in (folder / name).iterdir()) == sorted([*pretrained.FILES, *extra])
        card = json.loads((folder / name / "card.json").read_text())
        assert card["name"] == name and card["quick"] is True
        assert len(card["epoch_losses"]) == 1 and card["seconds"] >= 0
        assert card["headline"]["value"] == card["metrics"][card["headline"]["metric"]]
        assert {"torch", "numpy"} <= set(card["versions"])
        model = pretrained.load_model(folder / name)
        assert model.training is False
    assert not any((tmp_path / "ckpt").rglob("*.pt"))  # checkpoints removed after release
    printed = capsys.readouterr().out
    assert "total" in printed and "conv_ae-32" in printed


@pytest.mark.slow
def test_quick_classifier_run_ships_the_classifier_the_same_for_the_same_seed(tmp_path):
    """`--models classifier`: explorer/classifier.py's CNN (float16 parameters, float32 BatchNorm
    statistics), with its card and its ONNX."""
    _, a = run_quick(tmp_path / "a", "--models", "classifier")
    _, b = run_quick(tmp_path / "b", "--models", "classifier")
    assert sorted(p.name for p in (a / "classifier").iterdir()) == ["card.json", "classifier.onnx", "config.json",
                                                                    "model.safetensors"]
    card = json.loads((a / "classifier" / "card.json").read_text())
    assert card["quick"] is True and card["task"] == "classify" and 0 <= card["metrics"]["accuracy"] <= 1
    assert card["bytes"] == (a / "classifier" / "model.safetensors").stat().st_size
    wa, wb = load_file(a / "classifier" / "model.safetensors"), load_file(b / "classifier" / "model.safetensors")
    buffers = {k for k in wa if k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
    assert buffers and {str(wa[k].dtype) for k in wa if k not in buffers} == {"torch.float16"}
    assert {str(wa[k].dtype) for k in buffers} == {"torch.float32", "torch.int64"}
    for key in wa:
        assert torch.equal(wa[key], wb[key]), key


@pytest.mark.slow
def test_same_seed_same_weights(tmp_path):
    _, a = run_quick(tmp_path / "a", "--models", "conv_ae-2", "vae-2")
    _, b = run_quick(tmp_path / "b", "--models", "conv_ae-2", "vae-2")
    for name in ("conv_ae-2", "vae-2"):
        wa, wb = load_file(a / name / "model.safetensors"), load_file(b / name / "model.safetensors")
        assert all(torch.equal(wa[k], wb[k]) for k in wa)


ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_ctrl_c_stops_every_worker(tmp_path):
    """Ctrl-C during a two-at-a-time run: the workers stop at once (no checkpoint is written
    after the exit), nothing is released, and the message names the command that continues."""
    checkpoints = tmp_path / "ckpt" / "mnist"
    proc = subprocess.Popen([sys.executable, "train_all.py", "--quick", "--no-progress", "--jobs", "2", "--epochs", "500",
                             "--models", "conv_ae-2", "vae-2", "--out", str(tmp_path / "pt"), "--checkpoints",
                             str(tmp_path / "ckpt")], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        while len(list(checkpoints.glob("*/ckpt.pt"))) < 2 and proc.poll() is None:
            time.sleep(0.05)  # polling for the files: both workers are training once both exist
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=60)[0]
    finally:
        proc.kill()
    assert proc.returncode == 130, output[-2000:]
    assert "python train_all.py --resume --models conv_ae-2 vae-2" in output
    stamps = {p: p.stat().st_mtime_ns for p in checkpoints.glob("*/ckpt.pt")}
    time.sleep(2)
    assert stamps and {p: p.stat().st_mtime_ns for p in checkpoints.glob("*/ckpt.pt")} == stamps
    assert not (tmp_path / "pt" / "mnist" / "conv_ae-2").exists()


@pytest.mark.slow
def test_two_at_a_time_trains_what_one_at_a_time_does(tmp_path):
    """--jobs 2 (the default on a 2-core CPU) runs each model in a worker process with one thread:
    the same recipe as --jobs 1, so the weights agree up to the order of float sums."""
    _, one = run_quick(tmp_path / "one", "--models", "vae-2", "ae-32", "--jobs", "1")
    _, two = run_quick(tmp_path / "two", "--models", "vae-2", "ae-32", "--jobs", "2")
    for name in ("vae-2", "ae-32"):
        wa, wb = load_file(one / name / "model.safetensors"), load_file(two / name / "model.safetensors")
        assert all(torch.allclose(wa[k].float(), wb[k].float(), atol=2e-3) for k in wa), name
        card = json.loads((two / name / "card.json").read_text())
        assert (card["jobs"], card["threads"]) == (2, max(1, torch.get_num_threads() // 2))


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_model_that_fails_costs_only_itself(tmp_path, capsys, jobs):
    """A damaged resume checkpoint makes that model fail: the others are still released, and the
    run ends with a non-zero code and the command that retries just the failed one."""
    damaged = tmp_path / "ckpt" / "mnist" / "vae-2" / "ckpt.pt"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"not a checkpoint")
    code, folder = run_quick(tmp_path, "--models", "vae-2", "ae-32", "--resume", "--jobs", jobs)
    assert code == 1
    assert (folder / "ae-32" / "model.safetensors").is_file() and not (folder / "vae-2").exists()
    err = capsys.readouterr().err
    assert "vae-2 failed" in err and "python train_all.py --resume --models vae-2\n" in err


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_weights(tmp_path):
    """train_all.py in its own process, killed with SIGKILL once an epoch's checkpoint exists
    (so during the next epoch), then `--resume`: the last good weights were never touched,
    and the resumed model equals one trained without the interruption."""
    def command(out: str, *extra: str) -> list[str]:
        return [sys.executable, "train_all.py", "--quick", "--no-progress", "--models", "conv_ae-2", "--epochs", "8",
                "--out", str(tmp_path / out), "--checkpoints", str(tmp_path / f"ckpt-{out}"), *extra]

    checkpoint = tmp_path / "ckpt-killed" / "mnist" / "conv_ae-2" / "ckpt.pt"
    proc = subprocess.Popen(command("killed"), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while not checkpoint.exists() and proc.poll() is None:
            time.sleep(0.005)  # polling for the file: the kill must land while epoch 2 runs
        proc.kill()
    finally:
        stderr = proc.communicate(timeout=60)[1]
    assert proc.returncode == -signal.SIGKILL, f"the run ended before it could be killed:\n{stderr[-2000:]}"
    done = torch.load(checkpoint, weights_only=True)["result"]["epochs_done"]
    assert 1 <= done < 8
    assert not (tmp_path / "killed" / "mnist" / "conv_ae-2").exists()  # nothing half-released

    subprocess.run(command("killed", "--resume"), cwd=ROOT, check=True, capture_output=True)
    subprocess.run(command("straight"), cwd=ROOT, check=True, capture_output=True)
    resumed = load_file(tmp_path / "killed" / "mnist" / "conv_ae-2" / "model.safetensors")
    straight = load_file(tmp_path / "straight" / "mnist" / "conv_ae-2" / "model.safetensors")
    assert resumed.keys() == straight.keys()
    for k in straight:
        assert torch.allclose(resumed[k], straight[k], atol=1e-5), k
    card = json.loads((tmp_path / "killed" / "mnist" / "conv_ae-2" / "card.json").read_text())
    assert len(card["epoch_losses"]) == 8
    assert not checkpoint.exists()  # removed once the model was released


def test_resume_continues_from_the_checkpoint(tiny_split, tmp_path):
    ckpt = tmp_path / "ckpt.pt"
    config = TrainConfig(epochs=4, batch_size=16, lr=1e-3)
    torch.manual_seed(0)
    straight = build("vae", latent_dim=2, hidden=16)
    fit(straight, tiny_split, config, torch.device("cpu"), progress=False)

    torch.manual_seed(0)
    interrupted = build("vae", latent_dim=2, hidden=16)
    fit(interrupted, tiny_split, TrainConfig(epochs=4, batch_size=16, lr=1e-3), torch.device("cpu"),
        checkpoint=ckpt, progress=False)
    state = torch.load(ckpt, weights_only=True)
    assert state["result"]["epochs_done"] == 4

    # Simulate a stop after epoch 2: train 2 epochs with the 4-epoch schedule, then resume.
    torch.manual_seed(0)
    first = build("vae", latent_dim=2, hidden=16)
    ckpt2 = tmp_path / "ckpt2.pt"

    class Stop(Exception):
        pass

    calls = {"n": 0}
    original = first.train_step

    def stopping_step(*args):
        calls["n"] += 1
        if calls["n"] > 2 * (len(tiny_split) // 16):
            raise Stop
        return original(*args)

    first.train_step = stopping_step
    with pytest.raises(Stop):
        fit(first, tiny_split, config, torch.device("cpu"), checkpoint=ckpt2, progress=False)
    assert torch.load(ckpt2, weights_only=True)["result"]["epochs_done"] == 2

    torch.manual_seed(123)  # a different global state: resume must restore its own
    resumed = build("vae", latent_dim=2, hidden=16)
    result = fit(resumed, tiny_split, config, torch.device("cpu"), checkpoint=ckpt2, resume=True, progress=False)
    assert result.epochs_done == 4 and len(result.epoch_losses) == 4
    for k, v in straight.state_dict().items():
        assert torch.allclose(resumed.state_dict()[k], v, atol=1e-6), k


def test_both_schedules_warm_up_then_decay_to_zero():
    from explorer.train import warmup_then_decay
    cosine, linear = warmup_then_decay(100, 0.1, "cosine"), warmup_then_decay(100, 0.1, "linear")
    for f in (cosine, linear):
        assert f(0) == pytest.approx(0.1) and f(9) == pytest.approx(1.0) and f(100) == 0.0
    # Halfway through the decay the straight line is at 1/2, as the cosine is; a quarter of
    # the way in, the cosine has kept more of the peak (0.854 against 0.75).
    assert linear(55) == pytest.approx(0.5) and cosine(55) == pytest.approx(0.5)
    assert linear(32.5) == pytest.approx(0.75) and cosine(32.5) == pytest.approx(0.8536, abs=1e-4)
    with pytest.raises(ValueError, match="schedule"):
        warmup_then_decay(100, 0.1, "step")


def test_adam_beta2_reaches_every_optimiser_that_does_not_set_its_own():
    from explorer.train import make_optimizers
    plain = make_optimizers(build("conv_ae", latent_dim=2), 1e-3, beta2=0.99)
    assert plain["model"].defaults["betas"] == (0.9, 0.99)
    # The adversarial AE's discriminator and generator keep the betas it gives them.
    aae = make_optimizers(build("aae", latent_dim=2), 1e-3, beta2=0.99)
    assert aae["reconstruction"].defaults["betas"] == (0.9, 0.99)
    assert aae["discriminator"].defaults["betas"] == aae["generator"].defaults["betas"] == (0.5, 0.9)


def test_the_schedule_and_beta2_change_training(tiny_split):
    def trained(**recipe):
        torch.manual_seed(0)
        model = build("vae", latent_dim=2, hidden=16)
        fit(model, tiny_split, TrainConfig(epochs=2, batch_size=16, lr=1e-3, **recipe), torch.device("cpu"),
            progress=False)
        return model.state_dict()["decoder.0.weight"]

    default = trained()
    assert torch.equal(default, trained(schedule="cosine", adam_beta2=0.999))
    assert not torch.allclose(default, trained(schedule="linear"))
    assert not torch.allclose(default, trained(adam_beta2=0.99))


def test_unknown_option_fails_loudly(capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_all.main(["--epoch", "3"])  # a typo of --epochs: abbreviations are refused
    assert exit_info.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_unknown_model_name_fails(capsys):
    with pytest.raises(SystemExit):
        train_all.main(["--models", "gan-2"])
    assert "invalid choice" in capsys.readouterr().err


def test_unavailable_device_is_a_clear_error(capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")  # the point is the message on a machine without it
    assert train_all.main(["--quick", "--device", "cuda"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err


# Ten conv AE steps at batch 256 in a fresh interpreter; prints the page faults they caused.
FAULTS_SCRIPT = """
import resource, sys, torch
from explorer.models import build
from explorer.train import keep_freed_memory, make_optimizers, prepare
if sys.argv[1] == "keep":
    assert keep_freed_memory()
torch.manual_seed(0)
model = prepare(build("conv_ae", latent_dim=8), torch.device("cpu"))
optimizers = make_optimizers(model, 1e-3)
x, y = torch.rand(256, 1, 28, 28).contiguous(memory_format=torch.channels_last), torch.zeros(256, dtype=torch.long)
for _ in range(3):
    model.train_step(x, y, optimizers)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    model.train_step(x, y, optimizers)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's; elsewhere it is a no-op")
def test_keeping_freed_memory_stops_the_page_faults_of_each_step():
    def faults(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", FAULTS_SCRIPT, mode], capture_output=True, text=True, check=True,
                              cwd=ROOT)
        return int(done.stdout.split()[-1])

    # Measured: ~125,000 faults without, ~130 with.
    assert faults("keep") * 10 < faults("default")
