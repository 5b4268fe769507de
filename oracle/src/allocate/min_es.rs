//! Minimum expected shortfall over Monte Carlo scenarios (seed 003), by the
//! Rockafellar–Uryasev linear program.
//!
//! With losses L_s(w) = −r_sᵀw and tail mass k = (1 − β)S,
//! ES_β(w) = min_a a + (1/k) Σ_s (L_s(w) − a)⁺, so minimising ES over w is the LP
//! min a + (1/k) Σ u_s  s.t. u_s ≥ −r_sᵀw − a, u_s ≥ 0, plus the weight block.
//! Variables x = (w, a, u); rows after the weight block: S scenario rows,
//! S rows u ≥ 0, then the optional return floor −mᵀw ≤ −target.

use serde::{Deserialize, Serialize};

use super::checks::{check_finite, check_len, check_non_negative, require};
use super::conic::{self, ConicFailure, CscBuilder};
use super::feasibility::{check_caps, max_over_capped_simplex, SLACK};
use super::problem::dot;
use super::{AllocationError, Infeasibility};
use crate::montecarlo::{tail_mass, tail_risk};

/// Inputs of the minimum-ES allocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortfallProblem {
    /// Asset names, one per asset; they fix n.
    pub assets: Vec<String>,
    /// Scenario returns: one row per scenario, one entry per asset.
    pub scenarios: Vec<Vec<f64>>,
    /// Confidence level β in (0, 1), e.g. 0.975.
    pub confidence: f64,
    /// Largest weight each asset may take, ≥ 0.
    pub liquidity_caps: Vec<f64>,
    /// Optional floor on the mean scenario return of the portfolio.
    #[serde(default)]
    pub min_expected_return: Option<f64>,
}

/// The minimum-ES portfolio and its tail risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShortfallAllocation {
    /// Asset names, in the problem's order.
    pub assets: Vec<String>,
    /// Optimal weights.
    pub weights: Vec<f64>,
    /// Value at risk at level β of the optimal portfolio (a loss, in return units).
    pub value_at_risk: f64,
    /// Expected shortfall at level β (mean loss in the worst 1 − β of scenarios).
    pub expected_shortfall: f64,
    /// Mean scenario return of the optimal portfolio.
    pub expected_return: f64,
    /// Clarabel's termination status.
    pub status: String,
    /// Interior-point iterations.
    pub iterations: u32,
}

impl ShortfallProblem {
    pub fn validate(&self) -> Result<(), AllocationError> {
        let n = self.assets.len();
        if n == 0 {
            return Err(AllocationError::NoAssets);
        }
        if self.scenarios.is_empty() {
            return Err(AllocationError::DimensionMismatch {
                field: "scenarios",
                expected: 1,
                found: 0,
            });
        }
        for row in &self.scenarios {
            check_len("scenario row", row.len(), n)?;
            check_finite("scenarios", row)?;
        }
        check_len("liquidity_caps", self.liquidity_caps.len(), n)?;
        check_non_negative("liquidity_caps", &self.liquidity_caps)?;
        let beta = self.confidence;
        require(
            "confidence",
            beta,
            beta > 0.0 && beta < 1.0,
            "must be in (0, 1)",
        )?;
        if let Some(target) = self.min_expected_return {
            require("min_expected_return", target, true, "must be finite")?;
        }
        Ok(())
    }

    /// Mean return of each asset over the scenarios.
    pub fn mean_returns(&self) -> Vec<f64> {
        let mut mean = vec![0.0; self.assets.len()];
        for row in &self.scenarios {
            for (m, r) in mean.iter_mut().zip(row) {
                *m += r;
            }
        }
        let count = self.scenarios.len() as f64;
        mean.iter_mut().for_each(|m| *m /= count);
        mean
    }

    /// Scenario losses −r_sᵀw of a portfolio.
    pub fn losses(&self, weights: &[f64]) -> Vec<f64> {
        self.scenarios.iter().map(|r| -dot(r, weights)).collect()
    }
}

/// Minimises expected shortfall at level β over long-only, capped, fully
/// invested portfolios, optionally with a floor on the mean return.
pub fn minimize_expected_shortfall(
    problem: &ShortfallProblem,
) -> Result<ShortfallAllocation, AllocationError> {
    problem.validate()?;
    check_caps(&problem.liquidity_caps)?;
    let mean = problem.mean_returns();
    if let Some(target) = problem.min_expected_return {
        let best_return = max_over_capped_simplex(&mean, &problem.liquidity_caps);
        if best_return < target - SLACK {
            return Err(Infeasibility::ReturnTarget {
                target,
                best_return,
            }
            .into());
        }
    }

    let n = problem.assets.len();
    let s = problem.scenarios.len();
    let scenario_row = |k: usize| conic::weight_rows(n) + k;
    let positivity_row = |k: usize| scenario_row(s) + k;
    let return_row = positivity_row(s);
    let has_floor = problem.min_expected_return.is_some();
    let rows = return_row + usize::from(has_floor);

    let mut a = CscBuilder::new(rows, n + 1 + s, n * (s + 4) + 3 * s);
    for j in 0..n {
        conic::push_weight_block(&mut a, n, j);
        for (k, r) in problem.scenarios.iter().enumerate() {
            a.push(scenario_row(k), -r[j]);
        }
        if has_floor {
            a.push(return_row, -mean[j]);
        }
        a.end_column();
    }
    for k in 0..s {
        a.push(scenario_row(k), -1.0);
    }
    a.end_column();
    for k in 0..s {
        a.push(scenario_row(k), -1.0);
        a.push(positivity_row(k), -1.0);
        a.end_column();
    }

    let mut b = conic::weight_block_rhs(&problem.liquidity_caps);
    b.resize(rows, 0.0);
    if let Some(target) = problem.min_expected_return {
        b[return_row] = -target;
    }
    let tail_weight = 1.0 / tail_mass(problem.confidence, s);
    let mut q = vec![0.0; n + 1 + s];
    q[n] = 1.0;
    q[n + 1..].fill(tail_weight);

    let extra_rows = rows - conic::weight_rows(n);
    let solution = conic::solve(
        &conic::zero_objective(n + 1 + s),
        &q,
        &a.finish(),
        &b,
        &conic::cones(n, extra_rows),
        conic::TOLERANCE,
    )
    .map_err(|failure| match failure {
        ConicFailure::Other(error) => error,
        ConicFailure::PrimalInfeasible => AllocationError::Solver {
            status: "PrimalInfeasible, though caps and return floor are each feasible".into(),
            iterations: 0,
        },
    })?;

    let weights = solution.x[..n].to_vec();
    let risk = tail_risk(&mut problem.losses(&weights), problem.confidence)
        .expect("validated: scenarios and confidence are in range");
    Ok(ShortfallAllocation {
        assets: problem.assets.clone(),
        expected_return: dot(&weights, &mean),
        weights,
        value_at_risk: risk.value_at_risk,
        expected_shortfall: risk.expected_shortfall,
        status: format!("{:?}", solution.status),
        iterations: solution.iterations,
    })
}

#[cfg(test)]
mod tests {
    use rand_distr::{Distribution, StandardNormal};

    use super::*;
    use crate::rng;

    /// Scenario k from stream k: returns with means `means` and volatilities
    /// `vols`, correlated through one common factor with loading `rho`.
    fn gaussian_scenarios(means: &[f64], vols: &[f64], rho: f64, count: usize) -> Vec<Vec<f64>> {
        (0..count as u64)
            .map(|k| {
                let mut stream = rng::stream(11, k);
                let common: f64 = StandardNormal.sample(&mut stream);
                means
                    .iter()
                    .zip(vols)
                    .map(|(m, v)| {
                        let own: f64 = StandardNormal.sample(&mut stream);
                        m + v * (rho.sqrt() * common + (1.0 - rho).sqrt() * own)
                    })
                    .collect()
            })
            .collect()
    }

    fn problem(scenarios: Vec<Vec<f64>>, caps: Vec<f64>) -> ShortfallProblem {
        ShortfallProblem {
            assets: (0..caps.len()).map(|i| format!("a{i}")).collect(),
            scenarios,
            confidence: 0.95,
            liquidity_caps: caps,
            min_expected_return: None,
        }
    }

    #[test]
    fn lp_optimum_beats_a_fine_grid_of_two_asset_portfolios() {
        let scenarios = gaussian_scenarios(&[0.01, 0.03], &[0.05, 0.12], 0.3, 400);
        let p = problem(scenarios, vec![1.0, 1.0]);
        let best = minimize_expected_shortfall(&p).unwrap();
        let grid_best = (0..=2000)
            .map(|i| {
                let x = f64::from(i) / 2000.0;
                tail_risk(&mut p.losses(&[x, 1.0 - x]), p.confidence)
                    .unwrap()
                    .expected_shortfall
            })
            .fold(f64::INFINITY, f64::min);
        // The LP is exact, so it can only beat the grid (up to solver tolerance);
        // ES(x, 1 − x) is Lipschitz in x with constant max_s |r_s0 − r_s1|, and
        // the optimum is within half a grid step of a grid point.
        let lipschitz = p
            .scenarios
            .iter()
            .map(|r| (r[0] - r[1]).abs())
            .fold(0.0, f64::max);
        assert!(best.expected_shortfall <= grid_best + 1e-8);
        assert!(best.expected_shortfall >= grid_best - lipschitz * 0.5 / 2000.0);
        assert!(
            best.weights[0] > 0.05 && best.weights[0] < 0.95,
            "{:?}",
            best.weights
        );
    }

    #[test]
    fn riskless_asset_takes_everything_when_risky_assets_have_zero_mean() {
        // ES of a zero-mean portfolio is positive; the riskless asset's is 0.
        let mut scenarios = gaussian_scenarios(&[0.0, 0.0], &[0.1, 0.2], 0.5, 300);
        for row in &mut scenarios {
            row.push(0.0);
        }
        let best = minimize_expected_shortfall(&problem(scenarios, vec![1.0; 3])).unwrap();
        assert!((best.weights[2] - 1.0).abs() < 1e-7, "{:?}", best.weights);
        assert!(best.expected_shortfall.abs() < 1e-7);
    }

    #[test]
    fn return_floor_binds_and_raises_shortfall() {
        let scenarios = gaussian_scenarios(&[0.01, 0.04, 0.08], &[0.03, 0.1, 0.25], 0.2, 300);
        let mut p = problem(scenarios, vec![1.0, 0.7, 0.5]);
        let unconstrained = minimize_expected_shortfall(&p).unwrap();
        let target = unconstrained.expected_return + 0.01;
        p.min_expected_return = Some(target);
        let constrained = minimize_expected_shortfall(&p).unwrap();
        assert!((constrained.expected_return - target).abs() < 1e-7);
        assert!(constrained.expected_shortfall > unconstrained.expected_shortfall);
        for (w, cap) in constrained.weights.iter().zip(&p.liquidity_caps) {
            assert!(*w >= -1e-9 && *w <= cap + 1e-9);
        }
    }

    #[test]
    fn infeasible_caps_and_return_floor_are_named() {
        let scenarios = gaussian_scenarios(&[0.01, 0.04], &[0.03, 0.1], 0.2, 50);
        let mut p = problem(scenarios, vec![0.5, 0.3]);
        assert!(matches!(
            minimize_expected_shortfall(&p),
            Err(AllocationError::Infeasible(
                Infeasibility::LiquidityCaps { .. }
            ))
        ));
        p.liquidity_caps = vec![1.0, 0.6];
        let best_return = 0.4 * p.mean_returns()[0] + 0.6 * p.mean_returns()[1];
        p.min_expected_return = Some(best_return + 0.001);
        match minimize_expected_shortfall(&p) {
            Err(AllocationError::Infeasible(Infeasibility::ReturnTarget {
                best_return: b,
                ..
            })) => {
                assert!((b - best_return).abs() < 1e-15)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_bad_confidence_and_ragged_scenarios() {
        let mut p = problem(vec![vec![0.0, 0.1], vec![0.1]], vec![1.0, 1.0]);
        assert!(matches!(
            minimize_expected_shortfall(&p),
            Err(AllocationError::DimensionMismatch { .. })
        ));
        p.scenarios = vec![vec![0.0, 0.1]];
        p.confidence = 1.0;
        assert!(matches!(
            minimize_expected_shortfall(&p),
            Err(AllocationError::InvalidParameter {
                name: "confidence",
                ..
            })
        ));
    }
}
