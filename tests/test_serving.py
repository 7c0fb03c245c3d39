"""Serving a classroom: the nginx config, the container recipes, and (slow) the load generator
through nginx to two replicas, one of them killed mid-run."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from benchmarks import classroom, serving
from deploy import serve

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def require_nginx() -> None:
    if not Path(serve.NGINX).exists():
        pytest.fail(f"{serve.NGINX} is missing: run `make nginx` (Debian's nginx package)")


def test_rendered_nginx_config_passes_nginx_check(tmp_path):
    require_nginx()
    conf = tmp_path / "nginx.conf"
    conf.write_text(serve.render_nginx(["127.0.0.1:1", "127.0.0.1:2"], "127.0.0.1:1", str(tmp_path)))
    text = conf.read_text()
    assert not re.search(r"@[A-Z]+@", text)  # every field filled in
    assert "hash $st_route consistent;" in text and "proxy_set_header Upgrade $http_upgrade;" in text
    check = subprocess.run([serve.NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_compose_config_is_the_rendered_template():
    # deploy/nginx.compose.conf is generated; it must not drift from deploy/nginx.conf.
    rendered = serve.render_nginx(["app:8501"], "80", "/tmp")
    assert (DEPLOY / "nginx.compose.conf").read_text() == rendered


def test_compose_file_balances_healthy_replicas():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    app, balancer = compose["services"]["app"], compose["services"]["balancer"]
    assert app["deploy"]["replicas"] >= 2
    assert "/_stcore/health" in " ".join(app["healthcheck"]["test"])
    assert (DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert "./nginx.compose.conf:/etc/nginx/nginx.conf:ro" in balancer["volumes"]
    assert balancer["depends_on"]["app"]["condition"] == "service_healthy"


def test_dockerfile_copies_what_exists_and_serves_without_torch():
    """The build context's files exist in a clean clone (the ONNX files and the pad's bundle
    are gitignored: stages of the Dockerfile make them), and the image that runs the app
    installs requirements-app.txt, which holds no PyTorch."""
    text = (DEPLOY / "Dockerfile").read_text()
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    stages = re.findall(r"^FROM \S+ AS (\S+)$", text, re.M)
    for line in text.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert any(f == source.rstrip("/") or f.startswith(source) for f in tracked), \
                    f"Dockerfile copies {source}, which a clean clone does not have"
        if line.startswith("COPY --from="):
            assert line.split()[1].split("=")[1] in stages, line
    final = text.split("\nFROM ")[-1]
    assert "requirements-app.txt" in final and "requirements.txt ." not in final
    packages = [line.split(">")[0].split("=")[0].strip() for line in (ROOT / "requirements-app.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert "onnxruntime" in packages and not {"torch", "torchvision"} & set(packages)
    assert "explorer.export" in text and "npm ci" in text


def test_kubernetes_manifest_keeps_sessions_on_one_pod():
    docs = {d["kind"]: d for d in yaml.safe_load_all((DEPLOY / "k8s.yaml").read_text())}
    assert set(docs) == {"Deployment", "Service", "Ingress"}
    container = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert docs["Service"]["spec"]["sessionAffinity"] == "ClientIP"
    assert docs["Ingress"]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    labels = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert docs["Service"]["spec"]["selector"].items() <= labels.items()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubernetes_manifest_parses_with_kubectl(tmp_path):
    # No cluster here: kustomize reads and re-emits the objects without one.
    shutil.copy(DEPLOY / "k8s.yaml", tmp_path)
    (tmp_path / "kustomization.yaml").write_text("resources:\n- k8s.yaml\n")
    out = subprocess.run(["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("kind: ") == 3


def test_load_generator_refuses_other_machines():
    with pytest.raises(SystemExit, match="only talks to this machine"):
        classroom.check_local("http://example.org:8501")


@pytest.mark.slow
def test_two_replicas_behind_nginx_spread_stick_and_survive_a_crash():
    require_nginx()
    # 10 students: the chance that a random cookie puts all of them on one replica is 2/1024.
    result = serving.balanced_run(students=10, seconds=30, kill_after=12)
    assert result["errors"] == []
    assert len(result["students_per_replica"]) == 2, result["students_per_replica"]
    assert result["sticky"]
    assert result["uploads"] >= 1  # through the balancer, to the student's own replica
    on_killed = result["students_per_replica"][result["killed"]]
    assert result["students_on_killed"] == on_killed == result["students_moved"] == result["reconnects"]
    assert result["kinds"]["latent"]["count"] > 10  # the others carried on
    assert 0 < result["reconnect_max_ms"] < 60_000


def test_the_summary_gives_the_tail_after_the_opening_burst_apart():
    # Two students: slow moves in the first 10 s (everyone opening and uploading), fast ones after.
    records = [classroom.Record(), classroom.Record()]
    for r, offset in zip(records, (0.0, 0.5)):
        for second in range(30):
            r.latency_s["latent"].append(2.0 if second < 10 else 0.05)
            r.started_at["latent"].append(100.0 + offset + second)
            r.bytes["latent"].append(8000)
    latent = classroom.summarise(records)["kinds"]["latent"]
    assert latent["count"] == 60
    assert latent["p95_ms"] == 2000.0  # a third of the moves were slow: the whole run's tail is theirs
    assert latent["settled_p95_ms"] == pytest.approx(50.0)  # from 10 s after the first action on
