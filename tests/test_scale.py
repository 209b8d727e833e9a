"""Large screens stay sparse: a fit of a sparse screen never densifies more than a minibatch of cells of the whole
gene set (the genes reader also reads each perturbation's few selected genes in every cell).

The 100,000-cell run itself is `make bench-scale` (benchmarks/bench_scale.py, about 6 minutes); this test guards
the property it relies on, on the small built-in screen, in seconds."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import perturbaware as pa
from perturbaware.loop import FitConfig


@pytest.fixture(scope='module')
def screen():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        raw = pa.read_screen(pa.simulate_screen(scale='small', seed=1), counts_layer=False)
    assert 'counts' not in raw.layers
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        pa.preprocess(raw)
    return raw


def test_preprocess_keeps_sparse(screen):
    assert sp.issparse(screen.X) and sp.issparse(screen.layers['counts'])
    assert screen.X.nnz == screen.layers['counts'].nnz
    assert not np.shares_memory(screen.X.indices, screen.layers['counts'].indices)   # no aliasing between X and counts


@pytest.mark.parametrize('preset', ['latent', 'default'])
def test_fit_densifies_only_minibatches(screen, monkeypatch, preset):
    blocks = []   # (cells, genes) of every sparse block made dense
    for cls in (sp.csr_matrix, sp.csr_array):
        original = cls.toarray
        def spy(self, *a, _original=original, **k):
            blocks.append(self.shape); return _original(self, *a, **k)
        monkeypatch.setattr(cls, 'toarray', spy)
    cfg = FitConfig.named(preset)
    cfg.autoencoder.hidden, cfg.classifier.steps = (64, 64), 100
    cfg.loop.max_iterations, cfg.loop.warm_steps, cfg.loop.steps_per_round = 2, 30, 30
    model = pa.fit(screen, celltype=None, config=cfg, progress=False, copy=True)[0]   # all cells
    assert model.history.shape[0] >= 1 and blocks
    # minibatches and encoding blocks of at most 2,048 cells, never the screen; the genes reader (the default) also
    # reads each perturbation's selected genes in every cell (its folds' too), at most tests.cap more in each round
    most_genes = cfg.tests.cap * cfg.loop.max_iterations
    wide = [b for b in blocks if b[0] > 2048]
    assert all(genes <= most_genes < screen.n_vars for _, genes in wide), wide[:3]
    if preset == 'latent': assert not wide and screen.n_obs > 2048
