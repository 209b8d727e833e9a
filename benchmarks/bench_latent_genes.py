"""Does the warm start's latent hold what its selected genes hold? (issue 8: why the classifiers read the genes)

For each effective perturbation of the interneurons, after the warm start (round 1 of the default preset, paper
scale), against the simulated truth:
- `probe latent`: the signal probe (`evaluate.probe_auroc`: cross-validated logistic regression, true labels) on the
  latent codes: what the autoencoder kept;
- `probe genes`: the same regression on the expression of the category's own selected genes: what the tests found;
- `probe true DE`: the same on its true DE genes (the ceiling, `bench_ceiling.py`);
- `read latent` / `read genes`: what a reader *without* the truth gets from each: the out-of-fold scores of an L2
  logistic regression of guide-labelled against control cells (the PU read of `NNNUConfig.reader='logistic'` and
  `'genes'`), as AUROC for the truth within the guide-labelled cells, and the same score's AUROC of truly unperturbed
  guide-labelled cells against controls (`leak ...`, 0.5 when the read carries no memory of the label);
- `leak probe, trained cells` / `validation cells`: the latent's leak probe (true labels) on the cells the
  autoencoder trained on and on the validation cells it never saw (20-40 truly unperturbed cells each: noisy).

Run: `python benchmarks/bench_latent_genes.py [--difficulty default hard] [--seeds 1 2] [--set loop.eta0=1000]` (about
2 minutes per screen, one thread)."""
import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

import perturbaware as pa
from perturbaware.evaluate import auroc, cross_validated_scores, probe_auroc
from perturbaware.nnnu import rank_evidence
from perturbaware.simulate import EFFECTIVE

sys.path.insert(0, str(Path(__file__).parent))
from bench_bars import configure  # noqa: E402


def warm_start_reads(difficulty: str, seed: int, options=()) -> pd.DataFrame:
    "One row per effective perturbation: probes and reads after the default preset's warm start (with `options`)."
    adata = pa.simulate_preprocessed('paper', seed, difficulty=difficulty, celltype='interneuron')
    cfg = configure('default', 'full', ['loop.max_iterations=1', *options])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = pa.fit(adata, celltype='interneuron', config=cfg, seed=seed, progress=False)
    cells = adata[adata.obs['celltype'] == 'interneuron']
    Z = model.latent(cells)
    X = cells.X.toarray() if sp.issparse(cells.X) else np.asarray(cells.X)
    where = pd.Index(cells.var_names)
    labels = cells.obs['perturbation'].astype(str).to_numpy()
    perturbed = cells.obs['true_strength'].to_numpy(float) > 0
    control = labels == 'control'
    val = cells.obs[pa.result_keys()['split']].astype(str).to_numpy() == 'val'
    rows = []
    for k in EFFECTIVE:
        cat = f'{k}|interneuron'
        m = labels == k
        own = where.get_indexer(model.selected_genes.get(cat, []))
        de = where.get_indexer([g for g in adata.uns['true_de_genes'][cat] if g in where])
        r = {'difficulty': difficulty, 'seed': seed, 'perturbation': k, 'selected genes': len(own),
             'probe latent': probe_auroc(Z[m], perturbed[m]),
             'probe genes': probe_auroc(X[m][:, own], perturbed[m]) if len(own) else np.nan,
             'probe true DE': probe_auroc(X[m][:, de], perturbed[m])}
        pool = m | control
        unperturbed = ~perturbed[m]
        for name, F in (('latent', Z), ('genes', X[:, own] if len(own) else None)):
            if F is None: continue
            s = cross_validated_scores(F[pool], m[pool], seed=seed)
            s_u, s_n = s[m[pool]], s[~m[pool]]
            r[f'read {name}'] = auroc(s_u, perturbed[m])
            r[f'leak {name}'] = rank_evidence(s_u[unperturbed], s_n)[0]   # AUROC of the two pools
        # the latent's leak probe on the cells its autoencoder trained on and on the validation cells it never saw
        for name, part in (('leak probe, trained cells', ~val), ('leak probe, validation cells', val)):
            sel = (m & ~perturbed | control) & part
            r[name] = probe_auroc(Z[sel], m[sel])
        rows.append(r)
    return pd.DataFrame(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--difficulty', nargs='+', choices=('default', 'hard'), default=['default', 'hard'])
    ap.add_argument('--seeds', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--set', nargs='*', default=[], metavar='SECTION.OPTION=VALUE',
                    help='config overrides of the warm start, e.g. loop.eta0=1000 or loop.warm_steps=1500')
    a = ap.parse_args()
    out = pd.concat([warm_start_reads(d, s, a.set) for d in a.difficulty for s in a.seeds], ignore_index=True)
    pd.set_option('display.width', 200)
    print(out.round(3).to_string(index=False))


if __name__ == '__main__':
    main()
