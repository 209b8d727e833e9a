"""One suspected cause of Ufd1l's prevalence drift, tested (loop notebook, "A second-order leak through the folds' test weights").

The test cannot tell the leak from the rounds' new genes: freezing the weights freezes the folds' genes too (the notebook
separates them with `loop.fold_own_weights`).

One paper-scale fit of the default preset in which every round's fold tests (`loop.gene_folds`) weigh the cells by the
warm start's guide prior instead of p~, so that no fold's genes can depend on its own cells through p~: a patch of
`perturbaware.loop.test_round` for this run only, not an option (it stops the rounds from changing the folds' genes).
Prints the prevalence (alpha_posterior), AUROC and true fraction of the effective perturbations per round, then the bars
of issue 8 (`bench_bars.bars`).

Run: `python benchmarks/bench_frozen_fold_weights.py [--seed 0] [--difficulty default|hard]` (about 10 minutes)."""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
import bench_bars  # noqa: E402
import perturbaware.loop as loop  # noqa: E402


def freeze_fold_weights():
    "Make every fold test weigh the cells by the first weights it was given (round 1: the guide prior)."
    original, first = loop.test_round, {}
    def frozen(X, labels, celltypes, p_own, categories, var_names, tests, control=loop.CONTROL, rows=None):
        if rows is None: return original(X, labels, celltypes, p_own, categories, var_names, tests, control)
        first.setdefault('weights', np.array(p_own, float))
        return original(X, labels, celltypes, first['weights'], categories, var_names, tests, control, rows=rows)
    loop.test_round = frozen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--difficulty', choices=('default', 'hard'), default='default')
    ap.add_argument('--out', default=None, help='write the fit record (JSON) here')
    a = ap.parse_args()
    freeze_fold_weights()
    r = bench_bars.run_one('paper', a.difficulty, a.seed, 'default', 'full')
    if a.out: Path(a.out).write_text(json.dumps(r, default=float))
    ch = pd.DataFrame(r['category_history'])
    eff = ch[ch['category'].str.split('|').str[0].isin(bench_bars.EFFECTIVE)]
    pd.set_option('display.width', 250)
    print(eff.pivot_table(index='category', columns='round', values=['alpha_posterior', 'auroc', 'true_fraction']).round(3).to_string())
    print(pd.Series(bench_bars.bars(r)).round(3).to_string())


if __name__ == '__main__':
    main()
