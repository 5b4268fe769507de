//! Shared CSV plumbing: find the named columns in the header, then hand each
//! record to the caller as a [`Row`] whose accessors parse and validate one
//! field and report failures with file, line and column.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use csv::{ReaderBuilder, StringRecord, Trim};

use super::{DataError, Date, FieldProblem};

/// A CSV source with the required columns located in its header.
pub(super) struct CsvTable<R> {
    file: String,
    reader: csv::Reader<R>,
    names: &'static [&'static str],
    indices: Vec<usize>,
}

impl CsvTable<File> {
    /// Opens `path` and locates `names` in its header.
    pub(super) fn open(path: &Path, names: &'static [&'static str]) -> Result<Self, DataError> {
        let file = path.display().to_string();
        let handle = File::open(path).map_err(|source| DataError::Io {
            file: file.clone(),
            source,
        })?;
        Self::new(handle, file, names)
    }
}

impl<R: Read> CsvTable<R> {
    /// Reads the header of `reader` (called `file` in errors) and locates `names`.
    pub(super) fn new(
        reader: R,
        file: String,
        names: &'static [&'static str],
    ) -> Result<Self, DataError> {
        let mut reader = ReaderBuilder::new()
            .trim(Trim::All)
            .flexible(true)
            .from_reader(reader);
        let header = reader
            .headers()
            .map_err(|source| csv_error(&file, source))?;
        let indices = names
            .iter()
            .map(|&column| {
                header
                    .iter()
                    .position(|name| name == column)
                    .ok_or_else(|| DataError::MissingColumn {
                        file: file.clone(),
                        column,
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            file,
            reader,
            names,
            indices,
        })
    }

    /// File name used in errors.
    pub(super) fn file(&self) -> &str {
        &self.file
    }

    /// Calls `visit` on every data row in order; stops at the first error.
    /// Fails with [`DataError::NoRows`] if there are none.
    pub(super) fn for_each_row(
        mut self,
        mut visit: impl FnMut(&Row<'_>) -> Result<(), DataError>,
    ) -> Result<(), DataError> {
        let mut record = StringRecord::new();
        let mut rows = 0usize;
        loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(source) => return Err(csv_error(&self.file, source)),
            }
            if record.iter().all(str::is_empty) {
                continue; // a blank line
            }
            rows += 1;
            let row = Row {
                file: &self.file,
                line: record.position().map_or(0, |p| p.line()),
                record: &record,
                names: self.names,
                indices: &self.indices,
            };
            visit(&row)?;
        }
        if rows == 0 {
            return Err(DataError::NoRows { file: self.file });
        }
        Ok(())
    }
}

fn csv_error(file: &str, source: csv::Error) -> DataError {
    DataError::Csv {
        file: file.to_owned(),
        line: source.position().map_or(0, |p| p.line()),
        source,
    }
}

/// One data record; column `k` is the `k`-th name given to [`CsvTable`].
pub(super) struct Row<'a> {
    file: &'a str,
    line: u64,
    record: &'a StringRecord,
    names: &'static [&'static str],
    indices: &'a [usize],
}

impl Row<'_> {
    /// 1-based line number of this record.
    pub(super) fn line(&self) -> u64 {
        self.line
    }

    /// Name of column `k`.
    pub(super) fn column(&self, k: usize) -> &'static str {
        self.names[k]
    }

    /// The raw, non-empty text of column `k`.
    pub(super) fn text(&self, k: usize) -> Result<&str, DataError> {
        let value = self
            .record
            .get(self.indices[k])
            .ok_or_else(|| DataError::MissingField {
                file: self.file.to_owned(),
                line: self.line,
                column: self.names[k],
            })?;
        if value.is_empty() {
            return Err(self.invalid(k, value, FieldProblem::Empty));
        }
        Ok(value)
    }

    /// Column `k` as a finite number.
    pub(super) fn finite(&self, k: usize) -> Result<f64, DataError> {
        let text = self.text(k)?;
        let value: f64 = text
            .parse()
            .map_err(|_| self.invalid(k, text, FieldProblem::NotANumber))?;
        if !value.is_finite() {
            return Err(self.invalid(k, text, FieldProblem::NotFinite));
        }
        Ok(value)
    }

    /// Column `k` as a finite number `>= 0`.
    pub(super) fn non_negative(&self, k: usize) -> Result<f64, DataError> {
        let value = self.finite(k)?;
        if value < 0.0 {
            return Err(self.invalid(k, self.text(k)?, FieldProblem::Negative));
        }
        Ok(value)
    }

    /// Column `k` as a finite number `> 0`; negative values are reported as such.
    pub(super) fn positive(&self, k: usize) -> Result<f64, DataError> {
        let value = self.non_negative(k)?;
        if value == 0.0 {
            return Err(self.invalid(k, self.text(k)?, FieldProblem::NotPositive));
        }
        Ok(value)
    }

    /// Column `k` as a whole number `>= 1`.
    pub(super) fn positive_count(&self, k: usize) -> Result<u32, DataError> {
        let text = self.text(k)?;
        match text.parse::<u32>() {
            Ok(0) => Err(self.invalid(k, text, FieldProblem::NotPositive)),
            Ok(count) => Ok(count),
            Err(_) => Err(self.invalid(k, text, FieldProblem::NotAnInteger)),
        }
    }

    /// Column `k` as an ISO date.
    pub(super) fn date(&self, k: usize) -> Result<Date, DataError> {
        let text = self.text(k)?;
        text.parse()
            .map_err(|_| self.invalid(k, text, FieldProblem::NotADate))
    }

    fn invalid(&self, k: usize, value: &str, problem: FieldProblem) -> DataError {
        DataError::InvalidField {
            file: self.file.to_owned(),
            line: self.line,
            column: self.names[k],
            value: value.to_owned(),
            problem,
        }
    }
}
