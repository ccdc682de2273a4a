# Two commands for a fresh machine: `make demo` (the whole chain on the embedded synthetic
# dataset) and `make test` (the test suite). Both build their own virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO := out/demo

.PHONY: venv demo test test-slow clean

$(BIN)/edgehar: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch pinned here: an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install -q "torch==2.13.0" -e ".[all]"
	touch $@

venv: $(BIN)/edgehar

demo: venv
	$(BIN)/edgehar train --out $(DEMO)/run

test: venv
	$(BIN)/python -m pytest

test-slow: venv
	$(BIN)/python -m pytest -m slow

clean:
	rm -rf $(VENV) out .pytest_cache
