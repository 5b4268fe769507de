//! Seeded random allocation problems (for tests and benchmarks) and their JSON
//! export for the Python peer.

use std::io::Write;

use rand::Rng;

use super::problem::{AllocationProblem, CollateralModel};
use super::{Covariance, FactorModel};
use crate::rng;

/// Factors in the random correlation model.
const FACTORS: usize = 3;

/// A well-posed random problem with n assets, identical for a given seed.
///
/// Sigma comes from a factor model (BBᵀ + D, rescaled to a correlation, so it
/// is positive definite) with volatilities in [2%, 50%]; returns rise with
/// volatility; caps are at least 1.5/n and the current weights, so the caps
/// hold a budget; the risk limit and the CR floor leave the equal-weight
/// portfolio strictly feasible. Sigma is given as a dense matrix.
pub fn random_problem(n: usize, seed: u64) -> AllocationProblem {
    random_problems(n, seed).0
}

/// The same problem as [`random_problem`], with Sigma given as its
/// three-factor model B Bᵀ + diag(s) instead of a dense matrix.
pub fn random_factor_problem(n: usize, seed: u64) -> AllocationProblem {
    random_problems(n, seed).1
}

/// One random problem with Sigma dense and as a factor model.
fn random_problems(n: usize, seed: u64) -> (AllocationProblem, AllocationProblem) {
    let mut rng = rng::stream(seed, 0);
    let vols: Vec<f64> = (0..n).map(|_| rng.random_range(0.02..0.5)).collect();
    let loadings: Vec<[f64; FACTORS]> = (0..n)
        .map(|_| std::array::from_fn(|_| rng.random_range(-1.0..1.0)))
        .collect();
    let idiosyncratic: Vec<f64> = (0..n).map(|_| rng.random_range(0.2..1.0)).collect();
    let factor_dot = |i: usize, j: usize| -> f64 {
        loadings[i]
            .iter()
            .zip(&loadings[j])
            .map(|(a, b)| a * b)
            .sum()
    };
    let scale: Vec<f64> = (0..n)
        .map(|i| (factor_dot(i, i) + idiosyncratic[i]).sqrt())
        .collect();
    let sigma: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let correlation = if i == j {
                        1.0
                    } else {
                        factor_dot(i, j) / (scale[i] * scale[j])
                    };
                    correlation * vols[i] * vols[j]
                })
                .collect()
        })
        .collect();

    let mu: Vec<f64> = vols
        .iter()
        .map(|v| 0.01 + 0.25 * v + rng.random_range(-0.02..0.02))
        .collect();
    let costs: Vec<f64> = (0..n).map(|_| rng.random_range(0.0005..0.005)).collect();
    let draws: Vec<f64> = (0..n).map(|_| rng.random_range(0.05..1.0)).collect();
    let total: f64 = draws.iter().sum();
    let w0: Vec<f64> = draws.iter().map(|d| d / total).collect();
    let nf = n as f64;
    let liquidity_caps: Vec<f64> = w0
        .iter()
        .map(|w| w.max(rng.random_range(1.5 / nf..3.0 / nf)).min(1.0))
        .collect();
    let risk_scores: Vec<f64> = vols
        .iter()
        .map(|v| v + rng.random_range(0.0..0.3))
        .collect();
    let r_max = 1.02 * risk_scores.iter().sum::<f64>() / nf;
    let recognition: Vec<f64> = vols.iter().map(|v| 1.0 - v).collect();
    let equal_weight_recognition = recognition.iter().sum::<f64>() / nf;

    // Σ_ij = v_i v_j (b_i·b_j + δ_ij idio_i) / (s_i s_j): loadings v_i b_i / s_i.
    let factor_model = FactorModel {
        loadings: (0..n)
            .map(|i| loadings[i].iter().map(|b| vols[i] * b / scale[i]).collect())
            .collect(),
        factor_covariance: None,
        specific_variance: (0..n)
            .map(|i| (vols[i] / scale[i]).powi(2) * idiosyncratic[i])
            .collect(),
    };
    let dense = AllocationProblem {
        assets: (0..n).map(|i| format!("asset{i}")).collect(),
        mu,
        sigma: Covariance::Dense(sigma),
        lambda: rng.random_range(2.0..6.0),
        costs,
        w0,
        risk_scores,
        r_max,
        liquidity_caps,
        psi: 0.05,
        cr_now: 1.25 / equal_weight_recognition,
        cr_target: 1.2,
        cr_min: 1.1,
        collateral: CollateralModel::RiskWeighted { recognition },
    };
    let factor = AllocationProblem {
        sigma: Covariance::Factor(factor_model),
        ..dense.clone()
    };
    (dense, factor)
}

/// Writes the problem as pretty JSON with the same field names as the TOML input.
pub fn write_problem_json(
    problem: &AllocationProblem,
    writer: impl Write,
) -> serde_json::Result<()> {
    serde_json::to_writer_pretty(writer, problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_problems_are_valid_reproducible_and_round_trip_through_json() {
        for (n, seed) in [(1, 0), (2, 1), (10, 2), (60, 3)] {
            let problem = random_problem(n, seed);
            problem.validate().unwrap();
            assert_eq!(problem, random_problem(n, seed));
            let mut json = Vec::new();
            write_problem_json(&problem, &mut json).unwrap();
            let parsed: AllocationProblem = serde_json::from_slice(&json).unwrap();
            assert_eq!(parsed, problem);
        }
        assert_ne!(random_problem(5, 1), random_problem(5, 2));
    }

    #[test]
    fn factor_form_is_the_same_covariance() {
        let dense = random_problem(12, 4);
        let factor = random_factor_problem(12, 4);
        factor.validate().unwrap();
        let (Covariance::Dense(sigma), Covariance::Factor(model)) = (&dense.sigma, &factor.sigma)
        else {
            panic!("expected a dense and a factor covariance");
        };
        assert_eq!(model.factors(), FACTORS);
        for (i, row) in sigma.iter().enumerate() {
            for (j, value) in row.iter().enumerate() {
                assert!((factor.sigma.entry(i, j) - value).abs() < 1e-15);
            }
        }
        assert_eq!(
            AllocationProblem {
                sigma: dense.sigma.clone(),
                ..factor
            },
            dense
        );
    }
}
