//! Shared plumbing for the clarabel problems: CSC assembly column by column,
//! the weight rows every allocation shares, solver settings and status mapping.
//!
//! Clarabel solves min ½xᵀPx + qᵀx s.t. Ax + s = b, s ∈ K. Every problem here
//! starts its rows with the same block over the weights w (columns 0..n):
//! row 0 the budget Σ w = 1 (zero cone), rows 1..=n the bounds −w ≤ 0 and
//! rows n+1..=2n the caps w ≤ cap (non-negative cone). Later rows are the caller's.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, SolverStatus, SupportedConeT};

use super::AllocationError;

/// Duality-gap and feasibility tolerance; tight enough that the QP's KKT
/// residuals land below 1e-7 and its weights within 1e-6 of the exact optimum
/// without polishing.
pub(crate) const TOLERANCE: f64 = 1e-10;

/// Assembles a compressed-sparse-column matrix one column at a time; entries
/// within a column must be pushed in increasing row order.
pub(crate) struct CscBuilder {
    rows: usize,
    colptr: Vec<usize>,
    rowval: Vec<usize>,
    nzval: Vec<f64>,
}

impl CscBuilder {
    pub(crate) fn new(rows: usize, columns: usize, nnz: usize) -> Self {
        let mut colptr = Vec::with_capacity(columns + 1);
        colptr.push(0);
        Self {
            rows,
            colptr,
            rowval: Vec::with_capacity(nnz),
            nzval: Vec::with_capacity(nnz),
        }
    }

    /// Adds entry (row, current column); exact zeros are skipped.
    pub(crate) fn push(&mut self, row: usize, value: f64) {
        debug_assert!(row < self.rows);
        debug_assert!(
            self.colptr.last() == Some(&self.rowval.len()) || self.rowval.last() < Some(&row),
            "rows must increase within a column"
        );
        if value != 0.0 {
            self.rowval.push(row);
            self.nzval.push(value);
        }
    }

    pub(crate) fn end_column(&mut self) {
        self.colptr.push(self.rowval.len());
    }

    pub(crate) fn finish(self) -> CscMatrix<f64> {
        let columns = self.colptr.len() - 1;
        CscMatrix::new(self.rows, columns, self.colptr, self.rowval, self.nzval)
    }
}

/// Rows taken by the budget, bounds and caps over n weights.
pub(crate) const fn weight_rows(n: usize) -> usize {
    1 + 2 * n
}

/// Pushes weight column j's entries in the budget, bound and cap rows.
pub(crate) fn push_weight_block(a: &mut CscBuilder, n: usize, j: usize) {
    a.push(0, 1.0);
    a.push(1 + j, -1.0);
    a.push(1 + n + j, 1.0);
}

/// Right-hand sides of the weight block: 1, then n zeros, then the caps.
pub(crate) fn weight_block_rhs(caps: &[f64]) -> Vec<f64> {
    let mut b = Vec::with_capacity(weight_rows(caps.len()));
    b.push(1.0);
    b.extend(std::iter::repeat_n(0.0, caps.len()));
    b.extend_from_slice(caps);
    b
}

/// Cones for the weight block followed by `extra` inequality rows.
pub(crate) fn cones(n: usize, extra: usize) -> [SupportedConeT<f64>; 2] {
    [
        SupportedConeT::ZeroConeT(1),
        SupportedConeT::NonnegativeConeT(2 * n + extra),
    ]
}

/// An n×n all-zero P, for linear programs.
pub(crate) fn zero_objective(n: usize) -> CscMatrix<f64> {
    CscMatrix::zeros((n, n))
}

/// What clarabel returned, kept only when it is a solution.
pub(crate) struct ConicSolution {
    pub x: Vec<f64>,
    pub z: Vec<f64>,
    pub status: SolverStatus,
    pub iterations: u32,
}

/// Why clarabel did not return a solution.
pub(crate) enum ConicFailure {
    PrimalInfeasible,
    Other(AllocationError),
}

pub(crate) fn solve(
    p: &CscMatrix<f64>,
    q: &[f64],
    a: &CscMatrix<f64>,
    b: &[f64],
    cones: &[SupportedConeT<f64>],
    tolerance: f64,
) -> Result<ConicSolution, ConicFailure> {
    let settings = DefaultSettings {
        verbose: false,
        tol_gap_abs: tolerance,
        tol_gap_rel: tolerance,
        tol_feas: tolerance,
        // Refinement of each KKT solve costs a third of the time at n = 50, and
        // the active-set polish (see `polish`) already takes the answer to
        // machine precision; the enumeration proptest holds without it.
        iterative_refinement_enable: false,
        ..DefaultSettings::default()
    };
    let mut solver = DefaultSolver::new(p, q, a, b, cones, settings).map_err(|e| {
        ConicFailure::Other(AllocationError::Solver {
            status: e.to_string(),
            iterations: 0,
        })
    })?;
    solver.solve();
    let solution = solver.solution;
    match solution.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => Ok(ConicSolution {
            x: solution.x,
            z: solution.z,
            status: solution.status,
            iterations: solution.iterations,
        }),
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => {
            Err(ConicFailure::PrimalInfeasible)
        }
        status => Err(ConicFailure::Other(AllocationError::Solver {
            status: format!("{status:?}"),
            iterations: solution.iterations,
        })),
    }
}
