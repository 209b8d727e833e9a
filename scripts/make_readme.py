"""Write README.md from nbs/index.ipynb (Quarto, and so `nbdev_readme`, is not available everywhere).

Markdown cells are copied as they are; code cells become ```python blocks; cells marked `#| hide` are left out
and nbdev directives are stripped. `--check` exits 1 if README.md is out of date instead of writing it."""
import sys
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parents[1]


def render(nb_path=ROOT / 'nbs' / 'index.ipynb') -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        lines = cell.source.splitlines()
        directives = [l for l in lines if l.startswith('#|')]
        if any(l.replace(' ', '') in ('#|hide', '#|exporti', '#|export') for l in directives): continue
        body = '\n'.join(l for l in lines if not l.startswith('#|')).strip('\n')
        if not body: continue
        parts.append(body if cell.cell_type == 'markdown' else f'```python\n{body}\n```')
    return '<!-- generated from nbs/index.ipynb by scripts/make_readme.py: edit the notebook, not this file -->\n\n' \
        + '\n\n'.join(parts) + '\n'


if __name__ == '__main__':
    text = render()
    readme = ROOT / 'README.md'
    if '--check' in sys.argv:
        ok = readme.exists() and readme.read_text() == text
        print('README.md is up to date' if ok else 'README.md is out of date: run `make readme`')
        sys.exit(0 if ok else 1)
    readme.write_text(text)
