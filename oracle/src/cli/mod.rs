//! The `ballast-oracle` command line: one subcommand per quant step, each
//! reading CSV/TOML (or an embedded synthetic default when no file is given)
//! and writing `report.json` plus SVG plots into its output directory.

mod backtest;
mod estimate;
mod inputs;
mod optimize;
mod output;
mod risk;
mod synth;
mod treasury;
mod value;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

pub use output::Output;

#[derive(Parser)]
#[command(
    name = "ballast-oracle",
    version,
    about = "Ballast's oracle: estimation, Monte Carlo risk, allocation, valuation and treasury control"
)]
pub struct Cli {
    /// Directory for reports and plots; each command writes into a subdirectory.
    #[arg(long, global = true, default_value = "out")]
    pub out: PathBuf,
    /// Print the report as JSON instead of a summary.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Writes a synthetic price history and loan tape (prices.csv, loans.csv).
    Synth {
        /// Daily prices per asset.
        #[arg(long, default_value_t = 731)]
        days: usize,
        #[arg(long, default_value_t = inputs::DEFAULT_SEED)]
        seed: u64,
    },
    /// Return moments, GBM fits, risk scores and risk aversion from prices.
    Estimate {
        /// Price CSV (date,asset,price); the synthetic market when omitted.
        #[arg(long)]
        prices: Option<PathBuf>,
        /// Policy TOML (asset terms, risk-score weights); the demo's when omitted.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Covariance estimator (default: the config's, Ledoit-Wolf).
        #[arg(long, value_enum)]
        method: Option<estimate::Method>,
    },
    /// Monte Carlo of the collateral ratio: P(CR < c), VaR, ES, histogram.
    Risk {
        #[arg(long)]
        prices: Option<PathBuf>,
        /// Reserve position TOML; a demo reserve at CR 1.5 when omitted.
        #[arg(long)]
        position: Option<PathBuf>,
        #[arg(long, default_value_t = 100_000)]
        paths: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Target weights by the allocation QP, risk parity or minimum ES.
    Optimize {
        /// Allocation problem TOML (instead of building it from prices).
        #[arg(long, conflicts_with_all = ["prices", "config"])]
        problem: Option<PathBuf>,
        #[arg(long)]
        prices: Option<PathBuf>,
        /// Policy TOML, as for `backtest`.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "qp")]
        method: optimize::Method,
    },
    /// Values each loan of a tape with Greeks, closed form and a hedge check.
    Value {
        /// Loan tape CSV; the synthetic tape when omitted.
        #[arg(long)]
        loans: Option<PathBuf>,
        #[arg(long, default_value_t = 0.05)]
        discount_rate: f64,
        #[arg(long, default_value_t = 20_000)]
        paths: u64,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Walk-forward backtest of the QP policy against benchmarks.
    Backtest {
        #[arg(long)]
        prices: Option<PathBuf>,
        /// Backtest/policy TOML; the demo market's terms when omitted.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Treasury control (cash vs bills, the fee): the stress experiment, tail risk, calibration.
    Treasury {
        #[command(subcommand)]
        command: treasury::TreasuryCommand,
    },
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let output = |name| Output::create(&cli.out, name, cli.json);
    match cli.command {
        Command::Synth { days, seed } => synth::run(days, seed, &output("synth")?),
        Command::Estimate {
            prices,
            config,
            method,
        } => estimate::run(
            prices.as_deref(),
            config.as_deref(),
            method,
            &output("estimate")?,
        ),
        Command::Risk {
            prices,
            position,
            paths,
            seed,
        } => risk::run(
            prices.as_deref(),
            position.as_deref(),
            paths,
            seed,
            &output("risk")?,
        ),
        Command::Optimize {
            problem,
            prices,
            config,
            method,
        } => {
            let source = match problem.as_deref() {
                Some(path) => optimize::Source::Problem(path),
                None => optimize::Source::Market {
                    prices: prices.as_deref(),
                    config: config.as_deref(),
                },
            };
            optimize::run(source, method, &output("optimize")?)
        }
        Command::Value {
            loans,
            discount_rate,
            paths,
            seed,
        } => {
            let settings = value::ValueSettings {
                discount_rate,
                paths,
                seed,
            };
            value::run(loans.as_deref(), &settings, &output("value")?)
        }
        Command::Backtest { prices, config } => {
            backtest::run(prices.as_deref(), config.as_deref(), &output("backtest")?)
        }
        Command::Treasury { command } => treasury::run(command, &cli.out, cli.json),
    }
}
