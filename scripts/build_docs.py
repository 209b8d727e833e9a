"""Build the documentation site offline into _docs/ (`make docs`): the notebooks, with their outputs, through Sphinx.

Quarto (nbdev_docs) renders the same notebooks where it is installed; it cannot be installed on our machines, so
this builds them with Sphinx + myst-nb + the furo theme, all from PyPI, and MathJax from the npm registry, served
locally (no CDN: the site works offline).

The pages show what the notebooks computed: `make test` runs every notebook and keeps the executed copy in
_executed/ (library notebooks by scripts/test_notebooks.sh, the analysis notebooks at small scale by
tests/test_analysis.py). A notebook with no executed copy, or whose code changed since, is executed here first.

What nbdev's own doc processors do is done here too, in the same way: cells marked `#| export`, `#| hide` or
`#| default_exp` are not shown; `show_doc` cells show only their output; every exported public function and class
gets its `show_doc` (signature and the docments table of its parameters) after the cell that defines it, unless the
notebook calls `show_doc` for it itself; directive lines are stripped. The first `# heading` is the page title.

Usage: python scripts/build_docs.py [--out _docs]
"""
import argparse, ast, copy, importlib, json, os, re, shutil, subprocess, sys, tarfile, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
EXECUTED = ROOT / '_executed'
SOURCE = ROOT / '_docs_src'              # the processed notebooks and conf.py Sphinx reads (git-ignored)
MATHJAX_CACHE = ROOT / '.cache' / 'mathjax'
MATHJAX_VERSION = '3'
HIDDEN = {'export', 'exporti', 'hide', 'default_exp'}
PY = sys.executable


def notebooks():
    "The library notebooks (in their numbered order) and the analysis notebooks, as paths relative to nbs/."
    lib = sorted(p.relative_to(NBS) for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))
    analysis = sorted(p.relative_to(NBS) for p in (NBS / 'analysis').glob('*.ipynb'))
    return lib, analysis


def load(path): return json.loads(Path(path).read_text(encoding='utf-8'))
def src(cell): return cell['source'] if isinstance(cell['source'], str) else ''.join(cell['source'])


def directives(cell):
    "The `#| name args` lines at the top of a cell, as {name: args}."
    out = {}
    for line in src(cell).splitlines():
        m = re.match(r'^#\|\s*([\w-]+):?\s*(.*)$', line.strip())
        if not m: break
        out[m.group(1)] = m.group(2).strip()
    return out


def notebook_module(nb):
    "The module a notebook exports to (its `#| default_exp`), or None for the index and the analyses."
    return next((d['default_exp'] for c in nb['cells'] if c['cell_type'] == 'code'
                 for d in [directives(c)] if 'default_exp' in d), None)


def is_show_doc(cell): return cell['cell_type'] == 'code' and src(cell).strip().startswith('show_doc(')


def code_of(nb):
    """The code a notebook runs, papermill's injected parameters and `show_doc` calls aside (those are rendered at
    build time, as nbdev does): what decides whether an executed copy is stale."""
    return [src(c) for c in nb['cells'] if c['cell_type'] == 'code' and not is_show_doc(c)
            and 'injected-parameters' not in c.get('metadata', {}).get('tags', [])]


def stale(rel):
    executed = EXECUTED / rel
    return not executed.exists() or code_of(load(NBS / rel)) != code_of(load(executed))


def execute(rel):
    "Execute one notebook as the test suite does (analysis notebooks through papermill at small scale)."
    env = dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='module://matplotlib_inline.backend_inline')
    if rel.parts[0] == 'analysis':
        out_dir = tempfile.mkdtemp(prefix='docs-analysis-')
        cmd = [PY, '-m', 'papermill', str(NBS / rel), str(EXECUTED / rel), '-p', 'scale', 'small',
               '-p', 'output_dir', out_dir, '--cwd', str(NBS / rel.parent), '--no-progress-bar', '-k', 'python3']
        (EXECUTED / rel).parent.mkdir(parents=True, exist_ok=True)
    else:
        cmd = [PY, str(ROOT / 'scripts' / 'run_notebook.py'), str(NBS / rel), str(EXECUTED / rel)]
    t0 = time.time()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode: raise SystemExit(f'docs: executing {rel} failed:\n{res.stderr[-4000:]}')
    print(f'docs: executed {rel} in {time.time() - t0:.0f} s', flush=True)


def public_defs(code):
    "Names of the public functions and classes a cell defines at top level."
    try: tree = ast.parse(code)
    except SyntaxError: return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and not n.name.startswith('_')]


def render_show_doc(module, call):
    """What the `show_doc(...)` call `call` displays, rendered now from the installed library (markdown), as nbdev's
    doc build re-runs show_doc cells so that the API docs always match the code."""
    from nbdev.showdoc import show_doc
    mod = importlib.import_module(f'perturbaware.{module}')
    md = eval(call, {**vars(mod), 'show_doc': show_doc})._repr_markdown_()
    # Quarto's link attributes mean nothing to MyST, and a line number nbdev could not find is no anchor; the
    # leading rule separates entries on Quarto's pages but is not allowed inside an output in docutils
    md = re.sub(r'^\s*---\s*\n', '', md)
    return re.sub(r'(\]\([^)]*?)(#LNone)?\)\{target="_blank"[^}]*\}', r'\1)', md)


def markdown_output(text):
    return {'output_type': 'display_data', 'metadata': {}, 'data': {'text/markdown': text}}


def with_outputs(nb, executed):
    "The notebook's own cells (its latest prose and show_doc calls) with the outputs of its executed copy."
    runs = {}
    for c in executed['cells']:
        if c['cell_type'] == 'code': runs.setdefault(src(c), []).append(c.get('outputs', []))
    nb = copy.deepcopy(nb)
    for c in nb['cells']:
        if c['cell_type'] == 'code' and runs.get(src(c)): c['outputs'] = runs[src(c)].pop(0)
    return nb


def process(nb):
    "nbdev's documentation processing, for Sphinx: returns the notebook as its page shows it."
    cells = nb['cells']
    module = notebook_module(nb)
    documented = set(re.findall(r'show_doc\(\s*([\w.]+)', '\n'.join(src(c) for c in cells)))
    out = []
    for cell in cells:
        cell = copy.deepcopy(cell)
        d = directives(cell) if cell['cell_type'] == 'code' else {}
        tags = cell.setdefault('metadata', {}).setdefault('tags', [])
        if cell['cell_type'] == 'code':
            if 'injected-parameters' in tags or HIDDEN & d.keys() or d.get('include') == 'false': pass
            elif 'nbdev_export(' in src(cell): continue
            else:
                if is_show_doc(cell) and module: cell['outputs'] = [markdown_output(render_show_doc(module, src(cell)))]
                if is_show_doc(cell) or d.get('echo') == 'false': tags.append('remove-input')
                if d.get('output') == 'false': tags.append('remove-output')
                cell['source'] = '\n'.join(l for l in src(cell).splitlines() if not l.strip().startswith('#|')).strip()
                cell['outputs'] = [o for o in cell.get('outputs', []) if not progress_bar(o)]
                out.append(cell)
            if module and {'export', 'exporti'} & d.keys():        # nbdev adds show_doc after exported definitions
                public = getattr(importlib.import_module(f'perturbaware.{module}'), '__all__', [])
                for name in public_defs(src(cell)):
                    if name in documented or name not in public: continue
                    md = render_show_doc(module, f'show_doc({name})')
                    out.append({'cell_type': 'code', 'execution_count': None, 'source': f'show_doc({name})',
                                       'metadata': {'tags': ['remove-input']}, 'outputs': [markdown_output(md)]})
            continue
        out.append(cell)
    nb = dict(nb, cells=out)
    nb['metadata'] = {k: v for k, v in nb.get('metadata', {}).items() if k in ('kernelspec', 'language_info')}
    return nb


def progress_bar(output):
    "tqdm's progress bars and papermill's chatter are terminal furniture, not results."
    text = ''.join(output.get('text', ''))
    return output.get('output_type') == 'stream' and output.get('name') == 'stderr' and (
        '\r' in text or 'it/s]' in text or 'TqdmWarning' in text)


def mathjax(static: Path):
    "MathJax 3 from the npm registry (`npm pack`), cached in .cache/mathjax, copied into the site's static folder."
    es5 = MATHJAX_CACHE / 'es5'
    if not (es5 / 'tex-chtml.js').exists():
        if not shutil.which('npm'): raise SystemExit('docs: MathJax is needed and npm is not installed: install Node.js/npm')
        with tempfile.TemporaryDirectory() as tmp:
            res = subprocess.run(['npm', 'pack', f'mathjax@{MATHJAX_VERSION}', '--silent', '--pack-destination', tmp],
                                 capture_output=True, text=True)
            if res.returncode: raise SystemExit(f'docs: `npm pack mathjax@{MATHJAX_VERSION}` failed: {res.stderr}')
            with tarfile.open(next(Path(tmp).glob('mathjax-*.tgz'))) as tar: tar.extractall(tmp, filter='data')
            MATHJAX_CACHE.mkdir(parents=True, exist_ok=True)
            if es5.exists(): shutil.rmtree(es5)
            shutil.copytree(Path(tmp) / 'package' / 'es5', es5)
    shutil.copytree(es5, static / 'mathjax', dirs_exist_ok=True)


CONF = '''# Written by scripts/build_docs.py: edit it there.
project = {title!r}
author = {author!r}
copyright = {copyright!r}
release = {version!r}
extensions = ['myst_nb']
nb_execution_mode = 'off'                 # the notebooks were executed by the test suite (scripts/build_docs.py)
nb_render_markdown_format = 'myst'        # show_doc's markdown, with its tables and math
myst_enable_extensions = ['dollarmath', 'amsmath']
myst_heading_anchors = 3
html_theme = 'furo'
html_title = {title!r}
html_static_path = ['_static']
html_favicon = '_static/favicon.svg'
html_css_files = ['styles.css']
mathjax_path = 'mathjax/tex-chtml.js'     # local: the site renders equations offline
exclude_patterns = ['_build', '**.ipynb_checkpoints']
suppress_warnings = ['myst.header', 'mystnb.unknown_mime_type', 'misc.highlighting_failure']
html_theme_options = {{'source_repository': {git_url!r}, 'source_branch': 'main', 'source_directory': 'nbs/'}}
'''


# a guide-labelled cell that is (filled) or is not (open) perturbed
FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="11" cy="16" r="8" fill="#2a6f97"/>'
           '<circle cx="23" cy="16" r="7" fill="none" stroke="#2a6f97" stroke-width="2.5"/></svg>')


def settings():
    import configparser
    cfg = configparser.ConfigParser(); cfg.read(ROOT / 'settings.ini')
    return cfg['DEFAULT']


def toctree(caption, docs):
    body = '\n'.join(str(d.with_suffix('')) for d in docs)
    return {'cell_type': 'markdown', 'metadata': {}, 'source': f'```{{toctree}}\n:hidden:\n:caption: {caption}\n\n{body}\n```'}


def build(out: Path):
    t0 = time.time()
    lib, analysis = notebooks()
    todo = [rel for rel in lib + analysis if stale(rel)]
    if todo:
        print(f'docs: {len(todo)} notebook(s) without an up-to-date executed copy in _executed/: executing them', flush=True)
        with ThreadPoolExecutor(2) as pool: list(pool.map(execute, todo))
    t1 = time.time()
    if SOURCE.exists(): shutil.rmtree(SOURCE)
    (SOURCE / '_static').mkdir(parents=True)
    for rel in lib + analysis:
        nb = process(with_outputs(load(NBS / rel), load(EXECUTED / rel)))
        if rel.name == 'index.ipynb':
            guides = [r for r in lib if r.name != 'index.ipynb' and not r.name[0].isdigit()]   # the tutorial
            modules = [r for r in lib if r.name[0].isdigit()]
            nb['cells'] += [toctree('Start here', guides), toctree('Modules', modules),
                            toctree('Analyses (the paper\'s figures)', analysis)]
        (SOURCE / rel).parent.mkdir(parents=True, exist_ok=True)
        (SOURCE / rel).write_text(json.dumps(nb, indent=1), encoding='utf-8')
    shutil.copy(NBS / 'styles.css', SOURCE / '_static' / 'styles.css')
    (SOURCE / '_static' / 'favicon.svg').write_text(FAVICON)
    mathjax(SOURCE / '_static')
    s = settings()
    (SOURCE / 'conf.py').write_text(CONF.format(title=s['lib_name'], author=s['author'], copyright=s['copyright'],
                                                version=s['version'], git_url=s['git_url']))
    tmp = SOURCE / '_build' / 'html'          # myst-nb writes its images beside the output folder: keep both here
    res = subprocess.run([PY, '-m', 'sphinx', '-b', 'html', '-q', '-j', '2', str(SOURCE), str(tmp)],
                         capture_output=True, text=True)
    warnings = [l for l in res.stderr.splitlines() if 'WARNING' in l or 'ERROR' in l]
    if res.returncode: raise SystemExit(f'docs: sphinx-build failed:\n{res.stderr[-4000:]}')
    if out.exists(): shutil.rmtree(out)
    shutil.move(tmp, out)                    # the site appears whole or not at all (same file system: a rename)
    for w in warnings: print('docs:', w)
    print(f'docs: {len(lib) + len(analysis)} pages in {out.relative_to(ROOT)}/ (executing {t1 - t0:.0f} s, '
          f'processing and Sphinx {time.time() - t1:.0f} s, {len(warnings)} warning(s))')
    return warnings


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default='_docs', help='site folder (default _docs)')
    ap.add_argument('--strict', action='store_true', help='fail on any Sphinx warning')
    a = ap.parse_args()
    w = build(ROOT / a.out)
    if a.strict and w: raise SystemExit(f'docs: {len(w)} Sphinx warning(s) with --strict')
