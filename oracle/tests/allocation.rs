//! End-to-end allocation solves at benchmark sizes.

use ballast_oracle::allocate::{random_factor_problem, random_problem, solve_allocation};

#[test]
fn benchmark_sizes_solve_to_kkt_tolerance() {
    let sizes = [10, 50, 200];
    let dense = sizes.map(|n| random_problem(n, 42 + n as u64));
    let factor = sizes.map(|n| random_factor_problem(n, 42 + n as u64));
    for problem in dense.iter().chain(&factor) {
        let n = problem.len();
        let allocation = solve_allocation(problem).expect("random problems are feasible");
        eprintln!(
            "n = {n}: {} iterations in {} passes, polished {}, KKT residual {:.1e}",
            allocation.iterations, allocation.passes, allocation.polished, allocation.kkt_residual
        );
        assert!(allocation.kkt_residual < 1e-7);
        assert!((allocation.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(allocation.risk_used <= problem.r_max + 1e-9);
        assert!(allocation.cr_after >= problem.cr_min - 1e-9);
        // The optimum beats staying put (which is feasible for these problems
        // only when w0 respects the limits, so compare with equal weights, which always does).
        let equal = vec![1.0 / n as f64; n];
        assert!(allocation.objective >= problem.utility(&equal) - 1e-9);
    }
}
