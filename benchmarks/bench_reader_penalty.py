"""Which penalty should the genes reader use? (issue 8: why `FitConfig.genes()` fixes `classifier.reader_l2=1000`)

On the paper-scale warm start (tests weighted by sigma(u), the default preset's rule; the cross-fitted selection and
reader of `loop.gene_folds=5`, exactly as in bench_selection_bias.py), each effective perturbation whose folds all
found genes is read with every L2 penalty of a grid. Per read and penalty: `truth AUROC` (the held-out scores of the
guide-labelled training cells against the simulated truth) and `label AUROC` (guide-labelled over control training
cells: what `reader_l2='cv'` maximises, without the truth). The summary compares, per read, the penalty the label
criterion picks from READER_L2_GRID with a fixed 1000.

Run: `python benchmarks/bench_reader_penalty.py [--difficulty default hard] [--seeds 0 1 2] [--scale paper]` (about
1.5 minutes per screen, one thread; `make bench-reader-penalty`)."""
import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from perturbaware.evaluate import auroc
from perturbaware.nnnu import READER_L2_GRID, _fold_gene_reader, _pooled
from perturbaware.simulate import EFFECTIVE
sys.path.insert(0, str(Path(__file__).parent))
from bench_selection_bias import K, warm_start  # noqa: E402

PENALTIES = (*READER_L2_GRID, 1e4, 1e5)   # beyond the grid: does the read still change?
FIXED = 1000.0


def penalties(scale: str, difficulty: str, seed: int) -> pd.DataFrame:
    "One row per (effective perturbation, penalty)."
    w = warm_start(scale, difficulty, seed)
    ctrl = w.labels == 'control'
    rows = []
    for k in EFFECTIVE:
        c, m = f'{k}|interneuron', w.labels == k
        folds = [w.per_fold[f].get(c, []) for f in range(K)]
        if not all(folds): continue   # read from the all-cells selection in a fit (bench_selection_bias.py)
        tr_u, tr_n = np.flatnonzero(m & ~w.val), np.flatnonzero(ctrl & ~w.val)
        _, y = _pooled(tr_u, tr_n)   # the order _fold_gene_reader returns its scores in
        feats = [w.features(g) for g in folds]
        for lam in PENALTIES:
            s, *_ = _fold_gene_reader(feats, w.fold, tr_u, tr_n, np.flatnonzero(m | ctrl), lam)
            rows.append(dict(screen=f'{scale} {difficulty} s{seed}', perturbation=k, genes=min(map(len, folds)),
                             l2=lam, truth_auroc=auroc(s[:len(tr_u)], w.perturbed[tr_u]), label_auroc=auroc(s, y)))
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    "Per read: the penalty the label criterion picks from READER_L2_GRID, and the truth AUROC there and at FIXED."
    out = []
    for (screen, k), t in table.groupby(['screen', 'perturbation'], sort=False):
        t = t.set_index('l2')
        picked = t.loc[list(READER_L2_GRID), 'label_auroc'].idxmax()
        out.append(dict(screen=screen, perturbation=k, genes=t['genes'].iloc[0], cv_picks=picked,
                        truth_at_cv=t.at[picked, 'truth_auroc'], truth_at_fixed=t.at[FIXED, 'truth_auroc'],
                        label_auroc_range=np.ptp(t.loc[list(READER_L2_GRID), 'label_auroc'])))
    out = pd.DataFrame(out)
    out['fixed_minus_cv'] = out['truth_at_fixed'] - out['truth_at_cv']
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scale', choices=('paper', 'small'), default='paper')
    ap.add_argument('--difficulty', nargs='+', choices=('default', 'hard'), default=['default', 'hard'])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    args = ap.parse_args()
    pd.set_option('display.width', 200)
    tables = []
    for d in args.difficulty:
        for s in args.seeds:
            t = penalties(args.scale, d, s)
            tables.append(t)
            print(f'{args.scale} {d} s{s}: truth AUROC (label AUROC) per penalty')
            piv = lambda v: t.pivot(index='l2', columns='perturbation', values=v).round(3).astype(str)
            print((piv('truth_auroc') + ' (' + piv('label_auroc') + ')').to_string(), '\n', flush=True)
    s = summary(pd.concat(tables))
    print(f"The label criterion's pick (reader_l2='cv') against a fixed {FIXED:g}, every screen and seed above:")
    print(s.round(4).to_string(index=False))
    below = s[s['cv_picks'] < FIXED]
    print(f"\ncv picks less than {FIXED:g} in {len(below)} of {len(s)} reads; there the truth is read worse in "
          f"{(below['fixed_minus_cv'] > 1e-3).sum()}, as well (within 0.001) in {(below['fixed_minus_cv'].abs() <= 1e-3).sum()}, "
          f"better in {(below['fixed_minus_cv'] < -1e-3).sum()}; fixed - cv: mean {s['fixed_minus_cv'].mean():+.4f}, "
          f"min {s['fixed_minus_cv'].min():+.4f}, max {s['fixed_minus_cv'].max():+.4f}")


if __name__ == '__main__':
    main()
