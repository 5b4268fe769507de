//! Sensitivity analyses of the paper's §4 (seed 004): the optimal controller in
//! one scenario with one parameter moved at a time, the rest at the baseline:
//!
//! * the settlement window Δ (hours), every per-window rate converted so that
//!   the market and the costs per hour stay the same ([`rescale_window`]);
//! * the ticket size: both mean tickets m̄_R and m̄_M times a factor, so the
//!   mean net flow stays 0 at baseline ([`with_ticket_scale`]);
//! * the Hawkes branching ratio n = α/β of both flows, with μ and β kept
//!   ([`with_branching_ratio`]).
//!
//! Each point is one cell of the stress experiment ([`simulate_cells`] and
//! [`summarise_cell`]): revenue, failure frequency and responsiveness, with the
//! experiment's [`MetricOptions`](super::experiment::MetricOptions). Points
//! share the seed, so every point sees the same random streams.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::experiment::{simulate_cells, ExperimentConfig};
use super::report::{summarise_cell, CellReport, Responsiveness};
use super::scenario::Scenario;
use super::strategy::Strategy;
use super::{check, TreasuryError};
use crate::plot::{line_chart, Labels, Series};

/// The parameters the sweep moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweptParameter {
    /// Settlement window Δ, hours.
    WindowHours,
    /// Factor on both mean tickets m̄_R, m̄_M.
    TicketScale,
    /// Branching ratio n = α/β of both flows.
    BranchingRatio,
}

impl SweptParameter {
    pub const ALL: [SweptParameter; 3] = [
        SweptParameter::WindowHours,
        SweptParameter::TicketScale,
        SweptParameter::BranchingRatio,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SweptParameter::WindowHours => "window Δ (h)",
            SweptParameter::TicketScale => "ticket size (× m̄)",
            SweptParameter::BranchingRatio => "branching ratio n",
        }
    }

    /// The baseline's value of the parameter.
    pub fn baseline_value(self, baseline: &ExperimentConfig) -> f64 {
        match self {
            SweptParameter::WindowHours => baseline.simulation.window_hours,
            SweptParameter::TicketScale => 1.0,
            SweptParameter::BranchingRatio => baseline.model.flows.redemption.branching_ratio(),
        }
    }

    /// The baseline with this parameter set to `value`.
    pub fn apply(self, baseline: &ExperimentConfig, value: f64) -> ExperimentConfig {
        match self {
            SweptParameter::WindowHours => rescale_window(baseline, value),
            SweptParameter::TicketScale => with_ticket_scale(baseline, value),
            SweptParameter::BranchingRatio => with_branching_ratio(baseline, value),
        }
    }
}

/// What the sweep runs; deserialisable from TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SensitivityConfig {
    /// The baseline experiment; its `runs` are the paths per point.
    pub baseline: ExperimentConfig,
    /// The scenario every point runs: the single shock, where responsiveness is defined.
    pub scenario: Scenario,
    /// Δ in hours; each must divide a day.
    pub window_hours: Vec<f64>,
    pub ticket_scales: Vec<f64>,
    /// Each must be < 1 (subcritical), and at most the clustering scenario's 0.85
    /// if that scenario runs.
    pub branching_ratios: Vec<f64>,
    /// δ_fail of the summary table and the failure plot; one of the baseline's
    /// `metrics.failure_thresholds` (the CSV has them all).
    pub failure_threshold: f64,
}

impl Default for SensitivityConfig {
    fn default() -> Self {
        Self {
            baseline: ExperimentConfig {
                runs: 50,
                ..ExperimentConfig::default()
            },
            scenario: Scenario::SingleShock,
            window_hours: vec![4.0, 6.0, 8.0, 12.0, 24.0],
            ticket_scales: vec![0.5, 1.0, 1.5, 2.0, 3.0],
            branching_ratios: vec![0.3, 0.4, 0.5, 0.6, 0.7],
            failure_threshold: 0.01,
        }
    }
}

impl SensitivityConfig {
    /// Every point of the sweep as (parameter, value, its experiment), in order.
    pub fn variants(&self) -> Vec<(SweptParameter, f64, ExperimentConfig)> {
        SweptParameter::ALL
            .iter()
            .flat_map(|&parameter| {
                self.values(parameter)
                    .iter()
                    .map(move |&value| (parameter, value, parameter.apply(&self.baseline, value)))
            })
            .collect()
    }

    pub fn values(&self, parameter: SweptParameter) -> &[f64] {
        match parameter {
            SweptParameter::WindowHours => &self.window_hours,
            SweptParameter::TicketScale => &self.ticket_scales,
            SweptParameter::BranchingRatio => &self.branching_ratios,
        }
    }

    /// Paths the sweep simulates: points that repeat the baseline run once.
    pub fn total_paths(&self) -> usize {
        distinct(self.variants().into_iter().map(|(_, _, c)| c))
            .iter()
            .map(|c| c.runs)
            .sum()
    }

    pub fn validate(&self) -> Result<(), TreasuryError> {
        self.baseline.validate()?;
        let t = self.failure_threshold;
        check(
            "failure_threshold",
            t,
            self.baseline.metrics.failure_thresholds.contains(&t),
            "must be one of metrics.failure_thresholds",
        )?;
        for &scale in &self.ticket_scales {
            check("ticket_scales", scale, scale > 0.0, "must be > 0")?;
        }
        for &n in &self.branching_ratios {
            check("branching_ratios", n, n >= 0.0, "must be >= 0")?;
        }
        for &hours in &self.window_hours {
            check("window_hours", hours, hours > 0.0, "must be > 0")?;
        }
        self.variants()
            .iter()
            .try_for_each(|(_, _, experiment)| experiment.validate())
    }
}

/// `configs` without repeats, in first-seen order.
fn distinct(configs: impl Iterator<Item = ExperimentConfig>) -> Vec<ExperimentConfig> {
    let mut seen: Vec<ExperimentConfig> = Vec::new();
    for config in configs {
        if !seen.contains(&config) {
            seen.push(config);
        }
    }
    seen
}

/// `config` with settlement window Δ' = `hours` in place of its Δ. Every
/// per-window quantity is converted at ω = Δ'/Δ so that rates per hour stay put:
///
/// * intensities μ, α, β and the peg feedback κ (events per window) × ω, so n = α/β
///   and λ per hour are unchanged;
/// * r_B and ρ × ω; the running costs w_δ, w_f and the fee effectiveness γ × ω;
///   ψ becomes 1 − (1 − ψ)^ω;
/// * u_max × ω (the same reallocation speed per hour); c_2 / ω, since moving r at
///   a constant speed over Δ' costs c_2 r²/Δ' (c_1 per USD is unchanged);
/// * the horizon T_h and the baseline half-life keep their length in hours
///   (T_h ≥ 1 window); ε of the responsiveness × ω (the same speed per hour).
///
/// η (per unit of shortfall), the tickets, S_0 and the scenario's days are kept.
pub fn rescale_window(config: &ExperimentConfig, hours: f64) -> ExperimentConfig {
    let omega = hours / config.simulation.window_hours;
    let mut out = config.clone();
    let model = &mut out.model;
    for kernel in [&mut model.flows.redemption, &mut model.flows.mint] {
        kernel.mu *= omega;
        kernel.alpha *= omega;
        kernel.beta *= omega;
    }
    model.flows.peg_feedback *= omega;
    model.bill_rate *= omega;
    model.discount_rate *= omega;
    model.peg_weight *= omega;
    model.fee_weight *= omega;
    model.fee_effectiveness *= omega;
    model.peg_relaxation = 1.0 - (1.0 - model.peg_relaxation).powf(omega);
    model.max_reallocation_fraction *= omega;
    model.quadratic_cost /= omega;
    let controller = &mut out.controller;
    controller.horizon_windows =
        ((controller.horizon_windows as f64 / omega).round() as usize).max(1);
    controller.baseline_half_life_windows /= omega;
    out.metrics.responsiveness_threshold_fraction *= omega;
    out.simulation.window_hours = hours;
    out
}

/// `config` with both mean tickets m̄_R, m̄_M times `scale` (their ratio, and so
/// the zero mean net flow at baseline, kept).
pub fn with_ticket_scale(config: &ExperimentConfig, scale: f64) -> ExperimentConfig {
    let mut out = config.clone();
    out.model.flows.redemption_ticket *= scale;
    out.model.flows.mint_ticket *= scale;
    out
}

/// `config` with branching ratio n = α/β for both flows: α = nβ, with μ and β
/// kept (so the stationary intensity μ/(1 − n) moves with n, as in the paper's
/// clustering scenario).
pub fn with_branching_ratio(config: &ExperimentConfig, n: f64) -> ExperimentConfig {
    let mut out = config.clone();
    for kernel in [&mut out.model.flows.redemption, &mut out.model.flows.mint] {
        kernel.alpha = n * kernel.beta;
    }
    out
}

/// One point of the sweep: the optimal controller's cell at that parameter value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityPoint {
    pub parameter: SweptParameter,
    pub value: f64,
    /// value / the baseline's value, the common x axis of the plots.
    pub relative_value: f64,
    pub cell: CellReport,
}

impl SensitivityPoint {
    /// P(max δ ≥ `threshold`), if the metrics measured that threshold.
    pub fn failure_rate(&self, threshold: f64) -> Option<f64> {
        self.cell
            .failure
            .iter()
            .find(|f| f.threshold == threshold)
            .map(|f| f.frequency)
    }

    /// Mean lag in days over the paths that reacted (None if none did, or n/a).
    pub fn mean_lag_days(&self) -> Option<f64> {
        self.cell.responsiveness.and_then(|r| r.mean_lag_days)
    }
}

/// The sweep's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityReport {
    pub config: SensitivityConfig,
    pub points: Vec<SensitivityPoint>,
}

/// Runs every point of the sweep (the baseline once). `progress` receives the
/// number of paths finished so far, out of [`SensitivityConfig::total_paths`].
pub fn run_sensitivity(
    config: &SensitivityConfig,
    progress: impl Fn(usize) + Sync,
) -> Result<SensitivityReport, TreasuryError> {
    config.validate()?;
    let cell = [(config.scenario, Strategy::Optimal)];
    let mut done: Vec<(ExperimentConfig, CellReport)> = Vec::new();
    let mut finished = 0;
    let mut points = Vec::new();
    for (parameter, value, experiment) in config.variants() {
        let report = match done.iter().find(|(c, _)| *c == experiment) {
            Some((_, report)) => report.clone(),
            None => {
                let paths = simulate_cells(&experiment, &cell, |n| progress(finished + n));
                finished += paths.len();
                let report =
                    summarise_cell(&experiment, config.scenario, Strategy::Optimal, &paths);
                done.push((experiment, report.clone()));
                report
            }
        };
        points.push(SensitivityPoint {
            parameter,
            value,
            relative_value: value / parameter.baseline_value(&config.baseline),
            cell: report,
        });
    }
    Ok(SensitivityReport {
        config: config.clone(),
        points,
    })
}

impl SensitivityReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report is plain data")
    }

    /// One row per point: revenue (USD, mean and SE), every failure frequency,
    /// absorption, median max δ, the calm cash buffer (peak cash held after the
    /// trade over the days before the onset, mean, USD) and responsiveness (empty
    /// where undefined).
    pub fn to_csv(&self) -> String {
        let thresholds = &self.config.baseline.metrics.failure_thresholds;
        let mut csv =
            String::from("parameter,value,relative_value,runs,revenue_usd,revenue_se_usd");
        for t in thresholds {
            let _ = write!(csv, ",failure_max_deviation_ge_{t}");
        }
        csv += ",absorbed,median_max_deviation,calm_peak_cash_usd,mean_lag_days,reacting_runs\n";
        for p in &self.points {
            let c = &p.cell;
            let name = serde_json::to_value(p.parameter).expect("plain enum");
            let _ = write!(
                csv,
                "{},{},{},{},{},{}",
                name.as_str().unwrap_or_default(),
                p.value,
                p.relative_value,
                c.runs,
                c.revenue.mean,
                c.revenue.standard_error
            );
            for &t in thresholds {
                let _ = write!(csv, ",{}", p.failure_rate(t).unwrap_or(f64::NAN));
            }
            let (lag, reacting) = match c.responsiveness {
                Some(Responsiveness {
                    mean_lag_days,
                    reacting_runs,
                }) => (
                    mean_lag_days.map(|d| d.to_string()).unwrap_or_default(),
                    reacting_runs.to_string(),
                ),
                None => (String::new(), String::new()),
            };
            let _ = writeln!(
                csv,
                ",{},{},{},{lag},{reacting}",
                c.absorbed, c.median_max_deviation, c.calm_peak_cash.mean
            );
        }
        csv
    }

    /// The table of the summary: one row per point.
    pub fn to_markdown(&self) -> String {
        let config = &self.config;
        let fail = config.failure_threshold;
        let mut md = format!(
            "# Treasury sensitivity: optimal controller, {}\n\n{} paths per point, seed {}, {} days; one parameter moved at a time. \
             Absorbed: δ reached 100% or supply fell below its floor. Calm cash buffer: peak cash held over the days before the onset.\n\n",
            config.scenario.label(),
            config.baseline.runs,
            config.baseline.seed,
            config.baseline.simulation.days
        );
        let _ = writeln!(
            md,
            "| parameter | value | revenue (USD M, ± SE) | P(max δ ≥ {:.1}%) | absorbed | median max δ (bp) | calm cash buffer (USD M) | responsiveness (days) |",
            100.0 * fail
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for p in &self.points {
            let c = &p.cell;
            let _ = writeln!(
                md,
                "| {} | {} | {:.1} ± {:.1} | {:.1}% | {:.1}% | {:.1} | {:.1} | {} |",
                p.parameter.label(),
                p.value,
                c.revenue.mean / 1e6,
                c.revenue.standard_error / 1e6,
                100.0 * p.failure_rate(fail).unwrap_or(f64::NAN),
                100.0 * c.absorbed,
                1e4 * c.median_max_deviation,
                c.calm_peak_cash.mean / 1e6,
                c.lag_label()
            );
        }
        md
    }
}

/// An uncertainty band (lower, upper) around a value, where it has one.
type Band = Option<(f64, f64)>;

/// A metric of a point: its value and band, if the point has the metric.
type Metric<'a> = dyn Fn(&SensitivityPoint) -> Option<(f64, Band)> + 'a;

/// One line per swept parameter of `metric` over value / baseline.
fn metric_series(report: &SensitivityReport, metric: &Metric<'_>) -> Vec<Series> {
    SweptParameter::ALL
        .iter()
        .filter_map(|&parameter| {
            let values: Vec<(f64, f64, Band)> = report
                .points
                .iter()
                .filter(|p| p.parameter == parameter)
                .filter_map(|p| metric(p).map(|(y, band)| (p.relative_value, y, band)))
                .collect();
            if values.is_empty() {
                return None;
            }
            let line = Series::line(
                parameter.label(),
                values.iter().map(|&(x, y, _)| (x, y)).collect(),
            );
            let band: Option<Vec<_>> = values
                .iter()
                .map(|&(x, _, band)| band.map(|(lo, hi)| (x, lo, hi)))
                .collect();
            Some(match band {
                Some(band) => line.with_band(band),
                None => line,
            })
        })
        .collect()
}

/// Three line charts into `dir`, one line per swept parameter over value /
/// baseline: revenue (mean ± 2 SE), failure (P(max δ ≥ δ_fail), and dashed the
/// share of paths absorbed, by a full depeg or by the supply running off) and
/// the mean reaction lag. Returns the files written.
pub fn write_sensitivity_plots(
    report: &SensitivityReport,
    dir: &Path,
) -> Result<Vec<PathBuf>, TreasuryError> {
    std::fs::create_dir_all(dir).map_err(|source| TreasuryError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let fail = report.config.failure_threshold;
    let failure_label = format!(
        "share of paths: P(max δ ≥ {:.1}%), absorbed dashed",
        100.0 * fail
    );
    let revenue: &Metric<'_> = &|p| {
        let (m, se) = (
            p.cell.revenue.mean / 1e6,
            p.cell.revenue.standard_error / 1e6,
        );
        Some((m, Some((m - 2.0 * se, m + 2.0 * se))))
    };
    let failure: &Metric<'_> = &|p| p.failure_rate(fail).map(|f| (f, None));
    let lag: &Metric<'_> = &|p| p.mean_lag_days().map(|d| (d, None));
    let charts = [
        ("revenue", "revenue (USD M, mean ± 2 SE)", revenue),
        ("failure", failure_label.as_str(), failure),
        ("responsiveness", "mean reaction lag (days)", lag),
    ];
    let mut written = Vec::new();
    for (name, y_label, metric) in charts {
        let mut series = metric_series(report, metric);
        if name == "failure" {
            for absorbed in metric_series(report, &|p| Some((p.cell.absorbed, None))) {
                if let Some(colour) = series.iter().position(|s| s.name == absorbed.name) {
                    let label = format!("absorbed: {}", absorbed.name);
                    series.push(Series::line(label, absorbed.points).dashed_like(colour));
                }
            }
        }
        if series.is_empty() {
            continue;
        }
        let path = dir.join(format!("sensitivity_{name}.svg"));
        let title = format!(
            "{}: {name}, one parameter moved at a time",
            report.config.scenario.label()
        );
        line_chart(
            &path,
            Labels {
                title: &title,
                x: "value / baseline",
                y: y_label,
            },
            &series,
        )?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use crate::treasury::forecast::FlowState;
    use crate::treasury::params::ShortfallClosure;
    use crate::treasury::simulate::simulate_path;
    use crate::treasury::strategy::{
        roll_problem, Decision, Observation, OptimalController, Policy, WindowEvents,
    };

    /// The optimal controller, remembering what it saw at every roll.
    struct RollRecorder {
        controller: OptimalController,
        rolls: Vec<(Observation, FlowState)>,
    }

    impl Policy for RollRecorder {
        fn decide(&mut self, o: &Observation) -> Decision {
            self.rolls.push((*o, self.controller.flow_state()));
            self.controller.decide(o)
        }

        fn observe(&mut self, events: &WindowEvents) {
            self.controller.observe(events)
        }
    }

    /// Roll states of the optimal controller along seeded single-shock paths
    /// (calm, onset, plateau and recovery), every other window.
    fn roll_states(config: &ExperimentConfig, paths: u64) -> Vec<(Observation, FlowState)> {
        let mut states = Vec::new();
        for run in 0..paths {
            let mut recorder = RollRecorder {
                controller: OptimalController::new(config.model, config.controller),
                rolls: Vec::new(),
            };
            simulate_path(
                &config.model,
                &config.scenarios,
                Scenario::SingleShock,
                &config.simulation,
                Strategy::Optimal.initial_reserves(config.model.supply),
                &mut recorder,
                None,
                &mut stream(config.seed, run),
            );
            states.extend(recorder.rolls.into_iter().step_by(2));
        }
        states
    }

    /// r*_k, the first window of the solved roll, under `config`'s parameters.
    fn decision(config: &ExperimentConfig, o: &Observation, flows: &FlowState) -> f64 {
        let o = Observation {
            max_reallocation: config.model.max_reallocation(o.supply),
            ..*o
        };
        roll_problem(&config.model, &config.controller, flows, &o)
            .solve(&[])
            .reallocation[0]
    }

    /// Whether the baseline forecast has a net outflow m_j ≥ 0 in every planned
    /// window: there, scaling the flows up raises ν̄ pointwise, the theorem's premise.
    fn outflowing(config: &ExperimentConfig, o: &Observation, flows: &FlowState) -> bool {
        roll_problem(&config.model, &config.controller, flows, o)
            .forecast
            .iter()
            .all(|f| f.mean >= 0.0)
    }

    /// Over `states`, checks that r*_k never rises along `variants` (in increasing
    /// order of stress, each with its flow-state scale Δ'/Δ), and that it falls by
    /// at least 0.1 % of u_max as often as there are states, so the comparison is
    /// not vacuous.
    fn assert_never_buys_more_bills(
        what: &str,
        states: &[(Observation, FlowState)],
        variants: &[(ExperimentConfig, f64)],
    ) {
        let mut strict = 0;
        for (o, flows) in states {
            let decisions: Vec<f64> = variants
                .iter()
                .map(|(config, omega)| {
                    let flows = FlowState {
                        redemption_baseline: omega * flows.redemption_baseline,
                        mint_baseline: omega * flows.mint_baseline,
                        redemption_excitation: omega * flows.redemption_excitation,
                        mint_excitation: omega * flows.mint_excitation,
                    };
                    decision(config, o, &flows)
                })
                .collect();
            for (step, pair) in decisions.windows(2).enumerate() {
                assert!(
                    pair[1] <= pair[0] + 1e-6 * o.max_reallocation,
                    "{what}: window {} (C = {:.4e}), step {step}: r* rises from {:.6e} to {:.6e}",
                    o.window,
                    o.cash,
                    pair[0],
                    pair[1]
                );
                if pair[1] < pair[0] - 1e-3 * o.max_reallocation {
                    strict += 1;
                }
            }
        }
        assert!(
            strict >= states.len(),
            "{what}: only {strict} strict decreases over {} states",
            states.len()
        );
    }

    /// The states whose baseline forecast is a net outflow in every window.
    fn outflow_states(
        config: &ExperimentConfig,
        states: &[(Observation, FlowState)],
    ) -> Vec<(Observation, FlowState)> {
        let outflow: Vec<_> = states
            .iter()
            .filter(|(o, flows)| outflowing(config, o, flows))
            .copied()
            .collect();
        assert!(
            outflow.len() >= states.len() / 2,
            "only {} of {} states are outflows",
            outflow.len(),
            states.len()
        );
        outflow
    }

    fn baseline(closure: ShortfallClosure) -> ExperimentConfig {
        let mut config = ExperimentConfig {
            seed: 41,
            ..ExperimentConfig::default()
        };
        config.controller.closure = closure;
        // Calm, onset, the 15-day plateau and the start of the reversion.
        config.simulation.days = 50;
        config
    }

    const CLOSURES: [ShortfallClosure; 2] = [
        ShortfallClosure::ExpectedShortfall,
        ShortfallClosure::CertaintyEquivalent,
    ];

    /// Theorem 3.2 (part 1) for the ticket size: a larger mean redemption ticket m̄_R
    /// raises ν̄ = m̄_R λ̄_R − m̄_M λ̄_M pointwise, so r*_k never rises, in every roll
    /// state. Scaling both tickets raises ν̄ only where it is ≥ 0, so that sweep is
    /// checked on the rolls whose forecast is a net outflow in every window.
    #[test]
    fn larger_tickets_never_buy_more_bills() {
        let scales = [0.5, 1.0, 1.5, 2.0, 3.0];
        for closure in CLOSURES {
            let base = baseline(closure);
            let states = roll_states(&base, 5);
            let redemption_ticket: Vec<(ExperimentConfig, f64)> = scales
                .iter()
                .map(|&scale| {
                    let mut config = base.clone();
                    config.model.flows.redemption_ticket *= scale;
                    (config, 1.0)
                })
                .collect();
            assert_never_buys_more_bills("m̄_R", &states, &redemption_ticket);
            let both: Vec<(ExperimentConfig, f64)> = scales
                .iter()
                .map(|&scale| (with_ticket_scale(&base, scale), 1.0))
                .collect();
            assert_never_buys_more_bills("m̄_R and m̄_M", &outflow_states(&base, &states), &both);
        }
    }

    /// Theorem 3.2 (part 1) for the window length, in the theorem's setting: the
    /// same state and per-window costs, the window's flows accumulated over a longer
    /// Δ' (intensities per window × Δ'/Δ). Where the net flow is an outflow, a
    /// longer window never buys more bills. (The full conversion of
    /// [`rescale_window`] also moves u_max, c_2, r_B and w_δ, which the theorem
    /// does not compare; it is not monotone pointwise, see the sweep.)
    #[test]
    fn longer_windows_never_buy_more_bills() {
        let hours = [4.0, 6.0, 8.0, 12.0, 24.0];
        for closure in CLOSURES {
            let base = baseline(closure);
            let windows: Vec<(ExperimentConfig, f64)> = hours
                .iter()
                .map(|&h| {
                    let mut config = base.clone();
                    config.model.flows = rescale_window(&base, h).model.flows;
                    (config, h / base.simulation.window_hours)
                })
                .collect();
            let outflow = outflow_states(&base, &roll_states(&base, 5));
            assert_never_buys_more_bills("Δ", &outflow, &windows);
        }
    }

    #[test]
    fn rescaling_the_window_keeps_rates_per_hour() {
        let base = ExperimentConfig::default();
        assert_eq!(rescale_window(&base, base.simulation.window_hours), base);
        let day = rescale_window(&base, 24.0);
        let (m, d) = (&base.model, &day.model);
        assert_eq!(day.simulation.windows(), base.simulation.days);
        assert_eq!(day.controller.horizon_windows, 3);
        assert_eq!(day.onset_window(), 30);
        let per_hour = |x: f64, hours: f64| x / hours;
        for (a, b) in [
            (m.flows.redemption.mu, d.flows.redemption.mu),
            (m.flows.mint.beta, d.flows.mint.beta),
            (m.bill_rate, d.bill_rate),
            (m.max_reallocation(m.supply), d.max_reallocation(d.supply)),
        ] {
            assert!((per_hour(a, 8.0) - per_hour(b, 24.0)).abs() <= 1e-12 * a.abs());
        }
        assert_eq!(
            d.flows.redemption.branching_ratio(),
            m.flows.redemption.branching_ratio()
        );
        // Moving r at a constant speed over 24 h costs a third of moving it over 8 h.
        assert!((3.0 * d.quadratic_cost - m.quadratic_cost).abs() <= 1e-12 * m.quadratic_cost);
        assert!(day.validate().is_ok());
        assert!(
            rescale_window(&base, 5.0).validate().is_err(),
            "5 h does not divide a day"
        );
    }

    #[test]
    fn a_small_sweep_runs_the_baseline_once_and_writes_csv_and_plots() {
        let mut config = SensitivityConfig {
            window_hours: vec![8.0, 24.0],
            ticket_scales: vec![1.0, 2.0],
            branching_ratios: vec![0.5, 0.7],
            ..SensitivityConfig::default()
        };
        config.baseline.runs = 2;
        config.baseline.simulation.days = 34;
        assert_eq!(
            config.total_paths(),
            4 * 2,
            "the baseline appears three times"
        );
        let finished = std::sync::atomic::AtomicUsize::new(0);
        let report = run_sensitivity(&config, |n| {
            finished.fetch_max(n, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(finished.into_inner(), config.total_paths());
        assert_eq!(report.points.len(), 6);
        let baselines: Vec<&SensitivityPoint> = report
            .points
            .iter()
            .filter(|p| p.relative_value == 1.0)
            .collect();
        assert_eq!(baselines.len(), 3);
        assert!(baselines.iter().all(|p| p.cell == baselines[0].cell));
        let csv = report.to_csv();
        assert_eq!(csv.lines().count(), 1 + 6);
        assert!(csv
            .lines()
            .nth(4)
            .unwrap()
            .starts_with("ticket_scale,2,2,2,"));
        let dir = tempfile::tempdir().unwrap();
        let plots = write_sensitivity_plots(&report, dir.path()).unwrap();
        assert!(plots.len() >= 2);
        let revenue = std::fs::read_to_string(&plots[0]).unwrap();
        assert!(revenue.contains("<svg") && revenue.contains("branching ratio n"));
    }

    #[test]
    fn a_partial_toml_config_keeps_the_other_defaults() {
        let config: SensitivityConfig = toml::from_str(
            "scenario = \"prolonged_clustering\"\nwindow_hours = [8.0, 24.0]\n[baseline]\nruns = 7\n",
        )
        .unwrap();
        assert_eq!(config.scenario, Scenario::ProlongedClustering);
        assert_eq!(config.baseline.runs, 7);
        assert_eq!(config.baseline.model, ExperimentConfig::default().model);
        assert_eq!(
            config.ticket_scales,
            SensitivityConfig::default().ticket_scales
        );
        assert!(toml::from_str::<SensitivityConfig>("windows = [8.0]").is_err());
    }

    #[test]
    fn the_failure_threshold_must_be_measured() {
        let config = SensitivityConfig {
            failure_threshold: 0.02,
            ..SensitivityConfig::default()
        };
        assert!(matches!(
            config.validate(),
            Err(TreasuryError::InvalidParameter {
                name: "failure_threshold",
                ..
            })
        ));
    }
}
