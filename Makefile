# Two commands do all set-up: `make demo` runs the service, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,googleplay]'
	$(BIN)/python -m sentiment.export_embedder  # ONNX incident embedder into the venv's cache (torch-free scoring)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/bounceback demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bounceback crawlers sentiment alerts dashboard

test: $(STAMP)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "warning: Debian's chromium is not installed; browser tests will fail"
	$(MAKE) lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
