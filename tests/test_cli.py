"""The `perturbaware` command as a user runs it: a real process, exit codes, one-line errors."""
import subprocess
import sys
from pathlib import Path

import anndata as ad
import pytest

BIN = Path(sys.executable).parent / 'perturbaware'


def run(*args):
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope='module')
def screen(tmp_path_factory):
    path = tmp_path_factory.mktemp('cli') / 'screen.h5ad'
    out = run('simulate', '-o', path, '--scale', 'small', '--seed', 1)
    assert out.returncode == 0, out.stderr
    return path


def test_simulate_writes_contract(screen):
    a = ad.read_h5ad(screen)
    assert {'perturbation', 'celltype', 'guide_umi', 'true_perturbed', 'true_strength'} <= set(a.obs)
    assert 'true_de_genes' in a.uns and a.X.dtype.kind == 'f' and float(a.X.max()) == int(a.X.max())


def test_preprocess_roundtrip(screen, tmp_path):
    out = run('preprocess', screen, '-o', tmp_path / 'pp.h5ad')
    assert out.returncode == 0, out.stderr
    pp = ad.read_h5ad(tmp_path / 'pp.h5ad')
    assert 'counts' in pp.layers and pp.uns['perturbaware_qc']['cells'].iloc[-1] == pp.n_obs


@pytest.mark.parametrize('args, message', [
    (['--perturbation-key', 'target'], "no column 'target'"),
    (['--control', 'NT'], 'No control cells'),
    (['--guide-key', 'umis'], 'No guide abundance'),
])
def test_bad_input_one_line(screen, tmp_path, args, message):
    out = run('preprocess', screen, '-o', tmp_path / 'x.h5ad', *args)
    assert out.returncode == 2
    assert message in out.stderr and out.stderr.count('\n') == 1 and 'Traceback' not in out.stderr
    assert not (tmp_path / 'x.h5ad').exists()


def test_missing_file(tmp_path):
    out = run('preprocess', tmp_path / 'nope.h5ad', '-o', tmp_path / 'x.h5ad')
    assert out.returncode == 2 and 'No such file' in out.stderr


@pytest.fixture(scope='module')
def fitted(screen, tmp_path_factory):
    "`perturbaware fit` on the small screen's deep-layer neurons, one round at the `--quick` budget (raw counts in, preprocessed)."
    d = tmp_path_factory.mktemp('fit')
    out = run('fit', screen, '-o', d / 'res.h5ad', '--model-dir', d / 'model', '--celltype', 'deep_layer',
              '--iterations', '1', '--quick', '--no-progress')
    assert out.returncode == 0, out.stderr
    return d


def test_fit_writes_results_and_model(fitted):
    a = ad.read_h5ad(fitted / 'res.h5ad')
    assert {'X_perturbaware', 'perturbaware_p'} <= set(a.obsm) and 'perturbaware_priority' in a.var
    assert {'history', 'categories', 'config'} <= set(a.uns['perturbaware'])
    assert (fitted / 'model' / 'model.json').exists() and (fitted / 'model' / 'classifiers.pt').exists()
    assert not list(fitted.glob('.*tmp*'))        # nothing half-written left behind


def test_sample_from_saved_model(fitted, tmp_path):
    out = run('sample', fitted / 'model', fitted / 'res.h5ad', '-o', tmp_path / 's.h5ad', '--seed', 3)
    assert out.returncode == 0, out.stderr
    s = ad.read_h5ad(tmp_path / 's.h5ad')
    assert s.layers['perturbaware_sample'].shape == s.shape


def _file(path, content: bytes):
    path.write_bytes(content)
    return path


@pytest.mark.parametrize('make_input, extra, message', [
    (lambda d: d / 'missing.h5ad', [], 'No such file'),
    (lambda d: _file(d / 'empty.h5ad', b''), [], 'Cannot read'),
    (lambda d: _file(d / 'x.csv', b'a,b\n1,2\n'), [], 'Cannot read'),
    (lambda d: d, [], 'is a folder'),
])
def test_fit_unreadable_input_one_line(tmp_path, make_input, extra, message):
    out = run('fit', make_input(tmp_path), '-o', tmp_path / 'r.h5ad', *extra)
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert out.stderr.count('\n') == 1 and 'Traceback' not in out.stderr
    assert not (tmp_path / 'r.h5ad').exists()


@pytest.mark.parametrize('output, message', [('nodir/r.h5ad', 'does not exist'), ('.', 'is a folder')])
def test_fit_unwritable_output_checked_first(screen, tmp_path, output, message):
    t = __import__('time').time()
    out = run('fit', screen, '-o', tmp_path / output)
    assert out.returncode == 2 and message in out.stderr and out.stderr.count('\n') == 1, out.stderr
    assert __import__('time').time() - t < 30     # refused before any work


def test_fit_unknown_celltype_names_the_existing_ones(screen, tmp_path):
    out = run('fit', screen, '-o', tmp_path / 'r.h5ad', '--celltype', 'astrocyte')
    assert out.returncode == 2 and "'deep_layer'" in out.stderr and "'interneuron'" in out.stderr
    assert not list(tmp_path.iterdir())


def test_fit_scperturb_style_file(screen, tmp_path):
    "A file in scPerturb's style (other column names, 'non-targeting' controls, a cells x guides UMI table) fits from the shell."
    import numpy as np
    import pandas as pd
    a = ad.read_h5ad(screen)
    a = a[a.obs['celltype'] == 'interneuron'].copy()
    obs = pd.DataFrame({'gene_target': a.obs['perturbation'].astype(str).replace({'control': 'non-targeting'}).values,
                        'cell_type': a.obs['celltype'].astype(str).values}, index=a.obs_names)
    guides = sorted({f'{t}_g{k}' for t in obs['gene_target'].unique() for k in (1, 2)})
    table = pd.DataFrame(0, index=a.obs_names, columns=guides)
    rng = np.random.default_rng(0)
    for i, (t, umi) in enumerate(zip(obs['gene_target'], a.obs['guide_umi'])):   # split each cell's UMIs over its two guides
        first = int(rng.integers(0, int(umi) + 1))
        table.iloc[i, guides.index(f'{t}_g1')] = first; table.iloc[i, guides.index(f'{t}_g2')] = int(umi) - first
    sc = ad.AnnData(a.layers['counts'], obs=obs, var=a.var[[]])
    sc.obsm['guide_counts'] = table
    sc.write_h5ad(tmp_path / 'scperturb.h5ad')
    out = run('fit', tmp_path / 'scperturb.h5ad', '-o', tmp_path / 'res.h5ad', '--perturbation-key', 'gene_target',
              '--control', 'non-targeting', '--celltype-key', 'cell_type', '--iterations', '1', '--quick', '--no-progress')
    assert out.returncode == 0, out.stderr
    res = ad.read_h5ad(tmp_path / 'res.h5ad')
    guided = (res.obs['perturbation'] != 'control').to_numpy()
    assert res.obs['perturbaware_p'][guided].between(0, 1).all() and res.obs['perturbaware_p'][~guided].isna().all()
    # the per-guide table was re-aggregated per target (QC removed some cells: compare by name)
    assert (res.obs['guide_umi'].to_numpy() == a.obs.loc[res.obs_names, 'guide_umi'].to_numpy()).all()


def test_report_from_saved_model(fitted, tmp_path):
    out = run('report', fitted / 'res.h5ad', '--model-dir', fitted / 'model', '-o', tmp_path / 'rep', '--no-umap')
    assert out.returncode == 0, out.stderr
    page = (tmp_path / 'rep' / 'index.html').read_text()
    assert 'fig2_fidelity.png' in page and (tmp_path / 'rep' / 'fidelity.csv').exists()
    assert not list(tmp_path.glob('.*tmp*'))


def test_report_needs_a_fitted_file(screen, fitted, tmp_path):
    out = run('report', screen, '--model-dir', fitted / 'model', '-o', tmp_path / 'rep')
    assert out.returncode == 2 and out.stderr.count('\n') == 1 and 'Traceback' not in out.stderr
    assert 'reads the AnnData that fit annotated' in out.stderr or 'lacks' in out.stderr
    assert not (tmp_path / 'rep').exists()


@pytest.mark.parametrize('damage, message', [
    ('truncate', 'incomplete or damaged'),          # a copy cut short (e.g. a full disk)
    ('no_json', 'model.json missing'),              # not a model folder
    ('missing', 'model.json missing')])             # no folder at all
def test_report_with_a_damaged_model_one_line(fitted, tmp_path, damage, message):
    import shutil
    model = tmp_path / 'model'
    if damage != 'missing': shutil.copytree(fitted / 'model', model)
    if damage == 'truncate':
        weights = next(p for p in sorted(model.rglob('*.pt')))
        weights.write_bytes(weights.read_bytes()[:100])
    if damage == 'no_json': (model / 'model.json').unlink()
    out = run('report', fitted / 'res.h5ad', '--model-dir', model, '-o', tmp_path / 'rep')
    assert out.returncode == 2 and out.stderr.count('\n') == 1 and 'Traceback' not in out.stderr, out.stderr
    assert message in out.stderr, out.stderr
    assert not (tmp_path / 'rep').exists()


@pytest.mark.parametrize('setting, message', [
    ('classifier.reader_control_pcs', 'A setting takes SECTION.OPTION=VALUE'),
    ('classifer.reader_l2=10', "there is no config section 'classifer'"),
    ('classifier.bogus=1', "Unknown classifier options ['bogus']"),
    ('classifier.reader_control_pcs=-1', 'classifier.reader_control_pcs must be an integer >= 0'),
])
def test_fit_bad_set_one_line(screen, tmp_path, setting, message):
    out = run('fit', screen, '-o', tmp_path / 'r.h5ad', '--set', setting)
    assert out.returncode == 2 and message in out.stderr and out.stderr.count('\n') == 1, out.stderr
    assert not list(tmp_path.iterdir())           # refused before any work


def test_fit_set_is_recorded_and_travels_with_the_model(screen, tmp_path):
    "An option set from the shell is in the recorded config, and what it fitted (the genes readers' control components) is saved with the model and read by it."
    import numpy as np
    from perturbaware.model import PerturbawareModel
    out = run('fit', screen, '-o', tmp_path / 'r.h5ad', '--model-dir', tmp_path / 'm', '--celltype', 'deep_layer',
              '--iterations', '1', '--quick', '--no-progress', '--set', 'classifier.reader_control_pcs=4')
    assert out.returncode == 0, out.stderr
    res = ad.read_h5ad(tmp_path / 'r.h5ad')
    assert __import__('json').loads(res.uns['perturbaware']['config'])['classifier']['reader_control_pcs'] == 4
    m = PerturbawareModel.load(tmp_path / 'm', adata=res)
    assert list(m.classifiers['components']) == ['deep_layer'] and any(r is not None for r in m.classifiers['gene_readers'])
    new = res[(res.obs['celltype'] == 'deep_layer').to_numpy()].copy()
    p = m.posterior(new, tau=0).to_numpy()
    m.classifiers = {**m.classifiers, 'components': {}}       # the same readers, the components left out
    p_without = m.posterior(new, tau=0).to_numpy()
    ok = np.isfinite(p)
    assert ok.any() and ((p[ok] >= 0) & (p[ok] <= 1)).all() and np.abs(p[ok] - p_without[ok]).max() > 1e-3
