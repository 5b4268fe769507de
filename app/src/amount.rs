//! Decimal amounts typed by people, turned into token units exactly.

use anyhow::{bail, Context, Result};

/// "12.5" with 6 decimals is 12_500_000. No floating point, so no rounding:
/// more fractional digits than the token has is an error.
pub fn parse_amount(text: &str, decimals: u8) -> Result<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty() {
        bail!("`{text}` is not an amount");
    }
    if !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
        bail!("`{text}` is not an amount: use digits and at most one decimal point");
    }
    if fraction.len() > decimals as usize {
        bail!("`{text}` has more than {decimals} decimal places");
    }
    let scale = 10u64.pow(decimals as u32);
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().with_context(|| format!("`{text}` is too large"))? };
    let padded = format!("{fraction:0<width$}", width = decimals as usize);
    let fraction: u64 = if padded.is_empty() { 0 } else { padded.parse()? };
    whole
        .checked_mul(scale)
        .and_then(|units| units.checked_add(fraction))
        .with_context(|| format!("`{text}` is too large"))
}

/// Token units as a decimal string with all of the token's decimals.
pub fn format_amount(units: u64, decimals: u8) -> String {
    let scale = 10u64.pow(decimals as u32);
    if decimals == 0 {
        return units.to_string();
    }
    format!("{}.{:0width$}", units / scale, units % scale, width = decimals as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_amount("12.5", 6).unwrap(), 12_500_000);
        assert_eq!(parse_amount("0.000001", 6).unwrap(), 1);
        assert_eq!(parse_amount("7", 6).unwrap(), 7_000_000);
        assert_eq!(parse_amount(".5", 6).unwrap(), 500_000);
        assert_eq!(format_amount(12_500_000, 6), "12.500000");
    }

    #[test]
    fn refuses_what_it_cannot_represent() {
        for bad in ["", ".", "1.2.3", "-1", "1e6", "0.0000001", "99999999999999999999"] {
            assert!(parse_amount(bad, 6).is_err(), "{bad}");
        }
        assert!(parse_amount("0.0000001", 6).unwrap_err().to_string().contains("6 decimal places"));
    }
}
