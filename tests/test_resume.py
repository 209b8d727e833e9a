"""A fit killed with SIGKILL mid-round resumes from its last checkpoint and ends where an uninterrupted fit ends,
and no half-written checkpoint or model is left behind."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

SCRIPT = textwrap.dedent('''
    import sys, warnings
    warnings.simplefilter('ignore')
    from perturbaware.simulate import simulate_screen
    from perturbaware.data import preprocess
    from perturbaware.model import fit
    screen = preprocess(simulate_screen(scale='small', seed=0), copy=True)
    # a small budget (every round runs: no screening); round 2 still lasts a few seconds, long enough to be killed in
    cfg = {'autoencoder': {'hidden': [128, 128], 'genes_per_step': 512}, 'classifier': {'steps': 200, 'gap_threshold': -1.0},
           'loop': {'max_iterations': 3, 'warm_steps': 100, 'steps_per_round': 200, 'diagnostics': False}}
    model = fit(screen, celltype='deep_layer', config=cfg, progress=False, checkpoint_dir=sys.argv[1] or None)
    model.save(sys.argv[2])
''')


def _fit(ck, out, wait_for=None):
    "Run the fit in a fresh process; with `wait_for`, SIGKILL it as soon as that path appears."
    env = {**os.environ, 'OMP_NUM_THREADS': '2'}
    proc = subprocess.Popen([sys.executable, '-c', SCRIPT, str(ck or ''), str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if wait_for is None:
        _, err = proc.communicate()
        assert proc.returncode == 0, err.decode()[-2000:]
        return
    while not wait_for.exists():
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        time.sleep(0.05)
    time.sleep(1.0)                       # now somewhere inside round 2
    proc.send_signal(signal.SIGKILL); proc.wait()


def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    from perturbaware.model import PerturbawareModel
    ck = tmp_path / 'ck'
    _fit(ck, tmp_path / 'killed', wait_for=ck / 'last' / 'state.json')
    assert not (tmp_path / 'killed').exists()                       # no model from the killed run
    left = [p.name for p in ck.iterdir()]
    assert 'last' in left or '.last.old' in left, left                # a complete checkpoint survives
    _fit(ck, tmp_path / 'resumed')
    _fit(None, tmp_path / 'straight')
    a, b = PerturbawareModel.load(tmp_path / 'resumed'), PerturbawareModel.load(tmp_path / 'straight')
    assert len(a.history) == len(b.history) == 3
    np.testing.assert_allclose(a.history['ae_loss_train'], b.history['ae_loss_train'], rtol=1e-6)
    assert a.info['selected'] == b.info['selected'] and a.info['kept'] == b.info['kept']
    assert a.category_history.equals(b.category_history)
    assert not [p for p in tmp_path.rglob('*') if p.name.endswith('.tmp')]   # nothing half-written anywhere
