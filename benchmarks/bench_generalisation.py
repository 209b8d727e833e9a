"""Does the quantile-hurdle autoencoder generalise to cells it never saw? Held-out reconstruction, with and without
early stopping, on real PBMC cells and on the built-in screen.

Data: scanpy's `pbmc68k_reduced` (700 real PBMCs x 765 genes, its log-normalized `raw`; ships with scanpy, no
download), and the built-in screen's interneurons (paper scale, QC'd, log-normalized). Cells are split in half:
the autoencoder trains on one half and reconstructs the other. With early stopping, 15 % of the training half is
held out as the stopping set (the test half is never seen while training or choosing when to stop).

Printed per setting, on the test half:
- `W1/floor`: median over genes of the Wasserstein-1 distance between sampled reconstructions and the observed
  cells, divided by the two-halves floor (the W1 between two halves of the observed test cells: sampling noise);
- `cell r`: median over cells of the Pearson correlation of the median reconstruction with the observed cell,
  `expected r` the same for the mean reconstruction (`QuantileHurdleAE.expected`: the hurdle mixture's mean),
  against `mean r`, the same for the training cells' mean profile (a model that ignores the cell scores this), and
  `dev r` the median correlation of the mean reconstruction's deviation from that profile with the cell's own
  deviation (0: the model ignores the cell), and `pca r`, the same for a rank-d PCA reconstruction (d = the latent size): a linear model of the cell. Where `pca r`
  does not beat `mean r` either, the cells hold no structure beyond sampling noise for a model to recover (the
  default screen: one cell type whose cells differ by library size, noise and a perturbation in few cells); the
  hard screen adds continuous gene programs (`--data screen-hard`);
- steps actually taken, seconds.

Run: `python benchmarks/bench_generalisation.py [--data pbmc screen screen-hard] [--steps 150 500 1500 3500]
[--set input_dropout=0 ...]` (`--set`: autoencoder options over the preset's).
Target (issue 9): W1/floor <= 1.5 and cell r clearly above mean r, on both."""
import argparse
import time

import numpy as np


def pbmc():
    import scanpy as sc
    a = sc.datasets.pbmc68k_reduced()
    X = np.asarray(a.raw.X.toarray() if hasattr(a.raw.X, 'toarray') else a.raw.X, dtype=np.float32)
    return np.maximum(X, 0), [str(g) for g in a.raw.var_names]


def screen(seed=0, difficulty='default'):
    import perturbaware as pa
    ad = pa.simulate_preprocessed('paper', seed, difficulty=difficulty, celltype='interneuron')
    return np.asarray(ad.X.toarray(), dtype=np.float32), list(ad.var_names)


def scores(ae, X_test, X_train):
    from perturbaware.evaluate import marginal_fidelity
    sampled = ae.sample(None, X=X_test, seed=1)
    fid = marginal_fidelity(X_test, {'ae': sampled}).groupby('method')['w1'].median()
    med, expected = ae.median(None, X=X_test), ae.expected(None, X=X_test)
    mean = X_train.mean(0)
    r = lambda A, B: np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(A, B)])
    dev = lambda A: A - mean
    return dict(w1_floor=fid['ae'] / fid['floor (two halves)'], cell_r=float(np.median(r(med, X_test))),
                dev_r=float(np.median(r(dev(expected), dev(X_test)))),
                expected_r=float(np.median(r(expected, X_test))),
                mean_r=float(np.median(r(np.broadcast_to(mean, X_test.shape), X_test))),
                pca_r=float(np.median(r(pca_reconstruction(X_train, X_test, ae.config.latent_dim), X_test))))


def pca_reconstruction(X_train, X_test, k: int):
    "Test cells projected on the training cells' top-k principal axes: a linear reference with the AE's latent size."
    mean = X_train.mean(0)
    _, _, Vt = np.linalg.svd(X_train - mean, full_matrices=False)
    V = Vt[:k].T
    return mean + (X_test - mean) @ V @ V.T


def run(name, X, genes, steps, preset, patience, seed=0, overrides=None):
    import pandas as pd
    from perturbaware.loop import FitConfig
    from perturbaware.qhae import QuantileHurdleAE
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(X)); half = len(X) // 2
    train, test = np.sort(perm[:half]), np.sort(perm[half:])
    cfg = FitConfig.named(preset).autoencoder
    from dataclasses import replace
    cfg = replace(cfg, **(overrides or {}))
    rows = []
    for n in steps:
        for stop in ([None, patience] if patience else [None]):
            fit_rows = train
            X_stop = None
            if stop:       # the stopping set comes out of the training half
                k = int(0.15 * len(train)); fit_rows, stop_rows = train[k:], train[:k]
                X_stop = X[stop_rows]
            ae = QuantileHurdleAE(config=replace(cfg, patience=stop, eval_every=50 if stop else None),
                                  var_names=genes, seed=seed)
            t0 = time.perf_counter()
            ae.train(None, steps=n, X=X[fit_rows], X_val=X_stop, progress=False)
            sec = time.perf_counter() - t0
            rows.append(dict(data=name, preset=preset, max_steps=n, early_stopping=f'patience {stop}' if stop else 'no',
                             steps=ae.history[-1]['steps'], seconds=round(sec, 1), **scores(ae, X[test], X[fit_rows])))
            print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False, header=len(rows) == 1), flush=True)
    return rows


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', nargs='+', default=['pbmc', 'screen', 'screen-hard'], choices=['pbmc', 'screen', 'screen-hard'])
    ap.add_argument('--steps', nargs='+', type=int, default=[150, 500, 1500, 3500])
    ap.add_argument('--presets', nargs='+', default=['default', 'paper'])
    ap.add_argument('--patience', type=int, default=4, help='early-stopping patience in evaluations (0: off)')
    ap.add_argument('--set', nargs='+', default=[], metavar='OPTION=VALUE',
                    help='autoencoder options over the preset, e.g. input_dropout=0 lr=3e-3 (Python literals)')
    a = ap.parse_args()
    import ast
    overrides = {k: ast.literal_eval(v) for k, v in (item.split('=', 1) for item in a.set)}
    import pandas as pd
    out = []
    for d in a.data:
        X, genes = pbmc() if d == 'pbmc' else screen(difficulty='hard' if d == 'screen-hard' else 'default')
        print(f'\n{d}: {X.shape[0]} cells x {X.shape[1]} genes (half to train, half to test)')
        for preset in a.presets: out += run(d, X, genes, a.steps, preset, a.patience, overrides=overrides)
    print('\nsummary\n' + pd.DataFrame(out).round(3).to_string(index=False))
