//! `ballast-oracle optimize`: the reserve's target weights by the allocation
//! QP, risk parity or minimum expected shortfall.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::ValueEnum;
use serde::Serialize;

use super::inputs;
use super::output::{read_toml, read_toml_or_default, Output};
use crate::allocate::{
    minimize_expected_shortfall, solve_allocation, AllocationProblem, ShortfallProblem,
};
use crate::backtest::{allocation_problem_at_end, risk_parity_weights, BacktestConfig};
use crate::data::PriceHistory;
use crate::plot::{line_chart, Labels, Series};

/// Confidence level of the minimum-ES allocation.
const ES_CONFIDENCE: f64 = 0.975;

#[derive(Clone, Copy, Debug, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    Qp,
    RiskParity,
    MinEs,
}

/// Where the problem comes from.
pub enum Source<'a> {
    /// An allocation problem TOML.
    Problem(&'a Path),
    /// Prices (or the synthetic market) and a policy config.
    Market {
        prices: Option<&'a Path>,
        config: Option<&'a Path>,
    },
}

#[derive(Serialize)]
struct OptimizeReport {
    source: String,
    method: Method,
    assets: Vec<String>,
    /// Current weights w0.
    current: Vec<f64>,
    /// Target weights w*.
    target: Vec<f64>,
    /// The solver's full result.
    details: serde_json::Value,
}

pub fn run(source: Source, method: Method, output: &Output) -> Result<()> {
    let (problem, history, source) = match source {
        Source::Problem(path) => {
            let problem: AllocationProblem = read_toml(path)?;
            (problem, None, path.display().to_string())
        }
        Source::Market { prices, config } => {
            let history = inputs::prices(prices)?;
            let config: BacktestConfig = read_toml_or_default(config)?;
            let problem = allocation_problem_at_end(&history.data, &config)?;
            (problem, Some((history.data, config)), history.source)
        }
    };
    let (target, details) = match method {
        Method::Qp => {
            let allocation = solve_allocation(&problem)?;
            (
                allocation.weights.clone(),
                serde_json::to_value(allocation)?,
            )
        }
        Method::RiskParity => {
            let weights = risk_parity_weights(&problem.assets, &problem.sigma.to_dense())?;
            (weights, serde_json::Value::Null)
        }
        Method::MinEs => {
            let Some((history, config)) = history else {
                bail!("--method min-es takes its scenarios from price history (--prices), not from --problem");
            };
            let shortfall = ShortfallProblem {
                assets: problem.assets.clone(),
                scenarios: historical_scenarios(&history, config.train_days),
                confidence: ES_CONFIDENCE,
                liquidity_caps: problem.liquidity_caps.clone(),
                min_expected_return: None,
            };
            let allocation = minimize_expected_shortfall(&shortfall)?;
            (
                allocation.weights.clone(),
                serde_json::to_value(allocation)?,
            )
        }
    };
    let report = OptimizeReport {
        source,
        method,
        assets: problem.assets.clone(),
        current: problem.w0.clone(),
        target,
        details,
    };
    let plot = plot_weights(&report, output.path("weights.svg"))?;
    output.finish(&report, &summary(&report), &[plot])
}

/// The daily simple returns of the last `days` intervals, one scenario each.
fn historical_scenarios(history: &PriceHistory, days: usize) -> Vec<Vec<f64>> {
    let last = history.dates().len() - 1;
    (last.saturating_sub(days)..last)
        .map(|t| {
            (0..history.assets().len())
                .map(|i| history.series(i)[t + 1] / history.series(i)[t] - 1.0)
                .collect()
        })
        .collect()
}

fn summary(report: &OptimizeReport) -> String {
    let mut text = format!(
        "{:?} on {}\n  asset      w0      w*",
        report.method, report.source
    );
    for (i, asset) in report.assets.iter().enumerate() {
        text += &format!(
            "\n  {asset:<8} {:>6.3}  {:>6.3}",
            report.current[i], report.target[i]
        );
    }
    text
}

/// Current and target weights by asset index, as two step lines.
fn plot_weights(report: &OptimizeReport, path: PathBuf) -> Result<PathBuf> {
    let steps = |weights: &[f64]| -> Vec<(f64, f64)> {
        weights
            .iter()
            .enumerate()
            .flat_map(|(i, &w)| [(i as f64, w), (i as f64 + 1.0, w)])
            .collect()
    };
    let axis = format!("asset: {}", report.assets.join(" | "));
    let labels = Labels {
        title: "Weights: current w0 and target w*",
        x: &axis,
        y: "weight",
    };
    let series = [
        Series::line("w0", steps(&report.current)),
        Series::line("w*", steps(&report.target)),
    ];
    line_chart(&path, labels, &series)?;
    Ok(path)
}
