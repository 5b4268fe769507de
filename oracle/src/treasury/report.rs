//! Summaries of the experiment: tables (Markdown, JSON) and trajectory plots.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::experiment::ExperimentConfig;
use super::scenario::Scenario;
use super::simulate::{PathRecord, SimulationOptions};
use super::strategy::Strategy;
use super::TreasuryError;
use crate::plot::{line_chart, Labels, Series};

/// A sample mean and its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub standard_error: f64,
}

impl Estimate {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let values: Vec<f64> = values.into_iter().collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = if values.len() > 1 {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Self {
            mean,
            standard_error: (variance / n).sqrt(),
        }
    }
}

/// Fraction of paths whose maximum deviation reached `threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FailureRate {
    pub threshold: f64,
    pub frequency: f64,
}

/// Lag between the shock onset and the strategy's first clear move into cash.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Responsiveness {
    /// Mean lag in days over the paths that reacted.
    pub mean_lag_days: Option<f64>,
    pub reacting_runs: usize,
}

/// Mean, lower and upper band of a trajectory at each epoch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trajectory {
    pub days: Vec<f64>,
    pub mean: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// One (scenario, strategy) cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellReport {
    pub scenario: Scenario,
    pub strategy: Strategy,
    pub runs: usize,
    /// Revenue = carry − trading cost − peg penalty − fee penalty (discounted, USD).
    pub revenue: Estimate,
    pub carry: Estimate,
    pub trading_cost: Estimate,
    pub peg_penalty: Estimate,
    pub fee_penalty: Estimate,
    /// Revenue accrued up to absorption.
    pub revenue_to_failure: Estimate,
    pub failure: Vec<FailureRate>,
    pub median_max_deviation: f64,
    /// None where responsiveness is not defined (ML; the false alarm) [S].
    pub responsiveness: Option<Responsiveness>,
    /// Σ|r_k| over the inspection days (30–40), mean over paths, USD.
    pub inspection_turnover: Estimate,
    /// Peak cash held through a window (after the settlement trade, C_k − r_k: the
    /// strategy's choice, not the flows landing between epochs) over the inspection
    /// days, mean over paths, USD.
    pub inspection_peak_cash: Estimate,
    /// The same peak over the equally long stretch just before the onset: the calm
    /// buffer the inspection peak is compared with.
    pub calm_peak_cash: Estimate,
    /// Fraction of paths absorbed (δ at its cap or supply below its floor).
    pub absorbed: f64,
    #[serde(skip)]
    pub reallocation: Trajectory,
    #[serde(skip)]
    pub cash: Trajectory,
}

/// The experiment's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentReport {
    pub config: ExperimentConfig,
    pub cells: Vec<CellReport>,
}

/// Summarises the runs of one cell.
pub fn summarise_cell(
    config: &ExperimentConfig,
    scenario: Scenario,
    strategy: Strategy,
    runs: &[PathRecord],
) -> CellReport {
    let metrics = &config.metrics;
    let simulation = &config.simulation;
    let epoch = |day: f64| simulation.window_of_day(day).min(simulation.windows());
    let (from, to) = (
        epoch(metrics.inspection_days.0),
        epoch(metrics.inspection_days.1),
    );
    let onset = config.onset_window();
    let calm_from = onset.saturating_sub(to - from);
    let peak_held = |r: &PathRecord, epochs: std::ops::Range<usize>| {
        epochs
            .map(|k| r.cash[k] - r.reallocation[k])
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let estimate = |f: &dyn Fn(&PathRecord) -> f64| Estimate::of(runs.iter().map(f));
    let mut max_deviations: Vec<f64> = runs.iter().map(PathRecord::max_deviation).collect();
    max_deviations.sort_by(f64::total_cmp);
    let failure = metrics
        .failure_thresholds
        .iter()
        .map(|&threshold| FailureRate {
            threshold,
            frequency: max_deviations.iter().filter(|&&d| d >= threshold).count() as f64
                / runs.len() as f64,
        })
        .collect();
    let responsiveness = (strategy != Strategy::MaxLiquidity && scenario.has_redemption_shock())
        .then(|| {
            let lags: Vec<f64> = runs
                .iter()
                .filter_map(|r| reaction_lag_days(config, &r.reallocation))
                .collect();
            Responsiveness {
                mean_lag_days: (!lags.is_empty())
                    .then(|| lags.iter().sum::<f64>() / lags.len() as f64),
                reacting_runs: lags.len(),
            }
        });
    let band = |select: &dyn Fn(&PathRecord) -> &[f64]| {
        trajectory(runs.iter().map(select), metrics.band_quantiles, simulation)
    };
    CellReport {
        scenario,
        strategy,
        runs: runs.len(),
        revenue: estimate(&|r| r.costs.revenue()),
        carry: estimate(&|r| r.costs.carry),
        trading_cost: estimate(&|r| r.costs.trading_cost),
        peg_penalty: estimate(&|r| r.costs.peg_penalty),
        fee_penalty: estimate(&|r| r.costs.fee_penalty),
        revenue_to_failure: estimate(&|r| r.revenue_to_failure),
        failure,
        median_max_deviation: max_deviations[max_deviations.len() / 2],
        responsiveness,
        inspection_turnover: estimate(&|r| r.reallocation[from..to].iter().map(|x| x.abs()).sum()),
        inspection_peak_cash: estimate(&|r| peak_held(r, from..to)),
        calm_peak_cash: estimate(&|r| peak_held(r, calm_from..onset)),
        absorbed: runs.iter().filter(|r| r.failure_window.is_some()).count() as f64
            / runs.len() as f64,
        reallocation: band(&|r| &r.reallocation),
        cash: band(&|r| &r.cash),
    }
}

/// Days from the onset to the first epoch whose bills → cash speed v_k = −r_k
/// exceeds its pre-onset level (mean of the 3 windows before) by ε; None if never.
pub fn reaction_lag_days(config: &ExperimentConfig, reallocation: &[f64]) -> Option<f64> {
    let onset = config.onset_window();
    let before = &reallocation[onset.saturating_sub(3)..onset.min(reallocation.len())];
    let reference = (-before.iter().sum::<f64>() / before.len().max(1) as f64).max(0.0);
    let epsilon = config.metrics.responsiveness_threshold_fraction * config.model.supply;
    let first = (onset..reallocation.len()).find(|&k| -reallocation[k] >= reference + epsilon)?;
    let informed = if config.metrics.lag_from_first_informed_epoch {
        1.0
    } else {
        0.0
    };
    Some(((first - onset) as f64 - informed).max(0.0) / config.simulation.windows_per_day())
}

/// Pointwise mean and quantile band of equally long series.
fn trajectory<'a>(
    series: impl Iterator<Item = &'a [f64]>,
    (lo, hi): (f64, f64),
    simulation: &SimulationOptions,
) -> Trajectory {
    let series: Vec<&[f64]> = series.collect();
    let len = series.iter().map(|s| s.len()).min().unwrap_or(0);
    let mut out = Trajectory::default();
    for k in 0..len {
        let mut column: Vec<f64> = series.iter().map(|s| s[k]).collect();
        column.sort_by(f64::total_cmp);
        let quantile = |q: f64| {
            column[((q * (column.len() - 1) as f64).round() as usize).min(column.len() - 1)]
        };
        out.days.push(simulation.day_of_window(k));
        out.mean
            .push(column.iter().sum::<f64>() / column.len() as f64);
        out.lower.push(quantile(lo));
        out.upper.push(quantile(hi));
    }
    out
}

fn millions(x: f64) -> String {
    format!("{:.2}", x / 1e6)
}

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

impl CellReport {
    /// The responsiveness column: mean lag in days with the share of paths that
    /// reacted, "never", or "n/a" where it is undefined.
    pub fn lag_label(&self) -> String {
        match self.responsiveness {
            None => "n/a".to_string(),
            Some(Responsiveness {
                mean_lag_days: None,
                ..
            }) => "never".to_string(),
            Some(Responsiveness {
                mean_lag_days: Some(d),
                reacting_runs,
            }) => format!("{d:.2} ({reacting_runs}/{} runs)", self.runs),
        }
    }
}

impl ExperimentReport {
    pub fn cell(&self, scenario: Scenario, strategy: Strategy) -> Option<&CellReport> {
        self.cells
            .iter()
            .find(|c| c.scenario == scenario && c.strategy == strategy)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report is plain data")
    }

    /// Tables 1 and 2 of the paper, plus the false-alarm inspection.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let runs = self.config.runs;
        let _ = writeln!(md, "# Treasury stress experiment\n");
        let _ = writeln!(
            md,
            "{runs} runs per cell, seed {}, {} days.\n",
            self.config.seed, self.config.simulation.days
        );
        let _ = writeln!(
            md,
            "## Table 1: total revenue (USD M, discounted; mean ± SE)\n"
        );
        let _ = writeln!(md, "| scenario | strategy | revenue | carry | trading cost | peg penalty | revenue to failure |");
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|");
        for c in &self.cells {
            let _ = writeln!(
                md,
                "| {} | {} | {} ± {} | {} | {} | {} | {} |",
                c.scenario.label(),
                c.strategy.label(),
                millions(c.revenue.mean),
                millions(c.revenue.standard_error),
                millions(c.carry.mean),
                millions(c.trading_cost.mean),
                millions(c.peg_penalty.mean),
                millions(c.revenue_to_failure.mean),
            );
        }
        let thresholds = self
            .config
            .metrics
            .failure_thresholds
            .iter()
            .map(|t| format!("P(max δ ≥ {})", percent(*t)));
        let header: Vec<String> = thresholds.collect();
        let _ = writeln!(md, "\n## Table 2: failure frequency and responsiveness\n");
        let _ = writeln!(
            md,
            "| scenario | strategy | {} | absorbed | median max δ (bp) | responsiveness (days) |",
            header.join(" | ")
        );
        let _ = writeln!(
            md,
            "|---|---|{}---:|---:|---:|",
            "---:|".repeat(header.len())
        );
        for c in &self.cells {
            let rates: Vec<String> = c.failure.iter().map(|f| percent(f.frequency)).collect();
            let lag = c.lag_label();
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {:.1} | {} |",
                c.scenario.label(),
                c.strategy.label(),
                rates.join(" | "),
                percent(c.absorbed),
                1e4 * c.median_max_deviation,
                lag
            );
        }
        let (from, to) = self.config.metrics.inspection_days;
        let _ = writeln!(md, "\n## False alarm, days {from}–{to}: turnover and peak cash held after the trade (USD M)\n");
        let _ = writeln!(
            md,
            "| strategy | turnover Σ\\|r\\| | peak cash | calm peak cash (before onset) |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|");
        for c in self
            .cells
            .iter()
            .filter(|c| c.scenario == Scenario::FalseAlarm)
        {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                c.strategy.label(),
                millions(c.inspection_turnover.mean),
                millions(c.inspection_peak_cash.mean),
                millions(c.calm_peak_cash.mean)
            );
        }
        md
    }
}

/// Writes, per scenario, the control r_k and the cash C_k of every strategy (mean
/// and band) as SVG charts into `dir`; returns the files written.
pub fn write_plots(report: &ExperimentReport, dir: &Path) -> Result<Vec<PathBuf>, TreasuryError> {
    std::fs::create_dir_all(dir).map_err(|source| TreasuryError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let (lo, hi) = report.config.metrics.band_quantiles;
    let mut written = Vec::new();
    for scenario in Scenario::ALL {
        let cells: Vec<&CellReport> = report
            .cells
            .iter()
            .filter(|c| c.scenario == scenario)
            .collect();
        let charts: [(&str, &str, TrajectoryOf); 2] = [
            (
                "control",
                "reallocation r_k (USD M per window, > 0 buys bills)",
                |c| &c.reallocation,
            ),
            ("cash", "cash C_k (USD M)", |c| &c.cash),
        ];
        for (name, y_label, select) in charts {
            let series: Vec<Series> = cells
                .iter()
                .map(|c| {
                    let t = select(c);
                    let points = t
                        .days
                        .iter()
                        .zip(&t.mean)
                        .map(|(&d, &m)| (d, m / 1e6))
                        .collect();
                    let band = (0..t.days.len())
                        .map(|k| (t.days[k], t.lower[k] / 1e6, t.upper[k] / 1e6))
                        .collect();
                    Series::line(c.strategy.label(), points).with_band(band)
                })
                .collect();
            let path = dir.join(format!("treasury_{}_{}.svg", scenario_slug(scenario), name));
            let title = format!(
                "{}: {name} (mean, {:.0}–{:.0} % band)",
                scenario.label(),
                100.0 * lo,
                100.0 * hi
            );
            line_chart(
                &path,
                Labels {
                    title: &title,
                    x: "day",
                    y: y_label,
                },
                &series,
            )?;
            written.push(path);
        }
    }
    Ok(written)
}

type TrajectoryOf = fn(&CellReport) -> &Trajectory;

fn scenario_slug(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::SingleShock => "single_shock",
        Scenario::ProlongedClustering => "prolonged_clustering",
        Scenario::FalseAlarm => "false_alarm",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::treasury::sensitivity::rescale_window;

    /// A control path that sells `before` per window before the onset, and whose
    /// cash-buying speed v = −r first clears v_ref + ε exactly `k` windows after it
    /// (an earlier window falls short by one dollar).
    fn path(config: &ExperimentConfig, before: f64, k: usize) -> Vec<f64> {
        let onset = config.onset_window();
        let epsilon = config.metrics.responsiveness_threshold_fraction * config.model.supply;
        let reference = before.max(0.0);
        let mut reallocation = vec![-before; config.simulation.windows()];
        for r in &mut reallocation[onset..] {
            *r = 0.0;
        }
        if k > 0 {
            reallocation[onset + k - 1] = -(reference + epsilon - 1.0);
        }
        reallocation[onset + k] = -(reference + epsilon);
        reallocation[onset + k + 1] = -(reference + 3.0 * epsilon);
        reallocation
    }

    #[test]
    fn lag_counts_windows_from_the_onset() {
        let mut config = ExperimentConfig::default();
        config.metrics.lag_from_first_informed_epoch = false;
        for before in [0.0, 4.0e6, -2.0e8] {
            for k in [0, 1, 2, 7, 30] {
                let lag = reaction_lag_days(&config, &path(&config, before, k));
                assert_eq!(
                    lag,
                    Some(k as f64 / 3.0),
                    "k = {k}, pre-onset sale {before}"
                );
            }
        }
    }

    /// The paper's convention: reacting at the first informed epoch (onset + Δ) is lag 0.
    #[test]
    fn lag_from_the_first_informed_epoch_subtracts_one_window() {
        let config = ExperimentConfig::default();
        assert!(config.metrics.lag_from_first_informed_epoch);
        for k in [1, 4, 9] {
            let lag = reaction_lag_days(&config, &path(&config, 4.0e6, k));
            assert_eq!(lag, Some((k - 1) as f64 / 3.0));
        }
        assert_eq!(
            reaction_lag_days(&config, &path(&config, 4.0e6, 0)),
            Some(0.0)
        );
    }

    /// With one-day windows a lag of k windows is k days.
    #[test]
    fn lag_is_in_days_whatever_the_window() {
        let mut config = rescale_window(&ExperimentConfig::default(), 24.0);
        config.metrics.lag_from_first_informed_epoch = false;
        for k in [1, 5] {
            assert_eq!(
                reaction_lag_days(&config, &path(&config, 0.0, k)),
                Some(k as f64)
            );
        }
    }

    #[test]
    fn a_path_that_never_speeds_up_has_no_lag() {
        let config = ExperimentConfig::default();
        let epsilon = config.metrics.responsiveness_threshold_fraction * config.model.supply;
        let mut reallocation = vec![-1.0e6; config.simulation.windows()];
        for r in &mut reallocation[config.onset_window()..] {
            *r = -(1.0e6 + epsilon - 1.0);
        }
        assert_eq!(reaction_lag_days(&config, &reallocation), None);
    }
}
