//! Loan tapes (seed 001): columns `loan_id, base_interest_rate` (percent per
//! year), `loan_duration_days, compounding_periods,
//! normalized_cumulative_return`.
//!
//! Reading: a loan's rows, in file order, are its normalised cumulative return
//! (value per unit lent, 1 at origination) at the end of successive
//! compounding periods, each `loan_duration_days / compounding_periods` days
//! long. A loan may have fewer rows than periods (still running, or closed at
//! a default) but never more; its terms must be the same on every row.

use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::csv_table::CsvTable;
use super::{DataError, DAYS_PER_YEAR};

const LOAN_COLUMNS: &[&str] = &[
    "loan_id",
    "base_interest_rate",
    "loan_duration_days",
    "compounding_periods",
    "normalized_cumulative_return",
];
const LOAN_ID: usize = 0;
const RATE: usize = 1;
const DURATION: usize = 2;
const PERIODS: usize = 3;
const RETURN: usize = 4;

/// One loan of a tape with its observed path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoanPath {
    /// Loan identifier.
    pub loan_id: String,
    /// Base interest rate in percent per year.
    pub base_interest_rate_pct: f64,
    /// Contractual duration in days.
    pub loan_duration_days: u32,
    /// Number of compounding periods over the duration.
    pub compounding_periods: u32,
    /// Normalised cumulative return at the end of each observed period
    /// (non-negative; the value at origination, 1, is implied).
    pub normalized_cumulative_returns: Vec<f64>,
}

impl LoanPath {
    /// Length of one compounding period in years (ACT/365.25).
    pub fn period_years(&self) -> f64 {
        f64::from(self.loan_duration_days) / f64::from(self.compounding_periods) / DAYS_PER_YEAR
    }

    /// [`drift_from_base_rate`] of this loan's terms.
    pub fn drift_from_base_rate(&self) -> f64 {
        drift_from_base_rate(
            self.base_interest_rate_pct,
            f64::from(self.loan_duration_days),
            self.compounding_periods,
        )
    }

    /// Log returns between consecutive observations, starting from the
    /// implied value 1 at origination; `None` if the loan was written off to 0.
    pub fn log_returns(&self) -> Option<Vec<f64>> {
        let mut previous = 1.0;
        let mut returns = Vec::with_capacity(self.normalized_cumulative_returns.len());
        for &value in &self.normalized_cumulative_returns {
            if value <= 0.0 {
                return None;
            }
            returns.push((value / previous).ln());
            previous = value;
        }
        Some(returns)
    }
}

/// The continuously compounded annual drift of a loan at `rate_pct` % a year
/// paid in `periods` equal compounding periods over `duration_days`: it grows
/// by (1 + rT/k)^k over its life of T years (e^{rT} when k = 0, continuous
/// compounding), so mu = (k/T) ln(1 + rT/k).
pub fn drift_from_base_rate(rate_pct: f64, duration_days: f64, periods: u32) -> f64 {
    let rate = rate_pct / 100.0;
    if periods == 0 {
        return rate;
    }
    let years = duration_days / DAYS_PER_YEAR;
    let k = f64::from(periods);
    k * (rate * years / k).ln_1p() / years
}

/// Reads a loan tape; loans keep the order of their first row.
pub fn read_loan_tape(path: &Path) -> Result<Vec<LoanPath>, DataError> {
    parse_loans(CsvTable::open(path, LOAN_COLUMNS)?)
}

/// [`read_loan_tape`] from any reader; `name` stands for the file in errors.
pub fn read_loan_tape_from(reader: impl Read, name: &str) -> Result<Vec<LoanPath>, DataError> {
    parse_loans(CsvTable::new(reader, name.to_owned(), LOAN_COLUMNS)?)
}

fn parse_loans<R: Read>(table: CsvTable<R>) -> Result<Vec<LoanPath>, DataError> {
    let file = table.file().to_owned();
    let mut loans: Vec<LoanPath> = Vec::new();
    let mut first_lines: Vec<u64> = Vec::new();
    table.for_each_row(|row| {
        let loan_id = row.text(LOAN_ID)?;
        let rate = row.finite(RATE)?;
        let duration = row.positive_count(DURATION)?;
        let periods = row.positive_count(PERIODS)?;
        let value = row.non_negative(RETURN)?;
        let Some(k) = loans.iter().position(|loan| loan.loan_id == loan_id) else {
            first_lines.push(row.line());
            loans.push(LoanPath {
                loan_id: loan_id.to_owned(),
                base_interest_rate_pct: rate,
                loan_duration_days: duration,
                compounding_periods: periods,
                normalized_cumulative_returns: vec![value],
            });
            return Ok(());
        };
        let loan = &mut loans[k];
        let terms = [
            (
                RATE,
                rate.to_string(),
                loan.base_interest_rate_pct.to_string(),
            ),
            (
                DURATION,
                duration.to_string(),
                loan.loan_duration_days.to_string(),
            ),
            (
                PERIODS,
                periods.to_string(),
                loan.compounding_periods.to_string(),
            ),
        ];
        if let Some((column, value, first_value)) =
            terms.into_iter().find(|(_, now, first)| now != first)
        {
            return Err(DataError::InconsistentLoan {
                file: file.clone(),
                line: row.line(),
                column: row.column(column),
                loan_id: loan_id.to_owned(),
                value,
                first_value,
                first_line: first_lines[k],
            });
        }
        if loan.normalized_cumulative_returns.len() == loan.compounding_periods as usize {
            return Err(DataError::TooManyPeriods {
                file: file.clone(),
                line: row.line(),
                loan_id: loan_id.to_owned(),
                compounding_periods: periods,
            });
        }
        loan.normalized_cumulative_returns.push(value);
        Ok(())
    })?;
    Ok(loans)
}

/// Writes a loan tape that [`read_loan_tape`] reads back exactly.
pub fn write_loan_tape(path: &Path, loans: &[LoanPath]) -> Result<(), DataError> {
    let file = path.display().to_string();
    let io_error = |source| DataError::Io {
        file: file.clone(),
        source,
    };
    let handle = std::fs::File::create(path).map_err(io_error)?;
    write_loan_tape_to(std::io::BufWriter::new(handle), loans).map_err(io_error)
}

/// [`write_loan_tape`] to any writer, one row per loan and period.
pub fn write_loan_tape_to(mut out: impl Write, loans: &[LoanPath]) -> std::io::Result<()> {
    writeln!(out, "{}", LOAN_COLUMNS.join(","))?;
    for loan in loans {
        for value in &loan.normalized_cumulative_returns {
            writeln!(
                out,
                "{},{},{},{},{}",
                loan.loan_id,
                loan.base_interest_rate_pct,
                loan.loan_duration_days,
                loan.compounding_periods,
                value
            )?;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::FieldProblem;

    const HEADER: &str = "loan_id,base_interest_rate,loan_duration_days,compounding_periods,normalized_cumulative_return\n";

    fn read(rows: &str) -> Result<Vec<LoanPath>, DataError> {
        read_loan_tape_from(format!("{HEADER}{rows}").as_bytes(), "loans.csv")
    }

    #[test]
    fn groups_rows_into_loan_paths() {
        let loans = read("A,12,360,12,1.01\nB,8,90,3,1.02\nA,12,360,12,1.02\n").unwrap();
        assert_eq!(loans.len(), 2);
        assert_eq!(loans[0].normalized_cumulative_returns, vec![1.01, 1.02]);
        assert_eq!(loans[1].loan_id, "B");
        let returns = loans[0].log_returns().unwrap();
        assert!((returns[1] - (1.02f64 / 1.01).ln()).abs() < 1e-15);
    }

    #[test]
    fn drift_matches_compounding_convention() {
        // 12 monthly periods over 365.25 days: m = 12, mu = 12 ln(1 + r/12).
        let loan = LoanPath {
            loan_id: "A".into(),
            base_interest_rate_pct: 12.0,
            loan_duration_days: 1461,
            compounding_periods: 48,
            normalized_cumulative_returns: vec![],
        };
        assert!((loan.drift_from_base_rate() - 12.0 * 1.01f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn drift_matches_every_compounding_convention() {
        // One period over a year at 10%: growth 1.1, mu = ln 1.1.
        let year = DAYS_PER_YEAR;
        assert!((drift_from_base_rate(10.0, year, 1) - 1.1_f64.ln()).abs() < 1e-15);
        // Many periods approach continuous compounding, and 0 periods is continuous.
        assert!((drift_from_base_rate(10.0, year, 1_000_000) - 0.1).abs() < 1e-8);
        assert_eq!(drift_from_base_rate(10.0, 90.0, 0), 0.1);
        // Half a year, 2 periods at 8%: growth (1.02)².
        let mu = drift_from_base_rate(8.0, year / 2.0, 2);
        assert!(((mu * 0.5).exp() - 1.02_f64.powi(2)).abs() < 1e-14);
    }

    #[test]
    fn malformed_fields_name_line_and_column() {
        let cases = [
            (
                "A,NaN,360,12,1.0\n",
                "base_interest_rate",
                FieldProblem::NotFinite,
            ),
            (
                "A,5,360.5,12,1.0\n",
                "loan_duration_days",
                FieldProblem::NotAnInteger,
            ),
            (
                "A,5,360,0,1.0\n",
                "compounding_periods",
                FieldProblem::NotPositive,
            ),
            (
                "A,5,360,12,-0.2\n",
                "normalized_cumulative_return",
                FieldProblem::Negative,
            ),
        ];
        for (row, expected_column, expected_problem) in cases {
            match read(row) {
                Err(DataError::InvalidField {
                    line,
                    column,
                    problem,
                    ..
                }) => {
                    assert_eq!(
                        (line, column, problem),
                        (2, expected_column, expected_problem)
                    );
                }
                other => panic!("{row}: expected an invalid field, got {other:?}"),
            }
        }
    }

    #[test]
    fn missing_column_and_field() {
        let no_column =
            "loan_id,base_interest_rate,loan_duration_days,compounding_periods\nA,5,360,12\n";
        assert!(matches!(
            read_loan_tape_from(no_column.as_bytes(), "loans.csv"),
            Err(DataError::MissingColumn {
                column: "normalized_cumulative_return",
                ..
            })
        ));
        assert!(matches!(
            read("A,5,360\n"),
            Err(DataError::MissingField {
                line: 2,
                column: "compounding_periods",
                ..
            })
        ));
    }

    #[test]
    fn changed_terms_and_extra_periods_are_rejected() {
        match read("A,5,360,12,1.0\nA,6,360,12,1.0\n") {
            Err(DataError::InconsistentLoan {
                line,
                column,
                first_line,
                ..
            }) => {
                assert_eq!((line, column, first_line), (3, "base_interest_rate", 2));
            }
            other => panic!("expected inconsistent terms, got {other:?}"),
        }
        assert!(matches!(
            read("A,5,60,2,1.0\nA,5,60,2,1.0\nA,5,60,2,1.0\n"),
            Err(DataError::TooManyPeriods { line: 4, .. })
        ));
    }

    #[test]
    fn written_off_loan_has_no_log_returns() {
        let loans = read("A,5,60,2,0.5\nA,5,60,2,0\n").unwrap();
        assert_eq!(loans[0].log_returns(), None);
    }
}
