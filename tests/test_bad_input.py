"""Bad input through the Python API: every case fails with a PerturbawareInputError whose message says what is wrong
(and, where there is one, what to do) — never a bare KeyError/IndexError from deep inside numpy, pandas or torch, and
never a silently wrong result. The command line's cases are in test_cli.py; the notebooks test their own functions."""
import os
import warnings

import numpy as np
import pandas as pd
import pytest

from perturbaware._core import PerturbawareInputError
from perturbaware.data import preprocess, read_screen
from perturbaware.guide import guide_prior
from perturbaware.loop import FitConfig
from perturbaware.model import PerturbawareModel, fit
from perturbaware.qhae import QHAEConfig, QuantileHurdleAE
from perturbaware.report import report
from perturbaware.simulate import simulate_screen
from perturbaware.wtest import rank_genes_weighted

TINY = {'autoencoder': {'hidden': [32, 32], 'genes_per_step': 256}, 'classifier': {'steps': 50},
        'loop': {'max_iterations': 1, 'warm_steps': 20, 'diagnostics': False}}


@pytest.fixture(scope='module')
def raw():
    return simulate_screen(scale='small', seed=2)


@pytest.fixture(scope='module')
def dl(raw):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        a = preprocess(raw, copy=True)
    return a[a.obs['celltype'] == 'deep_layer'].copy()


@pytest.fixture(scope='module')
def fitted(dl, tmp_path_factory):
    a = dl.copy()
    model = fit(a, config=TINY, progress=False)
    path = tmp_path_factory.mktemp('model') / 'm'
    model.save(path)
    return a, model, path


def _with(adata, **obs):
    a = adata.copy()
    for k, v in obs.items(): a.obs[k] = v
    return a


def _nan_guide(a):
    g = a.obs['guide_umi'].astype(float).to_numpy().copy(); g[np.flatnonzero(a.obs['perturbation'] != 'control')[0]] = np.nan
    return _with(a, guide_umi=g)


def _saved(model, folder):
    "A fresh copy of the model on disk (the shared one may have been damaged by another case)."
    return model.save(folder / 'model')


def _truncate(path):
    f = path / 'classifiers.pt'
    f.write_bytes(f.read_bytes()[:100])


CASES = {
    # data and guide prior
    'read_screen: missing file': (lambda raw, dl, f, t: read_screen(t / 'nope.h5ad'), 'No such file'),
    'read_screen: folder': (lambda raw, dl, f, t: read_screen(t), 'is a folder'),
    'read_screen: empty file': (lambda raw, dl, f, t: (open(t / 'e.h5ad', 'w').close(), read_screen(t / 'e.h5ad')), 'Cannot read'),
    'read_screen: wrong control label': (lambda raw, dl, f, t: read_screen(raw, control='NT'), 'No control cells'),
    'read_screen: missing label column': (lambda raw, dl, f, t: read_screen(raw, perturbation_key='target'), "no column 'target'"),
    'read_screen: NaN cell type': (lambda raw, dl, f, t: read_screen(_with(raw, celltype=raw.obs['celltype'].astype(object).where(np.arange(raw.n_obs) != 5))), 'missing for 1 cells'),
    'read_screen: guide table of other barcodes': (lambda raw, dl, f, t: read_screen(raw.copy(), guide_counts=pd.DataFrame(np.ones((raw.n_obs, 1)), index=raw.obs_names + '-1', columns=['Ufd1l_g1'])), 'rows match 0 of'),
    'read_screen: log-normalized .X': (lambda raw, dl, f, t: read_screen(_no_counts(dl[:, :50].copy())), 'integer counts'),
    'preprocess: twice': (lambda raw, dl, f, t: preprocess(dl.copy()), 'already preprocessed'),
    'guide_prior: NaN guide UMI': (lambda raw, dl, f, t: guide_prior(_nan_guide(dl)), 'missing (NaN) for 1'),
    'guide_prior: integer labels, control=0': (lambda raw, dl, f, t: guide_prior(_with(dl, perturbation=pd.factorize(dl.obs['perturbation'])[0] + 1), control=0), 'No control cells'),
    'simulate: unknown scale': (lambda raw, dl, f, t: simulate_screen(scale='huge'), "scale must be 'paper' or 'small'"),
    'simulate: unknown cell type': (lambda raw, dl, f, t: simulate_screen(scale='small', celltypes=('glia',)), 'Unknown cell types'),
    'simulate: too few genes for the hard preset': (lambda raw, dl, f, t: simulate_screen(scale='small', n_genes=200, difficulty='hard'), 'pass more genes'),
    # weighted tests
    'wtest: weights too short': (lambda raw, dl, f, t: rank_genes_weighted(dl, np.ones(10)), '10 values for'),
    'wtest: NaN weight': (lambda raw, dl, f, t: rank_genes_weighted(dl, np.r_[np.nan, np.ones(dl.n_obs - 1)]), 'finite probabilities'),
    'wtest: missing groupby column': (lambda raw, dl, f, t: rank_genes_weighted(dl, perturbation_key='nope'), "no column 'nope'"),
    'wtest: empty AnnData': (lambda raw, dl, f, t: rank_genes_weighted(dl[:0].copy()), '0 cells'),
    'wtest: raw counts': (lambda raw, dl, f, t: rank_genes_weighted(raw[raw.obs['celltype'] == 'deep_layer'].copy(), np.ones(int((raw.obs['celltype'] == 'deep_layer').sum()))), 'raw counts'),
    'wtest: no p~ yet': (lambda raw, dl, f, t: rank_genes_weighted(dl), "e.g. posterior_key=..."),
    # autoencoder
    'QuantileHurdleAE: no data': (lambda raw, dl, f, t: QuantileHurdleAE(), 'needs the genes'),
    'QuantileHurdleAE: train on 0 cells': (lambda raw, dl, f, t: QuantileHurdleAE(dl, QHAEConfig(hidden=(8, 8))).train(dl[:0].copy(), steps=2, progress=False), 'No cells to train on'),
    # fit
    'fit: empty AnnData': (lambda raw, dl, f, t: fit(dl[:0].copy(), progress=False), '0 cells'),
    'fit: raw counts': (lambda raw, dl, f, t: fit(raw[raw.obs['celltype'] == 'deep_layer'].copy(), progress=False), 'looks like raw counts'),
    'fit: shallow raw counts (max <= 20)': (lambda raw, dl, f, t: fit(_shallow(dl), progress=False), 'looks like raw counts'),
    'fit: unknown cell type': (lambda raw, dl, f, t: fit(dl, celltype='glia', progress=False), "holds ['deep_layer']"),
    'fit: unknown config option': (lambda raw, dl, f, t: fit(dl, config={'loop': {'max_iter': 2}}, progress=False), "Unknown loop options ['max_iter']"),
    'fit: zero iterations': (lambda raw, dl, f, t: fit(dl, config={'loop': {'max_iterations': 0}}, progress=False), 'loop.max_iterations must be >= 1'),
    'fit: validation fraction 1.5': (lambda raw, dl, f, t: fit(dl, config={'loop': {'val_fraction': 1.5}}, progress=False), 'val_fraction must be in (0, 1)'),
    'fit: fold weights without folds': (lambda raw, dl, f, t: fit(dl, config={'loop': {'fold_own_weights': True, 'gene_folds': 0}}, progress=False), 'loop.fold_own_weights must be False unless loop.gene_folds >= 2'),
    'fit: control components -1': (lambda raw, dl, f, t: fit(dl, config={'classifier': {'reader_control_pcs': -1}}, progress=False), 'classifier.reader_control_pcs must be an integer >= 0 (0: off)'),
    'fit: unknown prevalence rule': (lambda raw, dl, f, t: fit(dl, config={'classifier': {'prevalence': 'bogus'}}, progress=False), "classifier.prevalence must be one of ['search', 'estimate']"),
    'fit: wrong control label': (lambda raw, dl, f, t: fit(dl, control='NT', progress=False), 'No control cells'),
    'fit: missing guide column': (lambda raw, dl, f, t: fit(dl, guide_key='umis', progress=False), "no column 'umis'"),
    'fit: NaN guide UMI': (lambda raw, dl, f, t: fit(_nan_guide(dl), config=TINY, progress=False), 'missing (NaN)'),
    # the fitted model
    'model: sample(n=0)': (lambda raw, dl, f, t: f[1].sample(f[0], n=0), 'n must be at least 1'),
    'model: latent of data without its genes': (lambda raw, dl, f, t: f[1].latent(f[0][:, :100].copy()), 'missing'),
    'model: load a folder without a model': (lambda raw, dl, f, t: PerturbawareModel.load(t), 'No perturbaware model'),
    'model: load a truncated model': (lambda raw, dl, f, t: (_truncate(f[2]), PerturbawareModel.load(f[2])), 'incomplete or damaged'),
    'model: load onto other genes': (lambda raw, dl, f, t: PerturbawareModel.load(_saved(f[1], t), adata=f[0][:, :100].copy()), 'lacks'),
    # report
    'report: data that was not fitted': (lambda raw, dl, f, t: report(dl, f[1], t / 'rep'), 'reads the AnnData that fit annotated'),
    'report: other genes': (lambda raw, dl, f, t: report(f[0][:, :100].copy(), f[1], t / 'rep'), 'lacks'),
}


def _no_counts(a):
    del a.layers['counts']
    return a


def _shallow(dl):
    a = dl.copy()
    a.X = np.minimum(a.layers['counts'].toarray(), 20).astype(np.float32)   # shallow raw counts: max <= 20
    return a


@pytest.mark.parametrize('name', list(CASES))
def test_bad_input_is_one_clear_error(name, raw, dl, fitted, tmp_path):
    make, message = CASES[name]
    with pytest.raises(PerturbawareInputError) as e:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            make(raw, dl, fitted, tmp_path)
    assert message in str(e.value), str(e.value)
    assert not (tmp_path / 'rep').exists()              # a failed report leaves nothing behind


def test_celltype_without_controls_warns(dl):
    a = dl.copy()
    ct = a.obs['celltype'].astype(str).to_numpy().copy()
    ct[(a.obs['perturbation'] == 'Ufd1l').to_numpy()] = 'orphan'      # a cell type with no controls
    a.obs['celltype'] = ct
    with pytest.warns(UserWarning, match=r"without control cells.*\['orphan'\]"):
        fit(a, config=TINY, progress=False)


def test_series_weights_align_by_cell_name(dl):
    rng = np.random.default_rng(0)
    w = pd.Series(rng.random(dl.n_obs), index=dl.obs_names)
    a, b = dl.copy(), dl.copy()
    rank_genes_weighted(a, w.to_numpy())
    rank_genes_weighted(b, w.sample(frac=1, random_state=0))            # shuffled, but indexed by cell
    np.testing.assert_allclose(a.varm['perturbaware_wtest_pvals_adj'], b.varm['perturbaware_wtest_pvals_adj'])
