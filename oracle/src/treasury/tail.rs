//! Depeg probability of the optimal controller far below 1/N, by importance
//! sampling on the Hawkes redemption baseline.
//!
//! Under the proposal Q the redemption baseline μ_R(t) (before the peg feedback) is
//! multiplied by θ on a stretch of windows; the controller is unchanged and sees the
//! tilted flows. For a point process whose intensity changes from λ to λ̃ the
//! likelihood ratio is dP/dQ = exp(Σ_i log(λ/λ̃)(t_i) − ∫(λ − λ̃) dt), here with
//! λ̃ − λ = (θ − 1)μ_R(t); the excitation and feedback terms are common to both.
//! A path stops (is absorbed) as soon as δ reaches the threshold: the event is then
//! decided, and the ratio up to that stopping time is the right weight.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::function::erf::erfc_inv;

use super::params::{ControllerOptions, ModelParams, WINDOWS_PER_DAY};
use super::scenario::{Scenario, ScenarioSettings};
use super::simulate::{simulate_path, BaselineTilt, SimulationOptions};
use super::strategy::OptimalController;
use super::{check, TreasuryError};
use crate::rng::stream;

/// The tail-risk estimation; deserialisable from TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TailConfig {
    pub seed: u64,
    /// Importance-sampling paths.
    pub runs: usize,
    pub model: ModelParams,
    pub controller: ControllerOptions,
    pub scenario: Scenario,
    pub scenarios: ScenarioSettings,
    /// Horizon; its absorbing deviation is replaced by `threshold`.
    pub simulation: SimulationOptions,
    /// [C] Depeg event: max δ ≥ threshold (1 %, the headline δ_fail).
    pub threshold: f64,
    /// [C] Proposal: redemption baseline factor θ (1 = plain Monte Carlo). The
    /// proposal's cost is its Kullback–Leibler divergence ≈ Σ_windows μ_R (θ − 1)²/2,
    /// which must stay near 1 nat for usable weights: with the paper's 2,400
    /// redemptions per shocked window over 15 days, θ = 1.005 (≈ 1.4 nats).
    pub tilt: f64,
    /// [C] Proposal: days [from, to) on which the baseline is tilted (the shock).
    pub tilt_days: (f64, f64),
    /// Two-sided confidence level of the interval: 95 %.
    pub confidence: f64,
}

impl Default for TailConfig {
    fn default() -> Self {
        Self {
            seed: 6,
            runs: 2000,
            model: ModelParams::default(),
            controller: ControllerOptions::default(),
            scenario: Scenario::SingleShock,
            scenarios: ScenarioSettings::default(),
            simulation: SimulationOptions::default(),
            threshold: 0.01,
            tilt: 1.005,
            tilt_days: (30.0, 45.0),
            confidence: 0.95,
        }
    }
}

/// The estimate and its diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TailEstimate {
    pub probability: f64,
    pub standard_error: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// standard_error / probability (infinite when nothing hit).
    pub relative_error: f64,
    /// Kish effective sample size (Σw)²/Σw² of the weights of the paths that hit.
    pub effective_sample_size: f64,
    /// Paths that hit under the proposal.
    pub hits: usize,
    pub runs: usize,
}

impl TailConfig {
    pub fn validate(&self) -> Result<(), TreasuryError> {
        self.model.validate()?;
        self.controller.validate()?;
        check("runs", self.runs as f64, self.runs >= 2, "must be >= 2")?;
        check(
            "threshold",
            self.threshold,
            self.threshold > 0.0,
            "must be > 0",
        )?;
        check("tilt", self.tilt, self.tilt > 0.0, "must be > 0")?;
        let (from, to) = self.tilt_days;
        check(
            "tilt_days",
            from,
            0.0 <= from && from <= to,
            "need 0 <= from <= to",
        )?;
        let c = self.confidence;
        check("confidence", c, 0.0 < c && c < 1.0, "must lie in (0, 1)")
    }
}

/// Estimates P(max δ ≥ threshold) for the optimal controller. `progress` receives
/// the number of finished paths.
pub fn estimate_tail(
    config: &TailConfig,
    progress: impl Fn(usize) + Sync,
) -> Result<TailEstimate, TreasuryError> {
    config.validate()?;
    let simulation = SimulationOptions {
        absorbing_deviation: config.threshold,
        ..config.simulation
    };
    let window = |day: f64| (day * WINDOWS_PER_DAY as f64).round() as usize;
    let tilt = BaselineTilt {
        factor: config.tilt,
        windows: window(config.tilt_days.0)..window(config.tilt_days.1),
    };
    let finished = AtomicUsize::new(0);
    let weights: Vec<f64> = (0..config.runs)
        .into_par_iter()
        .map(|run| {
            let mut controller = OptimalController::new(config.model, config.controller);
            let supply = config.model.supply;
            let record = simulate_path(
                &config.model,
                &config.scenarios,
                config.scenario,
                &simulation,
                (0.1 * supply, 0.9 * supply),
                &mut controller,
                Some(tilt.clone()),
                &mut stream(config.seed, run as u64),
            );
            progress(finished.fetch_add(1, Ordering::Relaxed) + 1);
            if record.max_deviation() >= config.threshold {
                record.log_likelihood_ratio.exp()
            } else {
                0.0
            }
        })
        .collect();
    Ok(summarise(&weights, config.confidence))
}

/// Mean of the weighted indicators with a normal interval (clipped at 0).
pub fn summarise(weights: &[f64], confidence: f64) -> TailEstimate {
    let n = weights.len() as f64;
    let probability = weights.iter().sum::<f64>() / n;
    let variance = weights
        .iter()
        .map(|w| (w - probability).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    let standard_error = (variance / n).sqrt();
    let z = std::f64::consts::SQRT_2 * erfc_inv(1.0 - confidence);
    let hits = weights.iter().filter(|&&w| w > 0.0).count();
    let sum_squares: f64 = weights.iter().map(|w| w * w).sum();
    TailEstimate {
        probability,
        standard_error,
        ci_lower: (probability - z * standard_error).max(0.0),
        ci_upper: probability + z * standard_error,
        relative_error: standard_error / probability,
        effective_sample_size: if sum_squares > 0.0 {
            (probability * n).powi(2) / sum_squares
        } else {
            0.0
        },
        hits,
        runs: weights.len(),
    }
}
