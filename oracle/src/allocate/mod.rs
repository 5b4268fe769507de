//! Reserve allocation (protocol §8): the mean–variance QP with transaction
//! costs, risk limit, liquidity caps and CR floor (seed 000), risk parity
//! (seed 002 q6) and minimum expected shortfall (seed 003).
//!
//! The QP and the expected-shortfall LP are solved by clarabel; infeasible
//! inputs come back as [`Infeasibility`], naming the constraint group at fault.

mod bounded;
mod checks;
mod conic;
mod covariance;
#[cfg(test)]
mod enumeration;
mod error;
mod feasibility;
mod generate;
mod min_es;
mod polish;
mod problem;
mod qp;
mod risk_parity;

pub use bounded::{solve_within_volatility, BoundedAllocation};
pub use covariance::{Covariance, FactorModel};
pub use error::{AllocationError, Infeasibility};
pub use generate::{random_factor_problem, random_problem, write_problem_json};
pub use min_es::{minimize_expected_shortfall, ShortfallAllocation, ShortfallProblem};
pub use problem::{AllocationProblem, CollateralModel};
pub use qp::{kkt_residuals, solve_allocation, Allocation, KktResiduals, Multipliers};
pub use risk_parity::{risk_parity, RiskParity, RiskParityProblem};
