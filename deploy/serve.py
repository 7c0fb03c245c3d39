"""Several app processes behind nginx, with sticky sessions: `make serve-class REPLICAS=N`.

    python -m deploy.serve --replicas 3 --port 8080      # http://localhost:8080, Ctrl-C stops all
    python -m deploy.serve --render-nginx --upstream app1:8501 --upstream app2:8501   # print a config

Each replica is `streamlit run app.py` as `make run` starts it, on its own local port; nginx
(Debian's package: `make nginx` installs it) listens on the one public port, sends each
browser to one replica for the whole session (a cookie and a consistent hash, see
deploy/nginx.conf) and passes the websocket upgrade through.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_nginx(upstreams: list[str], listen: str, prefix: str) -> str:
    """deploy/nginx.conf with its @...@ fields filled in."""
    servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=10s;" for u in upstreams)
    return (TEMPLATE.read_text().replace("@UPSTREAMS@", servers).replace("@LISTEN@", listen)
            .replace("@PREFIX@", prefix))


def start_app(port: int, post_script_gc: bool | None = None, address: str = "127.0.0.1") -> subprocess.Popen:
    """`streamlit run app.py` as `make run` starts it. post_script_gc None keeps the project's
    setting (.streamlit/config.toml); True/False overrides it (the GC measurement)."""
    env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
    if post_script_gc is not None:
        env["STREAMLIT_RUNNER_POST_SCRIPT_GC"] = str(post_script_gc).lower()
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process behind {url} exited with code {proc.returncode}")
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} was not healthy within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Cluster:
    url: str  # the balancer's public address
    apps: list[subprocess.Popen]
    app_ports: list[int]
    nginx: subprocess.Popen


@contextmanager
def cluster(replicas: int, port: int | None = None, post_script_gc: bool | None = None, host: str = "127.0.0.1"):
    """Start `replicas` app processes and nginx in front; stop them all on exit."""
    if not os.path.exists(NGINX):
        raise SystemExit(f"error: {NGINX} is missing: run `make nginx` (Debian's nginx package)")
    port = port or free_port()
    app_ports = [free_port() for _ in range(replicas)]
    apps = [start_app(p, post_script_gc) for p in app_ports]
    prefix = tempfile.mkdtemp(prefix="serve-class-")
    nginx = None
    try:
        conf = Path(prefix) / "nginx.conf"
        conf.write_text(render_nginx([f"127.0.0.1:{p}" for p in app_ports], f"{host}:{port}", prefix))
        # -e: nginx opens its default error log before reading the config; keep it in the prefix too.
        check = subprocess.run([NGINX, "-t", "-q", "-p", prefix, "-e", f"{prefix}/error.log", "-c", str(conf)],
                               capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"nginx rejected the config: {check.stderr.strip()}")
        nginx = subprocess.Popen([NGINX, "-p", prefix, "-e", f"{prefix}/error.log", "-c", str(conf),
                                  "-g", "daemon off;"])
        for p, proc in zip(app_ports, apps):
            wait_healthy(f"http://127.0.0.1:{p}", proc)
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '127.0.0.1') else host}:{port}"
        wait_healthy(url, nginx, timeout=30)
        yield Cluster(url, apps, app_ports, nginx)
    finally:
        if nginx is not None:
            stop(nginx)
        for proc in apps:
            stop(proc)
        shutil.rmtree(prefix, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080, help="the one public port")
    parser.add_argument("--host", default="0.0.0.0", help="address nginx listens on (0.0.0.0: the classroom's network)")
    parser.add_argument("--render-nginx", action="store_true", help="print the nginx config for --upstream and exit")
    parser.add_argument("--upstream", action="append", default=[], help="host:port of a replica (with --render-nginx)")
    args = parser.parse_args(argv)
    if args.render_nginx:
        if not args.upstream:
            parser.error("--render-nginx needs at least one --upstream")
        print(render_nginx(args.upstream, str(args.port), "/tmp"), end="")
        return 0
    if not 1 <= args.replicas <= 64:
        parser.error("--replicas must be 1 to 64")
    with cluster(args.replicas, args.port, host=args.host) as c:
        print(f"{args.replicas} app processes on ports {c.app_ports} behind nginx: {c.url} (Ctrl-C stops all)",
              flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while all(p.poll() is None for p in [c.nginx, *c.apps]):
                time.sleep(1)
            print("error: a process exited; stopping the others", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
