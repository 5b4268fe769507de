//! 256-bit intermediates for sums of products that outgrow u128, such as
//! the stake-weighted sum of voted values.

use anchor_lang::prelude::*;

use super::fixed_point::overflow;

/// An unsigned 256-bit number as [high, low] halves; arrays compare as the
/// numbers they stand for.
pub type U256 = [u128; 2];

/// a × b exactly.
pub fn wide_mul(a: u128, b: u128) -> U256 {
    const LOW: u128 = u64::MAX as u128;
    let (a_hi, a_lo) = (a >> 64, a & LOW);
    let (b_hi, b_lo) = (b >> 64, b & LOW);
    let lo_lo = a_lo * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_lo = a_hi * b_lo;
    let middle = (lo_lo >> 64) + (lo_hi & LOW) + (hi_lo & LOW);
    let low = (lo_lo & LOW) | (middle << 64);
    let high = a_hi * b_hi + (lo_hi >> 64) + (hi_lo >> 64) + (middle >> 64);
    [high, low]
}

pub fn wide_add(a: U256, b: U256) -> Result<U256> {
    let (low, carry) = a[1].overflowing_add(b[1]);
    let high = a[0]
        .checked_add(b[0])
        .and_then(|h| h.checked_add(carry as u128))
        .ok_or_else(overflow)?;
    Ok([high, low])
}

/// floor(n / divisor), by binary long division; an error when the divisor is
/// zero or the quotient does not fit a u128.
pub fn wide_div_floor(n: U256, divisor: u128) -> Result<u128> {
    if divisor == 0 || n[0] >= divisor {
        return Err(overflow());
    }
    // Invariant: remainder < divisor. The high half alone is already a
    // valid remainder; bring down the 128 low bits one at a time.
    let mut remainder = n[0];
    let mut quotient = 0u128;
    for bit in (0..128).rev() {
        let carry = remainder >> 127;
        remainder = (remainder << 1) | ((n[1] >> bit) & 1);
        quotient <<= 1;
        if carry == 1 || remainder >= divisor {
            remainder = remainder.wrapping_sub(divisor);
            quotient |= 1;
        }
    }
    Ok(quotient)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wide_mul_is_exact() {
        assert_eq!(wide_mul(3, 5), [0, 15]);
        assert_eq!(wide_mul(u128::MAX, 2), [1, u128::MAX - 1]);
        assert_eq!(wide_mul(u128::MAX, u128::MAX), [u128::MAX - 1, 1]);
        assert_eq!(wide_mul(1 << 64, 1 << 64), [1, 0]);
    }

    #[test]
    fn division_edge_cases() {
        assert_eq!(wide_div_floor(wide_mul(u128::MAX, u128::MAX), u128::MAX).unwrap(), u128::MAX);
        assert!(wide_div_floor([1, 0], 1).is_err());
        assert!(wide_div_floor([0, 5], 0).is_err());
        assert_eq!(wide_add([0, u128::MAX], [0, 1]).unwrap(), [1, 0]);
        assert!(wide_add([u128::MAX, 0], [1, 0]).is_err());
    }

    proptest! {
        #[test]
        fn division_inverts_multiplication(a: u128, b in 1u128.., extra: u128) {
            let remainder = extra % b;
            let n = wide_add(wide_mul(a, b), [0, remainder]).unwrap();
            prop_assert_eq!(wide_div_floor(n, b).unwrap(), a);
        }

        #[test]
        fn agrees_with_u128_when_it_fits(a: u64, b: u64, d in 1u128..) {
            let product = a as u128 * b as u128;
            prop_assert_eq!(wide_mul(a as u128, b as u128), [0, product]);
            prop_assert_eq!(wide_div_floor([0, product], d).unwrap(), product / d);
        }
    }
}
