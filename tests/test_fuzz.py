"""Fuzz: 20 random screens from the simulator (sizes, gene numbers, perturbation sets, tiny categories, a cell type
with only inert perturbations, one mouse or several; early stopping of the autoencoder on every other one) through
preprocessing and the warm start of `fit`.

Every screen must end in a fitted model or one clear PerturbawareInputError, never a crash deep inside numpy or
torch; a fitted model has finite latents, p~ in [0, 1] for every fitted category, and every category it did not fit
is in the category table with the reason. Small budgets (about 2 s a screen): this checks robustness, not quality."""
import warnings

import numpy as np
import pytest

import perturbaware as pa
from perturbaware._core import PerturbawareInputError, category_name
from perturbaware.simulate import CELLTYPES, EFFECTIVE, INERT

QUICK = {'autoencoder': {'hidden': [32, 32], 'latent_dim': 8, 'genes_per_step': 128, 'head_rank': 8},
         'classifier': {'steps': 60}, 'loop': {'max_iterations': 1, 'warm_steps': 20}}


def random_screen(seed):
    rng = np.random.default_rng(seed)
    perts = list(rng.choice(EFFECTIVE + INERT, size=rng.integers(1, 7), replace=False))
    if seed % 5 == 0: perts = list(rng.choice(INERT, size=2, replace=False))      # nothing effective at all
    cts = list(rng.choice(CELLTYPES, size=rng.integers(1, 3), replace=False))
    return dict(scale='small', seed=int(seed), n_genes=int(rng.integers(300, 900)), perturbations=tuple(perts),
                celltypes=tuple(cts), cells_factor=float(rng.choice([0.03, 0.08, 0.2, 0.4])), n_mice=int(rng.integers(1, 4)))


@pytest.mark.parametrize('seed', range(20))
def test_random_screen_fits_or_says_why(seed):
    spec = random_screen(seed)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')                  # small-category warnings are expected here
        raw = pa.simulate_screen(**spec)
        try:
            adata = pa.preprocess(raw, min_counts=500, min_genes=50, copy=True)
            config = QUICK if seed % 2 else {**QUICK, 'autoencoder': {**QUICK['autoencoder'], 'patience': 1, 'eval_every': 5}}
            model = pa.fit(adata, config=config, progress=False, seed=seed)
        except PerturbawareInputError as e:              # allowed: one clear sentence about the data
            print(f"{spec}: {e}")
            assert str(e) and '\n' not in str(e).strip(), f'{spec}: unclear error {e!r}'
            return
    Z = adata.obsm['X_perturbaware']
    fitted_rows = adata.obs['perturbaware_split'] != 'excluded'
    assert np.isfinite(Z[fitted_rows.to_numpy()]).all(), f'{spec}: non-finite latents'
    cats = adata.uns['perturbaware']['categories']
    assert len(cats), f'{spec}: no category table'
    fitted = cats[cats['status'] == 'fitted']
    p = adata.obsm['perturbaware_p']
    for k, ct in zip(fitted['perturbation'], fitted['celltype']):    # p~ exists where a classifier was fitted
        col = p[k].to_numpy(float)
        labelled = ((adata.obs['perturbation'] == k) & (adata.obs['celltype'].astype(str) == str(ct))).to_numpy()
        assert np.isfinite(col[labelled]).all() and ((col[labelled] >= 0) & (col[labelled] <= 1)).all(), f'{spec}: bad p~ for {k}'
    skipped = cats[cats['status'] != 'fitted']
    assert skipped['status'].astype(str).str.len().gt(0).all(), f'{spec}: a skipped category without its reason'
    guided = adata.obs.loc[adata.obs['perturbation'] != 'control']
    expected = {category_name(k, ct) for k, ct in zip(guided['perturbation'].astype(str), guided['celltype'].astype(str))}
    assert expected <= set(cats['category']), f'{spec}: categories missing from the table: {expected - set(cats["category"])}'
