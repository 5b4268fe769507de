//! Token amounts ↔ dollar values.
//!
//! value = amount × price / 10^decimals, and its inverse. The stablecoin is
//! valued at par, so it is a token with price one and `STABLE_DECIMALS`.

use anchor_lang::prelude::*;

use super::fixed_point::*;
use crate::constants::STABLE_DECIMALS;

/// 10^decimals; more than 19 decimals does not fit a u64 and is an error.
pub fn pow10(decimals: u8) -> Result<u64> {
    10u64.checked_pow(decimals as u32).ok_or_else(overflow)
}

/// The value of `amount` base units at `price`, rounded down.
pub fn token_value_floor(amount: u64, decimals: u8, price: I80F48) -> Result<I80F48> {
    let gross = mul_floor(I80F48::from_num(amount), price)?;
    div_int_floor(gross, pow10(decimals)?)
}

/// The value of `amount` base units at `price`, rounded up.
pub fn token_value_ceil(amount: u64, decimals: u8, price: I80F48) -> Result<I80F48> {
    let gross = mul_ceil(I80F48::from_num(amount), price)?;
    div_int_ceil(gross, pow10(decimals)?)
}

/// How many base units `value` buys at `price`, rounded down.
pub fn tokens_for_value_floor(value: I80F48, decimals: u8, price: I80F48) -> Result<u64> {
    let base_units = div_floor(base_units_for_value_exact(value, decimals)?, price)?;
    to_u64_floor(base_units)
}

/// How many base units it takes to be worth `value` at `price`, rounded up.
pub fn tokens_for_value_ceil(value: I80F48, decimals: u8, price: I80F48) -> Result<u64> {
    let base_units = div_ceil(base_units_for_value_exact(value, decimals)?, price)?;
    to_u64_ceil(base_units)
}

/// value × 10^decimals, which is exact whenever it fits.
fn base_units_for_value_exact(value: I80F48, decimals: u8) -> Result<I80F48> {
    let scale = pow10(decimals)?;
    value
        .checked_mul(I80F48::checked_from_num(scale).ok_or_else(overflow)?)
        .ok_or_else(overflow)
}

/// The value of `amount` stablecoin units at par, rounded down.
pub fn stable_value_floor(amount: u64) -> Result<I80F48> {
    token_value_floor(amount, STABLE_DECIMALS, I80F48::ONE)
}

/// The value of `amount` stablecoin units at par, rounded up.
pub fn stable_value_ceil(amount: u64) -> Result<I80F48> {
    token_value_ceil(amount, STABLE_DECIMALS, I80F48::ONE)
}

/// The stablecoin units worth `value` at par, rounded down.
pub fn stable_for_value_floor(value: I80F48) -> Result<u64> {
    tokens_for_value_floor(value, STABLE_DECIMALS, I80F48::ONE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ONE_BITS: u128 = 1 << 48;

    proptest! {
        // amount < 2^40 and price < 2^80 bits keep amount × price_bits in u128,
        // so the exact rational result can be computed and compared.
        #[test]
        fn token_value_rounds_exactly_as_named(
            amount in 0u64..1 << 40,
            price_bits in 1u128..1 << 80,
            decimals in 0u8..=12,
        ) {
            let price = I80F48::from_bits(price_bits as i128);
            let numerator = amount as u128 * price_bits;
            let scale = 10u128.pow(decimals as u32);
            prop_assert_eq!(
                token_value_floor(amount, decimals, price).unwrap().to_bits() as u128,
                numerator / scale
            );
            prop_assert_eq!(
                token_value_ceil(amount, decimals, price).unwrap().to_bits() as u128,
                numerator.div_ceil(scale)
            );
        }

        #[test]
        fn tokens_for_value_round_exactly_as_named(
            value_bits in 0u128..1 << 90,
            price_bits in 1u128..1 << 80,
            decimals in 0u8..=9,
        ) {
            let value = I80F48::from_bits(value_bits as i128);
            let price = I80F48::from_bits(price_bits as i128);
            let numerator = value_bits * 10u128.pow(decimals as u32);
            let floor = tokens_for_value_floor(value, decimals, price);
            let ceil = tokens_for_value_ceil(value, decimals, price);
            match u64::try_from(numerator.div_ceil(price_bits)) {
                Ok(exact_ceil) => {
                    prop_assert_eq!(floor.unwrap() as u128, numerator / price_bits);
                    prop_assert_eq!(ceil.unwrap(), exact_ceil);
                }
                Err(_) => prop_assert!(ceil.is_err()),
            }
        }

        // No amount, price or decimals panics: each call returns a value or an error.
        #[test]
        fn no_input_panics(amount: u64, price_bits: i128, value_bits: i128, decimals: u8) {
            let price = I80F48::from_bits(price_bits);
            let value = I80F48::from_bits(value_bits);
            let _ = token_value_floor(amount, decimals, price);
            let _ = token_value_ceil(amount, decimals, price);
            let _ = tokens_for_value_floor(value, decimals, price);
            let _ = tokens_for_value_ceil(value, decimals, price);
            let _ = stable_value_floor(amount);
            let _ = stable_value_ceil(amount);
            let _ = stable_for_value_floor(value);
        }
    }

    #[test]
    fn stablecoin_is_worth_par() {
        assert_eq!(stable_value_floor(1_000_000).unwrap(), I80F48::ONE);
        assert_eq!(stable_for_value_floor(I80F48::from_num(2)).unwrap(), 2_000_000);
        assert_eq!(ONE_BITS, I80F48::ONE.to_bits() as u128);
    }

    #[test]
    fn too_many_decimals_is_an_error() {
        assert!(pow10(19).is_ok());
        assert!(pow10(20).is_err());
        assert!(token_value_floor(1, 20, I80F48::ONE).is_err());
    }
}
