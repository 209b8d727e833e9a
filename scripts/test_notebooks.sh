#!/usr/bin/env bash
# Run every library notebook's cells as tests, each notebook in a fresh process, two at a time (one BLAS/torch
# thread each, so the 2 cores are not oversubscribed). Measured: nbdev_test's own worker pool reuses its processes
# across notebooks, and notebooks that follow the heavy ones then ran 4-7x slower (13m37s in all vs 4m13s here).
# Each executed notebook, outputs and figures included, is kept in _executed/ for the docs build (scripts/build_docs.py).
# The analysis notebooks (nbs/analysis, marked .notest) run under papermill in tests/test_analysis.py.
# Usage: scripts/test_notebooks.sh VENV_BIN
set -uo pipefail
BIN=${1:-.venv/bin}
LOGS=$(mktemp -d)
export OMP_NUM_THREADS=1 BIN LOGS
# longest first (measured, 1 thread each: loop ~4 min, tutorial ~4, report ~3, qhae ~2, cli ~2), so that the two
# workers finish together instead of one running the tutorial alone at the end
HEAVY="nbs/08_loop.ipynb nbs/tutorial.ipynb nbs/10_report.ipynb nbs/06_qhae.ipynb nbs/90_cli.ipynb nbs/07_nnnu.ipynb"
{ for nb in $HEAVY; do [ -f "$nb" ] && echo "$nb"; done
  find nbs -maxdepth 1 -name '*.ipynb' ! -name '_*' | sort | grep -vxF -f <(tr ' ' '\n' <<<"$HEAVY"); } | xargs -P 2 -I{} bash -c '
  start=$(date +%s); log="$LOGS/$(basename {}).log"
  if "$BIN/python" scripts/run_notebook.py {} "_executed/$(basename {})" >"$log" 2>&1; then echo "ok     $(( $(date +%s) - start ))s  {}"
  else echo "FAILED $(( $(date +%s) - start ))s  {}"; cat "$log"; exit 1; fi'
status=$?
rm -rf "$LOGS"
exit $status
