//! Active-set polishing of the interior-point solution.
//!
//! An interior point stays a barrier's width away from the bounds, so a weight
//! whose optimum is just off a bound (say 1e-5) can be off by 1e-6. With t
//! eliminated the QP is min F(w) = ½λwᵀΣw − (mu + psi k)ᵀw + Σ c_i|w_i − w0_i|;
//! the interior point tells which face the optimum lies on (each coordinate at
//! 0, at its cap, at its kink w0_i, or free on one side of it; the CR and risk
//! rows active or not). On that face F is a quadratic, minimised exactly by
//! one linear solve; the multipliers of the fixed coordinates are then read
//! off the gradient. Where the face was wrong (its minimiser crosses a bound,
//! or a multiplier is negative), primal active-set steps mend it, one
//! constraint at a time. The caller keeps the polished point only if its KKT
//! residual is smaller, so polishing can never make an answer worse.

use nalgebra::{DMatrix, DVector};

use super::problem::{dot, AllocationProblem};
use super::qp::{Multipliers, Rows};

/// Violations tolerated when accepting a point as feasible.
pub(crate) const FEASIBILITY: f64 = 1e-9;

/// Largest relative residual of a face's linear solve taken as a solution.
const SOLVE_RESIDUAL: f64 = 1e-12;

/// Largest KKT residual that certifies a polished point as the optimum.
pub(crate) const CERTIFIED: f64 = 1e-10;

/// Active-set steps (each one linear solve) before polishing gives up.
const MAX_ACTIVE_SET_STEPS: usize = 32;

/// Where a coordinate sits on the face of the optimum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Coordinate {
    Zero,
    Cap,
    Kink,
    /// Free, with the sign of w_i − w0_i (which fixes the cost's sign).
    Free(f64),
}

/// A face of the feasible set: where each coordinate sits, and whether the CR
/// floor and the risk limit hold with equality.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Face {
    pub pattern: Vec<Coordinate>,
    pub cr_active: bool,
    pub risk_active: bool,
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
    face: &Face,
) -> Option<(Vec<f64>, FaceMultipliers)> {
    let pattern = &face.pattern;
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
    if face.cr_active {
        equalities.push((cr, problem.cr_min));
    }
    if face.risk_active {
        equalities.push((&problem.risk_scores, problem.r_max));
    }
    let (u, e) = (free.len(), equalities.len());
    if u < e {
        // More equalities than free coordinates: no minimiser to speak of.
        return None;
    }
    // Sigma's coupling of each coordinate to the fixed ones (w is zero on the free set here).
    let fixed_coupling = problem.sigma.times(&w);
    let mut kkt = DMatrix::zeros(u + e, u + e);
    let mut rhs = DVector::zeros(u + e);
    for (a, &i) in free.iter().enumerate() {
        let Coordinate::Free(sign) = pattern[i] else {
            continue;
        };
        for (b, &j) in free.iter().enumerate() {
            kkt[(a, b)] = problem.lambda * problem.sigma.entry(i, j);
        }
        rhs[a] = problem.mu[i] + problem.psi * cr[i]
            - sign * problem.costs[i]
            - problem.lambda * fixed_coupling[i];
        for (r, (coefficients, _)) in equalities.iter().enumerate() {
            kkt[(a, u + r)] = coefficients[i];
            kkt[(u + r, a)] = coefficients[i];
        }
    }
    for (r, (coefficients, target)) in equalities.iter().enumerate() {
        rhs[u + r] = target - dot(coefficients, &w);
    }
    let solution = kkt.clone().lu().solve(&rhs)?;
    // A numerically singular system still "solves"; its residual shows it.
    let scale = rhs.amax().max(1.0) * (1.0 + kkt.amax());
    if solution.iter().any(|x| !x.is_finite())
        || (&kkt * &solution - &rhs).amax() > SOLVE_RESIDUAL * scale
    {
        return None;
    }
    for (a, &i) in free.iter().enumerate() {
        w[i] = solution[a];
    }
    // Rows were written as +row·w = target; clarabel's CR row is −kᵀw ≤ −CR_min.
    let mut nu = solution.iter().skip(u);
    let budget = nu.next().copied().unwrap_or(0.0);
    let cr_multiplier = if face.cr_active {
        -nu.next().copied().unwrap_or(0.0)
    } else {
        0.0
    };
    let risk = if face.risk_active {
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

/// A primal–dual point in clarabel's layout: x = (w, t) and z by QP row.
pub(crate) struct PrimalDual {
    pub x: Vec<f64>,
    pub z: Vec<f64>,
}

/// The face the interior point (w, z) is on: a row counts as active when its
/// multiplier exceeds its slack.
fn identify_face(problem: &AllocationProblem, cr: &[f64], interior: &PrimalDual) -> Face {
    let n = problem.len();
    let (w, t) = interior.x.split_at(n);
    let z = Multipliers::from_z(&interior.z, n);
    let pattern = (0..n)
        .map(|i| {
            let up = z.trade_up[i] > problem.w0[i] + t[i] - w[i];
            let down = z.trade_down[i] > t[i] + w[i] - problem.w0[i];
            if z.lower[i] > w[i] {
                Coordinate::Zero
            } else if z.cap[i] > problem.liquidity_caps[i] - w[i] {
                Coordinate::Cap
            } else if up && down {
                Coordinate::Kink
            } else if up || down {
                Coordinate::Free(if up { 1.0 } else { -1.0 })
            } else {
                // Neither trade row binds (a free trade): the side w is on.
                Coordinate::Free(if w[i] >= problem.w0[i] { 1.0 } else { -1.0 })
            }
        })
        .collect();
    Face {
        pattern,
        cr_active: z.cr > dot(w, cr) - problem.cr_min,
        risk_active: z.risk > problem.r_max - dot(w, &problem.risk_scores),
    }
}

/// The polished point: the exact optimum of the interior point's face, or of
/// a face reached from it by primal active-set steps, stopping at the first
/// one whose KKT residual (`residual`) certifies it. Otherwise the feasible
/// face optimum with the smallest residual, if any.
pub(crate) fn polish(
    problem: &AllocationProblem,
    cr: &[f64],
    interior: &PrimalDual,
    residual: impl Fn(&PrimalDual) -> f64,
) -> Option<(f64, PrimalDual)> {
    let face = identify_face(problem, cr, interior);
    active_set(
        problem,
        cr,
        face,
        interior.x[..problem.len()].to_vec(),
        residual,
    )
}

/// The primal active-set method (Nocedal & Wright §16.5) from weights w on
/// `face`: move towards the face's minimiser until a constraint blocks, add
/// it, and at a minimiser release the constraint with the most negative
/// multiplier. w may violate constraints by the interior point's tolerance;
/// a constraint it violates blocks at once if the step goes further out.
fn active_set(
    problem: &AllocationProblem,
    cr: &[f64],
    mut face: Face,
    mut w: Vec<f64>,
    residual: impl Fn(&PrimalDual) -> f64,
) -> Option<(f64, PrimalDual)> {
    let mut best: Option<(f64, PrimalDual)> = None;
    for _ in 0..MAX_ACTIVE_SET_STEPS {
        let Some((minimiser, nu)) = face_minimiser(problem, cr, &face) else {
            // Too few free coordinates for the rows taken as active: drop
            // those w is not on (the start may have been read onto them).
            match loose_row(problem, cr, &face, &w) {
                Some(release) => {
                    release.apply(&mut face);
                    continue;
                }
                None => break,
            }
        };
        if let Some((step, blocking)) = first_blocking(problem, cr, &face, &w, &minimiser) {
            for (wi, target) in w.iter_mut().zip(&minimiser) {
                *wi += step * (target - *wi);
            }
            blocking.apply(&mut face);
            continue;
        }
        w.clone_from(&minimiser);
        let point = point_on_face(problem, cr, &face, minimiser, &nu);
        let point_residual = residual(&point);
        let release = most_negative_multiplier(problem, &face, &point);
        if best.as_ref().is_none_or(|(r, _)| point_residual < *r) {
            best = Some((point_residual, point));
        }
        match release {
            Some(release) if point_residual > CERTIFIED => release.apply(&mut face),
            _ => break,
        }
    }
    best
}

/// A change of face: a coordinate moves to a new place, or a row turns on or off.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FaceChange {
    Coordinate(usize, Coordinate),
    CrActive(bool),
    RiskActive(bool),
}

impl FaceChange {
    fn apply(self, face: &mut Face) {
        match self {
            FaceChange::Coordinate(i, place) => face.pattern[i] = place,
            FaceChange::CrActive(active) => face.cr_active = active,
            FaceChange::RiskActive(active) => face.risk_active = active,
        }
    }
}

/// The largest step in [0, 1) from w towards the face's minimiser before a
/// free coordinate reaches 0, its cap or its kink, or an inactive row its
/// bound; None when the whole step is feasible.
fn first_blocking(
    problem: &AllocationProblem,
    cr: &[f64],
    face: &Face,
    w: &[f64],
    minimiser: &[f64],
) -> Option<(f64, FaceChange)> {
    let mut first: Option<(f64, FaceChange)> = None;
    // A quantity at `value` moving by `change` per unit step, kept on its side of `bound`.
    let mut block = |value: f64, change: f64, bound: f64, above: bool, then: FaceChange| {
        let outward = if above { change < 0.0 } else { change > 0.0 };
        if !outward || change.abs() < f64::EPSILON {
            return;
        }
        let step = ((bound - value) / change).max(0.0);
        if step < 1.0 && first.is_none_or(|(s, _)| step < s) {
            first = Some((step, then));
        }
    };
    for (i, place) in face.pattern.iter().enumerate() {
        let Coordinate::Free(side) = *place else {
            continue;
        };
        let change = minimiser[i] - w[i];
        let mut stop_at = |bound: f64, above: bool, place: Coordinate| {
            block(w[i], change, bound, above, FaceChange::Coordinate(i, place))
        };
        stop_at(0.0, true, Coordinate::Zero);
        stop_at(problem.liquidity_caps[i], false, Coordinate::Cap);
        // The cost's smooth piece ends at the kink.
        stop_at(problem.w0[i], side > 0.0, Coordinate::Kink);
    }
    let direction: Vec<f64> = minimiser.iter().zip(w).map(|(m, x)| m - x).collect();
    let row = |coefficients: &[f64]| (dot(w, coefficients), dot(&direction, coefficients));
    if !face.cr_active {
        let (value, change) = row(cr);
        block(
            value,
            change,
            problem.cr_min,
            true,
            FaceChange::CrActive(true),
        );
    }
    if !face.risk_active {
        let (value, change) = row(&problem.risk_scores);
        block(
            value,
            change,
            problem.r_max,
            false,
            FaceChange::RiskActive(true),
        );
    }
    first
}

/// An active row that w does not meet with equality.
fn loose_row(
    problem: &AllocationProblem,
    cr: &[f64],
    face: &Face,
    w: &[f64],
) -> Option<FaceChange> {
    let loose = |value: f64, bound: f64| (value - bound).abs() > FEASIBILITY;
    if face.cr_active && loose(dot(w, cr), problem.cr_min) {
        Some(FaceChange::CrActive(false))
    } else if face.risk_active && loose(dot(w, &problem.risk_scores), problem.r_max) {
        Some(FaceChange::RiskActive(false))
    } else {
        None
    }
}

/// At a face's minimiser, the fixed coordinate or active row whose
/// multiplier is most negative, released the way its gradient points
/// (upwards from 0, downwards from the cap, either way from the kink); None
/// when every multiplier is non-negative.
fn most_negative_multiplier(
    problem: &AllocationProblem,
    face: &Face,
    point: &PrimalDual,
) -> Option<FaceChange> {
    let n = problem.len();
    let z = Multipliers::from_z(&point.z, n);
    let mut candidates = Vec::with_capacity(n + 2);
    for (i, place) in face.pattern.iter().enumerate() {
        let (w0, cap) = (problem.w0[i], problem.liquidity_caps[i]);
        let release = |side: f64| FaceChange::Coordinate(i, Coordinate::Free(side));
        match place {
            Coordinate::Zero => candidates.push((
                z.lower[i].min(z.trade_down[i]),
                release(if w0 > 0.0 { -1.0 } else { 1.0 }),
            )),
            Coordinate::Cap => candidates.push((
                z.cap[i].min(z.trade_up[i]),
                release(if cap > w0 { 1.0 } else { -1.0 }),
            )),
            Coordinate::Kink => {
                candidates.push((z.trade_up[i], release(-1.0)));
                candidates.push((z.trade_down[i], release(1.0)));
            }
            Coordinate::Free(_) => {}
        }
    }
    if face.cr_active {
        candidates.push((z.cr, FaceChange::CrActive(false)));
    }
    if face.risk_active {
        candidates.push((z.risk, FaceChange::RiskActive(false)));
    }
    candidates
        .into_iter()
        .filter(|(multiplier, _)| *multiplier < -FEASIBILITY)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, change)| change)
}

/// The primal–dual point of a face's minimiser w: t = |w − w0| and every
/// multiplier rebuilt from stationarity.
fn point_on_face(
    problem: &AllocationProblem,
    cr: &[f64],
    face: &Face,
    w: Vec<f64>,
    nu: &FaceMultipliers,
) -> PrimalDual {
    let n = problem.len();
    let rows = Rows { n };
    let mut z = vec![0.0; rows.total()];
    z[0] = nu.budget;
    z[rows.cr()] = nu.cr;
    z[rows.risk()] = nu.risk;
    let sigma_w = problem.sigma.times(&w);
    for i in 0..n {
        // Gradient of the Lagrangian without the bound and trade terms.
        let g = problem.lambda * sigma_w[i] - problem.mu[i] - problem.psi * cr[i] + nu.budget
            - nu.cr * cr[i]
            + nu.risk * problem.risk_scores[i];
        let [lower, cap, up, down] =
            coordinate_multipliers(face.pattern[i], w[i], problem.w0[i], g, problem.costs[i]);
        z[1 + i] = lower;
        z[1 + n + i] = cap;
        z[rows.trade_up(i)] = up;
        z[rows.trade_down(i)] = down;
    }
    let t = w.iter().zip(&problem.w0).map(|(wi, w0)| (wi - w0).abs());
    let x = w.iter().copied().chain(t).collect();
    PrimalDual { x, z }
}

/// Multipliers (lower bound, cap, trade up, trade down) of one coordinate at
/// value w on its face, from stationarity g − z_lo + z_cap + z_up − z_dn = 0
/// with z_up + z_dn = c.
fn coordinate_multipliers(place: Coordinate, w: f64, w0: f64, g: f64, c: f64) -> [f64; 4] {
    // The bound row's multiplier b enters stationarity as σ b: −b at 0, +b at the cap.
    let sigma = match place {
        Coordinate::Zero => -1.0,
        Coordinate::Cap => 1.0,
        Coordinate::Kink | Coordinate::Free(_) => 0.0,
    };
    let b = if sigma == 0.0 {
        0.0
    } else if w > w0 {
        -sigma * (g + c)
    } else if w < w0 {
        sigma * (c - g)
    } else {
        // On the bound and at the kink: the least b that lets the trade rows balance.
        (-sigma * g - c).max(0.0)
    };
    let trade = -g - sigma * b;
    let (up, down) = (0.5 * (c + trade), 0.5 * (c - trade));
    match place {
        Coordinate::Zero => [b, 0.0, up, down],
        Coordinate::Cap => [0.0, b, up, down],
        Coordinate::Kink | Coordinate::Free(_) => [0.0, 0.0, up, down],
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::allocate::enumeration::solve_by_enumeration;
    use crate::allocate::problem::fixtures::three_assets;
    use crate::allocate::qp::kkt_residuals;

    fn residual(problem: &AllocationProblem, point: &PrimalDual) -> f64 {
        let n = problem.len();
        let (w, t) = point.x.split_at(n);
        kkt_residuals(problem, w, t, &Multipliers::from_z(&point.z, n)).max()
    }

    /// The face the exact optimum lies on.
    fn optimal_face(problem: &AllocationProblem, w: &[f64]) -> Face {
        let cr = problem.cr_coefficients();
        let near = |a: f64, b: f64| (a - b).abs() < 1e-9;
        Face {
            pattern: (0..w.len())
                .map(|i| match w[i] {
                    x if near(x, 0.0) => Coordinate::Zero,
                    x if near(x, problem.liquidity_caps[i]) => Coordinate::Cap,
                    x if near(x, problem.w0[i]) => Coordinate::Kink,
                    x => Coordinate::Free((x - problem.w0[i]).signum()),
                })
                .collect(),
            cr_active: near(dot(w, &cr), problem.cr_min),
            risk_active: near(dot(w, &problem.risk_scores), problem.r_max),
        }
    }

    fn assert_reaches(problem: &AllocationProblem, face: Face, start: Vec<f64>, exact: &[f64]) {
        let cr = problem.cr_coefficients();
        let (kkt, point) = active_set(problem, &cr, face.clone(), start, |p| residual(problem, p))
            .unwrap_or_else(|| panic!("no point from {face:?}"));
        assert!(kkt <= CERTIFIED, "residual {kkt} from {face:?}");
        for (a, b) in point.x.iter().zip(exact) {
            assert!(
                (a - b).abs() < 1e-10,
                "{:?} vs {exact:?} from {face:?}",
                point.x
            );
        }
    }

    #[test]
    fn active_set_steps_mend_every_single_misreading_of_the_face() {
        // What a loose interior point gets wrong: a coordinate on a bound or at
        // its kink read as free (on either side), or a row's activity flipped.
        let mut cases = 0;
        for seed in 0..20 {
            let problem = crate::allocate::random_problem(6, seed);
            let Some(exact) = solve_by_enumeration(&problem) else {
                continue;
            };
            let optimum = optimal_face(&problem, &exact);
            let mut misreadings = Vec::new();
            for (i, place) in optimum.pattern.iter().enumerate() {
                if !matches!(place, Coordinate::Free(_)) {
                    for side in [1.0, -1.0] {
                        let mut face = optimum.clone();
                        face.pattern[i] = Coordinate::Free(side);
                        misreadings.push(face);
                    }
                }
            }
            let mut face = optimum.clone();
            face.cr_active = !face.cr_active;
            misreadings.push(face);
            let mut face = optimum.clone();
            face.risk_active = !face.risk_active;
            misreadings.push(face);
            for face in misreadings {
                assert_reaches(&problem, face, exact.clone(), &exact);
                cases += 1;
            }
        }
        assert!(cases > 60, "{cases}");
    }

    #[test]
    fn active_set_steps_find_the_optimum_from_an_uninformed_start() {
        // Equal weights and every coordinate free.
        let problem = three_assets();
        let exact = solve_by_enumeration(&problem).unwrap();
        let n = problem.len();
        let face = Face {
            pattern: (0..n)
                .map(|i| Coordinate::Free(if problem.w0[i] < 1.0 / 3.0 { 1.0 } else { -1.0 }))
                .collect(),
            cr_active: false,
            risk_active: false,
        };
        assert_reaches(&problem, face, vec![1.0 / 3.0; n], &exact);
    }

    proptest! {
        #[test]
        fn coordinate_multipliers_satisfy_stationarity_and_their_rows(
            place in prop_oneof![
                Just(Coordinate::Zero),
                Just(Coordinate::Cap),
                Just(Coordinate::Kink),
                Just(Coordinate::Free(1.0)),
                Just(Coordinate::Free(-1.0)),
            ],
            side in -1i32..=1,
            g in -0.01f64..0.01,
            c in 0.0f64..0.005,
        ) {
            let w0 = 0.3;
            let (w, g) = match place {
                Coordinate::Kink => (w0, g),
                // On its face a free coordinate's gradient is ∓c, its side's cost.
                Coordinate::Free(sign) => (w0 + 0.1 * sign, -sign * c),
                _ => (w0 + 0.1 * f64::from(side), g),
            };
            let [lower, cap, up, down] = coordinate_multipliers(place, w, w0, g, c);
            prop_assert!((g - lower + cap + up - down).abs() < 1e-15);
            prop_assert!((up + down - c).abs() < 1e-15);
            // Only the rows that hold with equality carry a multiplier.
            prop_assert!(place == Coordinate::Zero || lower == 0.0);
            prop_assert!(place == Coordinate::Cap || cap == 0.0);
            if w > w0 {
                prop_assert!(down.abs() < 1e-15);
            }
            if w < w0 {
                prop_assert!(up.abs() < 1e-15);
            }
        }
    }
}
