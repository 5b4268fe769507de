//! An independent brute-force solver for small allocation QPs (tests only).
//!
//! With t eliminated the problem is min F(w) = ½λwᵀΣw − (mu + psi k)ᵀw + Σ c_i|w_i − w0_i|
//! over a polytope. At the optimum every coordinate is at 0, at its cap, at its
//! kink w0_i, or free above or below w0_i (where F is smooth), and the CR and
//! risk rows are active or not. For each such pattern the equality-constrained
//! quadratic is solved through its KKT system; the optimum is the feasible
//! candidate with the best true objective. That is 5ⁿ · 4 linear solves, so n ≤ 6.

use nalgebra::{DMatrix, DVector};

use super::problem::{dot, AllocationProblem};

/// Violations tolerated when accepting a candidate as feasible.
const FEASIBILITY: f64 = 1e-9;

#[derive(Clone, Copy)]
enum Coordinate {
    Zero,
    Cap,
    Kink,
    /// Free, with the cost's sign (+1 above w0, −1 below).
    Free(f64),
}

const PATTERNS: [Coordinate; 5] = [
    Coordinate::Zero,
    Coordinate::Cap,
    Coordinate::Kink,
    Coordinate::Free(1.0),
    Coordinate::Free(-1.0),
];

/// The optimal weights, or None when no candidate is feasible.
pub(crate) fn solve_by_enumeration(problem: &AllocationProblem) -> Option<Vec<f64>> {
    let n = problem.len();
    assert!(n <= 6, "enumeration is exponential in n");
    let cr = problem.cr_coefficients();
    let mut best: Option<(f64, Vec<f64>)> = None;
    let mut pattern = vec![Coordinate::Zero; n];
    for code in 0..5_usize.pow(n as u32) {
        let mut rest = code;
        for slot in pattern.iter_mut() {
            *slot = PATTERNS[rest % 5];
            rest /= 5;
        }
        for (cr_active, risk_active) in [(false, false), (true, false), (false, true), (true, true)]
        {
            let Some(w) = stationary_point(problem, &cr, &pattern, cr_active, risk_active) else {
                continue;
            };
            if !is_feasible(problem, &cr, &w) {
                continue;
            }
            let value = problem.utility(&w);
            if best.as_ref().is_none_or(|(b, _)| value > *b) {
                best = Some((value, w));
            }
        }
    }
    best.map(|(_, w)| w)
}

/// Minimiser of the smooth piece of F on the affine set the pattern defines.
fn stationary_point(
    problem: &AllocationProblem,
    cr: &[f64],
    pattern: &[Coordinate],
    cr_active: bool,
    risk_active: bool,
) -> Option<Vec<f64>> {
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
        let sign = match pattern[i] {
            Coordinate::Free(sign) => sign,
            _ => unreachable!("only free coordinates are listed"),
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
    Some(w)
}

fn is_feasible(problem: &AllocationProblem, cr: &[f64], w: &[f64]) -> bool {
    (w.iter().sum::<f64>() - 1.0).abs() <= FEASIBILITY
        && w.iter()
            .zip(&problem.liquidity_caps)
            .all(|(wi, cap)| *wi >= -FEASIBILITY && *wi <= cap + FEASIBILITY)
        && dot(w, cr) >= problem.cr_min - FEASIBILITY
        && dot(w, &problem.risk_scores) <= problem.r_max + FEASIBILITY
}
