"""Project-level checks: the library, the notebooks and README.md are in sync, and papermill tags survive cleaning."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tracked_copy(dst: Path) -> Path:
    "Copy the files that make up the project (git-tracked where git is available) into `dst`."
    try:
        files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        files = [str(p.relative_to(ROOT)) for p in ROOT.rglob('*') if p.is_file() and '.venv' not in p.parts]
    for f in files:
        src = ROOT / f
        if not src.exists() and not src.is_symlink(): continue
        (dst / f).parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink(): (dst / f).symlink_to(src.readlink())
        else: shutil.copy2(src, dst / f)
    return dst


def _snapshot(root: Path, dirs=('perturbaware', 'nbs')) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for d in dirs for p in sorted((root / d).rglob('*'))
            if p.is_file() and '__pycache__' not in p.parts and '.ipynb_checkpoints' not in p.parts}


def test_export_and_clean_change_nothing(tmp_path):
    "`nbdev_export` and `nbdev_clean` on a copy of the project leave every library file and notebook as committed."
    copy = _tracked_copy(tmp_path / 'proj')
    before = _snapshot(copy)
    for cmd in ('nbdev_export', 'nbdev_clean'):
        subprocess.run([str(BIN / cmd)], cwd=copy, check=True, capture_output=True)
        after = _snapshot(copy)
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        assert not changed, f'`{cmd}` changed {changed}: run `make export` and commit the result'


def test_readme_matches_index_notebook():
    out = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'make_readme.py'), '--check'], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_quarto_config_is_shared():
    "nbdev reads _quarto.yml from nbs/: it must be a link to the top-level file."
    link = ROOT / 'nbs' / '_quarto.yml'
    assert link.is_symlink() and link.resolve() == (ROOT / '_quarto.yml').resolve()


def test_analysis_notebooks_have_papermill_parameters():
    nbs = sorted((ROOT / 'nbs' / 'analysis').glob('*.ipynb'))
    for nb in nbs:
        cells = json.loads(nb.read_text())['cells']
        tagged = [c for c in cells if 'parameters' in c.get('metadata', {}).get('tags', [])]
        assert len(tagged) == 1, f'{nb.name}: expected exactly one cell tagged `parameters`, found {len(tagged)}'


def test_clean_keeps_parameters_tag(tmp_path):
    "A `parameters` tag survives `nbdev_clean` (settings.ini: allowed_cell_metadata_keys = tags)."
    copy = _tracked_copy(tmp_path / 'proj')
    nb_path = copy / 'nbs' / 'zz_tagged.ipynb'
    nb = {'cells': [{'cell_type': 'code', 'execution_count': 3, 'id': 'x', 'metadata': {'tags': ['parameters'], 'collapsed': True},
                     'outputs': [], 'source': ['seed = 0']}],
          'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
          'nbformat': 4, 'nbformat_minor': 5}
    nb_path.write_text(json.dumps(nb))
    subprocess.run([str(BIN / 'nbdev_clean'), '--fname', str(nb_path)], cwd=copy, check=True, capture_output=True)
    cell = json.loads(nb_path.read_text())['cells'][0]
    assert cell['metadata'] == {'tags': ['parameters']} and cell['execution_count'] is None
