//! The stress experiment of spec §5: every scenario against every strategy, N
//! seeded runs each, in parallel.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::params::{ControllerOptions, ModelParams};
use super::report::{summarise_cell, ExperimentReport};
use super::scenario::{Scenario, ScenarioSettings};
use super::simulate::{simulate_path, PathRecord, SimulationOptions};
use super::strategy::Strategy;
use super::{check, TreasuryError};
use crate::rng::stream;

/// How the paths are summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricOptions {
    /// [C] Failure thresholds on max δ: 0.5 %, 1 % (the headline, δ_fail) and 100 %.
    pub failure_thresholds: Vec<f64>,
    /// [C] Responsiveness: the bills → cash speed must exceed its pre-onset level by
    /// ε = this fraction of S_0 per window (0.1 %).
    pub responsiveness_threshold_fraction: f64,
    /// [C] Report the lag from the first informed epoch (onset + Δ), so that reacting
    /// at the first opportunity counts as 0 days (the paper's convention, as MY shows 0).
    pub lag_from_first_informed_epoch: bool,
    /// [C] Quantiles of the trajectory bands in the plots: 10 % and 90 %.
    pub band_quantiles: (f64, f64),
    /// Days over which false-alarm turnover and peak cash are measured: 30–40 [S].
    pub inspection_days: (f64, f64),
}

impl Default for MetricOptions {
    fn default() -> Self {
        Self {
            failure_thresholds: vec![0.005, 0.01, 1.0],
            responsiveness_threshold_fraction: 0.001,
            lag_from_first_informed_epoch: true,
            band_quantiles: (0.1, 0.9),
            inspection_days: (30.0, 40.0),
        }
    }
}

/// Everything the experiment depends on; deserialisable from TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExperimentConfig {
    pub seed: u64,
    /// Runs per (scenario, strategy) cell: 100 [S].
    pub runs: usize,
    pub model: ModelParams,
    pub controller: ControllerOptions,
    pub scenarios: ScenarioSettings,
    pub simulation: SimulationOptions,
    pub metrics: MetricOptions,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        Self {
            seed: 2025,
            runs: 100,
            model: ModelParams::default(),
            controller: ControllerOptions::default(),
            scenarios: ScenarioSettings::default(),
            simulation: SimulationOptions::default(),
            metrics: MetricOptions::default(),
        }
    }
}

impl ExperimentConfig {
    pub fn validate(&self) -> Result<(), TreasuryError> {
        self.model.validate()?;
        self.controller.validate()?;
        self.simulation.validate()?;
        check("runs", self.runs as f64, self.runs >= 1, "must be >= 1")?;
        let days = self.simulation.days as f64;
        let onset = self.scenarios.onset_day;
        check("days", days, days >= 1.0, "must be >= 1")?;
        check(
            "onset_day",
            onset,
            onset >= 1.0 && onset < days,
            "must lie inside the simulated days, after day 1",
        )?;
        let (lo, hi) = self.metrics.band_quantiles;
        check(
            "band_quantiles",
            lo,
            0.0 <= lo && lo < hi && hi <= 1.0,
            "need 0 <= lower < upper <= 1",
        )?;
        for &t in &self.metrics.failure_thresholds {
            check("failure_thresholds", t, t > 0.0, "must be > 0")?;
        }
        Ok(())
    }

    /// Epoch of the scenario onset.
    pub fn onset_window(&self) -> usize {
        self.simulation.window_of_day(self.scenarios.onset_day)
    }
}

/// The runs of every cell, cell-major: run `k` of every cell draws from
/// `stream(seed, k)`, so strategies face common random numbers and results do not
/// depend on the thread count. `progress` receives the number of finished runs.
pub fn simulate_cells(
    config: &ExperimentConfig,
    cells: &[(Scenario, Strategy)],
    progress: impl Fn(usize) + Sync,
) -> Vec<PathRecord> {
    let runs = config.runs;
    let finished = AtomicUsize::new(0);
    (0..cells.len() * runs)
        .into_par_iter()
        .map(|index| {
            let (scenario, strategy) = cells[index / runs];
            let run = index % runs;
            let mut policy = strategy.policy(&config.model, &config.controller);
            let record = simulate_path(
                &config.model,
                &config.scenarios,
                scenario,
                &config.simulation,
                strategy.initial_reserves(config.model.supply),
                policy.as_mut(),
                None,
                &mut stream(config.seed, run as u64),
            );
            progress(finished.fetch_add(1, Ordering::Relaxed) + 1);
            record
        })
        .collect()
}

/// Runs the 3 × 3 experiment and summarises it.
pub fn run_experiment(
    config: &ExperimentConfig,
    progress: impl Fn(usize) + Sync,
) -> Result<ExperimentReport, TreasuryError> {
    config.validate()?;
    let cells: Vec<(Scenario, Strategy)> = Scenario::ALL
        .iter()
        .flat_map(|&sc| Strategy::ALL.iter().map(move |&st| (sc, st)))
        .collect();
    let paths = simulate_cells(config, &cells, progress);
    let summaries = cells
        .iter()
        .zip(paths.chunks(config.runs))
        .map(|(&(scenario, strategy), runs)| summarise_cell(config, scenario, strategy, runs))
        .collect();
    Ok(ExperimentReport {
        config: config.clone(),
        cells: summaries,
    })
}
