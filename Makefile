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

# The whole chain on the synthetic dataset: generate it, pretrain (CMC-HNL) and fine-tune, distil
# into the int8 edge student and export it, then stream a held-out subject's take through it.
demo: venv
	rm -rf $(DEMO)
	$(BIN)/edgehar datasets synth --out $(DEMO)/data
	$(BIN)/edgehar train --data-dir $(DEMO)/data --out $(DEMO)/run
	$(BIN)/edgehar export $(DEMO)/run --int8 --format tflite,onnx,c --out $(DEMO)/export
	$(BIN)/edgehar stream $(DEMO)/export/student_int8.tflite --replay $(DEMO)/data/Inertial/a9_s2_t1_inertial.mat --speed max --smooth vote:3

test: venv
	$(BIN)/python -m pytest -n 2

test-slow: venv
	$(BIN)/python -m pytest -m slow

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
