//! An independent brute-force solver for small allocation QPs (tests only).
//!
//! With t eliminated the problem is min F(w) = ½λwᵀΣw − (mu + psi k)ᵀw + Σ c_i|w_i − w0_i|
//! over a polytope. At the optimum every coordinate is at 0, at its cap, at its
//! kink w0_i, or free above or below w0_i (where F is smooth), and the CR and
//! risk rows are active or not. For each such pattern `polish::face_minimiser`
//! solves the equality-constrained quadratic; the optimum is the feasible
//! candidate with the best true objective. That is 5ⁿ · 4 linear solves, so n ≤ 6.

use super::polish::{face_minimiser, Coordinate, Face, FEASIBILITY};
use super::problem::{dot, AllocationProblem};

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
    let mut face = Face {
        pattern: vec![Coordinate::Zero; n],
        cr_active: false,
        risk_active: false,
    };
    for code in 0..5_usize.pow(n as u32) {
        let mut rest = code;
        for slot in face.pattern.iter_mut() {
            *slot = PATTERNS[rest % 5];
            rest /= 5;
        }
        for (cr_active, risk_active) in [(false, false), (true, false), (false, true), (true, true)]
        {
            face.cr_active = cr_active;
            face.risk_active = risk_active;
            let Some((w, _)) = face_minimiser(problem, &cr, &face) else {
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

fn is_feasible(problem: &AllocationProblem, cr: &[f64], w: &[f64]) -> bool {
    (w.iter().sum::<f64>() - 1.0).abs() <= FEASIBILITY
        && w.iter()
            .zip(&problem.liquidity_caps)
            .all(|(wi, cap)| *wi >= -FEASIBILITY && *wi <= cap + FEASIBILITY)
        && dot(w, cr) >= problem.cr_min - FEASIBILITY
        && dot(w, &problem.risk_scores) <= problem.r_max + FEASIBILITY
}
