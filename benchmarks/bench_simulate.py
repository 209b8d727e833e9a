"""Speed of the built-in screen: simulate at paper scale (target: < 30 s on 2 cores) and preprocess it.

Run: `make bench` or `python benchmarks/bench_simulate.py`. Prints wall time and peak resident memory."""
import resource
import time
import warnings

from perturbaware import preprocess, simulate_screen


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


if __name__ == '__main__':
    t = time.perf_counter()
    raw = simulate_screen(scale='paper', seed=0)
    t_sim = time.perf_counter() - t
    print(f'simulate_screen(paper): {raw.n_obs:,} cells x {raw.n_vars:,} genes, {raw.X.nnz:,} non-zeros '
          f'in {t_sim:.1f} s (target < 30 s); peak RSS {peak_gb():.2f} GB')
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        pp = preprocess(raw, copy=True)
    print(f'preprocess: {pp.n_obs:,} cells x {pp.n_vars:,} genes kept in {time.perf_counter() - t:.1f} s; '
          f'peak RSS {peak_gb():.2f} GB')
