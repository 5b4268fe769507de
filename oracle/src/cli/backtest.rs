//! `ballast-oracle backtest`: the walk-forward backtest of the allocation
//! policy against its benchmarks, with equity and drawdown charts.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::inputs;
use super::output::{read_toml_or_default, Output};
use crate::backtest::{backtest, drawdowns, BacktestConfig, BacktestReport};
use crate::plot::{line_chart, Labels, Series};

pub fn run(prices: Option<&Path>, config: Option<&Path>, output: &Output) -> Result<()> {
    let history = inputs::prices(prices)?;
    let config: BacktestConfig = read_toml_or_default(config)?;
    let report = backtest(&history.data, &config)?;
    let plots = plot(&report, output)?;
    let summary = summary(&report, &history.source);
    output.finish(&report, &summary, &plots)
}

fn summary(report: &BacktestReport, source: &str) -> String {
    let mut text = format!(
        "train {} to {}, test {} to {} ({source})\n  strategy        return   vol     Sharpe  max DD  turnover/yr  costs",
        report.train.0, report.train.1, report.test.0, report.test.1
    );
    for run in &report.runs {
        let p = run.performance;
        text += &format!(
            "\n  {:<14} {:>7.2}% {:>6.2}% {:>6.2} {:>6.2}% {:>9.2} {:>9.5}",
            format!("{:?}", run.strategy),
            100.0 * p.annualised_return,
            100.0 * p.annualised_volatility,
            p.sharpe_ratio,
            100.0 * p.max_drawdown,
            run.annual_turnover,
            run.total_costs
        );
    }
    text
}

fn plot(report: &BacktestReport, output: &Output) -> Result<Vec<PathBuf>> {
    let curve = |values: &[f64]| -> Vec<(f64, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(t, v)| (t as f64, *v))
            .collect()
    };
    let x = format!("days since {}", report.test.0);
    let chart = |file: &str, title: &str, y: &str, series: Vec<Series>| -> Result<PathBuf> {
        let path = output.path(file);
        line_chart(&path, Labels { title, x: &x, y }, &series)?;
        Ok(path)
    };
    let named = |values: Vec<(f64, f64)>, strategy| Series::line(format!("{strategy:?}"), values);
    let equity = report
        .runs
        .iter()
        .map(|run| named(curve(&run.equity), run.strategy))
        .collect();
    let drawdown = report
        .runs
        .iter()
        .map(|run| {
            let below_peak: Vec<f64> = drawdowns(&run.equity).iter().map(|d| -d).collect();
            named(curve(&below_peak), run.strategy)
        })
        .collect();
    Ok(vec![
        chart(
            "equity.svg",
            "Equity on the test set (value 1 at the start)",
            "value",
            equity,
        )?,
        chart(
            "drawdown.svg",
            "Drawdown from the running peak",
            "drawdown",
            drawdown,
        )?,
    ])
}
