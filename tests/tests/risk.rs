//! The risk machinery: circuit breakers, insurance, bail-in, auctions and
//! rebalancing swaps, each on its own and then the stress path end to end.

use ballast::errors::BallastError;
use ballast_sdk::{fixed, instructions, Keypair};
use ballast_tests::*;

/// Capital 50,000 USDC, 100,000 minted with USDC, 1 BTC minted at $60,000:
/// V = 210,000 and S = 159,520 + the insurance share of fees.
fn wbtc_heavy_reserve() -> (Harness, Keypair) {
    let mut h = Harness::new();
    h.contribute(USDC, 50_000_000_000);
    let alice = h.holder(USDC, 500_000_000_000);
    h.fund(&alice, WBTC, 1_000_000_000);
    h.mint(&alice, USDC, 100_000_000_000).unwrap();
    h.mint(&alice, WBTC, 100_000_000).unwrap();
    (h, alice)
}

fn post(h: &mut Harness, wbtc: f64, sigma_p: f64, reference_value: f64) {
    let mut update = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, wbtc]);
    update.sigma_p = fixed(sigma_p);
    update.reference_value = fixed(reference_value);
    h.submit_update(update).unwrap();
}

#[test]
fn high_volatility_trips_the_breaker_and_calm_resets_it() {
    let (mut h, alice) = wbtc_heavy_reserve();
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::trip_breaker(&h.reserve_assets()));
    h.assert_refused(result, BallastError::BreakerConditionNotMet, &before);
    let result = h.send_admin(instructions::reset_breaker());
    h.assert_refused(result, BallastError::BreakerNotTripped, &before);

    post(&mut h, WBTC_PRICE, 0.9, 0.0);
    h.send_admin(instructions::trip_breaker(&h.reserve_assets())).unwrap();
    let extra = [h.stable_account(&alice), h.asset_account(&alice, USDC)];
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, USDC, 1_000_000);
    h.assert_refused(result, BallastError::OperationPaused, &before);
    let result = h.redeem(&alice, USDC, 1_000_000);
    h.assert_refused(result, BallastError::OperationPaused, &before);
    let result = h.send_admin(instructions::trip_breaker(&h.reserve_assets()));
    h.assert_refused(result, BallastError::BreakerAlreadyTripped, &before);

    // Not before the minimum pause, and not while sigma_p is high.
    let result = h.send_admin(instructions::reset_breaker());
    h.assert_refused(result, BallastError::BreakerMinPauseActive, &before);
    h.warp_slots(BREAKER_MIN_PAUSE_SLOTS);
    post(&mut h, WBTC_PRICE, 0.6, 0.0);
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::reset_breaker());
    h.assert_refused(result, BallastError::BreakerConditionPersists, &before);
    post(&mut h, WBTC_PRICE, 0.3, 0.0);
    h.send_admin(instructions::reset_breaker()).unwrap();
    h.mint(&alice, USDC, 1_000_000).expect("open again");
}

#[test]
fn a_fall_in_reserve_value_trips_the_breaker() {
    let (mut h, _) = wbtc_heavy_reserve();
    // V = 210,000; WBTC at $7,000 leaves 157,000: a 25.2% fall.
    post(&mut h, 7_000.0, 0.1, 210_000.0);
    h.send_admin(instructions::trip_breaker(&h.reserve_assets())).unwrap();
    assert_eq!(h.protocol().paused, 0, "standing pause bits are untouched");
    assert_ne!(h.protocol().raw.breaker_paused, 0);
}

#[test]
fn a_small_fall_does_not_trip_it() {
    let (mut h, _) = wbtc_heavy_reserve();
    // WBTC at $40,000: V = 190,000, a 9.5% fall, under the 15% trigger.
    post(&mut h, 40_000.0, 0.1, 210_000.0);
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::trip_breaker(&h.reserve_assets()));
    h.assert_refused(result, BallastError::BreakerConditionNotMet, &before);
}
