//! The inputs the quant commands share: a price history from a CSV or the
//! embedded synthetic market, and a loan tape from a CSV or the synthetic tape.

use std::path::Path;

use anyhow::Result;

use crate::data::{
    read_loan_tape, read_prices, LoanPath, PriceHistory, SyntheticLoanTape, SyntheticMarket,
};

/// Seed of the embedded synthetic market and loan tape.
pub const DEFAULT_SEED: u64 = 2024;

/// Data and where it came from, for the report.
pub struct Sourced<T> {
    pub data: T,
    pub source: String,
}

/// Prices from `path`, or two years of the synthetic demo market.
pub fn prices(path: Option<&Path>) -> Result<Sourced<PriceHistory>> {
    Ok(match path {
        Some(path) => Sourced {
            data: PriceHistory::from_observations(&read_prices(path)?)?,
            source: path.display().to_string(),
        },
        None => Sourced {
            data: SyntheticMarket::demo(DEFAULT_SEED).generate()?,
            source: format!("synthetic demo market, seed {DEFAULT_SEED}"),
        },
    })
}

/// Loans from `path`, or the default synthetic tape.
pub fn loans(path: Option<&Path>) -> Result<Sourced<Vec<LoanPath>>> {
    Ok(match path {
        Some(path) => Sourced {
            data: read_loan_tape(path)?,
            source: path.display().to_string(),
        },
        None => {
            let tape = SyntheticLoanTape {
                seed: DEFAULT_SEED,
                ..SyntheticLoanTape::default()
            };
            Sourced {
                data: tape.generate()?,
                source: format!(
                    "synthetic loan tape, {} loans, seed {DEFAULT_SEED}",
                    tape.loans
                ),
            }
        }
    })
}
