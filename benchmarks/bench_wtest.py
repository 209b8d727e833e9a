"""Weighted Welch tests at scale: 5,000 genes x 30 perturbations x 10,000 cells, sparse input (target: about 1 s).

Run: `make bench` or `python benchmarks/bench_wtest.py`."""
import time

import numpy as np
import scipy.sparse as sp

from perturbaware.wtest import bonferroni, category_weights, select_genes, weighted_welch

if __name__ == '__main__':
    rng = np.random.default_rng(0)
    n, G, K = 10_000, 5_000, 30
    nnz_per_cell = int(0.3 * G)
    rows = np.repeat(np.arange(n), nnz_per_cell)
    cols = rng.integers(0, G, n * nnz_per_cell)
    vals = np.log1p(rng.gamma(1.5, 2, n * nnz_per_cell)).astype(np.float32)
    X = sp.csr_matrix((vals, (rows, cols)), shape=(n, G))
    X.sum_duplicates()
    labels = np.where(rng.random(n) < 0.1, 'control', np.array([f'P{k}' for k in range(K)])[rng.integers(0, K, n)])
    p = rng.beta(2, 2, n)
    t = time.perf_counter()
    Wt, Wr, names = category_weights(labels, None, p)
    t_w = time.perf_counter() - t
    t = time.perf_counter()
    res = weighted_welch(X, Wt, Wr)
    sel = select_genes(bonferroni(res['pval']), cap=100)
    t_test = time.perf_counter() - t
    print(f'{n:,} cells x {G:,} genes ({X.nnz:,} non-zeros, sparse) x {K} perturbations: '
          f'weights {t_w:.2f} s, tests + Bonferroni + selection {t_test:.2f} s (target ~1 s); '
          f'under the null {int(sel.any(1).sum())} of {K} categories select any gene (FWER 0.05 each)')
