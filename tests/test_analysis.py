"""The analysis notebooks (one per figure) run headless through papermill at small scale, as a user reruns them.

Their cells assert what each figure shows, so a notebook that runs is one whose figure still says what the paper says.
nbdev_test skips nbs/analysis (nbs/analysis/.notest); this runs them instead, two at a time on the two cores.
Each executed notebook, figures included, is kept in _executed/analysis/ for the docs build (scripts/build_docs.py)."""
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import papermill as pm
import pytest

ROOT = Path(__file__).parents[1]
NBS = sorted((ROOT / 'nbs' / 'analysis').glob('*.ipynb'))
KEPT = ROOT / '_executed' / 'analysis'
EXPECTED = {'compare_peers': ['compare_auroc.png', 'compare_summary.csv'],   # reads benchmarks/results/
            'fig2_marginals': ['fig2_examples.png', 'fig2_all_genes.png', 'fig2_summary.csv'],
            'fig3_posteriors': ['fig3_posteriors.png', 'fig3_auroc.csv'],
            'fig4_iterations': ['fig4_latents.png', 'fig4_separation.png', 'fig4_markers.png', 'fig4_marker_space.png',
                                'fig4_separation.csv', 'fig4_markers.csv']}


@pytest.fixture(scope='module')
def executed(tmp_path_factory):
    d = tmp_path_factory.mktemp('analysis')
    os.environ['OMP_NUM_THREADS'] = '1'            # two kernels at once: one thread each, or they fight for the cores
    # inline figures, headless: they are kept in the executed notebooks for the docs (Agg would show none)
    os.environ['MPLBACKEND'] = 'module://matplotlib_inline.backend_inline'

    def run(nb):
        out = d / nb.stem
        try:
            pm.execute_notebook(str(nb), str(d / nb.name), parameters=dict(scale='small', output_dir=str(out)),
                                kernel_name='python3', progress_bar=False, cwd=str(nb.parent))
            KEPT.mkdir(parents=True, exist_ok=True)
            shutil.copy(d / nb.name, KEPT / f'.{nb.name}.tmp')
            os.replace(KEPT / f'.{nb.name}.tmp', KEPT / nb.name)   # never a half-copied notebook
            return nb.stem, out, None
        except Exception as e:                      # reported per notebook below
            return nb.stem, out, e

    # Figure 4 first: it fits the loop and its baseline (the longest, about 4 minutes), the others share the other core
    order = sorted(NBS, key=lambda nb: nb.stem != 'fig4_iterations')
    with ThreadPoolExecutor(2) as pool: return {name: (out, err) for name, out, err in pool.map(run, order)}


def test_every_analysis_notebook_is_known():
    assert {nb.stem for nb in NBS} == set(EXPECTED)


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_analysis_notebook_runs_and_writes_its_figures(executed, name):
    out, err = executed[name]
    assert err is None, f'{name} failed under papermill: {err}'
    missing = [f for f in EXPECTED[name] if not (out / f).exists()]
    assert not missing, f'{name} did not write {missing}'
