//! Price histories: the long CSV format `date,asset,price`, its reader and
//! writer, and the aligned per-asset form that estimation works on.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::csv_table::CsvTable;
use super::{DataError, Date};

const PRICE_COLUMNS: &[&str] = &["date", "asset", "price"];
const DATE: usize = 0;
const ASSET: usize = 1;
const PRICE: usize = 2;

/// One row of a long-format price file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceObservation {
    /// Observation date.
    pub date: Date,
    /// Asset symbol.
    pub asset: String,
    /// Price, finite and positive.
    pub price: f64,
}

/// Reads a long-format price file (`date,asset,price`, any column order,
/// extra columns ignored). Each asset's dates must strictly increase down the
/// file; prices must be finite and positive.
pub fn read_prices(path: &Path) -> Result<Vec<PriceObservation>, DataError> {
    parse_prices(CsvTable::open(path, PRICE_COLUMNS)?)
}

/// [`read_prices`] from any reader; `name` stands for the file in errors.
pub fn read_prices_from(reader: impl Read, name: &str) -> Result<Vec<PriceObservation>, DataError> {
    parse_prices(CsvTable::new(reader, name.to_owned(), PRICE_COLUMNS)?)
}

fn parse_prices<R: Read>(table: CsvTable<R>) -> Result<Vec<PriceObservation>, DataError> {
    let file = table.file().to_owned();
    let mut observations = Vec::new();
    let mut last_date: HashMap<String, Date> = HashMap::new();
    table.for_each_row(|row| {
        let date = row.date(DATE)?;
        let asset = row.text(ASSET)?.to_owned();
        let price = row.positive(PRICE)?;
        if let Some(&previous) = last_date.get(&asset) {
            if date <= previous {
                return Err(DataError::UnsortedDates {
                    file: file.clone(),
                    line: row.line(),
                    asset,
                    date,
                    previous,
                });
            }
        }
        last_date.insert(asset.clone(), date);
        observations.push(PriceObservation { date, asset, price });
        Ok(())
    })?;
    Ok(observations)
}

/// Writes observations as a long-format price file that [`read_prices`] reads
/// back exactly (prices are printed in shortest round-trip form).
pub fn write_prices(path: &Path, history: &PriceHistory) -> Result<(), DataError> {
    let file = path.display().to_string();
    let io_error = |source| DataError::Io {
        file: file.clone(),
        source,
    };
    let handle = std::fs::File::create(path).map_err(io_error)?;
    write_prices_to(std::io::BufWriter::new(handle), history).map_err(io_error)
}

/// [`write_prices`] to any writer, rows ordered by date then asset.
pub fn write_prices_to(mut out: impl Write, history: &PriceHistory) -> std::io::Result<()> {
    writeln!(out, "{}", PRICE_COLUMNS.join(","))?;
    for (t, date) in history.dates.iter().enumerate() {
        for (asset, series) in history.assets.iter().zip(&history.prices) {
            writeln!(out, "{date},{asset},{}", series[t])?;
        }
    }
    out.flush()
}

/// Prices of several assets on one common, strictly increasing set of dates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PriceHistory {
    dates: Vec<Date>,
    assets: Vec<String>,
    /// `prices[i][t]`: asset `i` on `dates[t]`.
    prices: Vec<Vec<f64>>,
}

impl PriceHistory {
    /// Builds a history from per-asset series on common dates; checks shapes,
    /// strictly increasing dates, distinct assets and finite positive prices.
    pub fn new(
        dates: Vec<Date>,
        assets: Vec<String>,
        prices: Vec<Vec<f64>>,
    ) -> Result<Self, DataError> {
        let invalid = |why: String| Err(DataError::InvalidHistory(why));
        if assets.is_empty() || dates.is_empty() {
            return invalid("needs at least one asset and one date".into());
        }
        if prices.len() != assets.len() {
            return invalid(format!(
                "{} assets but {} price series",
                assets.len(),
                prices.len()
            ));
        }
        if let Some(pair) = dates.windows(2).find(|pair| pair[1] <= pair[0]) {
            return invalid(format!("dates not strictly increasing at {}", pair[1]));
        }
        for (i, (asset, series)) in assets.iter().zip(&prices).enumerate() {
            if assets[..i].contains(asset) {
                return invalid(format!("asset {asset} appears twice"));
            }
            if series.len() != dates.len() {
                return invalid(format!(
                    "{asset} has {} prices for {} dates",
                    series.len(),
                    dates.len()
                ));
            }
            if let Some(t) = series.iter().position(|p| !(p.is_finite() && *p > 0.0)) {
                return invalid(format!(
                    "{asset} price {} on {} is not finite and positive",
                    series[t], dates[t]
                ));
            }
        }
        Ok(Self {
            dates,
            assets,
            prices,
        })
    }

    /// Aligns long-format observations (as read from a file) into per-asset
    /// series. Assets keep the order of their first appearance; every asset
    /// must be observed on exactly the same dates.
    pub fn from_observations(observations: &[PriceObservation]) -> Result<Self, DataError> {
        let mut assets: Vec<String> = Vec::new();
        let mut series: Vec<Vec<(Date, f64)>> = Vec::new();
        for observation in observations {
            let i = match assets.iter().position(|a| *a == observation.asset) {
                Some(i) => i,
                None => {
                    assets.push(observation.asset.clone());
                    series.push(Vec::new());
                    assets.len() - 1
                }
            };
            series[i].push((observation.date, observation.price));
        }
        for points in &mut series {
            points.sort_by_key(|&(date, _)| date);
        }
        let Some(reference) = series.first() else {
            return Err(DataError::InvalidHistory("no observations".into()));
        };
        let dates: Vec<Date> = reference.iter().map(|&(date, _)| date).collect();
        for (asset, points) in assets.iter().zip(&series).skip(1) {
            let own: Vec<Date> = points.iter().map(|&(date, _)| date).collect();
            if let Some(date) = first_difference(&dates, &own) {
                return Err(DataError::MisalignedDates {
                    asset: asset.clone(),
                    reference: assets[0].clone(),
                    date,
                });
            }
        }
        let prices = series
            .into_iter()
            .map(|points| points.into_iter().map(|(_, price)| price).collect())
            .collect();
        Self::new(dates, assets, prices)
    }

    /// Observation dates, strictly increasing.
    pub fn dates(&self) -> &[Date] {
        &self.dates
    }

    /// Asset symbols in column order.
    pub fn assets(&self) -> &[String] {
        &self.assets
    }

    /// Prices of asset `i`, one per date.
    pub fn series(&self, i: usize) -> &[f64] {
        &self.prices[i]
    }

    /// Column index of `asset`, if present.
    pub fn asset_index(&self, asset: &str) -> Option<usize> {
        self.assets.iter().position(|a| a == asset)
    }

    /// Log returns `ln(p_t / p_{t-1})` between consecutive dates, with each
    /// interval's length in years (dates may be unevenly spaced).
    pub fn log_returns(&self) -> LogReturns {
        let periods = self.dates.len().saturating_sub(1);
        let values = DMatrix::from_fn(periods, self.assets.len(), |t, i| {
            (self.prices[i][t + 1] / self.prices[i][t]).ln()
        });
        LogReturns {
            assets: self.assets.clone(),
            end_dates: self.dates.iter().skip(1).copied().collect(),
            year_fractions: self
                .dates
                .windows(2)
                .map(|pair| pair[1].years_since(pair[0]))
                .collect(),
            values,
        }
    }
}

/// Earliest date in exactly one of two sorted date lists.
fn first_difference(a: &[Date], b: &[Date]) -> Option<Date> {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Equal => (i, j) = (i + 1, j + 1),
            std::cmp::Ordering::Less => return Some(a[i]),
            std::cmp::Ordering::Greater => return Some(b[j]),
        }
    }
    a.get(i).or_else(|| b.get(j)).copied()
}

/// Log returns of aligned assets, one row per interval between dates.
#[derive(Clone, Debug, PartialEq)]
pub struct LogReturns {
    /// Asset symbols, one per column of `values`.
    pub assets: Vec<String>,
    /// Date at the end of each interval.
    pub end_dates: Vec<Date>,
    /// Length of each interval in years (ACT/365.25).
    pub year_fractions: Vec<f64>,
    /// `values[(t, i)]`: log return of asset `i` over interval `t`.
    pub values: DMatrix<f64>,
}

impl LogReturns {
    /// Number of return intervals.
    pub fn periods(&self) -> usize {
        self.values.nrows()
    }

    /// Intervals per year implied by the average interval length, the factor
    /// that annualises per-period moments.
    pub fn periods_per_year(&self) -> f64 {
        let total: f64 = self.year_fractions.iter().sum();
        self.year_fractions.len() as f64 / total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::FieldProblem;

    fn read(text: &str) -> Result<Vec<PriceObservation>, DataError> {
        read_prices_from(text.as_bytes(), "prices.csv")
    }

    fn invalid_field(text: &str) -> (u64, &'static str, FieldProblem) {
        match read(text) {
            Err(DataError::InvalidField {
                file,
                line,
                column,
                problem,
                ..
            }) => {
                assert_eq!(file, "prices.csv");
                (line, column, problem)
            }
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn reads_long_format_in_any_column_order() {
        let rows = read(
            "asset,price,date\nBTC,100.5,2024-01-01\nETH,2000,2024-01-01\nBTC,101,2024-01-02\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].asset, "BTC");
        assert_eq!(rows[2].date.to_string(), "2024-01-02");
        assert_eq!(rows[0].price, 100.5);
    }

    #[test]
    fn nan_price_names_line_and_column() {
        let text = "date,asset,price\n2024-01-01,BTC,100\n2024-01-02,BTC,NaN\n";
        assert_eq!(invalid_field(text), (3, "price", FieldProblem::NotFinite));
    }

    #[test]
    fn negative_and_zero_prices_are_rejected() {
        let negative = "date,asset,price\n2024-01-01,BTC,-3\n";
        assert_eq!(
            invalid_field(negative),
            (2, "price", FieldProblem::Negative)
        );
        let zero = "date,asset,price\n2024-01-01,BTC,0\n";
        assert_eq!(invalid_field(zero), (2, "price", FieldProblem::NotPositive));
    }

    #[test]
    fn text_price_and_bad_date_are_rejected() {
        let text = "date,asset,price\n2024-01-01,BTC,abc\n";
        assert_eq!(invalid_field(text), (2, "price", FieldProblem::NotANumber));
        let date = "date,asset,price\n2024-02-30,BTC,1\n";
        assert_eq!(invalid_field(date), (2, "date", FieldProblem::NotADate));
        let empty_asset = "date,asset,price\n2024-01-01,,1\n";
        assert_eq!(
            invalid_field(empty_asset),
            (2, "asset", FieldProblem::Empty)
        );
    }

    #[test]
    fn missing_column_in_header() {
        match read("date,ticker,price\n2024-01-01,BTC,1\n") {
            Err(DataError::MissingColumn { file, column }) => {
                assert_eq!((file.as_str(), column), ("prices.csv", "asset"));
            }
            other => panic!("expected a missing column, got {other:?}"),
        }
    }

    #[test]
    fn short_record_names_missing_field() {
        match read("date,asset,price\n2024-01-01,BTC,1\n2024-01-02,BTC\n") {
            Err(DataError::MissingField { line, column, .. }) => {
                assert_eq!((line, column), (3, "price"))
            }
            other => panic!("expected a missing field, got {other:?}"),
        }
    }

    #[test]
    fn unsorted_and_duplicate_dates_are_rejected_per_asset() {
        let text = "date,asset,price\n2024-01-02,BTC,1\n2024-01-01,ETH,1\n2024-01-01,BTC,1\n";
        match read(text) {
            Err(DataError::UnsortedDates { line, asset, .. }) => {
                assert_eq!((line, asset.as_str()), (4, "BTC"))
            }
            other => panic!("expected unsorted dates, got {other:?}"),
        }
        let duplicate = "date,asset,price\n2024-01-02,BTC,1\n2024-01-02,BTC,2\n";
        assert!(matches!(
            read(duplicate),
            Err(DataError::UnsortedDates { line: 3, .. })
        ));
    }

    #[test]
    fn header_only_file_has_no_rows() {
        assert!(matches!(
            read("date,asset,price\n"),
            Err(DataError::NoRows { .. })
        ));
    }

    #[test]
    fn aligns_assets_and_computes_log_returns_over_uneven_dates() {
        let text = "date,asset,price\n2024-01-01,BTC,100\n2024-01-01,USD,1\n2024-01-02,BTC,110\n2024-01-02,USD,1\n2024-01-05,BTC,99\n2024-01-05,USD,1\n";
        let history = PriceHistory::from_observations(&read(text).unwrap()).unwrap();
        assert_eq!(history.assets(), ["BTC", "USD"]);
        let returns = history.log_returns();
        assert_eq!(returns.periods(), 2);
        assert!((returns.values[(0, 0)] - (1.1f64).ln()).abs() < 1e-15);
        assert!((returns.values[(1, 0)] - (0.9f64).ln()).abs() < 1e-15);
        assert_eq!(returns.values[(1, 1)], 0.0);
        assert_eq!(returns.year_fractions, vec![1.0 / 365.25, 3.0 / 365.25]);
        assert!((returns.periods_per_year() - 365.25 / 2.0).abs() < 1e-9);
    }

    #[test]
    fn assets_on_different_dates_cannot_be_aligned() {
        let text = "date,asset,price\n2024-01-01,BTC,100\n2024-01-01,ETH,1\n2024-01-02,BTC,110\n2024-01-03,ETH,1\n";
        match PriceHistory::from_observations(&read(text).unwrap()) {
            Err(DataError::MisalignedDates { asset, date, .. }) => {
                assert_eq!(
                    (asset.as_str(), date.to_string().as_str()),
                    ("ETH", "2024-01-02")
                );
            }
            other => panic!("expected misaligned dates, got {other:?}"),
        }
    }

    #[test]
    fn reads_a_file_and_reports_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        std::fs::write(&path, "date,asset,price\n2024-01-01,BTC,inf\n").unwrap();
        let message = read_prices(&path).unwrap_err().to_string();
        assert!(
            message.contains("p.csv, line 2, column `price`"),
            "{message}"
        );
        assert!(matches!(
            read_prices(&dir.path().join("absent.csv")),
            Err(DataError::Io { .. })
        ));
    }
}
