"""Which evidence tells a weak perturbation from an inert one when its genes were selected on the cells it scores?
(issue 8: why `NNNUConfig.dose_check` exists, and why `FitConfig.genes()` turns it on)

On the warm start of each screen (`bench_selection_bias.warm_start`: interneurons, tests weighted by sigma(u), K = 5
folds), every category whose tests on all cells selected genes is read from them as `FitConfig.genes()` reads it
(logistic regression at L2 = 1000, out of fold for the regression). `fallback` marks the reads the loop makes without
cross-fitting: some fold's complement found no gene. Per read:
- `genes`: selected on all cells, and the number of folds whose complement found some;
- `in-sample AUROC`, `p`: guide-labelled over control training cells on that read, the calibration's rank evidence
  (biased upwards by the selection);
- `cross-fitted AUROC`, `p`: the same where each fold that found genes is read from them by a regression fitted on the
  other folds (the other folds' cells are left out);
- `dose rho`, `p`: Spearman of the read's scores of the guide-labelled training cells with their guide signal u,
  one-sided (`nnnu.dose_evidence`): what `dose_check` asks of a fallback read;
- `level`: `screen_level` / number of categories, what the evidence must reach.
The summary counts, over the fallback reads of effective and of inert perturbations, how many pass each evidence.

Run: `python benchmarks/bench_dose_evidence.py [--scale small paper] [--difficulty default hard] [--seeds 0 1 2]`
(about 1 minute per paper-scale screen with 2 threads; `make bench-dose-evidence`)."""
import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from perturbaware.nnnu import (NNNUConfig, _held_out_fold, _logistic_reader, _pooled, dose_evidence, evidence_level,
                               rank_evidence)
from perturbaware.simulate import EFFECTIVE
sys.path.insert(0, str(Path(__file__).parent))
from bench_selection_bias import K, warm_start  # noqa: E402

L2 = 1000.0   # FitConfig().classifier.reader_l2 (the default, measured as FitConfig.genes())


def _cross_fitted_where_found(w, folds, rows, y) -> np.ndarray:
    "Held-out scores of `rows` for the folds whose complement found genes (NaN elsewhere), each fold standardised."
    fold_rows, scores = w.fold[rows], np.full(len(rows), np.nan)
    for f, genes in enumerate(folds):
        if not genes: continue
        held, s, _ = _held_out_fold(w.features(genes)[1], rows, y, fold_rows, f, L2)
        scores[held] = s
    return scores


def reads(scale: str, difficulty: str, seed: int) -> pd.DataFrame:
    "One row per category with genes selected on all cells."
    w = warm_start(scale, difficulty, seed)
    ctrl = w.labels == 'control'
    level = evidence_level(NNNUConfig(), len(w.cats))
    rows_out = []
    for c in w.cats:
        genes = w.on_all.get(c, [])
        if not genes: continue
        k = c.split('|')[0]
        folds = [w.per_fold[f].get(c, []) for f in range(K)]
        m = w.labels == k
        tr_u, tr_n = np.flatnonzero(m & ~w.val), np.flatnonzero(ctrl & ~w.val)
        rows, y = _pooled(tr_u, tr_n)
        s, *_ = _logistic_reader(w.features(genes)[1], tr_u, tr_n, seed, L2)
        crossed = _cross_fitted_where_found(w, folds, rows, y)
        rows_out.append(dict(
            screen=f'{scale} {difficulty} s{seed}', perturbation=k, effective=k in EFFECTIVE,
            fallback=not all(folds), genes=f'{len(genes)}/{sum(map(bool, folds))}',
            **dict(zip(('in-sample AUROC', 'in-sample p'), rank_evidence(s[:len(tr_u)], s[len(tr_u):]))),
            **dict(zip(('cross-fitted AUROC', 'cross-fitted p'), rank_evidence(crossed[:len(tr_u)], crossed[len(tr_u):]))),
            **dict(zip(('dose rho', 'dose p'), dose_evidence(s[:len(tr_u)], w.u[tr_u]))), level=level))
    return pd.DataFrame(rows_out)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    "Over the fallback reads: how many of the effective and of the inert perturbations' reads pass each evidence."
    fb = table[table['fallback']]
    out = {}
    for name, t in (('effective', fb[fb['effective']]), ('inert', fb[~fb['effective']])):
        out[name] = {'fallback reads': len(t), **{f'pass {e}': int((t[f'{e} p'] <= t['level']).sum())
                                                  for e in ('in-sample', 'cross-fitted', 'dose')}}
    return pd.DataFrame(out).T


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scale', nargs='+', choices=('small', 'paper'), default=['small', 'paper'])
    ap.add_argument('--difficulty', nargs='+', choices=('default', 'hard'), default=['default', 'hard'])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    args = ap.parse_args()
    pd.set_option('display.width', 200)
    for scale in args.scale:
        table = pd.concat([reads(scale, d, s) for d in args.difficulty for s in args.seeds], ignore_index=True)
        print(f'{scale} scale: reads of genes selected on all cells, warm start')
        print(table.to_string(index=False, float_format=lambda v: f'{v:.3g}'), '\n')
        print(f'{scale} scale, fallback reads (some fold found no gene): how many pass each evidence at the level')
        print(summary(table).to_string(), '\n', flush=True)


if __name__ == '__main__':
    main()
