//! Calendar dates without a date-time dependency: ISO `YYYY-MM-DD` only.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Days per year used to turn day counts into year fractions (ACT/365.25, so
/// crypto markets that trade every day annualise without a calendar).
pub const DAYS_PER_YEAR: f64 = 365.25;

/// A proleptic Gregorian calendar date, stored as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days_since_epoch: i64,
}

/// Why a string is not an ISO date.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO date YYYY-MM-DD")]
pub struct DateParseError(pub String);

impl Date {
    /// The date `year-month-day`, or `None` if no such day exists.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self {
            days_since_epoch: days_from_civil(year, month, day),
        })
    }

    /// `(year, month, day)`.
    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.days_since_epoch)
    }

    /// This date moved by `days` (negative moves back).
    pub fn add_days(self, days: i64) -> Self {
        Self {
            days_since_epoch: self.days_since_epoch + days,
        }
    }

    /// Whole days from `earlier` to `self` (negative if `earlier` is later).
    pub fn days_since(self, earlier: Date) -> i64 {
        self.days_since_epoch - earlier.days_since_epoch
    }

    /// Year fraction from `earlier` to `self` on the ACT/365.25 basis.
    pub fn years_since(self, earlier: Date) -> f64 {
        self.days_since(earlier) as f64 / DAYS_PER_YEAR
    }
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's `days_from_civil` / `civil_from_days` (eras of 400 years).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl FromStr for Date {
    type Err = DateParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || DateParseError(text.to_owned());
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = bytes.get(range)?;
            part.iter().all(u8::is_ascii_digit).then(|| {
                part.iter()
                    .fold(0u32, |acc, &digit| acc * 10 + u32::from(digit - b'0'))
            })
        };
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(error());
        }
        let (year, month, day) = (digits(0..4), digits(5..7), digits(8..10));
        match (year, month, day) {
            (Some(y), Some(m), Some(d)) => Date::from_ymd(i64::from(y), m, d).ok_or_else(error),
            _ => Err(error()),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.ymd();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().days_since_epoch, 0);
        // 2000-03-01 is 11017 days after the epoch (2000 is a leap year).
        assert_eq!(Date::from_ymd(2000, 3, 1).unwrap().days_since_epoch, 11_017);
        let leap = Date::from_ymd(2024, 2, 28).unwrap().add_days(1);
        assert_eq!(leap.to_string(), "2024-02-29");
        assert_eq!(leap.add_days(1).to_string(), "2024-03-01");
    }

    #[test]
    fn parse_round_trips_over_many_years() {
        let start = Date::from_ymd(1899, 12, 25).unwrap();
        for offset in (0..150_000).step_by(37) {
            let date = start.add_days(offset);
            assert_eq!(date.to_string().parse::<Date>(), Ok(date));
        }
    }

    #[test]
    fn rejects_malformed_and_impossible_dates() {
        for text in [
            "2023-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-1-01",
            "23-01-01",
            "2023/01/01",
            "2023-01-0a",
            "",
        ] {
            assert!(text.parse::<Date>().is_err(), "{text} accepted");
        }
    }
}
