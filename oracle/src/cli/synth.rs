//! `ballast-oracle synth`: the synthetic price history and loan tape as CSV
//! files, to show the formats the other commands read.

use anyhow::Result;
use serde::Serialize;

use super::output::Output;
use crate::data::{write_loan_tape, write_prices, SyntheticLoanTape, SyntheticMarket};

#[derive(Serialize)]
struct SynthReport {
    prices: String,
    loans: String,
    days: usize,
    assets: Vec<String>,
    loan_count: usize,
    seed: u64,
}

pub fn run(days: usize, seed: u64, output: &Output) -> Result<()> {
    let market = SyntheticMarket {
        days,
        ..SyntheticMarket::demo(seed)
    };
    let history = market.generate()?;
    let tape = SyntheticLoanTape {
        seed,
        ..SyntheticLoanTape::default()
    };
    let loans = tape.generate()?;
    let (prices_path, loans_path) = (output.path("prices.csv"), output.path("loans.csv"));
    write_prices(&prices_path, &history)?;
    write_loan_tape(&loans_path, &loans)?;
    let report = SynthReport {
        prices: prices_path.display().to_string(),
        loans: loans_path.display().to_string(),
        days,
        assets: history.assets().to_vec(),
        loan_count: loans.len(),
        seed,
    };
    let summary = format!(
        "{days} days of {} ({}) -> {}\n{} loans -> {}",
        report.assets.len(),
        report.assets.join(", "),
        report.prices,
        report.loan_count,
        report.loans
    );
    output.finish(&report, &summary, &[])
}
