//! The stress path end to end: a crash trips the breaker, CR falls below
//! CR_crit and auctions bring it back, a deeper crash drives CR below one
//! and the waterfall runs in order with exact accounting.

use ballast_sdk::{fixed, instructions, pda};
use ballast_tests::*;

fn post(h: &mut Harness, wbtc: f64, sigma_p: f64) {
    post_prices(h, USDC_PRICE, wbtc, sigma_p);
}

fn post_prices(h: &mut Harness, usdc: f64, wbtc: f64, sigma_p: f64) {
    let mut update = h.oracle_update(&[usdc, TBILL_PRICE, wbtc]);
    update.sigma_p = fixed(sigma_p);
    h.submit_update(update).unwrap();
}

#[test]
fn crash_breaker_auctions_and_waterfall() {
    // Capital 30,000 USDC; Alice mints with 100,000 USDC and 0.9 BTC; a
    // staker has 20,000 in the backstop. CR about 1.16.
    let (mut h, alice, _staker) = Harness::backstopped(|_| {}, 20_000_000_000);
    let start = h.check_books().unwrap();
    assert!(start > 1.10, "CR {start}");

    // 1. WBTC falls to $45,000 with sigma_p at 1.2: the breaker trips.
    post(&mut h, 45_000.0, 1.2);
    h.send_admin(instructions::trip_breaker(&h.reserve_assets())).unwrap();
    assert!(h.mint(&alice, USDC, 1_000_000).unwrap_err().is(ballast::errors::BallastError::OperationPaused));

    // 2. WBTC at $30,000: 1 <= CR < CR_crit. Auctions, round after round
    // within the 20% cap, bring CR back above CR_crit.
    post(&mut h, 30_000.0, 1.2);
    let cr = h.check_books().unwrap();
    assert!((1.0..1.05).contains(&cr), "CR {cr}");
    let reserve = h.reserve_assets();
    let mut rounds = 0;
    while h.check_books().unwrap() < 1.05 {
        rounds += 1;
        assert!(rounds <= 5, "auctions should restore CR_crit within five rounds");
        for asset in [USDC, WBTC] {
            let mint = h.assets[asset].mint;
            if h.asset(asset).raw.auction.remaining == 0 {
                let _ = h.send_admin(instructions::start_auction(&mint, &reserve));
            }
            if h.asset(asset).raw.auction.remaining > 0 {
                let ix = h.take_auction_ix(&alice, asset, u64::MAX, 1e9);
                h.send_as(&alice, ix).unwrap();
            }
        }
    }
    let recovered = h.check_books().unwrap();
    assert!(recovered >= 1.05, "CR {recovered}");

    // 3. A deeper crash: WBTC collapses and the cash token loses its peg,
    // to 85 cents, and stays there until the smoothed prices agree. CR < 1.
    let mut update = h.oracle_update(&[0.85, TBILL_PRICE, 4_000.0]);
    update.sigma_p = fixed(1.5);
    h.settle(update).unwrap();
    let protocol = h.protocol();
    let shortfall = h.shortfall();
    assert!(shortfall > 0, "CR should be below one");
    let shortfall = shortfall as u64;
    let pool = h.balance(&pda::insurance_vault());
    let staked = h.governance().total_staked;
    h.send_admin(instructions::absorb_shortfall(&h.reserve_assets())).unwrap();
    let after = h.protocol();
    let paid = after.raw.insurance.paid_out - protocol.raw.insurance.paid_out;
    let burned = after.raw.insurance.backstop_burned - protocol.raw.insurance.backstop_burned;
    let holders = after.raw.insurance.holder_losses - protocol.raw.insurance.holder_losses;
    assert_eq!(paid, pool.min(shortfall), "insurance first, all it has");
    assert_eq!(burned, ((shortfall - paid) / 2).min(staked), "then half the rest from the backstop");
    assert_eq!(paid + burned + holders, shortfall, "to the unit");
    assert!(after.redemption_rate < 1.0);
    h.check_books();

    // Calm returns: the breaker resets after its minimum pause.
    h.warp_slots(BREAKER_MIN_PAUSE_SLOTS);
    post_prices(&mut h, 0.85, 4_000.0, 0.2);
    h.send_admin(instructions::reset_breaker()).unwrap();
    assert_eq!(h.protocol().raw.breaker_paused, 0);
}
