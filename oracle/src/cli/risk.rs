//! `ballast-oracle risk`: Monte Carlo of the reserve's collateral ratio:
//! P(CR < c) with Wilson and Clopper–Pearson intervals, VaR and ES of the
//! loss, and a CR histogram.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use super::inputs;
use super::output::{progress_bar, read_toml, Output};
use crate::estimate::{estimate_returns, EstimationConfig};
use crate::montecarlo::{
    simulate_reserve, simulate_reserve_values, McConfig, McResult, ReserveModel, ReservePosition,
};
use crate::plot::{histogram, Labels};

const DEFAULT_POSITION: &str = include_str!("defaults/position.toml");

#[derive(Serialize)]
struct RiskReport {
    source: String,
    position: ReservePosition,
    result: McResult,
}

pub fn run(
    prices: Option<&Path>,
    position: Option<&Path>,
    paths: usize,
    seed: u64,
    output: &Output,
) -> Result<()> {
    let history = inputs::prices(prices)?;
    let position: ReservePosition = match position {
        Some(path) => read_toml(path)?,
        None => toml::from_str(DEFAULT_POSITION).context("embedded default position")?,
    };
    let estimates = estimate_returns(&history.data.log_returns(), &EstimationConfig::default())?;
    let model = ReserveModel::from_estimates(&estimates, &position)?;
    let config = McConfig {
        paths,
        seed,
        ..McConfig::default()
    };
    let bar = progress_bar(2, "simulating");
    bar.enable_steady_tick(Duration::from_millis(200));
    let result = simulate_reserve(&model, &config)?;
    bar.inc(1);
    // The same seeded paths again, for the histogram's samples.
    let ratios: Vec<f64> = simulate_reserve_values(&model, &config)?
        .into_iter()
        .map(|value| value / model.supply)
        .collect();
    bar.finish_and_clear();
    let plot = output.path("cr_histogram.svg");
    let labels = Labels {
        title: "Collateral ratio at the horizon",
        x: "CR",
        y: "paths",
    };
    histogram(&plot, labels, &ratios, config.histogram_bins, Some(1.0))?;
    let report = RiskReport {
        source: history.source,
        position,
        result,
    };
    output.finish(&report, &summary(&report.result), &[plot])
}

fn summary(result: &McResult) -> String {
    let mut text = format!(
        "{} paths over {:.1} days: CR now {:.3}, mean at horizon {:.3}",
        result.paths,
        result.horizon_years * crate::data::DAYS_PER_YEAR,
        result.initial_cr,
        result.mean_cr
    );
    for breach in &result.breach {
        text += &format!(
            "\n  P(CR < {:.2}) = {:.2e}  Wilson [{:.2e}, {:.2e}]  Clopper-Pearson [{:.2e}, {:.2e}]",
            breach.threshold,
            breach.probability,
            breach.wilson.lower,
            breach.wilson.upper,
            breach.clopper_pearson.lower,
            breach.clopper_pearson.upper
        );
    }
    text + &format!(
        "\n  loss VaR {:.0}% = {:.4e}, ES = {:.4e}",
        100.0 * result.loss.level,
        result.loss.value_at_risk,
        result.loss.expected_shortfall
    )
}
