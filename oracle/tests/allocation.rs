//! End-to-end allocation solves at benchmark sizes.

use std::time::Instant;

use ballast_oracle::allocate::{random_problem, solve_allocation};

#[test]
fn benchmark_sizes_solve_to_kkt_tolerance() {
    for n in [10, 50, 200] {
        let problem = random_problem(n, 42 + n as u64);
        let start = Instant::now();
        let allocation = solve_allocation(&problem).expect("random problems are feasible");
        let elapsed = start.elapsed();
        eprintln!(
            "n = {n}: {} iterations, polished {}, KKT residual {:.1e}, {:?}",
            allocation.iterations, allocation.polished, allocation.kkt_residual, elapsed
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
