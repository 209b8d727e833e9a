"""A screen ten times the paper's: fit 100,000 cells x ~5,000 genes (all cell types at once) from a sparse h5ad on
2 cores, without ever holding the expression matrix densely (issue 12).

Two processes, so that the fit's memory is measured on its own:
1. `make`: simulate the screen block by block (the simulator draws 2,048 cells at a time into a sparse matrix) and
   write it as a sparse h5ad;
2. `fit`: `read_screen` -> `preprocess` (in place) -> `fit(celltype=None)`, all sparse. The autoencoder densifies
   one minibatch (256 cells) at a time, the weighted tests are sparse products, and the classifiers read the
   50-dimensional latent codes or (the default's genes reader) each perturbation's selected genes, a few hundred
   columns of every cell at most.

Printed: the size of the screen, then for each stage its wall time and the peak resident memory of the process
during that stage (sampled every 50 ms from /proc/self/status), and the fit's own per-round timings.
A dense float32 copy of the matrix alone would take n_cells x n_genes x 4 bytes (2.0 GB here); the target is a
peak of at most 8 GB for the whole fit.

Genes: the simulator's 9,000, of which QC keeps about 4,900 (as at paper scale): a 5,000-gene screen.

Run: `python benchmarks/bench_scale.py [--cells 100000] [--genes 9000] [--budget test|full] [--preset default|latent] [--set SECTION.OPTION=VALUE ...]
[--workdir DIR]`.
`--budget test` cuts the autoencoder and classifier steps (`FitConfig.test_budget()`); `full` is the default
preset's budget. Both read and write the same data, so memory is the same; only time differs."""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path


class PeakRSS:
    "Peak resident memory of this process while the block runs (sampled in a thread)."
    def __init__(self, interval: float = 0.05):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    @staticmethod
    def now() -> int:
        for line in open('/proc/self/status'):
            if line.startswith('VmRSS:'): return int(line.split()[1]) * 1024
        return 0

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now()); time.sleep(self.interval)

    def __enter__(self):
        self.peak, self.t0 = self.now(), time.perf_counter()
        self._thread = threading.Thread(target=self._watch, daemon=True); self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set(); self._thread.join(); self.peak = max(self.peak, self.now())
        self.seconds = time.perf_counter() - self.t0


def stage(name: str, fn, rows: list):
    with PeakRSS() as m: out = fn()
    rows.append((name, m.seconds, m.peak))
    print(f'  {name:<28} {m.seconds:8.1f} s   peak RSS {m.peak / 2**30:6.2f} GB', flush=True)
    return out


def make(path: Path, n_cells: int, n_genes: int, seed: int):
    import perturbaware as pa
    base = pa.simulate_screen(scale='paper', seed=seed, n_genes=50).n_obs   # cells at factor 1
    factor = n_cells / base
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        adata = stage('simulate', lambda: pa.simulate_screen(scale='paper', seed=seed, n_genes=n_genes,
                                                              cells_factor=factor), rows)
    del adata.layers['counts']                     # the file holds the counts once, in X, as a real screen would
    stage('write sparse h5ad', lambda: adata.write_h5ad(path, compression=None), rows)
    print(f'  screen: {adata.n_obs:,} cells x {adata.n_vars:,} genes, {adata.X.nnz:,} non-zeros '
          f'({adata.X.nnz / adata.n_obs / adata.n_vars:.1%}), {path.stat().st_size / 2**30:.2f} GB on disk')


def fit(path: Path, budget: str, seed: int, preset: str = 'default', settings=()):
    import numpy as np
    import scipy.sparse as sp
    import perturbaware as pa
    from perturbaware.loop import FitConfig
    rows = []
    # counts_layer=False: the counts stay in .X only (preprocess fills layers['counts'] with the filtered counts)
    adata = stage('read_screen', lambda: pa.read_screen(path, counts_layer=False), rows)
    assert sp.issparse(adata.X)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        stage('preprocess (in place)', lambda: pa.preprocess(adata), rows)
    assert sp.issparse(adata.X)
    print(f'  after QC: {adata.n_obs:,} cells x {adata.n_vars:,} genes; a dense float32 copy would be '
          f'{adata.n_obs * adata.n_vars * 4 / 2**30:.2f} GB', flush=True)
    cfg = FitConfig.named(preset)
    cfg = (cfg.test_budget() if budget == 'test' else cfg).with_settings(settings)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = stage(f'fit (all cell types, {preset}{"".join(" " + o for o in settings)}, {budget})',
                      lambda: pa.fit(adata, celltype=None, config=cfg, seed=seed, progress=False), rows)
    h = model.history.reset_index()
    cols = [c for c in ('round', 'n_tested', 'n_kept', 'ae_steps', 'seconds_tests', 'seconds_autoencoder',
                        'seconds_classifiers', 'seconds') if c in h]
    print('  per round:'); print(h[cols].round(1).to_string(index=False))
    ch = model.category_history
    last = ch[ch['round'] == ch['round'].max()]
    if 'auroc' in last:
        eff = last.dropna(subset=['auroc'])
        print(f'  final round: {len(eff)} categories with truth, median AUROC of p~ {np.nanmedian(eff["auroc"]):.3f}')
    print(f'  peak RSS of the fit process: {max(r[2] for r in rows) / 2**30:.2f} GB (target <= 8 GB)')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cells', type=int, default=100_000)
    ap.add_argument('--genes', type=int, default=9000, help='genes before QC')
    ap.add_argument('--budget', choices=('test', 'full'), default='test')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--preset', default='default', help="FitConfig preset: 'default' (genes reader) or 'latent'")
    ap.add_argument('--set', nargs='+', default=[], metavar='SECTION.OPTION=VALUE', help='config settings (FitConfig.with_settings)')
    ap.add_argument('--workdir', default=None, help='folder for the h5ad (default: a temporary folder)')
    ap.add_argument('--stage', choices=('all', 'make', 'fit'), default='all', help=argparse.SUPPRESS)
    a = ap.parse_args()
    work = Path(a.workdir or tempfile.mkdtemp(prefix='pa_scale_'))
    work.mkdir(parents=True, exist_ok=True)
    path = work / f'screen_{a.cells}x{a.genes}_s{a.seed}.h5ad'
    if a.stage == 'make': return make(path, a.cells, a.genes, a.seed)
    if a.stage == 'fit': return fit(path, a.budget, a.seed, a.preset, a.set)
    args = [sys.executable, __file__, '--cells', str(a.cells), '--genes', str(a.genes), '--budget', a.budget,
            '--seed', str(a.seed), '--preset', a.preset, '--workdir', str(work)] + (['--set', *a.set] if a.set else [])
    print(f'bench_scale: {a.cells:,} cells x {a.genes:,} genes, {a.preset} preset{" " + " ".join(a.set) if a.set else ""}, '
          f'budget {a.budget}, {os.cpu_count()} CPUs')
    if not path.exists():
        print('process 1: make the screen'); subprocess.run(args + ['--stage', 'make'], check=True)
    print('process 2: fit it'); subprocess.run(args + ['--stage', 'fit'], check=True)


if __name__ == '__main__':
    main()
