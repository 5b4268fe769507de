//! Exact wide arithmetic for checking rounding in tests.

/// a × b exactly, as (high, low) 128-bit halves; tuples compare as the
/// 256-bit numbers they stand for.
pub fn wide_mul(a: u128, b: u128) -> (u128, u128) {
    const LOW: u128 = u64::MAX as u128;
    let (a_hi, a_lo) = (a >> 64, a & LOW);
    let (b_hi, b_lo) = (b >> 64, b & LOW);
    let lo_lo = a_lo * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_lo = a_hi * b_lo;
    let middle = (lo_lo >> 64) + (lo_hi & LOW) + (hi_lo & LOW);
    let low = (lo_lo & LOW) | (middle << 64);
    let high = a_hi * b_hi + (lo_hi >> 64) + (hi_lo >> 64) + (middle >> 64);
    (high, low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_mul_is_exact() {
        assert_eq!(wide_mul(3, 5), (0, 15));
        assert_eq!(wide_mul(u128::MAX, 2), (1, u128::MAX - 1));
        assert_eq!(wide_mul(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(wide_mul(1 << 64, 1 << 64), (1, 0));
    }
}
