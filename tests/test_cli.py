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
