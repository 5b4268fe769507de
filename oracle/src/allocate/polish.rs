//! Active-set polishing of the interior-point solution.
//!
//! An interior point stays a barrier's width away from the bounds, so a weight
//! whose optimum is just off a bound (say 1e-5) can be off by 1e-6. With t
//! eliminated the QP is min F(w) = ½λwᵀΣw − (mu + psi k)ᵀw + Σ c_i|w_i − w0_i|;
//! the interior point tells which face the optimum lies on (each coordinate at
//! 0, at its cap, at its kink w0_i, or free on one side of it; the CR and risk
//! rows active or not). On that face F is a quadratic, minimised exactly by
//! one linear solve; the multipliers of the fixed coordinates are then read
//! off the gradient. The polished point is kept only if its KKT residual is
//! smaller, so polishing can never make an answer worse.

use nalgebra::{DMatrix, DVector};

use super::problem::{dot, AllocationProblem};

/// Violations tolerated when accepting a point as feasible.
pub(crate) const FEASIBILITY: f64 = 1e-9;

/// Where a coordinate sits on the face of the optimum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Coordinate {
    Zero,
    Cap,
    Kink,
    /// Free, with the sign of w_i − w0_i (which fixes the cost's sign).
    Free(f64),
}

/// Multipliers of the equality rows on a face: budget, CR floor, risk limit
/// (zero when inactive), signed as clarabel's z.
pub(crate) struct FaceMultipliers {
    pub budget: f64,
    pub cr: f64,
    pub risk: f64,
}

/// Minimiser of the smooth piece of F on the affine set the pattern defines,
/// through the face's KKT system; None when that system is singular.
pub(crate) fn face_minimiser(
    problem: &AllocationProblem,
    cr: &[f64],
    pattern: &[Coordinate],
    cr_active: bool,
    risk_active: bool,
) -> Option<(Vec<f64>, FaceMultipliers)> {
    let n = pattern.len();
    let mut w = vec![0.0; n];
    let mut free = Vec::new();
    for (i, coordinate) in pattern.iter().enumerate() {
        match coordinate {
            Coordinate::Zero => w[i] = 0.0,
            Coordinate::Cap => w[i] = problem.liquidity_caps[i],
            Coordinate::Kink => w[i] = problem.w0[i],
            Coordinate::Free(_) => free.push(i),
        }
    }
    // Equality rows (coefficients, right-hand side) over all coordinates.
    let ones = vec![1.0; n];
    let mut equalities: Vec<(&[f64], f64)> = vec![(&ones, 1.0)];
    if cr_active {
        equalities.push((cr, problem.cr_min));
    }
    if risk_active {
        equalities.push((&problem.risk_scores, problem.r_max));
    }
    let (u, e) = (free.len(), equalities.len());
    let mut kkt = DMatrix::zeros(u + e, u + e);
    let mut rhs = DVector::zeros(u + e);
    for (a, &i) in free.iter().enumerate() {
        let Coordinate::Free(sign) = pattern[i] else {
            continue;
        };
        for (b, &j) in free.iter().enumerate() {
            kkt[(a, b)] = problem.lambda * problem.sigma[i][j];
        }
        let fixed_coupling: f64 = (0..n)
            .filter(|j| !free.contains(j))
            .map(|j| problem.lambda * problem.sigma[i][j] * w[j])
            .sum();
        rhs[a] = problem.mu[i] + problem.psi * cr[i] - sign * problem.costs[i] - fixed_coupling;
        for (r, (coefficients, _)) in equalities.iter().enumerate() {
            kkt[(a, u + r)] = coefficients[i];
            kkt[(u + r, a)] = coefficients[i];
        }
    }
    for (r, (coefficients, target)) in equalities.iter().enumerate() {
        rhs[u + r] = target - dot(coefficients, &w);
    }
    let solution = kkt.lu().solve(&rhs)?;
    if solution.iter().any(|x| !x.is_finite()) {
        return None;
    }
    for (a, &i) in free.iter().enumerate() {
        w[i] = solution[a];
    }
    // Rows were written as +row·w = target; clarabel's CR row is −kᵀw ≤ −CR_min.
    let mut nu = solution.iter().skip(u);
    let budget = nu.next().copied().unwrap_or(0.0);
    let cr_multiplier = if cr_active {
        -nu.next().copied().unwrap_or(0.0)
    } else {
        0.0
    };
    let risk = if risk_active {
        nu.next().copied().unwrap_or(0.0)
    } else {
        0.0
    };
    Some((
        w,
        FaceMultipliers {
            budget,
            cr: cr_multiplier,
            risk,
        },
    ))
}

pub(crate) fn is_feasible(problem: &AllocationProblem, cr: &[f64], w: &[f64]) -> bool {
    (w.iter().sum::<f64>() - 1.0).abs() <= FEASIBILITY
        && w.iter()
            .zip(&problem.liquidity_caps)
            .all(|(wi, cap)| *wi >= -FEASIBILITY && *wi <= cap + FEASIBILITY)
        && dot(w, cr) >= problem.cr_min - FEASIBILITY
        && dot(w, &problem.risk_scores) <= problem.r_max + FEASIBILITY
}

/// A primal–dual point in clarabel's layout: x = (w, t) and z by QP row.
pub(crate) struct PrimalDual {
    pub x: Vec<f64>,
    pub z: Vec<f64>,
}

/// The face the interior point (w, z) is on: a constraint counts as active
/// when its multiplier exceeds its slack.
fn identify_face(
    problem: &AllocationProblem,
    cr: &[f64],
    w: &[f64],
    z: &super::qp::Multipliers,
) -> (Vec<Coordinate>, bool, bool) {
    let pattern = (0..w.len())
        .map(|i| {
            let gap = w[i] - problem.w0[i];
            if z.lower[i] > w[i] {
                Coordinate::Zero
            } else if z.cap[i] > problem.liquidity_caps[i] - w[i] {
                Coordinate::Cap
            } else if z.trade_up[i].min(z.trade_down[i]) > gap.abs() {
                Coordinate::Kink
            } else {
                Coordinate::Free(if gap >= 0.0 { 1.0 } else { -1.0 })
            }
        })
        .collect();
    let cr_active = z.cr > dot(w, cr) - problem.cr_min;
    let risk_active = z.risk > problem.r_max - dot(w, &problem.risk_scores);
    (pattern, cr_active, risk_active)
}

/// The exact optimum of the face the interior point identifies, with
/// multipliers rebuilt from stationarity; None when that face has no
/// feasible minimiser.
pub(crate) fn polish(
    problem: &AllocationProblem,
    cr: &[f64],
    interior: &PrimalDual,
) -> Option<PrimalDual> {
    let n = problem.len();
    let multipliers = super::qp::Multipliers::from_z(&interior.z, n);
    let (pattern, cr_active, risk_active) =
        identify_face(problem, cr, &interior.x[..n], &multipliers);
    let (w, nu) = face_minimiser(problem, cr, &pattern, cr_active, risk_active)?;
    if !is_feasible(problem, cr, &w) {
        return None;
    }

    let mut z = vec![0.0; interior.z.len()];
    let rows = super::qp::Rows { n };
    z[0] = nu.budget;
    z[rows.cr()] = nu.cr;
    z[rows.risk()] = nu.risk;
    let sigma_w = problem.sigma_times(&w);
    for i in 0..n {
        // Gradient of the Lagrangian without the bound and trade terms.
        let g = problem.lambda * sigma_w[i] - problem.mu[i] - problem.psi * cr[i] + nu.budget
            - nu.cr * cr[i]
            + nu.risk * problem.risk_scores[i];
        let c = problem.costs[i];
        // Stationarity: g − z_lo + z_cap + z_up − z_dn = 0 and z_up + z_dn = c.
        let (lower, cap, up, down) = match pattern[i] {
            Coordinate::Zero if problem.w0[i] > 0.0 => (g - c, 0.0, 0.0, c),
            // At 0 = w0 both trade rows are active too: split c between them.
            Coordinate::Zero => {
                let lower = (g - c).max(0.0);
                (lower, 0.0, 0.5 * (c + lower - g), 0.5 * (c - lower + g))
            }
            Coordinate::Cap => (0.0, -g - c, c, 0.0),
            Coordinate::Kink => (0.0, 0.0, 0.5 * (c - g), 0.5 * (c + g)),
            Coordinate::Free(sign) if sign > 0.0 => (0.0, 0.0, c, 0.0),
            Coordinate::Free(_) => (0.0, 0.0, 0.0, c),
        };
        z[1 + i] = lower;
        z[1 + n + i] = cap;
        z[rows.trade_up(i)] = up;
        z[rows.trade_down(i)] = down;
    }
    let t = w.iter().zip(&problem.w0).map(|(wi, w0)| (wi - w0).abs());
    let x = w.iter().copied().chain(t).collect();
    Some(PrimalDual { x, z })
}
