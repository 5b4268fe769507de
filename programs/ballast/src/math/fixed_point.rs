//! I80F48 helpers with explicit rounding, and the type that stores an I80F48
//! in an account.
//!
//! `fixed` rounds multiplication toward −∞ and division toward zero. These
//! helpers work on non-negative operands, where both mean "down", and build
//! the upward variants on top with an exactness check.

use anchor_lang::prelude::*;
pub use fixed::types::I80F48;

use crate::errors::BallastError;

/// The smallest positive I80F48, 2^-48.
pub const EPSILON: I80F48 = I80F48::DELTA;

/// An I80F48 as stored in an account: its raw bits.
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Default, PartialEq, Eq, Debug,
)]
pub struct FixedBits {
    pub bits: i128,
}

impl FixedBits {
    pub const ZERO: Self = Self { bits: 0 };

    pub fn get(self) -> I80F48 {
        I80F48::from_bits(self.bits)
    }
}

impl From<I80F48> for FixedBits {
    fn from(value: I80F48) -> Self {
        Self {
            bits: value.to_bits(),
        }
    }
}

pub(crate) fn overflow() -> Error {
    error!(BallastError::MathOverflow)
}

fn require_non_negative(values: &[I80F48]) -> Result<()> {
    if values.iter().any(|v| v.is_negative()) {
        return Err(overflow());
    }
    Ok(())
}

/// The exact fraction `numerator / denominator`, rounded down.
pub fn ratio(numerator: i64, denominator: i64) -> I80F48 {
    I80F48::from_num(numerator) / I80F48::from_num(denominator)
}

pub fn add(a: I80F48, b: I80F48) -> Result<I80F48> {
    a.checked_add(b).ok_or_else(overflow)
}

pub fn sub(a: I80F48, b: I80F48) -> Result<I80F48> {
    a.checked_sub(b).ok_or_else(overflow)
}

pub fn mul_floor(a: I80F48, b: I80F48) -> Result<I80F48> {
    require_non_negative(&[a, b])?;
    a.checked_mul(b).ok_or_else(overflow)
}

pub fn mul_ceil(a: I80F48, b: I80F48) -> Result<I80F48> {
    require_non_negative(&[a, b])?;
    // ceil(x) = -floor(-x), and `fixed` multiplication floors.
    (-a).checked_mul(b)
        .and_then(|product| product.checked_neg())
        .ok_or_else(overflow)
}

pub fn div_floor(a: I80F48, b: I80F48) -> Result<I80F48> {
    require_non_negative(&[a])?;
    if b <= 0 {
        return Err(overflow());
    }
    a.checked_div(b).ok_or_else(overflow)
}

pub fn div_ceil(a: I80F48, b: I80F48) -> Result<I80F48> {
    let quotient = div_floor(a, b)?;
    // For non-negative operands the floored product equals `a` exactly
    // when, and only when, the division was exact.
    if mul_floor(quotient, b)? == a {
        Ok(quotient)
    } else {
        add(quotient, EPSILON)
    }
}

pub fn div_int_floor(a: I80F48, divisor: u64) -> Result<I80F48> {
    div_floor(a, I80F48::from_num(divisor))
}

pub fn div_int_ceil(a: I80F48, divisor: u64) -> Result<I80F48> {
    div_ceil(a, I80F48::from_num(divisor))
}

/// The whole part of a non-negative value as a token amount, rounded down.
pub fn to_u64_floor(value: I80F48) -> Result<u64> {
    require_non_negative(&[value])?;
    value.floor().checked_to_num::<u64>().ok_or_else(overflow)
}

/// A non-negative value as a token amount, rounded up.
pub fn to_u64_ceil(value: I80F48) -> Result<u64> {
    require_non_negative(&[value])?;
    value
        .checked_ceil()
        .and_then(|v| v.checked_to_num::<u64>())
        .ok_or_else(overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fx(bits: u128) -> I80F48 {
        I80F48::from_bits(bits as i128)
    }

    proptest! {
        // Operands below 2^60 bits keep the exact product inside u128.
        #[test]
        fn mul_rounds_down_and_up_exactly(a in 0u128..1 << 60, b in 0u128..1 << 60) {
            let exact = a * b;
            let floor = exact >> 48;
            let ceil = exact.div_ceil(1 << 48);
            prop_assert_eq!(mul_floor(fx(a), fx(b)).unwrap(), fx(floor));
            prop_assert_eq!(mul_ceil(fx(a), fx(b)).unwrap(), fx(ceil));
        }

        #[test]
        fn div_rounds_down_and_up_exactly(a in 0u128..1 << 70, b in 1u128..1 << 60) {
            let scaled = a << 48;
            prop_assert_eq!(div_floor(fx(a), fx(b)).unwrap(), fx(scaled / b));
            prop_assert_eq!(div_ceil(fx(a), fx(b)).unwrap(), fx(scaled.div_ceil(b)));
        }

        #[test]
        fn integer_division_rounds_down_and_up_exactly(a in 0u128..1 << 100, d in 1u64..u64::MAX) {
            prop_assert_eq!(div_int_floor(fx(a), d).unwrap(), fx(a / d as u128));
            prop_assert_eq!(div_int_ceil(fx(a), d).unwrap(), fx(a.div_ceil(d as u128)));
        }
    }

    #[test]
    fn negative_operands_and_zero_divisors_are_errors() {
        let one = I80F48::ONE;
        assert!(mul_floor(-one, one).is_err());
        assert!(mul_ceil(one, -one).is_err());
        assert!(div_floor(-one, one).is_err());
        assert!(div_floor(one, I80F48::ZERO).is_err());
        assert!(div_ceil(one, -one).is_err());
        assert!(to_u64_floor(-one).is_err());
        assert!(to_u64_ceil(I80F48::MAX).is_err());
    }

    #[test]
    fn u64_conversions_round_as_named() {
        let two_and_a_bit = I80F48::from_num(2) + EPSILON;
        assert_eq!(to_u64_floor(two_and_a_bit).unwrap(), 2);
        assert_eq!(to_u64_ceil(two_and_a_bit).unwrap(), 3);
        assert_eq!(to_u64_ceil(I80F48::from_num(2)).unwrap(), 2);
    }
}
