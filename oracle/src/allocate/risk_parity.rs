//! Risk parity (seed 002 q6): weights whose risk contributions
//! RC_i = w_i (Sigma w)_i / sigma_p are proportional to given budgets b_i
//! (equal by default).
//!
//! Solved by Newton's method on Spinu's strictly convex reformulation
//! min_y ½ yᵀSigma y − Σ b_i ln y_i over y > 0, whose stationarity condition
//! y_i (Sigma y)_i = b_i is the budget condition; w = y / Σ y. The solution is
//! unique for positive definite Sigma and positive budgets.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::checks::{check_covariance, check_len, check_non_negative};
use super::AllocationError;

/// Newton stops once every |y_i (Sigma y)_i / b_i − 1| is below this.
const TOLERANCE: f64 = 1e-12;
const MAX_ITERATIONS: u32 = 100;

/// Inputs of a risk-parity allocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskParityProblem {
    /// Asset names, one per asset; they fix n.
    pub assets: Vec<String>,
    /// Covariance, n rows of n entries; symmetric positive definite.
    pub sigma: Vec<Vec<f64>>,
    /// Risk budgets b_i > 0 (normalised to sum to one); equal when absent.
    #[serde(default)]
    pub risk_budgets: Option<Vec<f64>>,
}

/// A risk-parity portfolio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskParity {
    /// Asset names, in the problem's order.
    pub assets: Vec<String>,
    /// Weights, positive and summing to one.
    pub weights: Vec<f64>,
    /// Risk contributions RC_i = w_i (Sigma w)_i / sigma_p; they sum to sigma_p.
    pub risk_contributions: Vec<f64>,
    /// Portfolio volatility sigma_p.
    pub volatility: f64,
    /// Newton iterations taken.
    pub iterations: u32,
}

pub fn risk_parity(problem: &RiskParityProblem) -> Result<RiskParity, AllocationError> {
    let n = problem.assets.len();
    if n == 0 {
        return Err(AllocationError::NoAssets);
    }
    check_covariance("sigma", &problem.sigma, n)?;
    let sigma = DMatrix::from_fn(n, n, |i, j| problem.sigma[i.min(j)][i.max(j)]);
    if sigma.clone().cholesky().is_none() {
        return Err(AllocationError::CovarianceSingular {
            min_eigenvalue: sigma.symmetric_eigenvalues().min(),
        });
    }
    let budgets = normalised_budgets(problem.risk_budgets.as_deref(), n)?;
    let (y, iterations) = newton(&sigma, &budgets)?;

    let weights = &y / y.sum();
    let sigma_w = &sigma * &weights;
    let volatility = weights.dot(&sigma_w).sqrt();
    Ok(RiskParity {
        assets: problem.assets.clone(),
        risk_contributions: weights
            .iter()
            .zip(sigma_w.iter())
            .map(|(w, sw)| w * sw / volatility)
            .collect(),
        weights: weights.as_slice().to_vec(),
        volatility,
        iterations,
    })
}

fn normalised_budgets(budgets: Option<&[f64]>, n: usize) -> Result<DVector<f64>, AllocationError> {
    let Some(budgets) = budgets else {
        return Ok(DVector::from_element(n, 1.0 / n as f64));
    };
    check_len("risk_budgets", budgets.len(), n)?;
    check_non_negative("risk_budgets", budgets)?;
    if let Some(index) = budgets.iter().position(|b| *b == 0.0) {
        return Err(AllocationError::InvalidParameter {
            name: "risk_budgets",
            value: budgets[index],
            requirement: "every risk budget must be > 0",
        });
    }
    let total: f64 = budgets.iter().sum();
    Ok(DVector::from_iterator(n, budgets.iter().map(|b| b / total)))
}

/// Damped Newton from the diagonal solution y_i = sqrt(b_i / Sigma_ii).
///
/// F / min_i b_i is self-concordant (a convex quadratic plus −c_i ln y_i with
/// c_i ≥ 1), so with its Newton decrement λ the damped step 1/(1 + λ) keeps y
/// positive and converges, and full steps converge quadratically once λ < 1/4
/// (Nesterov's damped Newton method): no line search on rounding-limited
/// objective values is needed.
fn newton(
    sigma: &DMatrix<f64>,
    budgets: &DVector<f64>,
) -> Result<(DVector<f64>, u32), AllocationError> {
    let n = budgets.len();
    let smallest_budget = budgets.min();
    let mut y = DVector::from_fn(n, |i, _| (budgets[i] / sigma[(i, i)]).sqrt());
    for iteration in 0..MAX_ITERATIONS {
        let sigma_y = sigma * &y;
        let relative_gap = y
            .component_mul(&sigma_y)
            .component_div(budgets)
            .add_scalar(-1.0);
        if relative_gap.amax() < TOLERANCE {
            return Ok((y, iteration));
        }
        let gradient = &sigma_y - budgets.component_div(&y);
        let mut hessian = sigma.clone();
        for i in 0..n {
            hessian[(i, i)] += budgets[i] / (y[i] * y[i]);
        }
        let Some(factor) = hessian.cholesky() else {
            return Err(no_convergence(iteration));
        };
        let step = factor.solve(&gradient);
        let decrement = (gradient.dot(&step) / smallest_budget).max(0.0).sqrt();
        let length = if decrement < 0.25 {
            1.0
        } else {
            1.0 / (1.0 + decrement)
        };
        y -= step * length;
    }
    Err(no_convergence(MAX_ITERATIONS))
}

fn no_convergence(iterations: u32) -> AllocationError {
    AllocationError::Solver {
        status: "risk parity Newton did not converge".into(),
        iterations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocate::random_problem;

    fn problem(sigma: Vec<Vec<f64>>, risk_budgets: Option<Vec<f64>>) -> RiskParityProblem {
        RiskParityProblem {
            assets: (0..sigma.len()).map(|i| format!("a{i}")).collect(),
            sigma,
            risk_budgets,
        }
    }

    /// Max over i of |RC_i / sigma_p − b_i|.
    fn budget_error(result: &RiskParity, budgets: &[f64]) -> f64 {
        let total: f64 = budgets.iter().sum();
        result
            .risk_contributions
            .iter()
            .zip(budgets)
            .map(|(rc, b)| (rc / result.volatility - b / total).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn two_assets_get_inverse_volatility_weights_for_any_correlation() {
        // Known closed form: with n = 2, ERC is w_i ∝ 1/sigma_i whatever rho.
        for rho in [-0.9, 0.0, 0.6] {
            let (s1, s2) = (0.1, 0.3);
            let sigma = vec![vec![s1 * s1, rho * s1 * s2], vec![rho * s1 * s2, s2 * s2]];
            let result = risk_parity(&problem(sigma, None)).unwrap();
            let expected = (1.0 / s1) / (1.0 / s1 + 1.0 / s2);
            assert!((result.weights[0] - expected).abs() < 1e-12, "rho {rho}");
        }
    }

    #[test]
    fn diagonal_covariance_with_budgets_has_closed_form() {
        // Uncorrelated: RC_i ∝ w_i² sigma_i², so w_i ∝ sqrt(b_i) / sigma_i.
        let vols = [0.05, 0.2, 0.4, 0.1];
        let budgets = vec![0.4, 0.3, 0.2, 0.1];
        let sigma = (0..4)
            .map(|i| {
                (0..4)
                    .map(|j| if i == j { vols[i] * vols[i] } else { 0.0 })
                    .collect()
            })
            .collect();
        let result = risk_parity(&problem(sigma, Some(budgets.clone()))).unwrap();
        let raw: Vec<f64> = budgets
            .iter()
            .zip(vols)
            .map(|(b, v)| b.sqrt() / v)
            .collect();
        let total: f64 = raw.iter().sum();
        for (w, r) in result.weights.iter().zip(&raw) {
            assert!((w - r / total).abs() < 1e-12);
        }
    }

    #[test]
    fn correlated_problems_reach_budgets_to_1e_8() {
        for (n, seed) in [(5, 1), (20, 2), (60, 3)] {
            let sigma = random_problem(n, seed).sigma.to_dense();
            let equal = risk_parity(&problem(sigma.clone(), None)).unwrap();
            assert!(budget_error(&equal, &vec![1.0; n]) < 1e-8);
            let budgets: Vec<f64> = (1..=n).map(|i| i as f64).collect();
            let tilted = risk_parity(&problem(sigma, Some(budgets.clone()))).unwrap();
            assert!(budget_error(&tilted, &budgets) < 1e-8);
            assert!((tilted.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(
                (tilted.risk_contributions.iter().sum::<f64>() - tilted.volatility).abs() < 1e-12
            );
        }
    }

    #[test]
    fn singular_covariance_and_bad_budgets_are_rejected() {
        let riskless = vec![vec![0.0, 0.0], vec![0.0, 0.04]];
        assert!(matches!(
            risk_parity(&problem(riskless, None)),
            Err(AllocationError::CovarianceSingular { .. })
        ));
        let sigma = vec![vec![0.01, 0.0], vec![0.0, 0.04]];
        assert!(matches!(
            risk_parity(&problem(sigma.clone(), Some(vec![1.0, 0.0]))),
            Err(AllocationError::InvalidParameter {
                name: "risk_budgets",
                ..
            })
        ));
        assert!(matches!(
            risk_parity(&problem(sigma, Some(vec![1.0]))),
            Err(AllocationError::DimensionMismatch {
                field: "risk_budgets",
                ..
            })
        ));
    }
}
