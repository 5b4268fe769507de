//! Treasury control: the cash-versus-bills reallocation and the mint/burn fee
//! of `/work/shared/spec/treasury-control.md` (arXiv:2508.09429, seed 004).
//!
//! Time is measured in settlement windows (Δ = 8 h); every rate is per window.
//! The pieces, in the order the controller uses them:
//!
//! * [`hawkes`]: exponential-kernel Hawkes flows (exact simulation, the
//!   intensity filter, the log-likelihood) and [`calibrate`] (maximum likelihood).
//! * [`forecast`]: the moment-closure forecast per window (eqs. 19–20), with the
//!   variance-aware [E] closure; [`peg`]: the window shortfall and peg dynamics.
//! * [`mpc`]: the window MPC of spec §6.1 (discrete adjoint, Theorem 3.1) and
//!   [`fee`]: the fee law (41).
//! * [`strategy`]: the optimal controller with baseline re-estimation, and the
//!   max-yield and max-liquidity benchmarks.
//! * [`simulate`], [`experiment`], [`report`]: the stress experiment of §5;
//!   [`sensitivity`]: the sweeps over Δ, the ticket size and the branching ratio.
//! * [`tail`]: the depeg probability curve far below 1/N, by adaptive multilevel
//!   splitting on a steppable, cloneable path ([`simulate::PathState`]).

pub mod calibrate;
pub mod experiment;
pub mod fee;
pub mod forecast;
pub mod hawkes;
pub mod mpc;
pub mod params;
pub mod peg;
pub mod report;
pub mod scenario;
pub mod sensitivity;
pub mod simulate;
pub mod strategy;
pub mod tail;

pub use calibrate::{calibrate, Calibration};
pub use experiment::{run_experiment, ExperimentConfig};
pub use report::{write_plots, ExperimentReport};
pub use sensitivity::{
    run_sensitivity, write_sensitivity_plots, SensitivityConfig, SensitivityReport,
};
pub use tail::{estimate_tail, write_tail_plot, TailConfig, TailEstimate, TailMethod};

/// Everything in the treasury module that can fail on bad input.
#[derive(Debug, thiserror::Error)]
pub enum TreasuryError {
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        name: &'static str,
        value: f64,
        reason: &'static str,
    },
    #[error("calibration needs at least {needed} events in (0, {horizon}], got {got}")]
    TooFewEvents {
        needed: usize,
        got: usize,
        horizon: f64,
    },
    #[error(
        "event times must be finite, sorted and inside (0, {horizon}]; event {index} is {time}"
    )]
    BadEventTime {
        index: usize,
        time: f64,
        horizon: f64,
    },
    #[error("the observed information matrix is not positive definite at the maximum; the fit is not identified")]
    NotIdentified,
    #[error("multilevel splitting stalled: {iterations} iterations without passing the thresholds (level {level})")]
    SplittingStalled { iterations: usize, level: f64 },
    #[error(transparent)]
    Plot(#[from] crate::plot::PlotError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Checks `value` with `ok`, naming the parameter in the error.
pub(crate) fn check(
    name: &'static str,
    value: f64,
    ok: bool,
    reason: &'static str,
) -> Result<(), TreasuryError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(TreasuryError::InvalidParameter {
            name,
            value,
            reason,
        })
    }
}
