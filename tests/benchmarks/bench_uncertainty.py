"""Benchmark: a million Monte Carlo trials of a ten-input nonlinear model, engine vs hand-written numpy.

Run as ``.venv/bin/python tests/benchmarks/bench_uncertainty.py``. Prints the two times, their ratio (target within
2x) and the engine's peak memory (target under 300 MB), measured in a fresh subprocess so nothing else counts.
"""

import math
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from instruments.uncertainty import InputQuantity, run_monte_carlo

TRIALS = 1_000_000
MODEL = "(m1 + m2*(1 + a*(t - 20)))*sqrt(g/9.8)*(1 - rho_a*(1/rho1 - 1/rho2)) + d*log(1 + k**2)*cos(t/50)"
INPUTS = [
    InputQuantity.normal("m1", 100.0, 0.002),
    InputQuantity.normal("m2", 50.0, 0.001, dof=12),
    InputQuantity.rectangular("a", 1.1e-5, 2e-6),
    InputQuantity.triangular("t", 20.5, 0.6),
    InputQuantity.normal("g", 9.78, 1e-4),
    InputQuantity.rectangular("rho_a", 1.2, 0.1),
    InputQuantity.rectangular("rho1", 8000.0, 60.0),
    InputQuantity.rectangular("rho2", 7950.0, 70.0),
    InputQuantity.arcsine("d", 0.001, 0.0005),
    InputQuantity.normal("k", 0.3, 0.02),
]


def engine() -> float:
    """Return the seconds the engine takes for the benchmark run."""
    start = time.perf_counter()
    run_monte_carlo(INPUTS, MODEL, trials=TRIALS, seed=1)
    return time.perf_counter() - start


def hand_written() -> float:
    """Return the seconds a direct vectorised numpy draw and evaluation of the same model takes."""
    start = time.perf_counter()
    rng = np.random.default_rng(1)
    n = TRIALS
    m1 = 100.0 + 0.002 * rng.standard_normal(n)
    m2 = 50.0 + 0.001 * rng.standard_t(12, n)
    a = 1.1e-5 + 2e-6 * (2 * rng.random(n) - 1)
    t = 20.5 + 0.6 * (rng.random(n) + rng.random(n) - 1)
    g = 9.78 + 1e-4 * rng.standard_normal(n)
    rho_a = 1.2 + 0.1 * (2 * rng.random(n) - 1)
    rho1 = 8000.0 + 60.0 * (2 * rng.random(n) - 1)
    rho2 = 7950.0 + 70.0 * (2 * rng.random(n) - 1)
    d = 0.001 + 0.0005 * np.sin(2 * math.pi * rng.random(n))
    k = 0.3 + 0.02 * rng.standard_normal(n)
    y = (m1 + m2 * (1 + a * (t - 20))) * np.sqrt(g / 9.8) * (1 - rho_a * (1 / rho1 - 1 / rho2)) + d * np.log(
        1 + k**2
    ) * np.cos(t / 50)
    np.mean(y), np.std(y, ddof=1)
    p = 0.9545
    q = math.floor(p * n + 0.5)
    r = (n - q + 1) // 2
    y.partition([r - 1, r + q - 1])
    return time.perf_counter() - start


def _child(mode: str) -> None:
    # Two separate processes: tracemalloc's own bookkeeping would inflate the resident size it is measured beside.
    if mode == "--traced":
        tracemalloc.start()
        engine()
        print(tracemalloc.get_traced_memory()[1] / 1e6)
    else:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        engine()
        print(before / 1e3, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3)


def _measure(mode: str) -> list[float]:
    done = subprocess.run([sys.executable, __file__, mode], capture_output=True, text=True, check=True)
    return [float(value) for value in done.stdout.split()]


def main() -> None:
    # Children first: Linux carries a parent's peak RSS over into a child it forks, so measure while it is small.
    imported_mb, maxrss_mb = _measure("--rss")
    (traced_mb,) = _measure("--traced")
    engine_seconds = min(engine() for _ in range(3))
    numpy_seconds = min(hand_written() for _ in range(3))
    print(f"engine, 1e6 trials x 10 inputs: {engine_seconds:.3f} s")
    print(f"hand-written numpy, same model: {numpy_seconds:.3f} s")
    print(f"ratio engine/numpy: {engine_seconds / numpy_seconds:.2f} (target <= 2)")
    print(f"engine peak traced allocations: {traced_mb:.1f} MB")
    print(f"engine process peak RSS: {maxrss_mb:.1f} MB, of which {imported_mb:.1f} MB after imports (target < 300)")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        _child(sys.argv[1])
    else:
        main()
