# perturbaware: the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
VENV ?= $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),.venv)
BIN := $(VENV)/bin
OUT ?= results
export MPLBACKEND ?= Agg

.PHONY: setup run test test-nbs test-py test-slow bench readme export clean

setup:
	@bash scripts/setup.sh "$(VENV)"

## the main job: the built-in screen, QC, Algorithm 1 on the interneurons; results, model and figures in $(OUT)/
run: setup
	$(BIN)/perturbaware demo -o $(OUT)

## the whole default test suite: every notebook (nbdev_test) and tests/ (pytest)
test: setup
	$(MAKE) --no-print-directory test-nbs test-py

# every notebook in a fresh process, two at a time, one BLAS/torch thread each (see the script for why)
test-nbs:
	bash scripts/test_notebooks.sh $(BIN)

test-py:
	$(BIN)/python -m pytest -q tests

## notebook cells flagged `#| slow` (paper-scale runs); not part of `make test`
test-slow: setup
	OMP_NUM_THREADS=2 $(BIN)/nbdev_test --flags slow --n_workers 1 --timing

## speed and memory benchmarks (print figures)
bench: setup
	OMP_NUM_THREADS=2 $(BIN)/python benchmarks/bench_simulate.py
	OMP_NUM_THREADS=2 $(BIN)/python benchmarks/bench_wtest.py
	OMP_NUM_THREADS=2 $(BIN)/python benchmarks/bench_nnnu.py
	OMP_NUM_THREADS=2 $(BIN)/python benchmarks/bench_qhae.py
	OMP_NUM_THREADS=2 $(BIN)/python benchmarks/bench_fit.py

## regenerate the library from the notebooks and README.md from nbs/index.ipynb
export: setup
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	$(BIN)/python scripts/make_readme.py

readme: setup
	$(BIN)/python scripts/make_readme.py

clean:
	rm -rf $(OUT) _docs _proc
