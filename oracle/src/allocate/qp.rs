//! The allocation QP (protocol §8) solved by clarabel, with its KKT residuals.
//!
//! Variables x = (w, t), 2n of them. Clarabel minimises, so the objective is
//! negated: ½ wᵀ(lambda Sigma)w − (mu + psi k)ᵀw + cᵀt, with CR(w) = kᵀw.
//! Rows after the shared weight block (see `conic`):
//! the CR floor −kᵀw ≤ −CR_min, the risk limit Rᵀw ≤ R_max, then the trade
//! rows w_i − t_i ≤ w0_i and −w_i − t_i ≤ −w0_i (which also give t ≥ 0).

use clarabel::algebra::CscMatrix;
use serde::Serialize;

use super::conic::{self, ConicFailure, CscBuilder};
use super::feasibility;
use super::problem::{dot, AllocationProblem};
use super::AllocationError;

/// The optimal allocation and how well it solves the QP.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allocation {
    /// Asset names, in the problem's order.
    pub assets: Vec<String>,
    /// Target weights w*.
    pub weights: Vec<f64>,
    /// Trade sizes t_i = |w*_i − w0_i| as solved.
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
    /// Interior-point iterations.
    pub iterations: u32,
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
struct Rows {
    n: usize,
}

impl Rows {
    fn cr(&self) -> usize {
        conic::weight_rows(self.n)
    }
    fn risk(&self) -> usize {
        self.cr() + 1
    }
    fn trade_up(&self, i: usize) -> usize {
        self.risk() + 1 + i
    }
    fn trade_down(&self, i: usize) -> usize {
        self.risk() + 1 + self.n + i
    }
    fn total(&self) -> usize {
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

/// Solves the allocation QP, or says which constraint group is infeasible.
pub fn solve_allocation(problem: &AllocationProblem) -> Result<Allocation, AllocationError> {
    problem.validate()?;
    let cr = problem.cr_coefficients();
    feasibility::check_groups(problem, &cr)?;
    let (p, q, a, b) = assemble(problem, &cr);
    let n = problem.len();
    let solution = match conic::solve(&p, &q, &a, &b, &conic::cones(n, 2 + 2 * n)) {
        Ok(solution) => solution,
        Err(ConicFailure::PrimalInfeasible) => {
            return Err(feasibility::diagnose_risk_and_collateral(problem, &cr)?.into())
        }
        Err(ConicFailure::Other(error)) => return Err(error),
    };
    let (weights, trades) = solution.x.split_at(n);
    let residuals = kkt_residuals(problem, weights, trades, &Multipliers::from_z(&solution.z, n));
    Ok(Allocation {
        assets: problem.assets.clone(),
        objective: problem.objective(weights, trades),
        cr_after: dot(weights, &cr),
        risk_used: dot(weights, &problem.risk_scores),
        volatility: problem.variance(weights).max(0.0).sqrt(),
        status: format!("{:?}", solution.status),
        iterations: solution.iterations,
        kkt_residual: residuals.max(),
        weights: weights.to_vec(),
        trades: trades.to_vec(),
    })
}

/// Builds P (upper triangle of lambda Sigma), q, A and b directly in CSC form.
fn assemble(
    problem: &AllocationProblem,
    cr: &[f64],
) -> (CscMatrix<f64>, Vec<f64>, CscMatrix<f64>, Vec<f64>) {
    let n = problem.len();
    let mut p = CscBuilder::new(2 * n, 2 * n, n * (n + 1) / 2);
    for j in 0..n {
        for i in 0..=j {
            p.push(i, problem.lambda * problem.sigma[i][j]);
        }
        p.end_column();
    }
    for _ in 0..n {
        p.end_column();
    }

    let mut q = Vec::with_capacity(2 * n);
    q.extend((0..n).map(|j| -problem.mu[j] - problem.psi * cr[j]));
    q.extend_from_slice(&problem.costs);

    let rows = Rows { n };
    let mut a = CscBuilder::new(rows.total(), 2 * n, 9 * n);
    for j in 0..n {
        conic::push_weight_block(&mut a, n, j);
        a.push(rows.cr(), -cr[j]);
        a.push(rows.risk(), problem.risk_scores[j]);
        a.push(rows.trade_up(j), 1.0);
        a.push(rows.trade_down(j), -1.0);
        a.end_column();
    }
    for j in 0..n {
        a.push(rows.trade_up(j), -1.0);
        a.push(rows.trade_down(j), -1.0);
        a.end_column();
    }

    let mut b = conic::weight_block_rhs(&problem.liquidity_caps);
    b.reserve(2 + 2 * n);
    b.push(-problem.cr_min);
    b.push(problem.r_max);
    b.extend_from_slice(&problem.w0);
    b.extend(problem.w0.iter().map(|w| -w));
    (p.finish(), q, a.finish(), b)
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
    let sigma_w = problem.sigma_times(w);
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
