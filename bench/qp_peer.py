"""The allocation QP in cvxpy + Clarabel, from the same JSON problem the Rust
oracle solves (`peer_timings qp --problem-out`).

Timed end to end as a cvxpy user runs it: build the problem from arrays,
canonicalise, solve, read the weights back. A factor-model Sigma
(B Omega B^T + diag(s)) is written the way cvxpy's portfolio example does:
f = B^T w as a variable, risk f^T Omega f + sum(s w^2).
"""

import json
import sys
import time

import cvxpy as cp
import numpy as np


def cr_coefficients(problem):
    collateral = problem["collateral"]
    mu = np.asarray(problem["mu"])
    if collateral["model"] == "risk_weighted":
        return problem["cr_now"] * np.asarray(collateral["recognition"])
    return problem["cr_now"] * (1.0 + collateral["horizon"] * mu)


def variance(sigma, w):
    """w^T Sigma w and the constraints it needs, for either form of Sigma."""
    if isinstance(sigma, list):
        return cp.quad_form(w, cp.psd_wrap(np.asarray(sigma))), []
    loadings = np.asarray(sigma["loadings"])
    f = cp.Variable(loadings.shape[1])
    specific = np.asarray(sigma["specific_variance"])
    if "factor_covariance" in sigma:
        systematic = cp.quad_form(f, cp.psd_wrap(np.asarray(sigma["factor_covariance"])))
    else:
        systematic = cp.sum_squares(f)
    return systematic + specific @ cp.square(w), [f == loadings.T @ w]


def solve(problem):
    mu = np.asarray(problem["mu"])
    w0 = np.asarray(problem["w0"])
    k = cr_coefficients(problem)
    n = len(mu)
    w = cp.Variable(n)
    t = cp.Variable(n)
    risk, factor_rows = variance(problem["sigma"], w)
    objective = cp.Maximize(
        mu @ w
        - problem["lambda"] / 2 * risk
        - np.asarray(problem["costs"]) @ t
        + problem["psi"] * (k @ w - problem["cr_target"])
    )
    constraints = factor_rows + [
        cp.sum(w) == 1,
        w >= 0,
        w <= np.asarray(problem["liquidity_caps"]),
        k @ w >= problem["cr_min"],
        np.asarray(problem["risk_scores"]) @ w <= problem["r_max"],
        t >= w - w0,
        t >= w0 - w,
    ]
    qp = cp.Problem(objective, constraints)
    qp.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    if qp.status != cp.OPTIMAL:
        raise RuntimeError(f"cvxpy status {qp.status}")
    return w.value, qp.value


def main(path, repeats):
    with open(path) as f:
        problem = json.load(f)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        weights, objective = solve(problem)
        seconds.append(time.perf_counter() - start)
    json.dump(
        {
            "n": len(problem["mu"]),
            "median_seconds": float(np.median(seconds)),
            "objective": float(objective),
            "weights": [float(x) for x in weights],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20)
