//! Data in and out: CSV readers for price histories and loan tapes with typed
//! errors naming file, line and column; aligned price histories and log
//! returns; seeded synthetic generators and the writers that let them produce
//! files the readers read back.

mod csv_table;
mod date;
mod error;
mod loans;
mod prices;
mod synthetic;

pub use date::{Date, DateParseError, DAYS_PER_YEAR};
pub use error::{DataError, FieldProblem};
pub use loans::{
    drift_from_base_rate, read_loan_tape, read_loan_tape_from, write_loan_tape, write_loan_tape_to,
    LoanPath,
};
pub use prices::{
    read_prices, read_prices_from, write_prices, write_prices_to, LogReturns, PriceHistory,
    PriceObservation,
};
pub use synthetic::{AssetDynamics, SyntheticAsset, SyntheticLoanTape, SyntheticMarket};
