//! Liquidation arithmetic: how much to buy back, and the Dutch price curve.

use anchor_lang::prelude::*;

use super::conversion::token_value_ceil;
use super::fixed_point::*;

/// The buy-back that restores CR_target when collateral worth x is sold for
/// x stablecoins that are burned: (V − x) / (S − x) = CR_target gives
/// x = (CR_target · S − V) / (CR_target − 1), rounded up; zero when CR is
/// already at or above the target.
pub fn buyback_to_target_ceil(target: I80F48, supply_value: I80F48, value: I80F48) -> Result<I80F48> {
    let needed = mul_ceil(target, supply_value)?;
    if needed <= value {
        return Ok(I80F48::ZERO);
    }
    div_ceil(sub(needed, value)?, sub(target, I80F48::ONE)?)
}

/// The Dutch auction's price `elapsed` slots in: it starts `premium` above
/// `reference` and falls linearly to `discount` below it at `duration`.
pub fn dutch_auction_price(
    reference: I80F48,
    premium: I80F48,
    discount: I80F48,
    elapsed: u64,
    duration: u64,
) -> Result<I80F48> {
    let progress = div_floor(I80F48::from_num(elapsed.min(duration)), I80F48::from_num(duration.max(1)))?;
    let fall = mul_floor(add(premium, discount)?, progress)?;
    let factor = sub(add(I80F48::ONE, premium)?, fall)?;
    mul_floor(reference, factor)
}

/// The smallest amount an auction raises or leaves to raise, in stablecoin
/// units: one stablecoin, or the value of `AUCTION_LOT_BASE_UNITS` of the
/// collateral at the auction's opening price if that is more. A smaller
/// remainder could buy so few base units that rounding refuses every take
/// (`AmountTooSmall`, `AuctionTakeLowersCr`) while it keeps the next
/// auction of the asset from starting, so auctions never start or stay
/// below it.
pub fn auction_lot_units(decimals: u8, reference_price: I80F48, premium: I80F48) -> Result<u64> {
    let opening_price = mul_ceil(reference_price, add(I80F48::ONE, premium)?)?;
    let lot_value = token_value_ceil(AUCTION_LOT_BASE_UNITS, decimals, opening_price)?;
    let lot_units = to_u64_ceil(mul_ceil(lot_value, I80F48::from_num(STABLE_UNITS_PER_DOLLAR))?)?;
    Ok(lot_units.max(STABLE_UNITS_PER_DOLLAR))
}

/// Collateral base units that make up the smallest auction lot.
pub const AUCTION_LOT_BASE_UNITS: u64 = 100;
const STABLE_UNITS_PER_DOLLAR: u64 = 1_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fx(x: f64) -> I80F48 {
        I80F48::from_num(x)
    }

    #[test]
    fn the_price_falls_from_premium_to_discount() {
        let price = |t| dutch_auction_price(fx(100.0), fx(0.05), fx(0.1), t, 100).unwrap().to_num::<f64>();
        assert!((price(0) - 105.0).abs() < 1e-9);
        assert!((price(50) - 97.5).abs() < 1e-9);
        assert!((price(100) - 90.0).abs() < 1e-9);
        assert!((price(1_000) - 90.0).abs() < 1e-9, "it stays at the floor");
    }

    proptest! {
        /// Selling x of collateral for x burned stablecoins lands on the target.
        #[test]
        fn the_buyback_restores_the_target(supply in 1_000.0f64..1e9, cr in 1.0f64..1.2, target in 1.15f64..1.5) {
            prop_assume!(cr < target);
            let (s, v, t) = (fx(supply), fx(supply * cr), fx(target));
            let x = buyback_to_target_ceil(t, s, v).unwrap();
            let after = (v - x) / (s - x);
            prop_assert!((after.to_num::<f64>() - target).abs() < 1e-9, "{after} vs {target}");
        }

        #[test]
        fn the_price_never_rises(t1 in 0u64..200, t2 in 0u64..200) {
            let p = |t| dutch_auction_price(fx(60_000.0), fx(0.05), fx(0.1), t, 100).unwrap();
            prop_assert!(p(t1.max(t2)) <= p(t1.min(t2)));
        }
    }

    #[test]
    fn the_lot_is_a_dollar_or_a_hundred_base_units() {
        // USDC: a hundred base units are worth a ten-thousandth of a dollar.
        assert_eq!(auction_lot_units(6, fx(1.0), fx(0.05)).unwrap(), 1_000_000);
        // WBTC at $14,700 opening 5% above: 100 sats are worth $0.0154.
        assert_eq!(auction_lot_units(8, fx(14_700.0), fx(0.05)).unwrap(), 1_000_000);
        // A whole-unit token at $50,000: a hundred of them.
        assert_eq!(auction_lot_units(0, fx(50_000.0), fx(0.0)).unwrap(), 5_000_000_000_000);
    }

    #[test]
    fn no_buyback_at_or_above_the_target() {
        assert_eq!(buyback_to_target_ceil(fx(1.2), fx(100.0), fx(130.0)).unwrap(), I80F48::ZERO);
    }
}
