//! The risk machinery: circuit breakers, insurance, bail-in, auctions and
//! rebalancing swaps, each on its own and then the stress path end to end.

use ballast::errors::BallastError;
use ballast::math::FixedBits;
use ballast_sdk::{fixed, instructions, pda, Chain, Keypair, Signer};
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

#[test]
fn high_volatility_trips_the_breaker_and_calm_resets_it() {
    let (mut h, alice) = wbtc_heavy_reserve();
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::trip_breaker(&h.reserve_assets()));
    h.assert_refused(result, BallastError::BreakerConditionNotMet, &before);
    let result = h.send_admin(instructions::reset_breaker());
    h.assert_refused(result, BallastError::BreakerNotTripped, &before);

    h.post_wbtc(WBTC_PRICE, 0.9, 0.0);
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
    h.post_wbtc(WBTC_PRICE, 0.6, 0.0);
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::reset_breaker());
    h.assert_refused(result, BallastError::BreakerConditionPersists, &before);
    h.post_wbtc(WBTC_PRICE, 0.3, 0.0);
    h.send_admin(instructions::reset_breaker()).unwrap();
    h.mint(&alice, USDC, 1_000_000).expect("open again");
}

#[test]
fn a_fall_in_reserve_value_trips_the_breaker() {
    let (mut h, _) = wbtc_heavy_reserve();
    // V = 210,000; WBTC at $7,000 leaves 157,000: a 25.2% fall.
    h.post_wbtc(7_000.0, 0.1, 210_000.0);
    h.send_admin(instructions::trip_breaker(&h.reserve_assets())).unwrap();
    assert_eq!(h.protocol().paused, 0, "standing pause bits are untouched");
    assert_ne!(h.protocol().raw.breaker_paused, 0);
}

#[test]
fn a_small_fall_does_not_trip_it() {
    let (mut h, _) = wbtc_heavy_reserve();
    // WBTC at $40,000: V = 190,000, a 9.5% fall, under the 15% trigger.
    h.post_wbtc(40_000.0, 0.1, 210_000.0);
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::trip_breaker(&h.reserve_assets()));
    h.assert_refused(result, BallastError::BreakerConditionNotMet, &before);
}

#[test]
fn the_premium_accrues_p_times_s_per_slot_into_the_pool() {
    let per_slot = FixedBits::from(ballast::math::ratio(1, 1_000_000_000));
    let mut h = Harness::new_with(|args| args.params.risk.insurance_premium_per_slot = per_slot);
    h.contribute(USDC, 50_000_000_000);
    let alice = h.holder(USDC, 100_000_000_000);
    h.mint(&alice, USDC, 100_000_000_000).unwrap();
    h.send_admin(instructions::accrue_premium(&h.reserve_assets())).unwrap();
    let start = h.protocol();
    let pool_start = h.balance(&pda::insurance_vault());
    h.warp_slots(1_000);
    h.send_admin(instructions::accrue_premium(&h.reserve_assets())).unwrap();
    let end = h.protocol();
    let slots = end.raw.premium_accrued_slot - start.raw.premium_accrued_slot;
    // S × p × slots in fixed point (exact: S and slots are whole), rounded down.
    let premium = ((start.supply as u128 * per_slot.bits as u128 * slots as u128) >> 48) as u64;
    assert!(premium > 0);
    assert_eq!(end.supply - start.supply, premium);
    assert_eq!(h.balance(&pda::insurance_vault()) - pool_start, premium);
    assert_eq!(end.raw.insurance.premiums - start.raw.insurance.premiums, premium);
    h.check_books();
}

fn reserve_with_backstop() -> (Harness, Keypair, Keypair) {
    Harness::backstopped(|_| {}, 20_000_000_000)
}

/// C − V after checking the books against the vaults.
fn shortfall(h: &mut Harness) -> i128 {
    h.check_books();
    h.shortfall()
}

#[test]
fn the_waterfall_runs_insurance_then_backstop_then_holders_to_the_unit() {
    let (mut h, alice, staker) = reserve_with_backstop();
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::absorb_shortfall(&h.reserve_assets()));
    h.assert_refused(result, BallastError::NoShortfall, &before);

    // WBTC falls 89%: CR drops below one.
    h.settle_wbtc(6_600.0, 0.9, 0.0);
    let loss = shortfall(&mut h);
    assert!(loss > 0, "CR should be below one");
    let protocol = h.protocol();
    let pool = h.balance(&pda::insurance_vault()) as i128;
    let staked = h.governance().total_staked;
    let stake_before = ballast_sdk::accounts::stake_position(&mut h.chain, &staker.pubkey()).unwrap().unwrap();

    h.send_admin(instructions::absorb_shortfall(&h.reserve_assets())).unwrap();
    let after = h.protocol();
    let paid = (after.raw.insurance.paid_out - protocol.raw.insurance.paid_out) as i128;
    let burned = (after.raw.insurance.backstop_burned - protocol.raw.insurance.backstop_burned) as i128;
    let holders = (after.raw.insurance.holder_losses - protocol.raw.insurance.holder_losses) as i128;
    // In order: the pool pays all it has, the backstop half the rest.
    assert_eq!(paid, pool.min(loss));
    assert_eq!(h.balance(&pda::insurance_vault()), 0);
    assert_eq!(burned, (loss - paid) / 2);
    assert_eq!(h.governance().total_staked as i128, staked as i128 - burned);
    // The losses borne add up to the shortfall, to the unit.
    assert_eq!(paid + burned + holders, loss);
    assert!(after.redemption_rate < 1.0 && after.redemption_rate > 0.8, "r = {}", after.redemption_rate);
    assert!(shortfall(&mut h) <= 0, "claims S·r are covered now");
    // Every staker lost the same fraction, without their position changing.
    let position = ballast_sdk::accounts::stake_position(&mut h.chain, &staker.pubkey()).unwrap().unwrap();
    assert_eq!(position.shares, stake_before.shares);
    assert_eq!(h.governance().raw.position_value(&position), (staked as i128 - burned) as u64);

    // A second run has nothing left to absorb.
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::absorb_shortfall(&h.reserve_assets()));
    h.assert_refused(result, BallastError::NoShortfall, &before);

    // Holders redeem at r: 1,000 stablecoins, 0.2% fee, then times r.
    let usdc = h.asset_account(&alice, USDC);
    let received_before = h.balance(&usdc);
    h.redeem(&alice, USDC, 1_000_000_000).unwrap();
    let paid_out = h.balance(&usdc) - received_before;
    let paid_bits = (((998_000_000u128 << 48) / 1_000_000) * after.raw.redemption_rate.bits as u128) >> 48;
    let expected = (paid_bits * 1_000_000) >> 48;
    assert_eq!(paid_out as u128, expected);

    // WBTC recovers: the crank raises r again.
    h.settle_wbtc(12_000.0, 0.3, 0.0);
    h.send_admin(instructions::absorb_shortfall(&h.reserve_assets())).unwrap();
    assert!(h.protocol().redemption_rate > after.redemption_rate);
}

#[test]
fn the_waterfall_needs_every_price_usable() {
    let (mut h, _, _) = reserve_with_backstop();
    h.post_wbtc(6_600.0, 0.9, 0.0);
    h.warp_slots(STALENESS_SLOTS + 1);
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::absorb_shortfall(&h.reserve_assets()));
    h.assert_refused(result, BallastError::StalePrice, &before);
    // Fresh, but WBTC's confidence is too wide to recognise a loss on.
    h.set_price(WBTC, 6_600.0, 330.0).unwrap();
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::absorb_shortfall(&h.reserve_assets()));
    h.assert_refused(result, BallastError::PriceConfidenceTooWide, &before);
}

#[test]
fn auctions_bring_cr_back_to_cr_target() {
    // No cap, so one round can raise the whole buy-back.
    let (mut h, alice) = Harness::in_liquidation_range(|args| args.params.risk.auction_cap = fixed(1.0));
    let reserve = h.reserve_assets();
    let usdc = h.assets[USDC].mint;
    let wbtc = h.assets[WBTC].mint;
    h.send_admin_all(&[instructions::start_auction(&usdc, &reserve), instructions::start_auction(&wbtc, &reserve)]);
    let start = h.asset(USDC).raw.auction.start_slot;
    let to_raise = h.asset(USDC).raw.auction.remaining + h.asset(WBTC).raw.auction.remaining;
    assert_eq!(h.protocol().raw.auctions_in_flight, to_raise);

    // 20 slots in, the price has fallen from 5% above the oracle to 2%
    // above it, which the 2% keeper incentive offsets: every stablecoin
    // burned takes exactly a dollar of collateral, as the buy-back assumes.
    h.chain.warp_to_slot(start + 20).unwrap();
    let takes = [
        h.take_auction_ix(&alice, USDC, u64::MAX, 2.0),
        h.take_auction_ix(&alice, WBTC, u64::MAX, 100_000.0),
    ];
    h.chain.send(&takes, &h.admin, &[&alice]).unwrap();
    let cr = h.check_books().unwrap();
    assert!((cr - 1.20).abs() < 1e-4, "CR {cr} should be CR_target");
    assert_eq!(h.protocol().raw.auctions_in_flight, 0);
    assert_eq!(h.asset(WBTC).raw.auction.remaining, 0);
}

#[test]
fn auctions_take_partially_and_restart_after_their_duration() {
    let (mut h, alice) = Harness::in_liquidation_range(|_| {});
    let wbtc = h.assets[WBTC].mint;
    h.send_admin(instructions::start_auction(&wbtc, &h.reserve_assets())).unwrap();
    let to_raise = h.asset(WBTC).raw.auction.remaining;
    let ix = h.take_auction_ix(&alice, WBTC, to_raise / 2, 100_000.0);
    h.send_as(&alice, ix).unwrap();
    assert_eq!(h.asset(WBTC).raw.auction.remaining, to_raise - to_raise / 2);

    // The price falls to $13,000 and the auction times out: the next take
    // restarts it 5% above the new price.
    h.post_wbtc(13_000.0, 0.1, 0.0);
    h.warp_slots(AUCTION_DURATION_SLOTS);
    let ix = h.take_auction_ix(&alice, WBTC, 1_000_000_000, 13_000.0 * 1.05 - 1.0);
    let before = h.snapshot(&[]);
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::AuctionPriceAboveLimit, &before);
    let wbtc_account = h.asset_account(&alice, WBTC);
    let received = h.balance(&wbtc_account);
    let ix = h.take_auction_ix(&alice, WBTC, 1_000_000_000, 13_000.0 * 1.05 + 1.0);
    h.send_as(&alice, ix).unwrap();
    let got = (h.balance(&wbtc_account) - received) as f64 / 1e8;
    // 1,000 stablecoins and 2% more, at $13,650.
    assert!((got - 1_000.0 * 1.02 / 13_650.0).abs() < 1e-7, "{got}");
    assert_eq!(h.asset(WBTC).raw.auction.reference_price, fixed(13_000.0), "restarted from the new price");
    h.check_books();
}

#[test]
fn auction_refusals() {
    let (mut h, alice) = Harness::in_liquidation_range(|_| {});
    let reserve = h.reserve_assets();
    let (usdc, tbill, wbtc) = (h.assets[USDC].mint, h.assets[TBILL].mint, h.assets[WBTC].mint);
    let extra = [h.stable_account(&alice), h.asset_account(&alice, WBTC)];

    let before = h.snapshot(&extra);
    let ix = h.take_auction_ix(&alice, WBTC, 1_000_000, 100_000.0);
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::NoAuction, &before);
    let result = h.send_admin(instructions::start_auction(&tbill, &reserve));
    h.assert_refused(result, BallastError::NothingToAuction, &before);

    // USDC's share of the buy-back exceeds the 20% cap by itself.
    h.send_admin(instructions::start_auction(&usdc, &reserve)).unwrap();
    let before = h.snapshot(&extra);
    let result = h.send_admin(instructions::start_auction(&usdc, &reserve));
    h.assert_refused(result, BallastError::AuctionInProgress, &before);
    let result = h.send_admin(instructions::start_auction(&wbtc, &reserve));
    h.assert_refused(result, BallastError::AuctionCapReached, &before);

    h.pause(PAUSE_LIQUIDATE);
    let before = h.snapshot(&extra);
    let ix = h.take_auction_ix(&alice, USDC, 1_000_000, 2.0);
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::OperationPaused, &before);
    h.unpause();

    // Above CR_crit there is nothing to liquidate.
    h.post_wbtc(25_000.0, 0.1, 0.0);
    let before = h.snapshot(&extra);
    let result = h.send_admin(instructions::start_auction(&wbtc, &reserve));
    h.assert_refused(result, BallastError::NotInLiquidationRange, &before);
}

/// USDC is 100% of a reserve whose targets are 40/30/30; the keeper holds T-bills.
fn all_usdc_reserve(adjust: impl FnOnce(&mut ballast::instructions::InitializeArgs), capital: u64) -> (Harness, Keypair) {
    let mut h = Harness::new_with(adjust);
    h.contribute(USDC, capital);
    let alice = h.holder(USDC, 100_000_000_000);
    h.mint(&alice, USDC, 100_000_000_000).unwrap();
    let keeper = h.holder(TBILL, 100_000_000_000);
    (h, keeper)
}

#[test]
fn a_swap_toward_the_targets_pays_the_oracle_price_and_the_incentive() {
    let (mut h, keeper) = all_usdc_reserve(|_| {}, 50_000_000_000);
    let usdc = h.asset_account(&keeper, USDC);
    h.swap(&keeper, TBILL, USDC, 10_000_000_000).unwrap();
    // 10,000 T-bills at $0.984375 = $9,843.75, plus 0.2%, paid in USDC at
    // $1: 9,863.4375, less one unit because the incentive (0.2% rounded
    // down to fixed point) and the payout both round down.
    assert_eq!(h.balance(&usdc), 9_863_437_499);
    assert_eq!(h.asset(TBILL).vault_amount, 10_000_000_000);
    // The window counts the value paid out.
    assert_eq!(h.protocol().raw.window.swapped, 9_863_437_499);
    h.check_books();
}

#[test]
fn swap_refusals() {
    let (mut h, keeper) = all_usdc_reserve(|_| {}, 50_000_000_000);
    let mut extra = vec![h.asset_account(&keeper, USDC), h.asset_account(&keeper, TBILL)];
    extra.push(h.asset_account(&keeper, WBTC));
    // The T-bill vault is empty: nothing to take out.
    h.fund(&keeper, USDC, 1_000_000_000);
    let before = h.snapshot(&extra);
    let result = h.swap(&keeper, USDC, TBILL, 1_000_000_000);
    h.assert_refused(result, BallastError::InsufficientReserve, &before);
    // Once it holds some, USDC in and T-bills out moves both away from target.
    h.swap(&keeper, TBILL, USDC, 5_000_000_000).unwrap();
    let before = h.snapshot(&extra);
    let result = h.swap(&keeper, USDC, TBILL, 1_000_000_000);
    h.assert_refused(result, BallastError::SwapNotTowardTargets, &before);

    // Overshooting the target is refused too: 60,000 more T-bills would take
    // them from about 3% of the reserve to over their 30% target.
    h.fund(&keeper, TBILL, 60_000_000_000);
    let before = h.snapshot(&extra);
    let result = h.swap(&keeper, TBILL, USDC, 60_000_000_000);
    h.assert_refused(result, BallastError::SwapNotTowardTargets, &before);

    // u_max is 10% of S (about 9,985): another 10,000 T-bills is too much.
    let result = h.swap(&keeper, TBILL, USDC, 10_000_000_000);
    h.assert_refused(result, BallastError::SwapLimitExceeded, &before);

    h.pause(PAUSE_REBALANCE);
    let before = h.snapshot(&extra);
    let result = h.swap(&keeper, TBILL, USDC, 1_000_000_000);
    h.assert_refused(result, BallastError::OperationPaused, &before);
}

#[test]
fn a_swap_may_not_take_cr_below_cr_min() {
    // CR about 1.12 and a 20% incentive, which 10% fees on mints and
    // redeems allow: 15,000 T-bills would cost the reserve about 2,950 and
    // leave CR near 1.09.
    let (mut h, keeper) = all_usdc_reserve(
        |args| {
            args.params.risk.swap_incentive = fixed(0.2);
            args.params.fee_max = ballast::math::ratio(1, 10).into();
        },
        12_000_000_000,
    );
    let mut update = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]);
    let fee = ballast::math::ratio(1, 10).into();
    (update.fee_mint, update.fee_redeem) = (fee, fee);
    h.submit_update(update).unwrap();
    let extra = [h.asset_account(&keeper, USDC), h.asset_account(&keeper, TBILL)];
    let before = h.snapshot(&extra);
    let result = h.swap(&keeper, TBILL, USDC, 15_000_000_000);
    h.assert_refused(result, BallastError::CollateralRatioTooLow, &before);
}

#[test]
fn a_backstop_burned_to_nothing_starts_a_new_share_generation() {
    // A backstop of only 1,000 and kappa one: the bail-in takes all of it.
    let (mut h, alice, old) = Harness::backstopped(|args| args.params.risk.kappa = fixed(1.0), 1_000_000_000);
    h.settle_wbtc(6_600.0, 0.9, 0.0);
    h.send_admin(instructions::absorb_shortfall(&h.reserve_assets())).unwrap();
    let governance = h.governance();
    assert_eq!((governance.total_staked, governance.raw.total_shares), (0, 0));
    assert_eq!(governance.raw.share_generation, 1);

    // The wiped-out position is worth nothing; a new staker starts afresh.
    let position = ballast_sdk::accounts::stake_position(&mut h.chain, &old.pubkey()).unwrap().unwrap();
    assert_eq!(h.governance().raw.position_value(&position), 0);
    let source = h.stable_account(&alice);
    let stake = ballast_sdk::instructions::stake(&alice.pubkey(), &source, 500_000_000);
    h.send_as(&alice, stake).expect("staking works again after a full bail-in");
    assert_eq!(h.governance().raw.total_shares, 500_000_000);
}

#[test]
fn stake_cannot_leave_while_the_breaker_is_tripped() {
    let mut h = Harness::new();
    h.initialize_governance();
    h.contribute(USDC, 50_000_000_000);
    let staker = h.staker(1_000_000_000);
    h.warp_slots(STAKE_COOLDOWN_SLOTS);
    h.post_wbtc(WBTC_PRICE, 0.9, 0.0);
    h.send_admin(instructions::trip_breaker(&h.reserve_assets())).unwrap();
    let extra = [h.stable_account(&staker), pda::stake_position(&staker.pubkey())];
    let before = h.snapshot(&extra);
    let result = h.unstake(&staker, 1_000_000);
    h.assert_refused(result, BallastError::BackstopFrozen, &before);
}

#[test]
fn before_the_waterfall_runs_an_insolvent_reserve_redeems_at_cr() {
    let (mut h, alice, _) = reserve_with_backstop();
    h.post_wbtc(6_600.0, 0.9, 0.0);
    let cr = ballast_sdk::status::reserve_status(&mut h.chain).unwrap().collateral_ratio_fixed.unwrap();
    assert!(cr < 1, "CR {cr}");
    assert_eq!(h.protocol().redemption_rate, 1.0, "r still at one");
    let usdc = h.asset_account(&alice, USDC);
    let before = h.balance(&usdc);
    h.redeem(&alice, USDC, 1_000_000_000).unwrap();
    let paid_bits = (((998_000_000u128 << 48) / 1_000_000) * cr.to_bits() as u128) >> 48;
    assert_eq!((h.balance(&usdc) - before) as u128, (paid_bits * 1_000_000) >> 48);
}

#[test]
fn a_take_may_not_lower_cr_and_finished_auctions_close() {
    let (mut h, alice) = Harness::in_liquidation_range(|_| {});
    let reserve = h.reserve_assets();
    let wbtc = h.assets[WBTC].mint;
    h.send_admin(instructions::start_auction(&wbtc, &reserve)).unwrap();
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::close_auction(&wbtc, &reserve));
    h.assert_refused(result, BallastError::AuctionStillNeeded, &before);

    // Near the floor, 10% under the oracle price plus the 2% incentive, each
    // stablecoin burned would take $1.13 of collateral while CR is 1.03.
    let start = h.asset(WBTC).raw.auction.start_slot;
    h.chain.warp_to_slot(start + AUCTION_DURATION_SLOTS - 1).unwrap();
    let extra = [h.stable_account(&alice), h.asset_account(&alice, WBTC)];
    let before = h.snapshot(&extra);
    let ix = h.take_auction_ix(&alice, WBTC, 1_000_000_000, 1e9);
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::AuctionTakeLowersCr, &before);

    // WBTC recovers and CR passes CR_target: no more takes, and anyone can
    // close the auction, freeing its share of the cap.
    h.post_wbtc(25_000.0, 0.1, 0.0);
    h.post_wbtc(45_000.0, 0.1, 0.0);
    let before = h.snapshot(&extra);
    let ix = h.take_auction_ix(&alice, WBTC, 1_000_000_000, 1e9);
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::NotInLiquidationRange, &before);
    h.send_admin(instructions::close_auction(&wbtc, &reserve)).unwrap();
    assert_eq!(h.asset(WBTC).raw.auction.remaining, 0);
    assert_eq!(h.protocol().raw.auctions_in_flight, 0);
}

#[test]
fn the_premium_never_takes_cr_below_cr_min() {
    let per_slot = FixedBits::from(ballast::math::ratio(1, 1_000_000));
    let mut h = Harness::new_with(|args| args.params.risk.insurance_premium_per_slot = per_slot);
    h.contribute(USDC, 20_000_000_000);
    let alice = h.holder(USDC, 100_000_000_000);
    h.mint(&alice, USDC, 100_000_000_000).unwrap();
    // CR is 1.20; a full accrual over 100,000 slots would be 10% of S.
    h.warp_slots(100_000);
    h.set_prices(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]).unwrap();
    h.send_admin(instructions::accrue_premium(&h.reserve_assets())).unwrap();
    let cr = h.check_books().unwrap();
    assert!((1.10..1.1001).contains(&cr), "CR {cr} should stop at CR_min");
    // With no equity above CR_min left, the next accrual pays nothing.
    let supply = h.protocol().supply;
    h.warp_slots(10);
    h.send_admin(instructions::accrue_premium(&h.reserve_assets())).unwrap();
    assert_eq!(h.protocol().supply, supply);
}
