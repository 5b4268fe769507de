//! What can go wrong when building or solving an allocation.

use serde::Serialize;
use thiserror::Error;

/// Why an allocation problem was rejected or could not be solved.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AllocationError {
    #[error("the problem has no assets")]
    NoAssets,
    #[error("`{field}` has {found} entries, expected {expected} (one per asset)")]
    DimensionMismatch {
        field: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("`{field}` row {row} has {found} entries, expected {expected} like row 0")]
    RaggedRow {
        field: &'static str,
        row: usize,
        expected: usize,
        found: usize,
    },
    #[error("`{field}` entry {index} is not finite")]
    NonFinite { field: &'static str, index: usize },
    #[error("`{field}` entry {index} is {value}, must be non-negative")]
    Negative {
        field: &'static str,
        index: usize,
        value: f64,
    },
    #[error("`{name}` = {value} is invalid: {requirement}")]
    InvalidParameter {
        name: &'static str,
        value: f64,
        requirement: &'static str,
    },
    #[error("`{matrix}` is not symmetric: entry ({row}, {col}) differs from its transpose by {difference:e}")]
    CovarianceNotSymmetric {
        matrix: &'static str,
        row: usize,
        col: usize,
        difference: f64,
    },
    #[error("`{matrix}` is not positive semidefinite: smallest eigenvalue {min_eigenvalue:e}")]
    CovarianceNotPsd {
        matrix: &'static str,
        min_eigenvalue: f64,
    },
    #[error("covariance is singular (smallest eigenvalue {min_eigenvalue:e}); risk parity needs it positive definite")]
    CovarianceSingular { min_eigenvalue: f64 },
    #[error("infeasible: {0}")]
    Infeasible(Infeasibility),
    #[error("solver stopped with status {status} after {iterations} iterations")]
    Solver { status: String, iterations: u32 },
}

/// The group of constraints that cannot be met, with the numbers that show it.
#[derive(Debug, Clone, PartialEq, Serialize, Error)]
#[serde(tag = "group", rename_all = "snake_case")]
pub enum Infeasibility {
    #[error("liquidity caps sum to {cap_sum} < 1 (budget)")]
    LiquidityCaps { cap_sum: f64 },
    #[error("risk limit {r_max} is below the least risky feasible portfolio's score {least_risk}")]
    RiskLimit { r_max: f64, least_risk: f64 },
    #[error("CR_min {cr_min} is unreachable: the best feasible portfolio reaches CR {best_cr}")]
    CollateralFloor { cr_min: f64, best_cr: f64 },
    #[error(
        "risk limit {r_max} and CR_min {cr_min} conflict: within the risk limit the best CR is {best_cr_within_risk}"
    )]
    RiskAndCollateral {
        r_max: f64,
        cr_min: f64,
        best_cr_within_risk: f64,
    },
    #[error("minimum expected return {target} is unreachable: the best feasible portfolio returns {best_return}")]
    ReturnTarget { target: f64, best_return: f64 },
}

impl From<Infeasibility> for AllocationError {
    fn from(reason: Infeasibility) -> Self {
        AllocationError::Infeasible(reason)
    }
}
