"""nnNU classifiers at paper scale: 29 perturbations, full prevalence search and 4-fold out-of-fold predictions
on ~8,000 cells x 50 latent dimensions (one cell type, as the paper's interneuron analysis).

Target: <= 120 s on 2 CPU cores, and >= 20x faster than training the same classifiers one by one.
The one-by-one loop (a plain nn.Sequential per classifier with its own AdamW, same loss, batch and validation
schedule) is timed on a few classifiers for a few hundred steps and extrapolated to all classifiers x 7,000 steps.

Run: `make bench` or `python benchmarks/bench_nnnu.py [--loop-steps 300] [--loop-classifiers 3]`."""
import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from perturbaware.evaluate import auroc
from perturbaware.nnnu import NNNUConfig, fit_nnnu, nnnu_loss, screen_perturbations


def synthetic_latent(seed=0, n_ctrl=500, n_pert=29, d=50):
    "Controls ~ N(0, I); 29 perturbations of ~260 cells; 4 have perturbed fractions 0.3-0.6 shifted by 2-3 SD in 5 dims."
    rng = np.random.default_rng(seed)
    sizes = rng.integers(200, 320, n_pert)
    labels = np.array(['control'] * n_ctrl + [f'P{k:02d}' for k in range(n_pert) for _ in range(sizes[k])])
    pos = np.zeros(len(labels), bool)
    shift = np.zeros((len(labels), d))
    for k, (frac, size) in enumerate([(0.6, 3.0), (0.5, 2.5), (0.4, 2.0), (0.3, 2.0)]):
        cells = np.flatnonzero(labels == f'P{k:02d}')
        p = cells[rng.random(len(cells)) < frac]
        pos[p] = True
        shift[np.ix_(p, rng.choice(d, 5, replace=False))] = size
    return rng.normal(size=(len(labels), d)) + shift, labels, pos


def one_by_one(Z, labels, cfg, n_classifiers, steps, seed=0):
    "Train classifiers one at a time, the straightforward way; returns seconds per classifier-step."
    torch.manual_seed(seed)
    Zt = torch.as_tensor(Z, dtype=torch.float32)
    ctrl = np.flatnonzero(labels == 'control')
    t = time.perf_counter()
    for k in range(n_classifiers):
        u = np.flatnonzero(labels == f'P{k:02d}')
        net = torch.nn.Sequential(torch.nn.Linear(Z.shape[1], cfg.hidden), torch.nn.ReLU(), torch.nn.Dropout(cfg.dropout),
                                  torch.nn.Linear(cfg.hidden, 1))
        opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        alpha = torch.tensor([0.5])
        best = None
        for step in range(1, steps + 1):
            iu = torch.as_tensor(np.random.choice(u, cfg.batch_size)); iN = torch.as_tensor(np.random.choice(ctrl, cfg.batch_size))
            net.train()
            g = net(Zt[torch.cat([iu, iN])]).squeeze(-1)[None]
            obj, _ = nnnu_loss(g[:, :cfg.batch_size], g[:, cfg.batch_size:], alpha)
            opt.zero_grad(); obj.sum().backward(); opt.step()
            if step % cfg.eval_every == 0:
                net.eval()
                with torch.no_grad():
                    risk = nnnu_loss(net(Zt[u[:60]]).T, net(Zt[ctrl[:100]]).T, alpha)[1]
                best = {k_: v.clone() for k_, v in net.state_dict().items()}
    return (time.perf_counter() - t) / (n_classifiers * steps)


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--loop-steps', type=int, default=300)
    ap.add_argument('--loop-classifiers', type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(2)
    Z, labels, pos = synthetic_latent()
    cfg = NNNUConfig()
    print(f'{len(labels):,} cells x {Z.shape[1]} latent dims, {len(set(labels)) - 1} perturbations; '
          f'{len(cfg.alphas)} alpha candidates, {cfg.n_folds} folds, {cfg.steps} steps, batch {cfg.batch_size}+{cfg.batch_size}')
    t = time.perf_counter()
    res = fit_nnnu(Z, labels, config=cfg, seed=0, progress=False)
    batched = time.perf_counter() - t
    n_clf = len(res.categories) * (len(cfg.alphas) + cfg.n_folds)
    scr = screen_perturbations(res, labels).set_index('perturbation')
    cats = res.categories.set_index('perturbation')
    print(f'batched: {batched:.1f} s for {n_clf} classifiers x {cfg.steps} steps (target <= 120 s)')
    for k in range(4):
        p = f'P{k:02d}'; m = labels == p
        print(f'  {p}: true alpha {pos[m].mean():.2f}, alpha* {cats.at[p, "alpha"]:.2f}, '
              f'AUROC {auroc(res.logits[p][m], pos[m]):.3f}, gap {scr.at[p, "gap"]:.3f}, keep {scr.at[p, "keep"]}')
    inert = scr.drop([f'P{k:02d}' for k in range(4)])
    print(f'  25 inert: kept {int(inert["keep"].sum())}, alpha* median {cats.loc[inert.index, "alpha"].median():.2f}')
    per = one_by_one(Z, labels, cfg, args.loop_classifiers, args.loop_steps)
    loop_total = per * n_clf * cfg.steps
    print(f'one-by-one loop: {per * 1e3:.2f} ms per classifier-step (timed on {args.loop_classifiers} classifiers x '
          f'{args.loop_steps} steps) -> extrapolated {loop_total:.0f} s for all {n_clf} classifiers x {cfg.steps} steps')
    print(f'speed-up: {loop_total / batched:.0f}x (target >= 20x)')
