"""Run one notebook's cells as tests, exactly as `nbdev_test --path` does (cells flagged with `tst_flags` and
`#| eval: false` are skipped), and keep the executed notebook, outputs and figures included, for the docs build.

Usage: python scripts/run_notebook.py NOTEBOOK OUT_NOTEBOOK [--timing]
(`--timing`: print the five slowest cells and their seconds, to find what to move behind the `slow` flag).
Exit status 1 and the traceback on stderr when a cell fails (the executed notebook is then not written)."""
import os, sys, time
from pathlib import Path

from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.frontmatter import FrontmatterProc


def skip_cell(cell, flags):
    "nbdev_test's rule: markdown, `nbdev_export()` calls, `#| eval: false` and flagged cells are not run."
    if cell.cell_type != 'code' or 'nbdev_export' + '(' in cell.source: return True
    directives = getattr(cell, 'directives_', {}) or {}
    if directives.get('eval:', [''])[0].lower() == 'false': return True
    return bool(flags & directives.keys())


def run(nb_path: Path, out_path: Path, timing: bool = False) -> bool:
    os.environ['IN_TEST'] = '1'
    flags = set(get_config().tst_flags.split())
    nb = NBProcessor(nb_path, procs=FrontmatterProc, process=True).nb
    shell = CaptureShell(nb_path)
    started = []                               # (time, cell index) as each cell is reached: a cell's time is the gap

    def preproc(cell):
        started.append((time.perf_counter(), cell.idx_))
        return skip_cell(cell, flags)
    try:
        with working_directory(nb_path.parent):
            shell.run_all(nb, exc_stop=True, preproc=preproc)
    except Exception:
        sys.stderr.write(shell.prettytb(fname=nb_path) + '\n')
        return False
    # keep the notebook as written (nbdev's parser strips the `#|` lines from the cells it runs), with the outputs
    executed, nb = nb, read_nb(nb_path)
    assert len(executed.cells) == len(nb.cells), 'nbdev dropped or added cells while running the notebook'
    for cell, ran in zip(nb.cells, executed.cells):
        if cell.cell_type == 'code': cell['outputs'], cell['execution_count'] = ran.get('outputs', []), ran.get('execution_count')
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name('.' + out_path.name + '.tmp')
    write_nb(nb, tmp)
    os.replace(tmp, out_path)                  # a killed run never leaves a notebook that looks complete
    if timing:
        started.append((time.perf_counter(), None))
        spans = sorted(((t1 - t0, i) for (t0, i), (t1, _) in zip(started, started[1:])), reverse=True)[:5]
        print(f'{nb_path.name}: ' + ', '.join(f'cell {i} {s:.0f}s' for s, i in spans))
    return True


if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if a != '--timing']
    sys.exit(0 if run(Path(args[0]).resolve(), Path(args[1]).resolve(), timing='--timing' in sys.argv) else 1)
