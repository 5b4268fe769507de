//! The `ballast-oracle` command line: one subcommand per quant step, each
//! reading CSV/TOML (or an embedded synthetic default when no file is given)
//! and writing `report.json` plus SVG plots into its output directory.

mod output;
mod treasury;

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
    /// Treasury control (cash vs bills, the fee): the stress experiment, tail risk, calibration.
    Treasury {
        #[command(subcommand)]
        command: treasury::TreasuryCommand,
    },
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Treasury { command } => treasury::run(command, &cli.out, cli.json),
    }
}
