//! `ballast-oracle estimate`: annualised return moments, GBM fits with
//! standard errors, risk scores and the dynamic risk aversion.

use std::path::Path;

use anyhow::Result;
use clap::ValueEnum;
use nalgebra::DMatrix;
use serde::Serialize;

use super::inputs;
use super::output::{read_toml_or_default, Output};
use crate::backtest::BacktestConfig;
use crate::data::PriceHistory;
use crate::estimate::{
    estimate_returns, portfolio_volatility, CovarianceMethod, EstimationConfig, ReturnEstimates,
};
use crate::plot::{line_chart, Labels, Series};

/// The covariance estimator, as named on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Method {
    Sample,
    Ewma,
    LedoitWolf,
}

impl Method {
    fn covariance(self) -> CovarianceMethod {
        match self {
            Method::Sample => CovarianceMethod::Sample {},
            Method::Ewma => CovarianceMethod::Ewma { lambda: 0.94 },
            Method::LedoitWolf => CovarianceMethod::default(),
        }
    }
}

#[derive(Serialize)]
struct EstimateReport {
    source: String,
    estimates: ReturnEstimates,
    /// Annual expected simple return rate, mean log return + sigma²/2.
    expected_return: Vec<f64>,
    /// R_i = alpha sigma_i + beta / L_i + gamma E_i with the config's terms.
    risk_scores: Vec<f64>,
    /// Volatility of the config's initial weights.
    portfolio_volatility: f64,
    /// Risk aversion at that volatility (no value change yet).
    lambda: f64,
}

pub fn run(
    prices: Option<&Path>,
    config: Option<&Path>,
    method: Option<Method>,
    output: &Output,
) -> Result<()> {
    let history = inputs::prices(prices)?;
    let config: BacktestConfig = read_toml_or_default(config)?;
    let estimation = EstimationConfig {
        covariance: method.map_or(config.estimation.covariance, Method::covariance),
        ..config.estimation
    };
    let estimates = estimate_returns(&history.data.log_returns(), &estimation)?;
    let n = estimates.assets.len();
    let terms = config.terms_of(&estimates.assets)?;
    let risk_scores = config.risk_scores(&terms, &estimates.volatility)?;
    let weights: Vec<f64> = terms.iter().map(|t| t.initial_weight).collect();
    let covariance = DMatrix::from_fn(n, n, |i, j| estimates.covariance[i][j]);
    let volatility = portfolio_volatility(&weights, &covariance)?;
    let report = EstimateReport {
        source: history.source,
        expected_return: (0..n)
            .map(|i| estimates.mean_log_return[i] + 0.5 * estimates.covariance[i][i])
            .collect(),
        risk_scores,
        portfolio_volatility: volatility,
        lambda: config.risk_aversion.lambda(volatility, 0.0),
        estimates,
    };
    let plot = output.path("prices.svg");
    plot_normalised_prices(&history.data, &plot)?;
    output.finish(&report, &summary(&report), &[plot])
}

fn summary(report: &EstimateReport) -> String {
    let e = &report.estimates;
    let mut text = format!(
        "{} intervals {} to {} ({}), {:?}\n  asset      mu(log)   vol     GBM mu ± se        risk score",
        e.intervals, e.first_date, e.last_date, report.source, e.method
    );
    for (i, asset) in e.assets.iter().enumerate() {
        let gbm = &e.gbm[i];
        text += &format!(
            "\n  {asset:<8} {:>8.3} {:>7.3}  {:>7.3} ± {:<7.3}  {:>8.3}",
            e.mean_log_return[i], e.volatility[i], gbm.mu, gbm.mu_se, report.risk_scores[i]
        );
    }
    text + &format!(
        "\n  initial portfolio volatility {:.3}, lambda {:.2}",
        report.portfolio_volatility, report.lambda
    )
}

fn plot_normalised_prices(history: &PriceHistory, path: &Path) -> Result<()> {
    let first = history.dates()[0];
    let series: Vec<Series> = history
        .assets()
        .iter()
        .enumerate()
        .map(|(i, asset)| {
            let prices = history.series(i);
            let points = history
                .dates()
                .iter()
                .zip(prices)
                .map(|(date, p)| (date.days_since(first) as f64, p / prices[0]))
                .collect();
            Series::line(asset.clone(), points)
        })
        .collect();
    let labels = Labels {
        title: "Prices normalised to 1",
        x: &format!("days since {first}"),
        y: "price / first price",
    };
    Ok(line_chart(path, labels, &series)?)
}
