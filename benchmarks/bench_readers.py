"""What the latent holds against what the classifiers read, round by round, on fixed latents (issue 8).

Fits the built-in screen's interneurons with the default preset for `--rounds` rounds, keeping each round's
autoencoder, then on each round's latent codes and for each effective perturbation prints the AUROC against the
truth of:
- `nnnu`: the loop's own nnNU logits of that round (what p~ is built from);
- `pn`: an out-of-fold logistic regression of guide-labelled vs control cells (a linear reader of the same PU
  labels: no truth, no prevalence);
- `probe`: the signal probe (a cross-validated logistic regression given the true labels), on all cells of the
  category, and `probe val` on the validation cells only (cells the autoencoder never trained on);
- `leak train` / `leak val`: the leak probe (truly unperturbed guide-labelled cells vs controls) on training and
  on validation cells: memorised training cells against a label the latent really encodes;
- `nnnu_label` / `pn_label`: what each reader can see without the truth, the AUROC of its out-of-fold scores between
  guide-labelled and control cells (the rule of `NNNUConfig.reader='auto'`).
With `--variants`, the nnNU classifiers are refitted on round 1's latent with other settings (prevalence search,
the paper's learning rate, no dropout, fixed prevalences, 64 hidden units) to see which reader setting matters.

Run: `python benchmarks/bench_readers.py [--scale paper|small] [--difficulty default|hard] [--seed 0] [--rounds 3]
[--variants] [--keep DIR]` (`--keep`: the fitted rounds stay in DIR, and a later run with the same DIR reads them
instead of refitting) (paper scale: about 8 minutes per fit of 3 rounds on 2 cores, 1 minute per variant set)."""
import argparse
import json
import shutil
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from perturbaware.simulate import EFFECTIVE  # (the simulated screen's effective perturbations)
CELLTYPE = 'interneuron'


def fit_rounds(scale, difficulty, seed, rounds, budget, out: Path):
    "Fit with a checkpoint per round copied to out/round{t}; returns the annotated interneurons."
    import perturbaware as pa
    adata = pa.simulate_preprocessed(scale, seed, difficulty=difficulty, celltype=CELLTYPE)
    cfg = pa.FitConfig() if budget == 'full' else pa.FitConfig().test_budget()
    cfg.loop.max_iterations = rounds
    keep = lambda state: shutil.copytree(out / 'last', out / f'round{state.round}', dirs_exist_ok=True)
    pa.fit(adata, celltype=CELLTYPE, config=cfg, seed=seed, checkpoint_dir=out, callback=keep, progress=False)
    return adata[adata.obs['celltype'] == CELLTYPE].copy()


def fitted_arrays(adata, out: Path, t: int):
    "Labels, validation mask and truth of the fitted cells, and their latent codes under round t's autoencoder."
    import perturbaware as pa
    from perturbaware.qhae import QuantileHurdleAE
    X = np.asarray(adata.X.toarray() if hasattr(adata.X, 'toarray') else adata.X, np.float32)
    labels = adata.obs['perturbation'].astype(str).to_numpy()
    val = (adata.obs[pa.result_keys()['split']].astype(str) == 'val').to_numpy()
    truth = adata.obs['true_strength'].to_numpy(float) > 0
    return labels, val, truth, QuantileHurdleAE.load(out / f'round{t}' / 'ae', device='cpu').latent(None, X=X)


def readers(adata, out: Path, t: int) -> pd.DataFrame:
    "One row per effective perturbation: every reader's AUROC on round t's latent codes."
    from perturbaware.evaluate import auroc, cross_validated_scores, probe_auroc
    labels, val, truth, Z = fitted_arrays(adata, out, t)
    ctrl = labels == 'control'
    meta = json.loads((out / f'round{t}' / 'state.json').read_text())
    logits = pd.DataFrame(torch.load(out / f'round{t}' / 'state.pt', weights_only=True)['logits'].numpy(),
                          columns=meta['columns'])
    rows = []
    for k in EFFECTIVE:
        m = labels == k
        s = m | ctrl
        pn = cross_validated_scores(Z[s], m[s], 4, 1.0, 0)
        un = m & ~truth
        g = logits[k].to_numpy()
        rows.append(dict(round=t, perturbation=k, nnnu=auroc(g[m], truth[m]),
                         pn=auroc(pn[m[s]], truth[s][m[s]]),
                         # what each reader can see without the truth: how well its out-of-fold scores rank the
                         # guide-labelled cells above the controls (under SCAR, monotone in its AUROC on the truth)
                         nnnu_label=auroc(g[s], m[s]), pn_label=auroc(pn, m[s]),
                         probe=probe_auroc(Z[m], truth[m]),
                         probe_val=probe_auroc(Z[m & val], truth[m & val], n_folds=3),
                         leak_train=probe_auroc(Z[(un | ctrl) & ~val], un[(un | ctrl) & ~val]),
                         leak_val=probe_auroc(Z[(un | ctrl) & val], un[(un | ctrl) & val], n_folds=3)))
    return pd.DataFrame(rows)


def variants(adata, out: Path, seed: int) -> pd.DataFrame:
    "nnNU classifiers refitted on round 1's latent with other settings: AUROC of their logits per perturbation."
    import perturbaware as pa
    from perturbaware.evaluate import auroc
    from perturbaware.nnnu import fit_nnnu
    labels, val, truth, Z = fitted_arrays(adata, out, 1)
    base = pa.FitConfig().classifier
    settings = {'default preset': base, 'prevalence search': replace(base, prevalence='search'),
                'lr 1e-4 x 7000 (paper)': replace(base, lr=1e-4, steps=7000), 'no dropout': replace(base, dropout=0.0),
                'alpha fixed 0.3': replace(base, prevalence='search', alpha_start=0.3, alpha_min=0.3),
                'hidden 64': replace(base, hidden=64), 'linear (hidden 0)': replace(base, hidden=0),
                'steps 6000': replace(base, steps=6000), 'final weights': replace(base, checkpoint='last'), 'no weight decay': replace(base, weight_decay=0.0)}
    cats = [f'{k}|{CELLTYPE}' for k in EFFECTIVE]
    rows = []
    for name, cfg in settings.items():
        res = fit_nnnu(Z, labels, np.full(len(labels), CELLTYPE), 'control', cfg, seed=seed * 1000 + 1, device='cpu',
                       progress=False, val_mask=val, categories=cats)
        rows.append({'setting': name, **{k: auroc(res.logits[k].to_numpy()[labels == k], truth[labels == k])
                                         for k in EFFECTIVE}})
    return pd.DataFrame(rows)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--scale', choices=('small', 'paper'), default='paper')
    ap.add_argument('--difficulty', choices=('default', 'hard'), default='default')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--budget', choices=('full', 'test'), default='full')
    ap.add_argument('--variants', action='store_true')
    ap.add_argument('--keep', help='folder that keeps the fitted rounds; an existing one is read instead of refitting')
    a = ap.parse_args()
    pd.set_option('display.width', 200)
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as tmp:
        warnings.simplefilter('ignore')
        out = Path(a.keep or tmp)
        if a.keep and (out / 'round1').exists():
            import anndata
            adata = anndata.read_h5ad(out / 'adata.h5ad')
        else:
            adata = fit_rounds(a.scale, a.difficulty, a.seed, a.rounds, a.budget, out)
            if a.keep: adata.write_h5ad(out / 'adata.h5ad')
        done = sorted(int(p.name[5:]) for p in out.glob('round*'))
        table = pd.concat([readers(adata, out, t) for t in done])
        print(f'{a.scale} {a.difficulty} screen, seed {a.seed}: AUROC against the truth per round\n'
              + table.round(3).to_string(index=False))
        if a.variants: print('\nnnNU settings on round 1\'s latent\n' + variants(adata, out, a.seed).round(3).to_string(index=False))
