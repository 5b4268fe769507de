//! What a holder gets for a mint or a redemption, before any check of the
//! reserve's state. Fees are charged in stablecoin units, rounded up.

use anchor_lang::prelude::*;

use super::conversion::*;
use super::fixed_point::*;

/// The fee on `amount` at `fee_rate`, rounded up.
pub fn fee_ceil(amount: u64, fee_rate: I80F48) -> Result<u64> {
    to_u64_ceil(mul_ceil(I80F48::from_num(amount), fee_rate)?)
}

/// The insurance pool's share of a fee, rounded down.
pub fn fee_share_floor(fee: u64, share: I80F48) -> Result<u64> {
    to_u64_floor(mul_floor(I80F48::from_num(fee), share)?)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintQuote {
    /// The deposit's value at the mint price, rounded down.
    pub deposit_value: I80F48,
    /// Stablecoin units worth the deposit, before the fee.
    pub gross: u64,
    pub fee: u64,
    /// What the holder receives: `gross - fee`.
    pub minted: u64,
}

/// Minting with `amount` base units at `price` (the lower, conservative one).
pub fn quote_mint(amount: u64, decimals: u8, price: I80F48, fee_rate: I80F48) -> Result<MintQuote> {
    let deposit_value = token_value_floor(amount, decimals, price)?;
    let gross = stable_for_value_floor(deposit_value)?;
    let fee = fee_ceil(gross, fee_rate)?;
    let minted = gross.checked_sub(fee).ok_or_else(overflow)?;
    Ok(MintQuote {
        deposit_value,
        gross,
        fee,
        minted,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedeemQuote {
    pub fee: u64,
    /// The value paid out: (burned - fee) at par, times the redemption rate r.
    pub paid_value: I80F48,
    /// Base units of the asset paid out, rounded down.
    pub payout: u64,
}

/// Redeeming `burned` stablecoin units for an asset at `price` (the higher,
/// conservative one), at redemption rate `redemption_rate` (r <= 1).
pub fn quote_redeem(
    burned: u64,
    decimals: u8,
    price: I80F48,
    fee_rate: I80F48,
    redemption_rate: I80F48,
) -> Result<RedeemQuote> {
    let fee = fee_ceil(burned, fee_rate)?;
    let net = burned.checked_sub(fee).ok_or_else(overflow)?;
    let paid_value = mul_floor(stable_value_floor(net)?, redemption_rate)?;
    let payout = tokens_for_value_floor(paid_value, decimals, price)?;
    Ok(RedeemQuote {
        fee,
        paid_value,
        payout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::wide::wide_mul;
    use proptest::prelude::*;

    fn price_strategy() -> impl Strategy<Value = I80F48> {
        // $0.0001 to $1,000,000 with full fractional precision.
        (1i128 << 35..1i128 << 68).prop_map(I80F48::from_bits)
    }

    /// (amount, decimals, price) worth at most $10^12, the realistic range
    /// in which a stablecoin amount fits a u64 with room to spare.
    fn position_strategy() -> impl Strategy<Value = (u64, u8, I80F48)> {
        (0u8..=9, price_strategy()).prop_flat_map(|(decimals, price)| {
            let cap = 1e12 * 10f64.powi(decimals as i32) / price.to_num::<f64>();
            let max_amount = cap.min((1u64 << 50) as f64).max(2.0) as u64;
            (1..max_amount, Just(decimals), Just(price))
        })
    }

    fn rate_strategy(max: f64) -> impl Strategy<Value = I80F48> {
        (0.0..max).prop_map(I80F48::from_num)
    }

    proptest! {
        /// Mint at the lower price, redeem at the higher: the round trip never
        /// returns more than was deposited, whatever the fees and r <= 1.
        #[test]
        fn mint_then_redeem_never_returns_more_than_deposited(
            (amount, decimals, mint_price) in position_strategy(),
            markup in 0u64..1_000,
            fee_mint in rate_strategy(0.1),
            fee_redeem in rate_strategy(0.1),
            redemption_rate in (0.5f64..=1.0).prop_map(I80F48::from_num),
        ) {
            let redeem_price = mint_price + mint_price * I80F48::from_num(markup) / 10_000;
            let mint = quote_mint(amount, decimals, mint_price, fee_mint).unwrap();
            let redeem = quote_redeem(mint.minted, decimals, redeem_price, fee_redeem, redemption_rate).unwrap();
            prop_assert!(redeem.payout <= amount, "deposited {amount}, got back {}", redeem.payout);
        }

        /// Every rounding favours the protocol, checked against exact
        /// rational arithmetic: the stablecoin minted is worth at most the
        /// deposit, fees are at least the exact fee, and the payout is worth
        /// at most what was burned net of fees.
        #[test]
        fn rounding_favours_the_protocol(
            (amount, decimals, price) in position_strategy(),
            fee_rate in rate_strategy(0.1),
        ) {
            let price_bits = price.to_bits() as u128;
            let fee_bits = fee_rate.to_bits() as u128;
            let scale = 10u128.pow(decimals as u32);
            let one = 1u128 << 48;
            let q = quote_mint(amount, decimals, price, fee_rate).unwrap();
            // gross / 10^6 <= amount × price / 10^d
            prop_assert!(
                wide_mul(q.gross as u128 * scale, one) <= wide_mul(amount as u128 * 1_000_000, price_bits)
            );
            prop_assert!(wide_mul(q.fee as u128, one) >= wide_mul(q.gross as u128, fee_bits));
            prop_assert_eq!(q.minted, q.gross - q.fee);

            let r = quote_redeem(q.minted, decimals, price, fee_rate, I80F48::ONE).unwrap();
            prop_assert!(wide_mul(r.fee as u128, one) >= wide_mul(q.minted as u128, fee_bits));
            let net = (q.minted - r.fee) as u128;
            // payout × price / 10^d <= net / 10^6
            prop_assert!(
                wide_mul(r.payout as u128 * 1_000_000, price_bits) <= wide_mul(net * scale, one)
            );
        }

        #[test]
        fn no_amount_panics(amount: u64, decimals: u8, price_bits: i128, fee_bits: i128) {
            let price = I80F48::from_bits(price_bits);
            let fee = I80F48::from_bits(fee_bits);
            let _ = quote_mint(amount, decimals, price, fee);
            let _ = quote_redeem(amount, decimals, price, fee, I80F48::ONE);
            let _ = fee_ceil(amount, fee);
        }
    }

    #[test]
    fn fee_accounting_example() {
        // 1,000 USDC at $1 with a 0.3% fee: 3 USDC fee, 997 minted.
        let q = quote_mint(1_000_000_000, 6, I80F48::ONE, ratio(3, 1000)).unwrap();
        assert_eq!((q.gross, q.fee, q.minted), (1_000_000_000, 3_000_000, 997_000_000));
        // A fee rate of 1/3 on 10 units is 3.33..., charged as 4.
        assert_eq!(fee_ceil(10, ratio(1, 3)).unwrap(), 4);
    }

    #[test]
    fn u64_max_is_an_error_not_a_panic() {
        assert!(quote_mint(u64::MAX, 0, I80F48::from_num(1_000_000), I80F48::ZERO).is_err());
    }
}
