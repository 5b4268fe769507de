//! Which group of constraints makes an allocation infeasible.
//!
//! The groups are checked in order: the budget against the liquidity caps,
//! then the risk limit and the CR floor each against the capped simplex (both
//! exact by a greedy fill), then the two together (an LP, only run after the
//! QP was reported infeasible).

use super::conic::{self, ConicFailure, CscBuilder};
use super::problem::AllocationProblem;
use super::{AllocationError, Infeasibility};

/// Violations smaller than this are rounding, not infeasibility.
pub(crate) const SLACK: f64 = 1e-9;

/// min cᵀw over {Σ w = 1, 0 ≤ w ≤ cap} (caps summing to at least one): fill
/// the assets with the smallest c first, each up to its cap.
pub(crate) fn min_over_capped_simplex(c: &[f64], caps: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..c.len()).collect();
    order.sort_by(|&i, &j| c[i].total_cmp(&c[j]));
    let mut remaining = 1.0_f64;
    let mut value = 0.0;
    for i in order {
        let take = caps[i].min(remaining);
        value += take * c[i];
        remaining -= take;
        if remaining <= 0.0 {
            break;
        }
    }
    value
}

/// max cᵀw over the capped simplex.
pub(crate) fn max_over_capped_simplex(c: &[f64], caps: &[f64]) -> f64 {
    let negated: Vec<f64> = c.iter().map(|x| -x).collect();
    -min_over_capped_simplex(&negated, caps)
}

/// Checks that the caps admit a budget and that each of the risk limit and the
/// CR floor can be met on its own; `cr` holds the CR coefficients k.
pub(crate) fn check_groups(problem: &AllocationProblem, cr: &[f64]) -> Result<(), Infeasibility> {
    check_caps(&problem.liquidity_caps)?;
    let least_risk = min_over_capped_simplex(&problem.risk_scores, &problem.liquidity_caps);
    if least_risk > problem.r_max + SLACK {
        return Err(Infeasibility::RiskLimit {
            r_max: problem.r_max,
            least_risk,
        });
    }
    let best_cr = max_over_capped_simplex(cr, &problem.liquidity_caps);
    if best_cr < problem.cr_min - SLACK {
        return Err(Infeasibility::CollateralFloor {
            cr_min: problem.cr_min,
            best_cr,
        });
    }
    Ok(())
}

pub(crate) fn check_caps(caps: &[f64]) -> Result<(), Infeasibility> {
    let cap_sum: f64 = caps.iter().sum();
    if cap_sum < 1.0 - SLACK {
        Err(Infeasibility::LiquidityCaps { cap_sum })
    } else {
        Ok(())
    }
}

/// After the QP was found infeasible although each group alone is feasible:
/// the best CR within the risk limit, by LP, names the conflict.
pub(crate) fn diagnose_risk_and_collateral(
    problem: &AllocationProblem,
    cr: &[f64],
) -> Result<Infeasibility, AllocationError> {
    let n = problem.len();
    let risk_row = conic::weight_rows(n);
    let mut a = CscBuilder::new(risk_row + 1, n, 4 * n);
    for j in 0..n {
        conic::push_weight_block(&mut a, n, j);
        a.push(risk_row, problem.risk_scores[j]);
        a.end_column();
    }
    let mut b = conic::weight_block_rhs(&problem.liquidity_caps);
    b.push(problem.r_max);
    let q: Vec<f64> = cr.iter().map(|k| -k).collect();
    let unexplained = || AllocationError::Solver {
        status: "PrimalInfeasible, though every constraint group is feasible".into(),
        iterations: 0,
    };
    match conic::solve(
        &conic::zero_objective(n),
        &q,
        &a.finish(),
        &b,
        &conic::cones(n, 1),
        conic::TOLERANCE,
    ) {
        Ok(solution) => {
            let best_cr_within_risk = super::problem::dot(&solution.x, cr);
            if best_cr_within_risk < problem.cr_min {
                Ok(Infeasibility::RiskAndCollateral {
                    r_max: problem.r_max,
                    cr_min: problem.cr_min,
                    best_cr_within_risk,
                })
            } else {
                Err(unexplained())
            }
        }
        Err(ConicFailure::PrimalInfeasible) => Err(unexplained()),
        Err(ConicFailure::Other(error)) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_fill_matches_vertex_enumeration() {
        // With caps (0.5, 0.3, 0.6) the vertices of the capped simplex put every
        // asset but one at 0 or its cap; enumerate them directly.
        let c = [0.3, -0.2, 0.9];
        let caps = [0.5, 0.3, 0.6];
        let mut vertex_values = Vec::new();
        for free in 0..3 {
            for mask in 0..8u32 {
                let mut w = [0.0; 3];
                for i in 0..3 {
                    if i != free && mask & (1 << i) != 0 {
                        w[i] = caps[i];
                    }
                }
                w[free] = 1.0 - w.iter().sum::<f64>();
                if (0.0..=caps[free]).contains(&w[free]) {
                    vertex_values.push(w.iter().zip(&c).map(|(a, b)| a * b).sum::<f64>());
                }
            }
        }
        let min = vertex_values.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = vertex_values
            .iter()
            .cloned()
            .fold(f64::NEG_INFINITY, f64::max);
        assert!((min_over_capped_simplex(&c, &caps) - min).abs() < 1e-15);
        assert!((max_over_capped_simplex(&c, &caps) - max).abs() < 1e-15);
    }
}
