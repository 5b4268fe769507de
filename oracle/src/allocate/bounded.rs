//! The allocation the oracle posts in any market: the QP of §8 with its
//! risk limit Σ w_i R_i ≤ R_max tightened, by bisection, until the targets'
//! volatility sqrt(wᵀΣw) is under a ceiling; and with the CR floor dropped
//! when no portfolio can reach it. After a crash that took CR below
//! CR_min, keeping the floor would leave the QP infeasible and the targets
//! where they were, so the targets would not answer the risk the crash
//! revealed; dropping it lets the rest of the QP still decide.

use serde::Serialize;

use super::feasibility::min_over_capped_simplex;
use super::{solve_allocation, Allocation, AllocationError, AllocationProblem, Infeasibility};

/// Bisection steps on R_max: 2⁻⁴⁰ of the interval, far below any risk
/// score's precision.
const BISECTION_STEPS: usize = 40;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundedAllocation {
    pub allocation: Allocation,
    /// The risk limit R_max the targets were solved under.
    pub risk_limit: f64,
    /// Whether the targets' volatility is under the ceiling; when no
    /// allocation gets there, the least risky one is returned.
    pub within_ceiling: bool,
    /// When CR_min was out of reach: the best CR a portfolio could reach.
    pub collateral_floor_dropped: Option<f64>,
}

/// Solves `problem`, tightening its risk limit until the allocation's
/// volatility is at most `ceiling` (the largest R_max that achieves it,
/// so the limit binds only as far as the ceiling needs).
pub fn solve_within_volatility(problem: &AllocationProblem, ceiling: f64) -> Result<BoundedAllocation, AllocationError> {
    let mut problem = problem.clone();
    let (first, dropped) = solve_dropping_unreachable_floor(&mut problem)?;
    let bounded = |allocation: Allocation, risk_limit: f64, within_ceiling: bool| BoundedAllocation {
        allocation,
        risk_limit,
        within_ceiling,
        collateral_floor_dropped: dropped,
    };
    if first.volatility <= ceiling {
        let limit = problem.r_max;
        return Ok(bounded(first, limit, true));
    }
    // The least risky portfolio's score is the lowest feasible R_max.
    let mut low = min_over_capped_simplex(&problem.risk_scores, &problem.liquidity_caps);
    let mut high = problem.r_max.min(first.risk_used);
    problem.r_max = low;
    let safest = solve_allocation(&problem)?;
    if safest.volatility > ceiling {
        return Ok(bounded(safest, low, false));
    }
    let mut best = (safest, low);
    for _ in 0..BISECTION_STEPS {
        let middle = 0.5 * (low + high);
        problem.r_max = middle;
        let allocation = solve_allocation(&problem)?;
        if allocation.volatility <= ceiling {
            low = middle;
            best = (allocation, middle);
        } else {
            high = middle;
        }
    }
    Ok(bounded(best.0, best.1, true))
}

/// Solves `problem`; if its CR floor is out of reach (alone or within the
/// risk limit), drops the floor, solves again and returns the best CR a
/// portfolio could reach beside the allocation.
fn solve_dropping_unreachable_floor(problem: &mut AllocationProblem) -> Result<(Allocation, Option<f64>), AllocationError> {
    let reached = match solve_allocation(problem) {
        Ok(allocation) => return Ok((allocation, None)),
        Err(AllocationError::Infeasible(Infeasibility::CollateralFloor { best_cr, .. })) => best_cr,
        Err(AllocationError::Infeasible(Infeasibility::RiskAndCollateral { best_cr_within_risk, .. })) => best_cr_within_risk,
        Err(other) => return Err(other),
    };
    // A floor every portfolio meets: one below the lowest CR coefficient.
    let lowest = problem.cr_coefficients().into_iter().fold(f64::INFINITY, f64::min);
    problem.cr_min = lowest - 1.0;
    Ok((solve_allocation(problem)?, Some(reached)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocate::problem::fixtures::three_assets;
    use crate::allocate::Covariance;

    #[test]
    fn a_calm_market_leaves_the_qp_alone() {
        let problem = three_assets();
        let plain = solve_allocation(&problem).unwrap();
        let bounded = solve_within_volatility(&problem, plain.volatility + 0.1).unwrap();
        assert_eq!(bounded.allocation.weights, plain.weights);
        assert_eq!(bounded.risk_limit, problem.r_max);
        assert!(bounded.within_ceiling && bounded.collateral_floor_dropped.is_none());
    }

    #[test]
    fn a_ceiling_tightens_the_risk_limit_just_enough() {
        let problem = three_assets();
        let plain = solve_allocation(&problem).unwrap();
        let ceiling = 0.8 * plain.volatility;
        let bounded = solve_within_volatility(&problem, ceiling).unwrap();
        assert!(bounded.within_ceiling);
        assert!(bounded.allocation.volatility <= ceiling + 1e-12);
        // Just enough: a slightly looser limit would break the ceiling.
        assert!(bounded.allocation.volatility > ceiling - 1e-3, "{}", bounded.allocation.volatility);
        assert!(bounded.risk_limit < problem.r_max);
    }

    #[test]
    fn an_unreachable_floor_is_dropped_and_named() {
        let mut problem = three_assets();
        problem.cr_min = 10.0;
        assert!(matches!(solve_allocation(&problem), Err(AllocationError::Infeasible(_))));
        let bounded = solve_within_volatility(&problem, f64::INFINITY).unwrap();
        assert!(bounded.collateral_floor_dropped.is_some_and(|best| best < 10.0));
        assert!((bounded.allocation.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn tripling_one_assets_volatility_lowers_its_weight() {
        let problem = three_assets();
        let Covariance::Dense(sigma) = &problem.sigma else { unreachable!("the fixture is dense") };
        let riskiest = (0..3).max_by(|&i, &j| sigma[i][i].total_cmp(&sigma[j][j])).unwrap();
        let ceiling = solve_allocation(&problem).unwrap().volatility;
        let calm = solve_within_volatility(&problem, ceiling).unwrap();
        let mut stressed = problem.clone();
        let mut tripled = sigma.clone();
        for k in 0..3 {
            tripled[riskiest][k] *= 3.0;
            tripled[k][riskiest] *= 3.0;
        }
        stressed.sigma = Covariance::Dense(tripled);
        let after = solve_within_volatility(&stressed, ceiling).unwrap();
        assert!(
            after.allocation.weights[riskiest] < calm.allocation.weights[riskiest] - 0.01,
            "{:?} then {:?}",
            calm.allocation.weights,
            after.allocation.weights
        );
        assert!(after.allocation.volatility <= ceiling + 1e-12);
    }
}
