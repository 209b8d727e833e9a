"""Quantile-hurdle autoencoder at paper scale (~8,000 interneurons x ~5,000 genes, batch 256, 44 quantiles):
the paper's dense head vs perturbaware's default (location-scale head, rank 256, closed-form pinball, all genes).

For each head, in its own process (so peak memory is its own): ms per training step on this machine (2 CPU cores),
peak resident memory, and marginal fidelity (median Wasserstein-1 and zero-fraction error over all genes, and
the ratio to the two-halves floor) after `--fidelity-steps` training steps.

Run: `make bench` or `python benchmarks/bench_qhae.py [--timed-steps 10] [--fidelity-steps 3500] [--device cuda]`.
Fidelity at the loop's 3,500 steps needs the dense head to train for hours on 2 CPU cores: run it on a GPU
(`--device cuda --fidelity-steps 3500`), speed on the CPU (the default, no fidelity).
Target: <= 150 ms per step on 2 CPU cores with fidelity no worse than the dense head."""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HEADS = {'dense': dict(head='dense', genes_per_step=None, head_rank=None),             # the paper's head
         'location_scale': dict(),                                                       # perturbaware's default
         'location_scale_full_rank': dict(head_rank=None),
         'location_scale_sampled2048': dict(genes_per_step=2048)}


def prepare(path: Path, seed: int = 0):
    import perturbaware as pa
    adata = pa.simulate_preprocessed('paper', seed, celltype='interneuron')
    np.save(path, np.asarray(adata.X.toarray(), dtype=np.float32))


def worker(name, data, timed_steps, fidelity_steps, device, seed=0):
    import torch
    from perturbaware.qhae import QHAEConfig, QuantileHurdleAE
    from perturbaware.evaluate import marginal_fidelity
    if device == 'cpu': torch.set_num_threads(2)
    X = np.load(data)
    model = QuantileHurdleAE(config=QHAEConfig(**HEADS[name]), seed=seed, device=device, var_names=np.arange(X.shape[1]).astype(str))
    model.train(None, steps=3, progress=False, X=X)                      # warm-up
    if model.device.type == 'cuda': torch.cuda.synchronize()
    t = time.perf_counter()
    model.train(None, steps=timed_steps, progress=False, X=X)
    if model.device.type == 'cuda': torch.cuda.synchronize()
    ms = (time.perf_counter() - t) / timed_steps * 1e3
    out = dict(head=name, device=str(model.device), cells=X.shape[0], genes=X.shape[1], ms_per_step=ms,
               params_M=sum(p.numel() for p in model.module.parameters()) / 1e6)
    if fidelity_steps:
        t = time.perf_counter()
        model.train(None, steps=fidelity_steps - 3 - timed_steps, progress=False, X=X)
        out['train_seconds'] = time.perf_counter() - t
        fid = marginal_fidelity(X, {'model': model.sample(None, seed=seed, X=X)}, seed=seed).groupby('method').median()
        out.update(w1=fid.at['model', 'w1'], w1_floor=fid.at['floor (two halves)', 'w1'],
                   zero_frac_err=fid.at['model', 'zero_frac_err'], zero_frac_floor=fid.at['floor (two halves)', 'zero_frac_err'])
    # VmHWM is this process's own peak (ru_maxrss would include what the parent had before exec)
    hwm = [l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM')]
    out['peak_rss_GB'] = int(hwm[0].split()[1]) / 1024 ** 2 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    if model.device.type == 'cuda': out['peak_gpu_GB'] = torch.cuda.max_memory_allocated() / 1024 ** 3
    print('RESULT ' + json.dumps({k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in out.items()}), flush=True)


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--timed-steps', type=int, default=5)
    ap.add_argument('--fidelity-steps', type=int, default=0, help='0: speed only')
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--heads', default='dense,location_scale')
    ap.add_argument('--worker'); ap.add_argument('--data')
    a = ap.parse_args()
    if a.worker:
        worker(a.worker, a.data, a.timed_steps, a.fidelity_steps, a.device); sys.exit()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / 'X.npy'
        prepare(data)
        results = []
        for name in a.heads.split(','):
            cmd = [sys.executable, __file__, '--worker', name, '--data', str(data), '--timed-steps', str(a.timed_steps),
                   '--fidelity-steps', str(a.fidelity_steps), '--device', a.device]
            out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, 'OMP_NUM_THREADS': '2'})
            line = [l for l in out.stdout.splitlines() if l.startswith('RESULT ')]
            if not line: print(out.stdout, out.stderr); sys.exit(1)
            results.append(json.loads(line[0][7:]))
    r0 = results[0]
    print(f"{r0['cells']:,} cells x {r0['genes']:,} genes, batch 256, 44 quantiles, device {r0['device']}")
    for r in results:
        line = (f"  {r['head']:<26} {r['ms_per_step']:8.1f} ms/step ({1e3 / r['ms_per_step']:.1f} steps/s), "
                f"{r['params_M']:.1f} M parameters, peak RSS {r['peak_rss_GB']:.2f} GB")
        if 'peak_gpu_GB' in r: line += f", peak GPU {r['peak_gpu_GB']:.2f} GB"
        if 'w1' in r:
            line += (f"; after {a.fidelity_steps} steps: median W1 {r['w1']:.4f} ({r['w1'] / r['w1_floor']:.2f}x floor "
                     f"{r['w1_floor']:.4f}), zero-fraction error {r['zero_frac_err']:.4f} (floor {r['zero_frac_floor']:.4f})")
        print(line)
    if len(results) >= 2:
        print(f"speed-up {results[0]['ms_per_step'] / results[1]['ms_per_step']:.1f}x (target <= 150 ms/step on 2 CPU cores)")
