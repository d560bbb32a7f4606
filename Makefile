# drsim — the two commands a new machine needs: `make demo` and `make test`.
# Both create .venv if it is missing and (re)install drsim when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.drsim-installed
DEMO_OUT ?= out/demo

# Debian packages the browser tests and Chinese labels need: chromium (driven by Playwright with
# executable_path=/usr/bin/chromium; `playwright install` cannot download here) and CJK fonts.
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-fast lint bench clean system-deps dashboard

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,distributed]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/drsim run zhumadian-flood --reps 20 --out $(DEMO_OUT)

system-deps:
	@if [ ! -x $(CHROMIUM) ] || [ ! -e $(CJK_FONT) ]; then \
	  echo "installing Debian packages: chromium fonts-noto-cjk"; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk; \
	fi

dashboard: $(STAMP)
	$(BIN)/drsim dashboard

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint system-deps
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m 'not slow' -x -q

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/flood.py
	$(BIN)/python benchmarks/plume.py
	$(BIN)/python benchmarks/chemical.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .hypothesis
