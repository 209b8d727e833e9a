#!/usr/bin/env bash
# Install whatever is missing into a virtual environment and print nothing else when all is there.
# Reuses an active virtual environment ($VIRTUAL_ENV) or ./.venv; creates ./.venv if neither exists.
# CPU torch is installed first when no torch is present (an unpinned `torch` would pull a multi-GB CUDA build);
# override with TORCH_SPEC=... (e.g. a CUDA build on a GPU machine).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-${VIRTUAL_ENV:-.venv}}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating virtual environment $VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi
P="$VENV/bin/python"
if ! "$P" -c "import torch" 2>/dev/null; then
  echo "setup: installing ${TORCH_SPEC:-torch==2.13.0} (CPU build)"
  "$P" -m pip install -q "${TORCH_SPEC:-torch==2.13.0}" >"$VENV/setup.log" 2>&1 || { cat "$VENV/setup.log"; exit 1; }
fi
# (re)install the package and its dev tools when the requirements changed since the last install
stamp="$VENV/.perturbaware-setup"
want="$(cat settings.ini setup.py | sha1sum | cut -c1-40)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! (cd / && "$P" -c "import perturbaware" 2>/dev/null); then
  echo "setup: installing perturbaware and its requirements into $VENV"
  "$P" -m pip install -q -e ".[dev]" >"$VENV/setup.log" 2>&1 || { cat "$VENV/setup.log"; exit 1; }
  "$P" -m ipykernel install --sys-prefix --name python3 >/dev/null
  echo "$want" > "$stamp"
fi
