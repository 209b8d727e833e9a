"""How the kept perturbations score control cells (issue 8): the p~ of the training controls (out of fold) and of
the validation controls (which no step of the fit saw; also through `model.posterior`, the path of new cells),
averaged over the columns of the perturbations kept in the final round. A calibrated p~ of a control is near 0. The
bars' `mean p controls` averages over every perturbation, the screened-out ones (p~ ~ 0) included, which hides this.

Run: `python benchmarks/bench_controls.py DIFFICULTY SEED OVERSAMPLE_FACTOR [--scale small|paper]`, e.g.
`default 0 10`, `hard 0 10`, `default 1 1` (the loop notebook's numbers, small scale, one thread)."""
import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

import perturbaware as pa

sys.path.insert(0, str(Path(__file__).parent))
from bench_bars import kept_at_end  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('difficulty', choices=('default', 'hard'))
    ap.add_argument('seed', type=int)
    ap.add_argument('oversample_factor', type=float)
    ap.add_argument('--scale', choices=('small', 'paper'), default='small')
    a = ap.parse_args()
    adata = pa.simulate_preprocessed(a.scale, a.seed, difficulty=a.difficulty, celltype='interneuron')
    cfg = pa.FitConfig.latent()   # what this measured: the latent reader's classifiers (the default before the genes reader)
    cfg.loop.oversample_factor = a.oversample_factor
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = pa.fit(adata, celltype='interneuron', config=cfg, seed=a.seed, progress=False)
    keys = pa.result_keys()
    cells = adata[adata.obs['celltype'] == 'interneuron']
    p = cells.obsm[keys['posterior']]
    control = (cells.obs['perturbation'].astype(str) == 'control').to_numpy()
    split = cells.obs[keys['split']].astype(str).to_numpy()
    kept = [k for k in p.columns if k in kept_at_end(model.category_history)]
    mean = lambda table: float(np.nanmean(table[kept].to_numpy())) if kept else float('nan')
    print(f'{a.scale} {a.difficulty} screen, seed {a.seed}, oversampling x{a.oversample_factor:g}; kept: {" ".join(kept) or "none"}')
    for s in ('train', 'val'):
        m = control & (split == s)
        print(f'  mean p~ of the {s} controls ({m.sum()} cells) over the kept perturbations: {mean(p[m]):.3f}')
    print(f'  the same for the val controls through model.posterior: {mean(model.posterior(cells[control & (split == "val")])):.3f}')


if __name__ == '__main__':
    main()
