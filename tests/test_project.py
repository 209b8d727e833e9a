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


def _public_api():
    """(module, notebook name, notebook text, qualified name, object) of every public function, class and public
    method of the library."""
    import importlib, inspect
    sys.path.insert(0, str(ROOT / 'scripts'))
    from build_docs import notebook_module
    for nb in sorted((ROOT / 'nbs').glob('[0-9]*.ipynb')):
        notebook = json.loads(nb.read_text())
        text = '\n'.join(''.join(c['source']) for c in notebook['cells'])
        module = notebook_module(notebook)
        mod = importlib.import_module(f'perturbaware.{module}')
        for name in getattr(mod, '__all__', []):
            obj = getattr(mod, name)
            if not callable(obj): continue
            yield module, nb.name, text, name, obj
            if inspect.isclass(obj) and obj.__module__ == mod.__name__:
                for attr, v in vars(obj).items():
                    f = v.fget if isinstance(v, property) else getattr(v, '__func__', v)
                    if not attr.startswith('_') and inspect.isfunction(f): yield module, nb.name, text, f'{name}.{attr}', f


def test_every_public_method_has_show_doc_and_a_docstring():
    """nbdev documents top-level names by itself, not methods: each public method needs its own `show_doc` cell in its
    notebook so that it reaches the API docs (with Quarto and with `make docs`); every public name needs a docstring."""
    import inspect
    no_show_doc = [f'{nb}: {q}' for _, nb, text, q, _ in _public_api() if '.' in q and f'show_doc({q})' not in text]
    no_doc = [q for _, _, _, q, obj in _public_api() if not inspect.getdoc(obj)]
    assert not no_show_doc, f'public methods without a show_doc cell: {no_show_doc}'
    assert not no_doc, f'public names without a docstring: {no_doc}'


def test_docs_build_keeps_what_nbdev_hides_and_shows(tmp_path):
    "The offline docs processing hides exported code, shows show_doc output only, and adds show_doc for exports."
    sys.path.insert(0, str(ROOT / 'scripts'))
    from build_docs import process
    cell = lambda kind, s, **kw: dict(cell_type=kind, source=s, metadata={}, **({'outputs': [], 'execution_count': None} if kind == 'code' else {}), **kw)
    nb = {'metadata': {}, 'cells': [cell('markdown', '# Guide'), cell('code', '#| default_exp guide'),
                                    cell('code', '#| export\ndef rank_to_z(counts, labelled): pass'),
                                    cell('code', '#| hide\nimport os'), cell('code', 'x = 1\nx')]}
    out = process(nb)['cells']
    sources = [c['source'] for c in out]
    assert '# Guide' in sources and 'x = 1\nx' in sources
    assert not any('default_exp' in s or 'import os' in s or 'def rank_to_z' in s for s in sources)
    doc = next(c for c in out if c['source'] == 'show_doc(rank_to_z)')
    assert 'remove-input' in doc['metadata']['tags']
    md = doc['outputs'][0]['data']['text/markdown']
    assert '### rank_to_z' in md and 'lower_bound' in md and '{target=' not in md
