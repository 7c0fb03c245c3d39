"""The app's server never imports PyTorch: every page runs on the ONNX exports (onnxruntime)
and numpy. PyTorch alone costs the process about 500 MB (see benchmarks/app_latency.py)."""

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
# Every page, and on each the controls that reach code the first render does not.
SCRIPT = f"""
import sys
at_start = set(sys.modules)  # loaded by the interpreter itself (site, .pth hooks), not by the app
from streamlit.testing.v1 import AppTest

def page(name):
    at = AppTest.from_file({APP!r}, default_timeout=300)
    at.switch_page(f"app_pages/{{name}}.py")
    at.run()
    assert not at.exception, (name, at.exception)
    assert not at.error, (name, [e.value for e in at.error])
    return at

pages = [p.stem for p in __import__("pathlib").Path({str(ROOT / "app_pages")!r}).glob("*.py")
         if "main()" in p.read_text()]
for name in sorted(pages):
    at = page(name)
    if name == "latent":
        at.selectbox(key="latent_model").set_value("cvae-2").run()
    if name == "denoise":
        at.segmented_control(key="dn_kind").set_value("salt_pepper").run()
    if name == "super_resolution":
        at.segmented_control(key="sr_factor").set_value(4).run()
    if name == "compare":
        at.radio(key="gallery_model").set_value("conv_ae-32").run()
    if name == "dimensions":
        at.selectbox(key="dims_model").set_value("sparse_ae-32").run()
    assert not at.exception, (name, at.exception)
    print(name, "torch" in sys.modules or any(m.startswith("torch.") for m in sys.modules), flush=True)
from importlib.metadata import packages_distributions
dists = packages_distributions()
print("DISTRIBUTIONS", ",".join(sorted({{d for m in set(sys.modules) - at_start for d in dists.get(m.split(".")[0], [])}})))
"""


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def app_requirements_closure() -> set[str]:
    """requirements-app.txt's distributions and everything they require, as installed here."""
    todo = [Requirement(line).name for line in (ROOT / "requirements-app.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    seen = set()
    while todo:
        name = normalise(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for spec in metadata.requires(name) or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def test_no_app_page_imports_torch():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split() for line in out.stdout.strip().splitlines())
    used = set(lines.pop("DISTRIBUTIONS").split(","))
    # Everything the pages imported is installed by requirements-app.txt (what deploy/Dockerfile installs).
    missing = {normalise(d) for d in used} - app_requirements_closure()
    assert not missing, f"the app imports {missing}, which requirements-app.txt does not install"
    assert sorted(lines) == ["beta", "compare", "denoise", "dimensions", "history", "interpolate", "latent", "models", "super_resolution"]
    assert set(lines.values()) == {"False"}, f"torch imported after these pages: {lines}"
