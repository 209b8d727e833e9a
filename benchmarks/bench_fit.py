"""The whole fit (Algorithm 1) on the built-in screen at paper scale: time per round and stage, peak memory, and how
well the pseudo-posteriors recover the simulated truth, round by round.

Target (issue: the fit): interneurons (~7,800 cells x ~4,900 genes, 29 perturbations), 6 rounds, <= 6 minutes on
2 CPU cores with the default preset. `--all-celltypes` fits every cell type at once (~21,000 cells).

Run: `make bench` or `python benchmarks/bench_fit.py [--preset default|latent|paper|genes] [--seed 0] [--all-celltypes]`."""
import argparse
import resource
import time

import pandas as pd

import perturbaware as pa

from perturbaware.simulate import EFFECTIVE  # (the simulated screen's effective perturbations)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--preset', default='default', choices=list(pa.loop.PRESETS))
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--difficulty', default='default', choices=['default', 'hard'], help='simulator preset')
    ap.add_argument('--all-celltypes', action='store_true')
    ap.add_argument('--iterations', type=int, default=6)
    args = ap.parse_args()
    pd.set_option('display.width', 200)
    t0 = time.perf_counter()
    celltype = None if args.all_celltypes else 'interneuron'
    adata = pa.simulate_preprocessed('paper', args.seed, difficulty=args.difficulty, celltype=celltype)
    t_data = time.perf_counter() - t0
    cfg = pa.FitConfig.named(args.preset)
    cfg.loop.max_iterations = args.iterations
    print(f'screen: {adata.n_obs:,} cells x {adata.n_vars:,} genes ({celltype or "all cell types"}), '
          f'simulated ({args.difficulty}) + preprocessed in {t_data:.1f}s; preset {cfg.preset}, seed {args.seed}', flush=True)
    t1 = time.perf_counter()
    model = pa.fit(adata, celltype=celltype, config=cfg, seed=args.seed, progress=False)
    t_fit = time.perf_counter() - t1
    h = model.history
    stages = ['seconds_tests', 'seconds_autoencoder', 'seconds_classifiers', 'seconds']
    print('\nper round (seconds per stage; the rest of a round is bookkeeping and ground-truth diagnostics):')
    print(h[['eta', 'tau', 'n_tested', 'n_kept', 'n_selected', 'ae_loss_train', 'ae_loss_val'] + stages
            + (['mean_auroc_effective'] if 'mean_auroc_effective' in h else [])].round(3).to_string())
    ch = model.category_history
    eff = ch[ch['category'].str.split('|').str[0].isin(EFFECTIVE)]
    for metric in ('auroc', 'signal_probe', 'leak_probe', 'alpha', 'true_fraction', 'gap', 'n_selected'):
        if metric in eff:
            print(f'\n{metric} per effective category and round:')
            print(eff.pivot(index='category', columns='round', values=metric).round(3).to_string())
    last = ch[ch['round'] == ch['round'].max()]
    inert = last[~last['category'].str.split('|').str[0].isin(EFFECTIVE)]
    print(f'\ninert categories kept in the last round: {int(inert["kept"].sum())} of {len(inert)}; '
          f'their mean p~ {inert["mean_p"].mean():.3f}')
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    target = '' if args.all_celltypes else f' (target <= 360 s: {"met" if t_fit <= 360 else "MISSED"})'
    print(f'\nwhole fit: {t_fit:.1f}s{target}; peak RSS {peak:.2f} GB')


if __name__ == '__main__':
    main()
