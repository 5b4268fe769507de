"""The reserve Monte Carlo in vectorised NumPy: the model of
`oracle/src/montecarlo/reserve.rs` restated over all paths at once, read from
the JSON that `peer_timings mc --model-out` writes.

Timed per core: NumPy's own threading is pinned to one thread by compare.py.
"""

import json
import sys
import time

import numpy as np

BATCH = 100_000  # paths per vectorised batch, so memory stays bounded


def terminal_values(model, config, paths, rng):
    m = np.asarray(model["mean_log_return"])
    cov = np.asarray(model["covariance"])
    w = np.asarray(model["weights"])
    steps = config["horizon_steps"]
    dt = config["horizon_years"] / steps
    # Cholesky of the PSD covariance: zero-variance assets get zero columns.
    live = np.diag(cov) > 0
    factor = np.zeros_like(cov)
    factor[np.ix_(live, live)] = np.linalg.cholesky(cov[np.ix_(live, live)])
    step_factor_t = (np.sqrt(dt) * factor).T
    values = np.empty(paths)
    for start in range(0, paths, BATCH):
        count = min(BATCH, paths - start)
        x = np.zeros((count, len(m)))
        for _ in range(steps):
            x += m * dt + rng.standard_normal((count, len(m))) @ step_factor_t
        values[start : start + count] = model["reserve_value"] * (np.exp(x) @ w)
    return values


def main(path, paths, repeats):
    with open(path) as f:
        spec = json.load(f)
    rng = np.random.default_rng(1)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        values = terminal_values(spec["model"], spec["config"], paths, rng)
        seconds.append(time.perf_counter() - start)
    median = float(np.median(seconds))
    json.dump(
        {
            "paths": paths,
            "median_seconds": median,
            "paths_per_second": paths / median,
            "mean_value": float(values.mean()),
            "std_value": float(values.std()),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 3)
