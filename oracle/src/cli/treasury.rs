//! `ballast-oracle treasury`: the stress experiment of the treasury spec, its
//! sensitivity sweeps, the depeg tail estimate, and Hawkes calibration.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use serde::Serialize;

use super::output::{progress_bar, progress_counter, read_toml_or_default, Output};
use crate::rng::stream;
use crate::treasury::hawkes::simulate_times;
use crate::treasury::params::{HawkesParams, ModelParams, WINDOWS_PER_DAY};
use crate::treasury::scenario::Scenario;
use crate::treasury::{
    calibrate, estimate_tail, run_experiment, run_sensitivity, write_plots,
    write_sensitivity_plots, write_tail_plot, Calibration, ExperimentConfig, SensitivityConfig,
    TailConfig, TailMethod,
};

#[derive(Subcommand)]
pub enum TreasuryCommand {
    /// Every scenario against every strategy, N seeded runs each (spec section 5).
    Experiment {
        /// TOML experiment config; the spec's defaults when omitted.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Runs per cell (overrides the config).
        #[arg(long)]
        runs: Option<usize>,
        /// Seed (overrides the config).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// The optimal controller's revenue, failure frequency and responsiveness as
    /// the settlement window, the ticket size and the branching ratio move, one at
    /// a time (writes report.json, sensitivity.csv and SVG plots).
    Sensitivity {
        /// TOML sweep config (`baseline` experiment, value lists); the defaults when omitted.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Paths per point (overrides the config; 50 by default).
        #[arg(long)]
        paths: Option<usize>,
        #[arg(long)]
        seed: Option<u64>,
        /// Scenario of every point (overrides the config; single-shock by default).
        #[arg(long, value_enum)]
        scenario: Option<Scenario>,
    },
    /// The optimal controller's depeg probability curve P(max δ ≥ x), far below 1/N.
    Tail {
        /// TOML tail config; the defaults when omitted.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Maximum-likelihood Hawkes fit of event times (a CSV with a `time` column,
    /// in windows); without a file, fits a stream simulated from the default
    /// redemption process and reports how close the fit came.
    Calibrate {
        #[arg(long)]
        events: Option<PathBuf>,
        /// Observation horizon in windows (default: the last event time).
        #[arg(long)]
        horizon: Option<f64>,
        /// Days simulated when no file is given.
        #[arg(long, default_value_t = 30)]
        days: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

pub fn run(command: TreasuryCommand, root: &Path, json: bool) -> Result<()> {
    match command {
        TreasuryCommand::Experiment { config, runs, seed } => {
            let mut config: ExperimentConfig = read_toml_or_default(config.as_deref())?;
            config.runs = runs.unwrap_or(config.runs);
            config.seed = seed.unwrap_or(config.seed);
            experiment(&config, &Output::create(root, "treasury-experiment", json)?)
        }
        TreasuryCommand::Sensitivity {
            config,
            paths,
            seed,
            scenario,
        } => {
            let mut config: SensitivityConfig = read_toml_or_default(config.as_deref())?;
            config.baseline.runs = paths.unwrap_or(config.baseline.runs);
            config.baseline.seed = seed.unwrap_or(config.baseline.seed);
            config.scenario = scenario.unwrap_or(config.scenario);
            sensitivity(
                &config,
                &Output::create(root, "treasury-sensitivity", json)?,
            )
        }
        TreasuryCommand::Tail { config, seed } => {
            let mut config: TailConfig = read_toml_or_default(config.as_deref())?;
            config.seed = seed.unwrap_or(config.seed);
            tail(&config, &Output::create(root, "treasury-tail", json)?)
        }
        TreasuryCommand::Calibrate {
            events,
            horizon,
            days,
            seed,
        } => {
            let output = Output::create(root, "treasury-calibrate", json)?;
            calibration(events.as_deref(), horizon, days, seed, &output)
        }
    }
}

fn experiment(config: &ExperimentConfig, output: &Output) -> Result<()> {
    let total = 9 * config.runs;
    let bar = progress_bar(total, "runs");
    let started = std::time::Instant::now();
    let report = run_experiment(config, |done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let markdown = report.to_markdown();
    let table = output.path("report.md");
    std::fs::write(&table, &markdown)
        .with_context(|| format!("cannot write {}", table.display()))?;
    let plots = write_plots(&report, &output.dir)?;
    let summary = format!(
        "{markdown}\n{total} runs of 92 days in {:.1} s\ntable:  {}",
        started.elapsed().as_secs_f64(),
        table.display()
    );
    output.finish(&report, &summary, &plots)
}

fn sensitivity(config: &SensitivityConfig, output: &Output) -> Result<()> {
    let total = config.total_paths();
    let bar = progress_bar(total, "paths");
    let started = std::time::Instant::now();
    let report = run_sensitivity(config, |done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let csv = output.path("sensitivity.csv");
    std::fs::write(&csv, report.to_csv())
        .with_context(|| format!("cannot write {}", csv.display()))?;
    let plots = write_sensitivity_plots(&report, &output.dir)?;
    let summary = format!(
        "{}\n{total} paths in {:.1} s\ncsv:    {}",
        report.to_markdown(),
        started.elapsed().as_secs_f64(),
        csv.display()
    );
    output.finish(&report, &summary, &plots)
}

fn tail(config: &TailConfig, output: &Output) -> Result<()> {
    let counter = progress_counter("paths");
    let started = std::time::Instant::now();
    let estimate = estimate_tail(config, |done| counter.set_position(done as u64))?;
    counter.finish_and_clear();
    let plot = output.path("tail.svg");
    write_tail_plot(&estimate, config.confidence, &plot)?;
    let mut summary = format!(
        "P(max δ ≥ x) for the optimal controller, {:?}, {} {}, {} windows simulated in {:.1} s",
        config.scenario,
        estimate.samples,
        match config.method {
            TailMethod::Splitting(_) => "replicates",
            _ => "paths",
        },
        estimate.simulated_windows,
        started.elapsed().as_secs_f64()
    );
    for point in &estimate.points {
        summary += &format!(
            "
  x = {:>5.1} bp   p = {:.3e} ± {:.0}%   {:.0}% CI [{:.3e}, {:.3e}]",
            1e4 * point.threshold,
            point.probability,
            100.0 * point.relative_error(),
            100.0 * config.confidence,
            point.ci_lower,
            point.ci_upper
        );
        if let Some(ess) = point.effective_sample_size {
            summary += &format!("   {} hits, effective {ess:.0}", point.hits);
        }
    }
    if estimate.extinct_replicates > 0 {
        summary += &format!(
            "\n  {} replicates went extinct: the highest points' intervals understate the uncertainty",
            estimate.extinct_replicates
        );
    }
    if !estimate.unreached_thresholds.is_empty() {
        summary += &format!(
            "\n  not reached within max_iterations: x = {:.1?} bp",
            estimate
                .unreached_thresholds
                .iter()
                .map(|x| 1e4 * x)
                .collect::<Vec<_>>()
        );
    }
    output.finish(&estimate, &summary, &[plot])
}

/// The fit, and the truth when the events were simulated.
#[derive(Serialize)]
struct CalibrationReport {
    source: String,
    horizon_windows: f64,
    fit: Calibration,
    truth: Option<HawkesParams>,
    /// (estimate − truth) / standard error, per parameter, when the truth is known.
    z_scores: Option<[f64; 3]>,
}

fn calibration(
    events: Option<&Path>,
    horizon: Option<f64>,
    days: usize,
    seed: u64,
    output: &Output,
) -> Result<()> {
    let (source, times, truth, default_horizon) = match events {
        Some(path) => {
            let times = read_event_times(path)?;
            let last = times.last().copied().unwrap_or(0.0);
            (path.display().to_string(), times, None, last)
        }
        None => {
            let truth = ModelParams::default().flows.redemption;
            let horizon = (days * WINDOWS_PER_DAY) as f64;
            let times = simulate_times(&truth, horizon, &mut stream(seed, 0));
            (
                format!("simulated default redemption flow, {days} days, seed {seed}"),
                times,
                Some(truth),
                horizon,
            )
        }
    };
    let horizon = horizon.unwrap_or(default_horizon);
    let fit = calibrate(&times, horizon)?;
    let z_scores = truth.map(|t| {
        let (p, se) = (fit.params, fit.standard_errors);
        [
            (p.mu - t.mu) / se.mu,
            (p.alpha - t.alpha) / se.alpha,
            (p.beta - t.beta) / se.beta,
        ]
    });
    let report = CalibrationReport {
        source,
        horizon_windows: horizon,
        fit,
        truth,
        z_scores,
    };
    let (p, se) = (fit.params, fit.standard_errors);
    let mut summary = format!(
        "{} events over {horizon} windows ({})\n  mu    = {:.6} ± {:.6}\n  alpha = {:.6} ± {:.6}\n  beta  = {:.6} ± {:.6}",
        fit.events, report.source, p.mu, se.mu, p.alpha, se.alpha, p.beta, se.beta
    );
    if let (Some(t), Some(z)) = (truth, z_scores) {
        summary += &format!(
            "\n  truth mu = {}, alpha = {}, beta = {}; z-scores {:.2}, {:.2}, {:.2}",
            t.mu, t.alpha, t.beta, z[0], z[1], z[2]
        );
    }
    output.finish(&report, &summary, &[])
}

/// Event times from a CSV with a `time` column; errors name the file and line.
fn read_event_times(path: &Path) -> Result<Vec<f64>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let column = reader
        .headers()
        .with_context(|| format!("{}: no header row", path.display()))?
        .iter()
        .position(|h| h.trim() == "time")
        .with_context(|| format!("{}: no `time` column", path.display()))?;
    let mut times = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record =
            record.with_context(|| format!("{}:{line}: unreadable row", path.display()))?;
        let field = record.get(column).unwrap_or("").trim();
        let time: f64 = field
            .parse()
            .ok()
            .filter(|t: &f64| t.is_finite())
            .with_context(|| {
                format!(
                    "{}:{line}: column `time`: {field:?} is not a finite number",
                    path.display()
                )
            })?;
        times.push(time);
    }
    Ok(times)
}
