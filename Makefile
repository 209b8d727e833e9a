# perturbaware: the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
VENV ?= $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),.venv)
BIN := $(VENV)/bin
OUT ?= results
export MPLBACKEND ?= Agg
# A fit's floating-point results depend on which vector kernels the CPU libraries pick (MKL takes another path on
# AMD than on Intel, AVX-512 machines another than AVX2 ones), and a fit amplifies the last bits over thousands of
# steps. Every target here pins them to AVX2, so that the same seed gives the same numbers on any x86-64 machine CI
# may run on (measured on an AMD EPYC: the loop notebook's round-1 prevalence of Ufd1l is 0.65 with MKL's own
# choice, 0.50 with MKL_CBWR=AVX2; the previous green CI machine had passed with another path). Override to unpin.
export MKL_CBWR ?= AVX2
export ATEN_CPU_CAPABILITY ?= avx2
export ONEDNN_MAX_CPU_ISA ?= AVX2
export OPENBLAS_CORETYPE ?= Haswell

.PHONY: setup setup-docs run test test-nbs test-py docs docs-check test-slow bench bench-bars bench-ceiling bench-controls bench-latent-genes bench-selection-bias bench-reader-penalty bench-dose-evidence bench-readers bench-scale bench-compare readme export clean

setup:
	@bash scripts/setup.sh "$(VENV)"

## the main job: the built-in screen, QC, Algorithm 1 on the interneurons; results, model and figures in $(OUT)/
run: setup
	$(BIN)/perturbaware demo -o $(OUT)

## the whole default test suite: every notebook, tests/ (pytest), then the docs site built from the executed
## notebooks and checked page by page in headless Chromium
test: setup
	$(MAKE) --no-print-directory test-nbs test-py docs docs-check

# every notebook in a fresh process, two at a time, one BLAS/torch thread each (see the script for why)
test-nbs:
	bash scripts/test_notebooks.sh $(BIN)

test-py:
	$(BIN)/python -m pytest -q tests

## Chromium (Debian's package) for the browser check, when missing
setup-docs: setup
	@bash scripts/setup_docs.sh

## the documentation site, offline, into _docs/ (Sphinx + myst-nb + furo; uses the executed notebooks of `make test`,
## executes the others)
docs: setup
	$(BIN)/python scripts/build_docs.py

## open every page of _docs/ in headless Chromium: missing resources, broken images, unrendered math, API sections;
## screenshots in _screenshots/
docs-check: setup-docs
	$(BIN)/python scripts/check_docs.py

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
	OMP_NUM_THREADS=2 $(BIN)/python benchmarks/bench_generalisation.py

## the bars of the posterior issue: both simulator presets x 3 seeds at paper scale, two fits at a time
bench-bars: setup
	$(BIN)/python benchmarks/bench_bars.py --jobs 2 $(BARS_ARGS)

## what the truth allows a reader at best (oracle regressions on the true DE genes, oracle gene selection), the
## ceiling behind the bars (about 2 min)
bench-ceiling: setup
	OMP_NUM_THREADS=2 $(BIN)/python benchmarks/bench_ceiling.py --out benchmarks/results/ceiling_paper.csv

## how the kept perturbations score control cells, training vs validation (a calibrated p~ of a control is ~0; about
## 4 min; CONTROLS_ARGS: DIFFICULTY SEED OVERSAMPLE_FACTOR)
CONTROLS_ARGS ?= hard 0 10
bench-controls: setup
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/bench_controls.py $(CONTROLS_ARGS)

## what the warm start's latent holds against the expression of its selected genes, and what a reader of each gets
## without the truth (classifier.reader='genes'; about 8 min; LATENT_GENES_ARGS, e.g. "--difficulty hard --set loop.eta0=1000")
LATENT_GENES_ARGS ?=
bench-latent-genes: setup
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/bench_latent_genes.py $(LATENT_GENES_ARGS)

## does the genes reader's selection fit the noise of the cells it scores? all cells vs cross-fitted (K = 5) vs true
## DE genes, and the prevalence each calibration rule estimates, paper-scale warm start (about 12 min; SELECTION_BIAS_ARGS)
SELECTION_BIAS_ARGS ?= --seeds 0 1 2
bench-selection-bias: setup
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/bench_selection_bias.py $(SELECTION_BIAS_ARGS)

## which L2 penalty the genes reader should use: every penalty of the grid (and beyond) on the cross-fitted reads of
## the paper-scale warm start, truth AUROC against the label AUROC that reader_l2='cv' maximises (about 9 min)
bench-reader-penalty: setup
	set -o pipefail; OMP_NUM_THREADS=1 $(BIN)/python benchmarks/bench_reader_penalty.py | tee benchmarks/results/reader_penalty_paper.txt

## which evidence tells a weak perturbation's read from an inert one's when its genes were selected on the cells it
## scores: the in-sample and cross-fitted rank evidence against the dose-response evidence of classifier.dose_check
## (warm start, small and paper scale, both screens, seeds 0 1 2; about 10 min)
bench-dose-evidence: setup
	set -o pipefail; OMP_NUM_THREADS=2 $(BIN)/python benchmarks/bench_dose_evidence.py | tee benchmarks/results/dose_evidence.txt

## what the latent holds against what the classifiers read, per round, on fixed latents (about 10 min; READERS_ARGS,
## e.g. "--difficulty hard --variants")
READERS_ARGS ?= --variants
bench-readers: setup
	OMP_NUM_THREADS=2 $(BIN)/python benchmarks/bench_readers.py $(READERS_ARGS)

## a screen ten times the paper's: 100,000 cells from a sparse h5ad, all cell types, peak memory (about 6 min)
bench-scale: setup
	OMP_NUM_THREADS=2 $(BIN)/python benchmarks/bench_scale.py

## perturbaware next to Mixscape (pertpy) and scVI on the built-in screen, against its truth; the peers go into
## their own environment (.venv-bench, the `bench` extra), so the library's environment and tests never need them.
## COMPARE_ARGS, e.g. "--scale paper --seeds 0 1 2", "--celltype all" (every cell type in one fit), "--methods scvi --scvi-latent 50"
COMPARE_ARGS ?= --scale small --seeds 0
bench-compare:
	test -x .venv-bench/bin/python || python3 -m venv .venv-bench
	.venv-bench/bin/pip install -q torch==2.13.0
	.venv-bench/bin/pip install -q -e '.[bench]'
	OMP_NUM_THREADS=2 .venv-bench/bin/python benchmarks/compare.py $(COMPARE_ARGS)

## regenerate the library from the notebooks and README.md from nbs/index.ipynb
export: setup
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	$(BIN)/python scripts/make_readme.py

readme: setup
	$(BIN)/python scripts/make_readme.py

clean:
	rm -rf $(OUT) _docs _proc _docs_src _executed _screenshots
