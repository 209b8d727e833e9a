"""perturbaware side by side with the tools users would pick instead, on the built-in screen, measured against its
truth in one run (issue 11).

Which guide-labelled cells are really perturbed? Each method gives every guide-labelled cell of the cell type a
probability that its guide perturbed it:
- `perturbaware`: `pa.fit` with the default preset (p~ read from each perturbation's selected genes, out-of-fold on
  the training cells);
- `perturbaware-latent`: the same with `FitConfig.latent()`, p~ read from the latent code (the default before);
- `perturbaware-paper`: the same with `FitConfig.paper()`, Appendix 9.4 literally;
- `guide-prior`: sigma(u), the guide prior alone (Section 4.4, tau = 1);
- `unweighted-ae`: the paper's Figure 4 baseline, one unweighted quantile-hurdle AE trained as long as the loop,
  with the classifiers of the latent preset (`FitConfig.latent().unweighted_baseline()`);
- `mse-ae`: the same with a mean-squared-error autoencoder (`autoencoder.head='mse'`), the conventional AE that
  Section 4.1 argues against;
- `mixscape`: pertpy's documented recipe (PCA of the log-normalized cells, `perturbation_signature` with the mice
  as replicates, `mixscape`), probability `mixscape_class_p_ko`;
- `scvi`: scVI's latent space (its defaults; `--scvi-latent 50` for the second setting) with the classifiers of
  perturbaware's latent preset, so that the latent spaces are compared with one reader.

Printed and written (`--out`, default benchmarks/out/compare): per method and effective perturbation the AUROC of
the probability against the truth, the mean probability on truly perturbed and unperturbed cells, the 10-bin
calibration error (ECE) over the effective perturbations, the mean probability on the inert perturbations (the
truth is 0), the latent probe (a cross-validated logistic regression given the true labels on the method's latent
codes) where there is a latent space, the latent MMD and l2 of each perturbation to the controls (Appendix 9.3), and for
the methods that reconstruct cells (the autoencoders and scVI's posterior predictive samples) the marginal fidelity
(mean W1 over genes against its two-halves floor, zero-fraction error) and the reconstruction-of-effects correlation
over the true DE genes. Latent and reconstruction figures are on the validation cells of perturbaware's split, which
scVI does not train on either. Wall time and peak memory are of the method alone. Each (seed, method) runs in
its own process so that time and memory are its own.

Run: `python benchmarks/compare.py [--scale small|paper] [--difficulty default|hard] [--celltype interneuron|all] [--seeds 0 1 2]
[--methods ...]`. Results of earlier runs on the same screen are kept unless rerun (so methods can be
added one at a time). The peers come from the `bench` extra (`pip install -e .[bench]`: pertpy, scvi-tools); a
method whose package is missing is reported as such and the others still run."""
import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_scale import PeakRSS  # noqa: E402

METHODS = ('perturbaware', 'perturbaware-latent', 'perturbaware-paper', 'guide-prior', 'unweighted-ae', 'mse-ae', 'mixscape', 'scvi')
OUT = Path(__file__).parent / 'out' / 'compare'


METHOD_ORDER = ['perturbaware', 'perturbaware-latent', 'perturbaware-paper', 'unweighted-ae', 'mse-ae', 'scvi', 'scvi-50', 'mixscape', 'guide-prior']


def per_perturbation(table: pd.DataFrame, value: str = 'auroc') -> tuple:
    "Mean and standard deviation over seeds of `value` per method (rows) and effective perturbation (columns)."
    from perturbaware.simulate import EFFECTIVE   # strong, medium, medium, weak (here, not at the top: the workers
                                                  # measure each method's memory and need not import the package)
    eff = table[table['effective'] & ~table['category'].str.startswith('(')]
    # columns strong to weak; with --celltype all the categories are 'perturbation|celltype', by cell type first
    key = lambda c: (c.split('|')[1] if '|' in c else '', EFFECTIVE.index(c.split('|')[0]))
    grid = lambda f: eff.pivot_table(index='method', columns='category', values=value, aggfunc=f).reindex(
        index=[m for m in METHOD_ORDER if m in set(eff['method'])], columns=sorted(set(eff['category']), key=key))
    return grid('mean'), grid('std')


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """One row per method, means over seeds (and over the effective perturbations where a figure is per perturbation):
    mean AUROC, ECE, mean p on inert perturbations and on controls, latent probe, MMD and l2 (effective and inert),
    effect r, selected genes' precision and recall, W1/floor and zero-fraction error, seconds and peak memory.
    Figures a row does not have (methods without a latent, seeds run before a column existed) are NaN."""
    t = table
    eff = t[t['effective'] & ~t['category'].str.startswith('(')]
    inert = t[~t['effective'] & ~t['category'].str.startswith('(')]
    rows = lambda cat: t[t['category'] == cat].groupby('method')
    s = pd.DataFrame({'mean AUROC': eff.groupby('method')['auroc'].mean(), 'ECE': rows('(effective)')['ece'].mean(),
                      'mean p, inert': inert.groupby('method')['mean_p'].mean(),
                      'mean p, controls': rows('(controls)')['mean_p'].mean() if '(controls)' in set(t['category']) else np.nan})
    for col, name in (('latent_probe', 'latent probe'), ('mmd', 'MMD eff.'), ('l2', 'l2 eff.'), ('effect_correlation', 'effect r'),
                      ('precision', 'gene precision'), ('recall', 'gene recall')):
        s[name] = eff.groupby('method')[col].mean() if col in t else np.nan
    s['MMD inert'] = inert.groupby('method')['mmd'].mean() if 'mmd' in t else np.nan
    if 'w1' in t:
        s['W1/floor'] = rows('(marginals)')['w1'].mean() / rows('(marginals)')['w1_floor'].mean()
        s['zero err.'] = rows('(marginals)')['zero_frac_err'].mean()
    s['seconds'] = t.groupby('method')['seconds'].mean(); s['peak GB'] = t.groupby('method')['peak_rss_gb'].mean()
    return s.reindex([m for m in METHOD_ORDER if m in s.index])


def load_screen(scale: str, seed: int, celltype: str, cache: Path, difficulty: str = 'default'):
    "The preprocessed screen of one cell type (cached as h5ad, so every method reads the same cells)."
    import anndata as ad
    import perturbaware as pa
    path = cache / f'screen_{scale}{"" if difficulty == "default" else "_" + difficulty}_s{seed}_{celltype}.h5ad'
    if not path.exists():
        a = pa.simulate_preprocessed(scale, seed, difficulty=difficulty, celltype=None if celltype == 'all' else celltype)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix('.tmp.h5ad'); a.write_h5ad(tmp); tmp.rename(path)
    return ad.read_h5ad(path)


def celltypes(adata) -> np.ndarray:
    return adata.obs['celltype'].astype(str).to_numpy()


def validation_mask(adata, seed: int):
    "perturbaware's own split of these cells (`make_split`, as `pa.fit` draws it): the cells no method trains on."
    from perturbaware.loop import FitConfig, make_split
    return make_split(adata.obs['perturbation'].astype(str).to_numpy(), celltypes(adata), FitConfig().loop.val_fraction, seed)


def nnnu_on_latent(Z, adata, seed: int):
    "perturbaware's classifiers of a latent (`FitConfig.latent()`) on another method's codes: sigma(g), cells x perturbations."
    from scipy.special import expit
    from perturbaware.loop import FitConfig
    from perturbaware.nnnu import fit_nnnu
    labels = adata.obs['perturbation'].astype(str).to_numpy()
    res = fit_nnnu(Z, labels, celltypes(adata), config=FitConfig.latent().classifier, seed=seed, progress=False,
                   index=adata.obs_names)
    return expit(res.logits)


def run_method(method: str, adata, seed: int, scvi_latent: int | None) -> dict:
    """What a method says about the cells: `p` (own-target probability of the guide-labelled cells), `table` (cells x
    perturbations, for the controls) or None, `Z` (latent codes) or None, `recon` (a function that draws one sampled
    log-normalized reconstruction of every cell from a model that did not train on the validation cells; called
    after the method's time and memory are measured) or None, `selected`
    genes or None, and `notes`."""
    import perturbaware as pa
    from scipy.special import expit
    from perturbaware.data import own_target_values
    keys = pa.result_keys()
    labels = adata.obs['perturbation'].astype(str).to_numpy()
    out = dict(table=None, Z=None, recon=None, selected=None)
    if method in ('perturbaware', 'perturbaware-latent', 'perturbaware-paper', 'unweighted-ae', 'mse-ae'):
        cfg = {'perturbaware': pa.FitConfig(), 'perturbaware-paper': pa.FitConfig.paper()}.get(method, pa.FitConfig.latent())
        if method in ('unweighted-ae', 'mse-ae'): cfg = cfg.unweighted_baseline()
        if method == 'mse-ae': cfg.autoencoder.head = 'mse'   # the conventional autoencoder of Section 4.1
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            model = pa.fit(adata, celltype=None, config=cfg, seed=seed, progress=False)
        assert (adata.obs[keys['split']].to_numpy() == 'val').tolist() == validation_mask(adata, seed).tolist()
        notes = f"{len(model.history)} rounds, kept {', '.join(model.info['kept']) or 'none'}"
        # the MSE head has no distribution to sample: its reconstruction is its point prediction
        recon = (lambda: model.median(adata)) if method == 'mse-ae' else (lambda: model.sample(adata, seed=seed))
        return dict(out, p=adata.obs[keys['posterior']].to_numpy(float), table=adata.obsm[keys['posterior']],
                    Z=adata.obsm[keys['latent']], recon=recon, notes=notes,
                    selected=model.selected_genes)
    if method == 'guide-prior':
        u = pa.guide_prior(adata, celltype_key='celltype', key_added='_u')   # as pa.fit ranks UMIs: within cell types
        return dict(out, p=expit(own_target_values(u, labels)), notes='tau = 1')
    if method == 'mixscape':
        import pertpy as pt
        import scanpy as sc
        a = adata.copy()
        sc.pp.pca(a, n_comps=40, random_state=seed)
        ms = pt.tl.Mixscape()
        # replicates: the mice, within each cell type (controls of the same mouse and cell type give the signature);
        # with several cell types, the mixture is fitted per cell type too (pertpy's split_by)
        several = a.obs['celltype'].nunique() > 1
        a.obs['replicate'] = a.obs['mouse'].astype(str) + ('|' + a.obs['celltype'].astype(str) if several else '')
        t0 = time.perf_counter()
        ms.perturbation_signature(a, pert_key='perturbation', control='control', split_by='replicate')
        t_sig = time.perf_counter() - t0
        ms.mixscape(a, pert_key='perturbation', control='control', layer='X_pert', random_state=seed,
                    split_by='celltype' if several else None)
        p = a.obs['mixscape_class_p_ko'].to_numpy(float)
        classes = a.obs['mixscape_class_global'].astype(str)
        notes = f"perturbation_signature {t_sig:.0f} s; NP share {np.mean(classes[a.obs['perturbation'] != 'control'] == 'NP'):.2f}"
        return dict(out, p=p, notes=notes)
    if method == 'scvi':
        # scVI trains on the training cells of the same split as perturbaware (its reconstructions of the validation
        # cells are then out of sample, as theirs are), then encodes and samples every cell
        import scvi
        val = validation_mask(adata, seed)
        full = adata.copy(); full.X = full.layers['counts'].copy()
        train = full[~val].copy()
        scvi.settings.seed = seed
        scvi.model.SCVI.setup_anndata(train, batch_key='mouse')
        kw = {} if scvi_latent is None else dict(n_latent=scvi_latent)
        m = scvi.model.SCVI(train, **kw)
        m.train(accelerator='cpu', enable_progress_bar=False)
        Z = m.get_latent_representation(full)
        def recon():   # log-normalized as `preprocess` normalizes observed cells: to target_sum per cell, then log1p
            counts = np.asarray(m.posterior_predictive_sample(full, n_samples=1).todense(), float)
            target = adata.uns['perturbaware_preprocess']['target_sum']
            return np.log1p(counts * (target / np.maximum(counts.sum(1, keepdims=True), 1)))
        table = nnnu_on_latent(Z, adata, seed)
        return dict(out, p=own_target_values(table, labels), table=table, Z=Z, recon=recon,
                    notes=f"n_latent {m.module.n_latent}, {m.history['elbo_train'].shape[0]} epochs on the training cells")
    raise ValueError(method)


def evaluate(adata, res: dict, seed: int) -> list:
    """One row per effective or inert category: AUROC, means, latent probe, selected genes, latent MMD and l2 to the
    controls (Appendix 9.3, validation cells) and the reconstruction-of-effects correlation (validation cells, true DE
    genes); one '(effective)' row with ECE; one '(controls)' row with the mean probability of controls for the
    effective perturbations; one '(marginals)' row with the marginal fidelity of the reconstructions of the
    validation cells (mean W1 over genes, its two-halves floor, zero-fraction error)."""
    import perturbaware as pa
    from perturbaware.evaluate import _dense, effect_correlation, latent_separation
    p, Z, selected = res['p'], res['Z'], res['selected']
    recon = res['recon']() if res['recon'] is not None else None
    labels = adata.obs['perturbation'].astype(str).to_numpy()
    cts = celltypes(adata)
    several = len(set(cts)) > 1
    name = lambda k, ct: f'{k}|{ct}' if several else k   # one cell type: the perturbation's name alone
    truth = adata.obs['true_strength'].to_numpy(float) > 0
    de = adata.uns['true_de_genes']
    val = validation_mask(adata, seed)
    X = _dense(adata.X)
    sep = latent_separation(Z, labels, val, celltypes=cts, seed=seed) if Z is not None else None
    rows, eff_mask = [], np.zeros(len(labels), bool)
    for ct in sorted(set(cts)):
        ctrl = (labels == 'control') & (cts == ct)
        for k in sorted(set(labels[cts == ct]) - {'control'}):
            m, cat = (labels == k) & (cts == ct), f'{k}|{ct}'
            row = dict(category=name(k, ct), effective=cat in de, n=int(m.sum()), true_fraction=float(truth[m].mean()),
                       mean_p=float(np.nanmean(p[m])))
            if sep is not None and cat in sep.index: row.update(mmd=sep.loc[cat, 'mmd'], l2=sep.loc[cat, 'l2'])
            if cat in de:
                eff_mask |= m
                row.update(auroc=pa.auroc(p[m], truth[m]), mean_p_perturbed=float(np.nanmean(p[m & truth])),
                           mean_p_unperturbed=float(np.nanmean(p[m & ~truth])))
                if Z is not None and 0 < truth[m].sum() < m.sum(): row['latent_probe'] = pa.probe_auroc(Z[m], truth[m])
                if selected is not None:
                    sel = set(selected.get(cat, []))
                    hit = len(sel & set(de[cat]))
                    row.update(precision=hit / len(sel) if sel else np.nan, recall=hit / len(de[cat]))
                if recon is not None:
                    genes = adata.var_names.get_indexer(pd.Index(de[cat])); genes = genes[genes >= 0]
                    row['effect_correlation'] = effect_correlation(X, {'r': recon}, val & m & truth, val & ctrl, genes)['r']
            rows.append(row)
    ok = eff_mask & np.isfinite(p)
    rows.append(dict(category='(effective)', effective=True, n=int(eff_mask.sum()),
                     ece=pa.expected_calibration_error(p[ok], truth[ok]), mean_p=float(np.nanmean(p[eff_mask]))))
    if res['table'] is not None:   # controls, for the effective perturbations of their own cell type
        is_control = labels == 'control'
        T = np.asarray(res['table'], float)
        cols = np.array([str(c) for c in res['table'].columns])
        vals = [T[is_control & (cts == ct)][:, [f'{c}|{ct}' in de for c in cols]] for ct in sorted(set(cts))]
        rows.append(dict(category='(controls)', effective=False, n=int(is_control.sum()),
                         mean_p=float(np.nanmean(np.concatenate([v.ravel() for v in vals])))))
    if recon is not None:
        fid = pa.marginal_fidelity(X[val], {'r': np.asarray(recon)[val]}, seed=seed).groupby('method')[['w1', 'zero_frac_err']].mean()
        rows.append(dict(category='(marginals)', effective=False, n=int(val.sum()), w1=fid.loc['r', 'w1'],
                         w1_floor=fid.loc['floor (two halves)', 'w1'], zero_frac_err=fid.loc['r', 'zero_frac_err']))
    return rows


def worker(a):
    cache = Path(a.out) / 'cache'
    adata = load_screen(a.scale, a.seed, a.celltype, cache, a.difficulty)
    with PeakRSS() as m:
        try:
            res = run_method(a.method, adata, a.seed, a.scvi_latent)
            notes, status = res['notes'], 'ok'
        except ImportError as e:
            res = None; notes, status = f'not installed: {e.name} (pip install -e .[bench])', 'missing'
    rows = evaluate(adata, res, a.seed) if res is not None else []
    res = dict(method=a.method + (f'-{a.scvi_latent}' if a.method == 'scvi' and a.scvi_latent else ''),
               seed=a.seed, scale=a.scale, difficulty=a.difficulty, celltype=a.celltype, status=status, notes=notes,
               seconds=m.seconds, peak_rss_gb=m.peak / 2**30, rows=rows)
    print(json.dumps(res))


def save(results: list, out: Path, tag: str) -> pd.DataFrame:
    "Write the results so far (JSON, and one CSV row per method, seed and category), each file atomically."
    rows = [dict(method=r['method'], seed=r['seed'], scale=r['scale'], seconds=r['seconds'], peak_rss_gb=r['peak_rss_gb'],
                 **row) for r in results for row in r['rows']]
    table = pd.DataFrame(rows)
    for name, text in ((f'compare_{tag}.csv', table.to_csv(index=False)), (f'compare_{tag}.json', json.dumps(results, indent=1))):
        (out / f'.{name}.tmp').write_text(text); (out / f'.{name}.tmp').replace(out / name)
    return table


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scale', choices=('small', 'paper'), default='small')
    ap.add_argument('--difficulty', choices=('default', 'hard'), default='default')
    ap.add_argument('--celltype', default='interneuron', help="one cell type, or 'all' (every cell type in one fit)")
    ap.add_argument('--seeds', type=int, nargs='+', default=[0])
    ap.add_argument('--methods', nargs='+', default=list(METHODS), choices=METHODS)
    ap.add_argument('--scvi-latent', type=int, default=None, help='n_latent of scVI (default: its own, 10)')
    ap.add_argument('--out', default=str(OUT))
    ap.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--method', help=argparse.SUPPRESS)
    ap.add_argument('--seed', type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker: return worker(a)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    tag = f'{a.scale}_{a.celltype}' if a.difficulty == 'default' else f'{a.scale}_{a.difficulty}_{a.celltype}'
    # earlier results of this screen are kept, except those of the (method, seed) pairs run again now
    earlier = json.loads((out / f'compare_{tag}.json').read_text()) if (out / f'compare_{tag}.json').exists() else []
    rerun = {(m + (f'-{a.scvi_latent}' if m == 'scvi' and a.scvi_latent else ''), s) for m in a.methods for s in a.seeds}
    results = [r for r in earlier if (r['method'], r['seed']) not in rerun]
    for seed in a.seeds:
        for method in a.methods:
            cmd = [sys.executable, __file__, '--worker', '--method', method, '--seed', str(seed), '--scale', a.scale,
                   '--difficulty', a.difficulty, '--celltype', a.celltype, '--out', str(out)] + (['--scvi-latent', str(a.scvi_latent)] if a.scvi_latent else [])
            proc = subprocess.run(cmd, capture_output=True, text=True)
            line = [l for l in proc.stdout.splitlines() if l.startswith('{')]
            if proc.returncode or not line:
                print(f'{method} seed {seed}: failed\n{proc.stderr[-2000:]}', flush=True); continue
            r = json.loads(line[-1]); results.append(r)
            print(f"{r['method']:<20} seed {seed}: {r['status']}, {r['seconds']:.0f} s, peak {r['peak_rss_gb']:.2f} GB; {r['notes']}", flush=True)
            table = save(results, out, tag)      # after every method, so an interrupted run keeps what it measured
    table = save(results, out, tag)
    if table.empty: return
    print('\nAUROC of the per-cell probability against the truth (mean over seeds):')
    print(per_perturbation(table)[0].round(3).to_string())
    print('\nCalibration, inert perturbations and controls, latent, reconstructions, cost (mean over seeds; latent and '
          'reconstruction figures on validation cells):')
    print(summarise(table).round(3).to_string())
    print(f'\nwritten: {out / f"compare_{tag}.csv"}')


if __name__ == '__main__':
    main()
