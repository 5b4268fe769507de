//! Typed errors for reading and shaping data: each names the file, the line
//! and the column it is about, so a bad row can be fixed without guessing.

use super::Date;

/// What is wrong with one field's value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldProblem {
    /// The field is empty.
    #[error("is empty")]
    Empty,
    /// The field does not parse as a number.
    #[error("is not a number")]
    NotANumber,
    /// The field parses as NaN or an infinity.
    #[error("is not finite")]
    NotFinite,
    /// The field is negative where only non-negative values make sense.
    #[error("is negative")]
    Negative,
    /// The field is zero or negative where only positive values make sense.
    #[error("is not positive")]
    NotPositive,
    /// The field is not a whole number in range.
    #[error("is not a whole number in range")]
    NotAnInteger,
    /// The field is not an ISO date.
    #[error("is not an ISO date YYYY-MM-DD")]
    NotADate,
}

/// Everything that can go wrong reading, validating or writing data files.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened, read or written.
    #[error("{file}: {source}")]
    Io {
        /// File name as given.
        file: String,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The CSV layer could not split a record (for example bad quoting).
    #[error("{file}, line {line}: malformed CSV: {source}")]
    Csv {
        /// File name as given.
        file: String,
        /// 1-based line number, 0 if unknown.
        line: u64,
        /// Underlying error.
        #[source]
        source: csv::Error,
    },
    /// The header has no column of this name.
    #[error("{file}, line 1: header has no column `{column}`")]
    MissingColumn {
        /// File name as given.
        file: String,
        /// Required column.
        column: &'static str,
    },
    /// A record is shorter than the header and lacks this column.
    #[error("{file}, line {line}, column `{column}`: field is missing")]
    MissingField {
        /// File name as given.
        file: String,
        /// 1-based line number.
        line: u64,
        /// Column whose field is missing.
        column: &'static str,
    },
    /// A field is present but its value is unusable.
    #[error("{file}, line {line}, column `{column}`: value `{value}` {problem}")]
    InvalidField {
        /// File name as given.
        file: String,
        /// 1-based line number.
        line: u64,
        /// Column of the field.
        column: &'static str,
        /// The raw text of the field.
        value: String,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// An asset's dates do not strictly increase down the file.
    #[error("{file}, line {line}, column `date`: {asset} date {date} does not come after its previous date {previous}")]
    UnsortedDates {
        /// File name as given.
        file: String,
        /// 1-based line number.
        line: u64,
        /// Asset whose series is out of order.
        asset: String,
        /// Date on this line.
        date: Date,
        /// The asset's date on its previous line.
        previous: Date,
    },
    /// A loan's static terms differ between two of its rows.
    #[error("{file}, line {line}, column `{column}`: loan {loan_id} has `{value}` here but `{first_value}` on line {first_line}")]
    InconsistentLoan {
        /// File name as given.
        file: String,
        /// 1-based line number of the contradicting row.
        line: u64,
        /// Column that changed.
        column: &'static str,
        /// Loan identifier.
        loan_id: String,
        /// Value on this line.
        value: String,
        /// Value on the loan's first line.
        first_value: String,
        /// The loan's first line.
        first_line: u64,
    },
    /// A loan has more rows than compounding periods.
    #[error("{file}, line {line}: loan {loan_id} has more rows than its {compounding_periods} compounding periods")]
    TooManyPeriods {
        /// File name as given.
        file: String,
        /// 1-based line number of the extra row.
        line: u64,
        /// Loan identifier.
        loan_id: String,
        /// The loan's compounding periods.
        compounding_periods: u32,
    },
    /// The file has a header but no data rows.
    #[error("{file}: no data rows")]
    NoRows {
        /// File name as given.
        file: String,
    },
    /// Two assets are not observed on the same dates, so they cannot be aligned.
    #[error("asset {asset} is not observed on the same dates as {reference}: first difference at {date}")]
    MisalignedDates {
        /// Asset whose dates differ.
        asset: String,
        /// First asset, whose dates are the reference.
        reference: String,
        /// Earliest date present in one series but not the other.
        date: Date,
    },
    /// A price history was built from inconsistent parts.
    #[error("invalid price history: {0}")]
    InvalidHistory(String),
}
