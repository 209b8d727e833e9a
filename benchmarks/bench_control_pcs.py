"""What reading genes without the controls' own variation gives a genes reader (`NNNUConfig.reader_control_pcs`).

For each effective perturbation of the paper-scale interneurons (both simulator presets, several seeds) this fits the
genes reader's regression (guide-labelled vs control cells, L2 = 1000 on standardised genes, 5-fold out of fold: what
the loop reads, without the loop) and scores it against the truth, on two gene sets:
- `DE`: the perturbation's true DE genes (what the reader could read at best);
- `warm`: the genes the warm start's weighted tests select (weights sigma(u), Benjamini-Hochberg at 0.05, the default's rule);
each read as measured (k = 0) and without the part that the top k principal components of the cell type's controls
explain (`control_components`, `ResidualColumns`; k = 4, 8, 16). The hard preset's cells vary along 4 within-type
programs and per-mouse shifts; the default preset's do not (there the components are noise). `warm, true labels`: the
warm start's genes read by the same regression trained on the truth among the guide-labelled cells instead of the guide
labels (what the PU labels cost the reader).

Run: `python benchmarks/bench_control_pcs.py [--seeds 0 1 2] [--difficulty default hard] [--out CSV]` (about 1 minute
per screen on 2 cores); committed: `benchmarks/results/control_pcs_paper.csv`."""
import argparse
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit

import perturbaware as pa
from perturbaware.evaluate import auroc, cross_validated_scores
from perturbaware.guide import guide_prior
from perturbaware.nnnu import ResidualColumns, component_scores, control_components
from perturbaware.simulate import EFFECTIVE
from perturbaware.wtest import benjamini_hochberg, category_weights, select_genes, weighted_welch

GUIDE_KEY = pa.result_keys()['guide_z']
KS = (0, 4, 8, 16)


def F_k0(X, idx, rows) -> np.ndarray:
    "The rows' expression of the genes idx, dense."
    F = X[rows][:, idx]
    return F.toarray() if sp.issparse(F) else np.asarray(F)


def reads(difficulty: str, seed: int, celltype: str = 'interneuron') -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        a = pa.simulate_preprocessed('paper', seed, difficulty=difficulty, celltype=celltype)
        guide_prior(a, key_added=GUIDE_KEY)
    labels = a.obs['perturbation'].astype(str).to_numpy()
    celltypes = a.obs['celltype'].astype(str).to_numpy()
    truth = a.obs['true_strength'].to_numpy(float) > 0
    X = a.X.tocsr() if sp.issparse(a.X) else np.asarray(a.X)
    Wt, Wr, names = category_weights(labels, celltypes, expit(a.obs[GUIDE_KEY].to_numpy(float)), perturbations=EFFECTIVE)
    warm = select_genes(benjamini_hochberg(weighted_welch(X.tocsc() if sp.issparse(X) else X, Wt, Wr)['pval']), 0.05, cap=None)
    comps = {k: control_components(X, labels, celltypes, k, var_names=a.var_names)[celltype] for k in KS if k}
    scores = {k: component_scores(X, c) for k, c in comps.items()}
    rows_out = []
    for name, sel in zip(names, warm):
        p = name.split('|')[0]
        de = np.isin(a.var_names, list(a.uns['true_de_genes'][name]))
        rows = np.flatnonzero((labels == p) | (labels == pa.CONTROL))
        guided = labels[rows] == p
        row = {'difficulty': difficulty, 'seed': seed, 'perturbation': p, 'true fraction': truth[rows][guided].mean(),
               'n DE': int(de.sum()), 'n warm': int(sel.sum())}
        for genes_name, genes in (('DE', de), ('warm', sel)):
            idx = np.flatnonzero(genes)
            for k in KS:
                F_rows = ResidualColumns(X[:, idx], scores[k], comps[k]['coef'][:, idx])[rows] if k else F_k0(X, idx, rows)
                s = cross_validated_scores(F_rows, guided, l2=1000.0, seed=seed) if len(idx) else np.zeros(len(rows))
                row[f'{genes_name} k={k}'] = auroc(s[guided], truth[rows][guided])
            if genes_name == 'warm' and len(idx):   # the same genes, the regression trained on the truth instead
                t = truth[rows][guided]
                row['warm, true labels'] = auroc(cross_validated_scores(F_k0(X, idx, rows[guided]), t, l2=1000.0, seed=seed), t)
        rows_out.append(row)
    return pd.DataFrame(rows_out)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--difficulty', nargs='+', default=['default', 'hard'])
    ap.add_argument('--out', default=None, help='also write the table as CSV here')
    args = ap.parse_args()
    table = pd.concat([reads(d, s) for d in args.difficulty for s in args.seeds], ignore_index=True)
    with pd.option_context('display.width', 250, 'display.max_columns', 30):
        print('AUROC against the truth of the genes reader (guide-labelled vs controls, out of fold), '
              'reading each gene without k control components:')
        print(table.round(3).to_string(index=False))
        gain = table[[c for c in table if 'k=' in c or c == 'warm, true labels']].groupby(table['difficulty']).mean()
        print('\nmean over perturbations and seeds:'); print(gain.round(3).to_string())
    if args.out: table.to_csv(args.out, index=False)
