//! The allocation QP (protocol §8) solved by clarabel, with its KKT residuals.
//!
//! Variables x = (w, t), 2n of them, plus k factor exposures f = Bᵀw when
//! Sigma is a factor model. Clarabel minimises, so the objective is negated:
//! ½ wᵀ(lambda Sigma)w − (mu + psi k)ᵀw + cᵀt, with CR(w) = kᵀw.
//! Rows after the shared weight block (see `conic`):
//! the CR floor −kᵀw ≤ −CR_min, the risk limit Rᵀw ≤ R_max, then the trade
//! rows w_i − t_i ≤ w0_i and −w_i − t_i ≤ −w0_i (which also give t ≥ 0),
//! then for a factor model Bᵀw − f = 0.
//!
//! Clarabel runs first at a loose tolerance, which brings it near the face of
//! the optimum; `polish` finds that face by active-set steps and solves it
//! exactly, and the KKT residuals certify the result. Only when they do not
//! is the QP solved again tightly.

use clarabel::algebra::CscMatrix;
use clarabel::solver::SupportedConeT;
use serde::Serialize;

use super::conic::{self, ConicFailure, CscBuilder};
use super::feasibility;
use super::polish::{self, PrimalDual};
use super::problem::{dot, AllocationProblem};
use super::{AllocationError, Covariance, FactorModel};

/// The optimal allocation and how well it solves the QP.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allocation {
    /// Asset names, in the problem's order.
    pub assets: Vec<String>,
    /// Target weights w*.
    pub weights: Vec<f64>,
    /// Trade sizes |w*_i − w0_i|.
    pub trades: Vec<f64>,
    /// The maximised objective wᵀmu − (lambda/2)wᵀSigma w − cᵀt + psi (CR − CR_target).
    pub objective: f64,
    /// CR(w*) under the problem's collateral model.
    pub cr_after: f64,
    /// Portfolio risk score Σ w*_i R_i.
    pub risk_used: f64,
    /// Portfolio volatility sqrt(w*ᵀ Sigma w*).
    pub volatility: f64,
    /// Clarabel's termination status.
    pub status: String,
    /// Interior-point iterations, over both passes.
    pub iterations: u32,
    /// Clarabel passes: 1, or 2 when the loose first pass's face did not
    /// polish to a certified optimum and the QP was solved again tightly.
    pub passes: u32,
    /// Whether active-set polishing improved on the interior point (see `polish`).
    pub polished: bool,
    /// Largest KKT residual (see `KktResiduals`).
    pub kkt_residual: f64,
}

/// Infinity norms of the KKT conditions at a primal–dual point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KktResiduals {
    /// Gradient of the Lagrangian.
    pub stationarity: f64,
    /// Constraint violation.
    pub primal: f64,
    /// Negative part of the inequality multipliers.
    pub dual: f64,
    /// Largest multiplier × slack product.
    pub complementarity: f64,
}

impl KktResiduals {
    pub fn max(&self) -> f64 {
        self.stationarity
            .max(self.primal)
            .max(self.dual)
            .max(self.complementarity)
    }
}

/// Row indices of the QP's constraints after the weight block.
pub(crate) struct Rows {
    pub n: usize,
}

impl Rows {
    pub(crate) fn cr(&self) -> usize {
        conic::weight_rows(self.n)
    }
    pub(crate) fn risk(&self) -> usize {
        self.cr() + 1
    }
    pub(crate) fn trade_up(&self, i: usize) -> usize {
        self.risk() + 1 + i
    }
    pub(crate) fn trade_down(&self, i: usize) -> usize {
        self.risk() + 1 + self.n + i
    }
    pub(crate) fn total(&self) -> usize {
        self.trade_down(self.n)
    }
}

/// Multipliers of the QP's constraints, split out of clarabel's z.
pub struct Multipliers<'a> {
    pub budget: f64,
    pub lower: &'a [f64],
    pub cap: &'a [f64],
    pub cr: f64,
    pub risk: f64,
    pub trade_up: &'a [f64],
    pub trade_down: &'a [f64],
}

impl<'a> Multipliers<'a> {
    /// Splits z in the row order of the QP (length 3 + 4n).
    pub fn from_z(z: &'a [f64], n: usize) -> Self {
        let rows = Rows { n };
        Self {
            budget: z[0],
            lower: &z[1..=n],
            cap: &z[n + 1..=2 * n],
            cr: z[rows.cr()],
            risk: z[rows.risk()],
            trade_up: &z[rows.trade_up(0)..rows.trade_up(n)],
            trade_down: &z[rows.trade_down(0)..rows.trade_down(n)],
        }
    }
}

/// Clarabel's tolerance on the first pass. It is loose: the pass only has to
/// come near the optimum's face, which the polish's active-set steps then
/// find and solve exactly (5 to 7 iterations instead of 10 to 12 at 1e-10).
/// Where the polished point fails the KKT certificate, a second pass runs at
/// the tight `conic::TOLERANCE`. Of 1,420 random problems with 3 to 200
/// assets, one (n = 3) needed the second pass at 1e-3, eight at 1e-2.
const FIRST_PASS_TOLERANCE: f64 = 1e-3;

/// Solves the allocation QP, or says which constraint group is infeasible.
pub fn solve_allocation(problem: &AllocationProblem) -> Result<Allocation, AllocationError> {
    solve_in_two_passes(problem, FIRST_PASS_TOLERANCE)
}

fn solve_in_two_passes(
    problem: &AllocationProblem,
    first_pass_tolerance: f64,
) -> Result<Allocation, AllocationError> {
    problem.validate()?;
    let cr = problem.cr_coefficients();
    feasibility::check_groups(problem, &cr)?;
    let qp = assemble(problem, &cr);
    let n = problem.len();
    let mut iterations = 0;
    for (passes, tolerance) in [(1, first_pass_tolerance), (2, conic::TOLERANCE)] {
        let solution = match conic::solve(&qp.p, &qp.q, &qp.a, &qp.b, &qp.cones, tolerance) {
            Ok(solution) => solution,
            Err(ConicFailure::PrimalInfeasible) => {
                return Err(feasibility::diagnose_risk_and_collateral(problem, &cr)?.into())
            }
            Err(ConicFailure::Other(error)) => return Err(error),
        };
        iterations += solution.iterations;
        // Keep (w, t) and the QP's own rows: the factor variables and rows
        // are the formulation's, not the problem's.
        let interior = PrimalDual {
            x: solution.x[..2 * n].to_vec(),
            z: solution.z[..Rows { n }.total()].to_vec(),
        };
        let interior_residual = residuals_at(problem, &interior).max();
        let polished = polish::polish(problem, &cr, &interior, |point| {
            residuals_at(problem, point).max()
        })
        .filter(|(residual, _)| *residual < interior_residual);
        let certified = matches!(polished, Some((residual, _)) if residual <= polish::CERTIFIED);
        if certified || tolerance == conic::TOLERANCE {
            let (kkt_residual, point, polished) = match polished {
                Some((residual, point)) => (residual, point, true),
                None => (interior_residual, interior, false),
            };
            return Ok(allocation(
                problem,
                &cr,
                &point.x[..n],
                Solve {
                    status: format!("{:?}", solution.status),
                    iterations,
                    passes,
                    polished,
                    kkt_residual,
                },
            ));
        }
    }
    unreachable!("the tight pass always returns")
}

/// How the solver reached an allocation.
struct Solve {
    status: String,
    iterations: u32,
    passes: u32,
    polished: bool,
    kkt_residual: f64,
}

fn allocation(
    problem: &AllocationProblem,
    cr: &[f64],
    weights: &[f64],
    solve: Solve,
) -> Allocation {
    Allocation {
        assets: problem.assets.clone(),
        objective: problem.utility(weights),
        cr_after: dot(weights, cr),
        risk_used: dot(weights, &problem.risk_scores),
        volatility: problem.variance(weights).max(0.0).sqrt(),
        status: solve.status,
        iterations: solve.iterations,
        passes: solve.passes,
        polished: solve.polished,
        kkt_residual: solve.kkt_residual,
        trades: weights
            .iter()
            .zip(&problem.w0)
            .map(|(w, w0)| (w - w0).abs())
            .collect(),
        weights: weights.to_vec(),
    }
}

fn residuals_at(problem: &AllocationProblem, point: &PrimalDual) -> KktResiduals {
    let n = problem.len();
    let (w, t) = point.x.split_at(n);
    kkt_residuals(problem, w, t, &Multipliers::from_z(&point.z, n))
}

/// The QP in clarabel's form.
struct ConicQp {
    p: CscMatrix<f64>,
    q: Vec<f64>,
    a: CscMatrix<f64>,
    b: Vec<f64>,
    cones: Vec<SupportedConeT<f64>>,
}

/// Builds P, q, A, b and the cones directly in CSC form.
///
/// A dense Sigma goes into P as the upper triangle of lambda Sigma. A factor
/// model B Ω Bᵀ + diag(s) adds k variables f with rows Bᵀw − f = 0 (zero
/// cone), so P is lambda diag(s) on w and lambda Ω on f, and the KKT matrix
/// stays sparse.
fn assemble(problem: &AllocationProblem, cr: &[f64]) -> ConicQp {
    let n = problem.len();
    let lambda = problem.lambda;
    let rows = Rows { n };
    let factors = match &problem.sigma {
        Covariance::Dense(_) => None,
        Covariance::Factor(model) => Some(model),
    };
    let k = factors.map_or(0, FactorModel::factors);

    let mut p = CscBuilder::new(2 * n + k, 2 * n + k, n * (n + 1) / 2);
    match &problem.sigma {
        Covariance::Dense(sigma) => {
            for j in 0..n {
                for (i, row) in sigma.iter().enumerate().take(j + 1) {
                    p.push(i, lambda * row[j]);
                }
                p.end_column();
            }
        }
        Covariance::Factor(model) => {
            for (j, specific) in model.specific_variance.iter().enumerate() {
                p.push(j, lambda * specific);
                p.end_column();
            }
        }
    }
    for _ in 0..n {
        p.end_column();
    }
    if let Some(model) = factors {
        for m in 0..k {
            for l in 0..=m {
                p.push(2 * n + l, lambda * model.factor_covariance_at(l, m));
            }
            p.end_column();
        }
    }

    let mut q = Vec::with_capacity(2 * n + k);
    q.extend((0..n).map(|j| -problem.mu[j] - problem.psi * cr[j]));
    q.extend_from_slice(&problem.costs);
    q.extend(std::iter::repeat_n(0.0, k));

    let factor_row = |l: usize| rows.total() + l;
    let mut a = CscBuilder::new(rows.total() + k, 2 * n + k, (9 + k) * n + k);
    for j in 0..n {
        conic::push_weight_block(&mut a, n, j);
        a.push(rows.cr(), -cr[j]);
        a.push(rows.risk(), problem.risk_scores[j]);
        a.push(rows.trade_up(j), 1.0);
        a.push(rows.trade_down(j), -1.0);
        if let Some(model) = factors {
            for (l, loading) in model.loadings[j].iter().enumerate() {
                a.push(factor_row(l), *loading);
            }
        }
        a.end_column();
    }
    for j in 0..n {
        a.push(rows.trade_up(j), -1.0);
        a.push(rows.trade_down(j), -1.0);
        a.end_column();
    }
    for l in 0..k {
        a.push(factor_row(l), -1.0);
        a.end_column();
    }

    let mut b = conic::weight_block_rhs(&problem.liquidity_caps);
    b.reserve(2 + 2 * n + k);
    b.push(-problem.cr_min);
    b.push(problem.r_max);
    b.extend_from_slice(&problem.w0);
    b.extend(problem.w0.iter().map(|w| -w));
    b.extend(std::iter::repeat_n(0.0, k));

    let mut cones = conic::cones(n, 2 + 2 * n).to_vec();
    if k > 0 {
        cones.push(SupportedConeT::ZeroConeT(k));
    }
    ConicQp {
        p: p.finish(),
        q,
        a: a.finish(),
        b,
        cones,
    }
}

/// KKT residuals of the QP at (w, t) with multipliers z, written out from the
/// problem's definition rather than from the assembled matrices, so that it
/// also checks the assembly.
pub fn kkt_residuals(
    problem: &AllocationProblem,
    w: &[f64],
    t: &[f64],
    z: &Multipliers,
) -> KktResiduals {
    let cr = problem.cr_coefficients();
    let sigma_w = problem.sigma.times(w);
    let mut stationarity = 0.0_f64;
    for i in 0..w.len() {
        let gradient = problem.lambda * sigma_w[i] - problem.mu[i] - problem.psi * cr[i] + z.budget
            - z.lower[i]
            + z.cap[i]
            - z.cr * cr[i]
            + z.risk * problem.risk_scores[i]
            + z.trade_up[i]
            - z.trade_down[i];
        stationarity = stationarity.max(gradient.abs());
        let gradient_t = problem.costs[i] - z.trade_up[i] - z.trade_down[i];
        stationarity = stationarity.max(gradient_t.abs());
    }

    // (multiplier, slack) of every inequality; slack ≥ 0 when feasible.
    let mut pairs: Vec<(f64, f64)> = Vec::with_capacity(4 * w.len() + 2);
    for i in 0..w.len() {
        pairs.push((z.lower[i], w[i]));
        pairs.push((z.cap[i], problem.liquidity_caps[i] - w[i]));
        pairs.push((z.trade_up[i], problem.w0[i] + t[i] - w[i]));
        pairs.push((z.trade_down[i], t[i] + w[i] - problem.w0[i]));
    }
    pairs.push((z.cr, dot(w, &cr) - problem.cr_min));
    pairs.push((z.risk, problem.r_max - dot(w, &problem.risk_scores)));

    let budget_violation = (w.iter().sum::<f64>() - 1.0).abs();
    let primal = pairs
        .iter()
        .fold(budget_violation, |acc, &(_, slack)| acc.max(-slack));
    let dual = pairs.iter().fold(0.0_f64, |acc, &(z, _)| acc.max(-z));
    let complementarity = pairs
        .iter()
        .fold(0.0_f64, |acc, &(z, slack)| acc.max((z * slack).abs()));
    KktResiduals {
        stationarity,
        primal,
        dual,
        complementarity,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::allocate::enumeration::solve_by_enumeration;
    use crate::allocate::problem::fixtures::three_assets;
    use crate::allocate::{random_factor_problem, random_problem, CollateralModel, Infeasibility};

    /// Solves with clarabel and by enumeration and checks they agree to 1e-6
    /// in the weights, and that clarabel's point satisfies KKT to 1e-7.
    fn assert_matches_enumeration(problem: &AllocationProblem) {
        let reference = solve_by_enumeration(problem);
        match (solve_allocation(problem), reference) {
            (Ok(allocation), Some(w)) => {
                assert!(
                    allocation.kkt_residual < 1e-7,
                    "KKT residual {}",
                    allocation.kkt_residual
                );
                for (a, b) in allocation.weights.iter().zip(&w) {
                    assert!((a - b).abs() < 1e-6, "{:?} vs {:?}", allocation.weights, w);
                }
                let reference_objective = problem.utility(&w);
                assert!((allocation.objective - reference_objective).abs() < 1e-8);
            }
            (Err(AllocationError::Infeasible(_)), None) => {}
            (clarabel, enumeration) => {
                panic!("clarabel {clarabel:?} but enumeration {enumeration:?}")
            }
        }
    }

    #[test]
    fn fixture_matches_enumeration_and_reports_consistent_figures() {
        let problem = three_assets();
        assert_matches_enumeration(&problem);
        let allocation = solve_allocation(&problem).unwrap();
        let w = &allocation.weights;
        assert!((allocation.risk_used - dot(w, &problem.risk_scores)).abs() < 1e-15);
        assert!((allocation.cr_after - dot(w, &problem.cr_coefficients())).abs() < 1e-15);
        assert!((allocation.volatility.powi(2) - problem.variance(w)).abs() < 1e-15);
    }

    #[test]
    fn pure_lp_and_horizon_model_match_enumeration() {
        let mut problem = three_assets();
        problem.lambda = 0.0;
        assert_matches_enumeration(&problem);
        problem.lambda = 3.0;
        problem.collateral = CollateralModel::Horizon { horizon: 1.0 };
        problem.cr_min = 1.27;
        assert_matches_enumeration(&problem);
    }

    #[test]
    fn unconstrained_interior_optimum_is_the_mean_variance_closed_form() {
        // Two uncorrelated assets, no costs, nothing binding but the budget:
        // w = Σ⁻¹(mu − ν1)/λ with ν fixed by Σ w = 1.
        let mut problem = three_assets();
        problem.assets.truncate(2);
        problem.mu = vec![0.08, 0.12];
        problem.sigma = Covariance::Dense(vec![vec![0.04, 0.0], vec![0.0, 0.09]]);
        problem.lambda = 4.0;
        problem.costs = vec![0.0, 0.0];
        problem.w0 = vec![0.5, 0.5];
        problem.risk_scores = vec![0.0, 0.0];
        problem.liquidity_caps = vec![1.0, 1.0];
        problem.psi = 0.0;
        problem.collateral = CollateralModel::RiskWeighted {
            recognition: vec![1.0, 1.0],
        };
        let (s1, s2) = (0.04 * 4.0, 0.09 * 4.0);
        let nu = (0.08 / s1 + 0.12 / s2 - 1.0) / (1.0 / s1 + 1.0 / s2);
        let expected = [(0.08 - nu) / s1, (0.12 - nu) / s2];
        let allocation = solve_allocation(&problem).unwrap();
        for (a, b) in allocation.weights.iter().zip(expected) {
            assert!((a - b).abs() < 1e-8);
        }
    }

    #[test]
    fn polishing_recovers_a_weight_just_off_its_bound() {
        // Found by the proptest: asset 4's optimum is 1.09e-5, within the
        // barrier's reach, and the interior point alone was 1.2e-6 off.
        let mut problem = random_problem(5, 11845216271034603800);
        problem.r_max *= 0.85;
        problem.cr_min = 1.0;
        problem.psi = 0.17337674823322424;
        problem.lambda = 4.3039407940063406;
        let allocation = solve_allocation(&problem).unwrap();
        let exact = solve_by_enumeration(&problem).unwrap();
        assert!(allocation.polished);
        assert!(allocation.kkt_residual < 1e-14);
        assert!(exact[4] > 1e-5);
        for (a, b) in allocation.weights.iter().zip(&exact) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    fn infeasibility(problem: &AllocationProblem) -> Infeasibility {
        assert_eq!(
            solve_by_enumeration(problem),
            None,
            "enumeration found a feasible point"
        );
        match solve_allocation(problem) {
            Err(AllocationError::Infeasible(reason)) => reason,
            other => panic!("expected infeasibility, got {other:?}"),
        }
    }

    #[test]
    fn caps_below_budget_are_named() {
        let mut problem = three_assets();
        problem.liquidity_caps = vec![0.5, 0.25, 0.05];
        let reason = infeasibility(&problem);
        assert_eq!(reason, Infeasibility::LiquidityCaps { cap_sum: 0.8 });
        assert_eq!(reason.to_string(), "liquidity caps sum to 0.8 < 1 (budget)");
    }

    #[test]
    fn risk_limit_below_least_risky_portfolio_is_named() {
        let mut problem = three_assets();
        problem.liquidity_caps = vec![0.5, 0.8, 0.4];
        problem.r_max = 0.05;
        // Least risky: 0.5 cash (R = 0) and 0.5 T-bills (R = 0.2).
        match infeasibility(&problem) {
            Infeasibility::RiskLimit { r_max, least_risk } => {
                assert_eq!(r_max, 0.05);
                assert!((least_risk - 0.1).abs() < 1e-15);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unreachable_cr_floor_is_named() {
        let mut problem = three_assets();
        problem.cr_min = 1.3;
        // Best: all cash, recognised in full, CR = cr_now = 1.25.
        match infeasibility(&problem) {
            Infeasibility::CollateralFloor { best_cr, .. } => {
                assert!((best_cr - 1.25).abs() < 1e-15)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn risk_limit_and_cr_floor_in_conflict_are_named_together() {
        let mut problem = three_assets();
        problem.collateral = CollateralModel::RiskWeighted {
            recognition: vec![1.0, 0.7, 0.5],
        };
        problem.risk_scores = vec![0.6, 0.1, 0.3];
        problem.liquidity_caps = vec![1.0, 1.0, 1.0];
        problem.r_max = 0.2;
        // Within the risk limit: at most 20% cash, the rest T-bills, CR = 1.25 (0.2 + 0.8 · 0.7).
        match infeasibility(&problem) {
            Infeasibility::RiskAndCollateral {
                best_cr_within_risk,
                ..
            } => assert!((best_cr_within_risk - 0.95).abs() < 1e-7),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_factor_model_without_factors_is_a_diagonal_sigma() {
        let mut dense = three_assets();
        let variances = [0.0, 0.0004, 0.36];
        dense.sigma = Covariance::Dense(
            (0..3)
                .map(|i| (0..3).map(|j| if i == j { variances[i] } else { 0.0 }).collect())
                .collect(),
        );
        let diagonal = AllocationProblem {
            sigma: Covariance::Factor(FactorModel {
                loadings: vec![vec![]; 3],
                factor_covariance: None,
                specific_variance: variances.to_vec(),
            }),
            ..dense.clone()
        };
        let (a, b) = (solve_allocation(&dense).unwrap(), solve_allocation(&diagonal).unwrap());
        assert!(b.kkt_residual < 1e-10);
        for (x, y) in a.weights.iter().zip(&b.weights) {
            assert!((x - y).abs() < 1e-12, "{:?} vs {:?}", a.weights, b.weights);
        }
    }

    #[test]
    fn a_first_pass_too_loose_to_certify_is_solved_again_tightly() {
        let mut passes = Vec::new();
        for seed in 0..8 {
            let problem = random_problem(50, seed);
            let default = solve_allocation(&problem).unwrap();
            let loose = solve_in_two_passes(&problem, 1.0).unwrap();
            assert!(
                loose.kkt_residual < 1e-10,
                "seed {seed}: {}",
                loose.kkt_residual
            );
            for (a, b) in loose.weights.iter().zip(&default.weights) {
                assert!((a - b).abs() < 1e-9, "seed {seed}");
            }
            passes.push((default.passes, loose.passes));
        }
        // Both paths ran: the default certifies at once, a first pass at 1 does not.
        assert!(
            passes.iter().all(|(default, _)| *default == 1),
            "{passes:?}"
        );
        assert!(passes.iter().any(|(_, loose)| *loose == 2), "{passes:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn factor_and_dense_sigma_reach_the_same_optimum(
            n in 2usize..=60,
            seed in any::<u64>(),
            lambda in 0.5f64..8.0,
        ) {
            let mut dense = random_problem(n, seed);
            let mut factor = random_factor_problem(n, seed);
            dense.lambda = lambda;
            factor.lambda = lambda;
            let (a, b) = (solve_allocation(&dense).unwrap(), solve_allocation(&factor).unwrap());
            prop_assert!(a.kkt_residual < 1e-7 && b.kkt_residual < 1e-7);
            for (x, y) in a.weights.iter().zip(&b.weights) {
                prop_assert!((x - y).abs() < 1e-8, "{:?} vs {:?}", a.weights, b.weights);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn clarabel_agrees_with_enumeration_on_small_problems(
            n in 2usize..=5,
            seed in any::<u64>(),
            factor_form in any::<bool>(),
            risk_slack in 0.85f64..1.15,
            cr_min in 1.0f64..1.3,
            psi in 0.0f64..0.2,
            lambda in 0.5f64..8.0,
        ) {
            let mut problem = if factor_form {
                random_factor_problem(n, seed)
            } else {
                random_problem(n, seed)
            };
            problem.r_max *= risk_slack;
            problem.cr_min = cr_min;
            problem.psi = psi;
            problem.lambda = lambda;
            assert_matches_enumeration(&problem);
        }
    }
}
