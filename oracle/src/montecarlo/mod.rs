//! Monte Carlo: GBM discretisation schemes (log-exact, Euler–Maruyama,
//! Milstein), the correlated multi-asset simulation of the reserve's value and
//! collateral ratio, binomial confidence intervals for breach probabilities,
//! and VaR / ES. Every path draws from its own `crate::rng::stream`, so
//! results do not depend on the thread count.

mod cholesky;
mod error;
mod intervals;
mod position;
mod reserve;
mod schemes;
mod tail;

pub use cholesky::psd_cholesky;
pub use error::McError;
pub use intervals::{clopper_pearson_interval, wilson_interval, Interval};
pub use position::ReservePosition;
pub use reserve::{
    simulate_reserve, simulate_reserve_values, McConfig, McResult, ReserveModel, Shocks,
    ThresholdProbability,
};
pub use schemes::{coarsen, Gbm, Scheme};
pub use tail::{tail_mass, tail_risk, Histogram, TailRisk};
