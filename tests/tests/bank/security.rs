//! The findings of the outside security review (issue 15), one test each,
//! and the economic attacks read for beside them. Each refusal asserts its
//! named error and that no account changed.

use ballast::constants::{pause, MAX_ORACLES, NATIVE_BOOTSTRAP_AUTHORITY};
use ballast::errors::BallastError;
use ballast::math::I80F48;
use ballast::state::{Action, AssetKind, ProposalKind};
use ballast_sdk::keypair::read_keypair_file;
use ballast_sdk::{fixed, instructions, pda, BankChain, Chain, Keypair, Pubkey, Signer};
use ballast_tests::*;

const STABLECOIN: u64 = 1_000_000;

fn reserve_value(h: &mut Harness) -> f64 {
    ballast_sdk::status::reserve_status(&mut h.chain).unwrap().value
}

/// Every price multiplied by `factor`, with `sigma_p` and the drawdown
/// reference at today's V.
fn mark_down(h: &mut Harness, factor: f64, sigma_p: f64) {
    let reference = reserve_value(h);
    let prices: Vec<f64> = (0..3).map(|i| h.asset(i).price * factor).collect();
    let mut update = h.oracle_update(&prices);
    update.sigma_p = fixed(sigma_p);
    update.reference_value = fixed(reference);
    h.submit_update(update).unwrap();
}

fn unstake_accounts(h: &mut Harness, staker: &Keypair) -> Vec<Pubkey> {
    vec![h.stable_account(staker), pda::stake_position(&staker.pubkey()), pda::governance(), pda::stake_vault()]
}

// --- 1. the backstop cannot leave ahead of a loss the chain can see ---

#[test]
fn stake_cannot_leave_once_prices_show_a_loss_the_breaker_cannot_see() {
    let (mut h, _, staker) = Harness::backstopped(|_| {}, 20_000 * STABLECOIN);
    h.warp_slots(STAKE_COOLDOWN_SLOTS);
    h.set_prices(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]).unwrap();
    h.unstake(&staker, 100 * STABLECOIN).expect("a healthy reserve lets stake go");

    // Every price 14% lower: CR falls just under one, a drawdown under the
    // 15% trigger with sigma_p at 0.02, so the breaker cannot trip.
    let cr = h.check_books().unwrap();
    mark_down(&mut h, 0.99 / cr, 0.02);
    assert!(h.check_books().unwrap() < 1.0);
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::trip_breaker(&h.reserve_assets()));
    h.assert_refused(result, BallastError::BreakerConditionNotMet, &before);
    let extra = unstake_accounts(&mut h, &staker);
    let before = h.snapshot(&extra);
    let result = h.unstake(&staker, 100 * STABLECOIN);
    h.assert_refused(result, BallastError::BackstopAtRisk, &before);
}

#[test]
fn stake_cannot_leave_between_one_and_cr_crit() {
    let (mut h, _, staker) = Harness::backstopped(|_| {}, 20_000 * STABLECOIN);
    h.warp_slots(STAKE_COOLDOWN_SLOTS);
    let cr = h.check_books().unwrap();
    mark_down(&mut h, 1.03 / cr, 0.02);
    let extra = unstake_accounts(&mut h, &staker);
    let before = h.snapshot(&extra);
    let result = h.unstake(&staker, 100 * STABLECOIN);
    h.assert_refused(result, BallastError::BackstopAtRisk, &before);
}

#[test]
fn stake_cannot_leave_before_a_due_trip_lands() {
    let (mut h, _, staker) = Harness::backstopped(|_| {}, 20_000 * STABLECOIN);
    h.warp_slots(STAKE_COOLDOWN_SLOTS);
    // sigma_p 0.9 is over the threshold; nobody has tripped the breaker yet.
    h.post_wbtc(WBTC_PRICE, 0.9, 0.0);
    assert_eq!(h.protocol().raw.breaker_paused, 0);
    let extra = unstake_accounts(&mut h, &staker);
    let before = h.snapshot(&extra);
    let result = h.unstake(&staker, 100 * STABLECOIN);
    h.assert_refused(result, BallastError::BackstopAtRisk, &before);
}

#[test]
fn stake_cannot_leave_while_the_reserve_cannot_be_valued() {
    let (mut h, _, staker) = Harness::backstopped(|_| {}, 20_000 * STABLECOIN);
    h.warp_slots(STALENESS_SLOTS + 1);
    let extra = unstake_accounts(&mut h, &staker);
    let before = h.snapshot(&extra);
    let result = h.unstake(&staker, 100 * STABLECOIN);
    h.assert_refused(result, BallastError::StalePrice, &before);
}

// --- 2. an asset that joins with a target weight does not freeze updates ---

#[test]
fn updates_flow_after_an_asset_joins_with_a_target_weight() {
    let mut h = Harness::new();
    let config = ballast::state::AssetConfig {
        target_weight: fixed(0.3),
        ..asset_config(0.5, 0.01)
    };
    h.add_asset(6, AssetKind::Loan, config);
    // The stored targets now sum to 1.3. Keeping their mix moves nothing.
    let mut update = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE, 1.0]);
    update.target_weights = [0.4, 0.3, 0.3, 0.3].iter().map(|w| fixed(w / 1.3)).collect();
    h.submit_update(update).expect("an update that keeps the targets' mix");
    let targets: f64 = (0..4).map(|i| h.asset(i).raw.config.target_weight.get().to_num::<f64>()).sum();
    assert!((targets - 1.0).abs() < 1e-6, "the stored targets sum to {targets}");
    let turnover = h.protocol().raw.window.weight_turnover.get().to_num::<f64>();
    assert!(turnover < 1e-9, "turnover {turnover}");
}

// --- 3. auction dust cannot block liquidation ---

#[test]
fn a_take_that_leaves_dust_ends_the_auction() {
    let (mut h, alice) = Harness::in_liquidation_range(|_| {});
    let reserve = h.reserve_assets();
    let wbtc = h.assets[WBTC].mint;
    h.send_admin(instructions::start_auction(&wbtc, &reserve)).unwrap();
    let to_raise = h.asset(WBTC).raw.auction.remaining;
    let in_flight = h.protocol().raw.auctions_in_flight;

    // Everything but one stablecoin unit: the rest would buy no satoshi.
    let ix = h.take_auction_ix(&alice, WBTC, to_raise - 1, 1e9);
    h.send_as(&alice, ix).unwrap();
    assert_eq!(h.asset(WBTC).raw.auction.remaining, 0, "the dust is not left running");
    assert_eq!(h.protocol().raw.auctions_in_flight, in_flight - to_raise);
    h.send_admin(instructions::start_auction(&wbtc, &reserve))
        .expect("the asset can be auctioned again");
    h.check_books();
}

#[test]
fn no_auction_starts_into_a_sliver_of_cap_room() {
    let (mut h, alice) = Harness::in_liquidation_range(|_| {});
    let reserve = h.reserve_assets();
    let (usdc, wbtc) = (h.assets[USDC].mint, h.assets[WBTC].mint);
    // USDC's share alone fills the 20% cap; a take of 500 units frees 500.
    h.send_admin(instructions::start_auction(&usdc, &reserve)).unwrap();
    let ix = h.take_auction_ix(&alice, USDC, 500, 2.0);
    h.send_as(&alice, ix).unwrap();
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::start_auction(&wbtc, &reserve));
    h.assert_refused(result, BallastError::AuctionCapReached, &before);
}

// --- 4. only the deployer initialises ---

fn funded(chain: &mut BankChain, key: &Pubkey) {
    let payer = chain.payer();
    let transfer = solana_system_interface::instruction::transfer(&payer.pubkey(), key, 1_000_000_000);
    chain.send(&[transfer], &payer, &[]).unwrap();
}

#[test]
fn only_the_upgrade_authority_may_initialize() {
    let mut chain = BankChain::new().unwrap();
    let stranger = Keypair::new();
    funded(&mut chain, &stranger.pubkey());
    let front_run = instructions::initialize(&stranger.pubkey(), default_args());
    let error = chain.send(&[front_run], &stranger, &[]).unwrap_err();
    assert!(error.is(BallastError::NotUpgradeAuthority), "{error}");
    assert!(chain.account(&pda::protocol()).unwrap().is_none());

    let deployer = chain.payer();
    let initialize = instructions::initialize(&deployer.pubkey(), default_args());
    chain.send(&[initialize], &deployer, &[]).expect("the upgrade authority initialises");
}

#[test]
fn without_program_data_only_the_bootstrap_key_may_initialize() {
    let mut chain = BankChain::without_program_data().unwrap();
    let payer = chain.payer();
    let initialize = instructions::initialize(&payer.pubkey(), default_args());
    let error = chain.send(&[initialize], &payer, &[]).unwrap_err();
    assert!(error.is(BallastError::NotUpgradeAuthority), "{error}");
    assert!(chain.account(&pda::protocol()).unwrap().is_none());

    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/native-bootstrap-authority.json");
    let bootstrap = read_keypair_file(fixture).unwrap();
    assert_eq!(bootstrap.pubkey(), NATIVE_BOOTSTRAP_AUTHORITY);
    funded(&mut chain, &bootstrap.pubkey());
    let initialize = instructions::initialize(&bootstrap.pubkey(), default_args());
    chain.send(&[initialize], &bootstrap, &[]).expect("the bootstrap key initialises");
}

// --- 5. the swap incentive cannot be farmed ---

#[test]
fn mint_redeem_and_swap_back_never_pays() {
    // A 1% swap incentive against 0.3% + 0.2% fees.
    let mut h = Harness::new_with(|args| args.params.risk.swap_incentive = fixed(0.01));
    h.contribute(USDC, 50_000 * STABLECOIN);
    let alice = h.holder(USDC, 100_000 * STABLECOIN);
    h.mint(&alice, USDC, 100_000 * STABLECOIN).unwrap();
    h.fund(&alice, TBILL, 20_000 * STABLECOIN);
    h.mint(&alice, TBILL, 20_000 * STABLECOIN).unwrap();

    // Mint with USDC, redeem for T-bills, swap the T-bills back for USDC.
    let farmer = h.holder(USDC, 10_000 * STABLECOIN);
    let (usdc, stable) = (h.asset_account(&farmer, USDC), h.stable_account(&farmer));
    h.mint(&farmer, USDC, 10_000 * STABLECOIN).unwrap();
    let minted = h.balance(&stable);
    h.redeem(&farmer, TBILL, minted).unwrap();
    let tbill = h.asset_account(&farmer, TBILL);
    let bills = h.balance(&tbill);
    h.swap(&farmer, TBILL, USDC, bills).unwrap();
    let back = h.balance(&usdc);
    assert!(back < 10_000 * STABLECOIN, "the round trip returned {back} for 10,000 USDC");
    h.check_books();
}

// --- 6. pauses: governance holds the bits, the guardian is bounded ---

#[test]
fn governance_sets_the_pause_bits_after_the_authority_is_gone() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    h.pause(pause::MINT);
    h.send_admin(instructions::renounce_authority(&h.admin.pubkey())).unwrap();
    let before = h.snapshot(&[pda::governance(), pda::proposal(0)]);
    let result = h.propose(&voter, ProposalKind::Action(Action::SetPause { paused: 0xF0 }));
    h.assert_refused(result, BallastError::ParameterOutOfBounds, &before);

    h.pass_action(&voter, Action::SetPause { paused: 0 }).unwrap();
    assert_eq!(h.protocol().raw.paused, 0);
    h.set_prices(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]).unwrap();
    let holder = h.holder(USDC, 10 * STABLECOIN);
    h.mint(&holder, USDC, 10 * STABLECOIN).expect("minting open again");
}

#[test]
fn the_guardian_cannot_keep_a_pause_up_by_renewing_it() {
    let mut h = Harness::new();
    let guardian = h.guardian.insecure_clone();
    h.send_as(&guardian, instructions::guardian_pause(&guardian.pubkey(), pause::MINT)).unwrap();
    let until = h.protocol().raw.guardian_pause_until;
    h.warp_slots(10);
    // During a pause it may add operations, not time.
    h.send_as(&guardian, instructions::guardian_pause(&guardian.pubkey(), pause::REDEEM)).unwrap();
    let protocol = h.protocol();
    assert_eq!(protocol.raw.guardian_paused, pause::MINT | pause::REDEEM);
    assert_eq!(protocol.raw.guardian_pause_until, until);

    // Once it lifts, not again until it has been lifted as long.
    h.chain.warp_to_slot(until + 1).unwrap();
    let before = h.snapshot(&[]);
    let result = h.send_as(&guardian, instructions::guardian_pause(&guardian.pubkey(), pause::MINT));
    h.assert_refused(result, BallastError::GuardianPauseCoolingDown, &before);
    h.chain.warp_to_slot(until + GUARDIAN_PAUSE_SLOTS).unwrap();
    h.send_as(&guardian, instructions::guardian_pause(&guardian.pubkey(), pause::MINT))
        .expect("a new pause after the cooldown");
    // It may lift its own pause early.
    h.send_as(&guardian, instructions::guardian_pause(&guardian.pubkey(), 0)).unwrap();
    assert_eq!(h.protocol().raw.paused_at(h.slot()), 0);
}

// --- 7. a new oracle set can always post ---

#[test]
fn no_quorum_can_spend_what_the_next_set_needs() {
    // Rounds are numbered by the schedule: an observation for a far round
    // is refused, so nothing a quorum posts can shut out its successor.
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    let mut far = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]);
    far.round = u64::MAX;
    let before = h.snapshot(&[]);
    let first = h.oracles[0].insecure_clone();
    let result = h.submit_observation(&first, far);
    h.assert_refused(result, BallastError::RoundNotOpen, &before);

    // Governance replaces the set; the new one posts at the next round.
    let replacement: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let mut oracles = [Pubkey::default(); MAX_ORACLES];
    for (slot, key) in oracles.iter_mut().zip(&replacement) {
        *slot = key.pubkey();
    }
    h.pass_action(&voter, Action::SetOracles { oracles, count: 3, quorum: 2 }).unwrap();
    h.oracles = replacement;
    let round = h.protocol().raw.last_oracle_round;
    h.set_prices(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]).expect("the new set posts");
    assert_eq!(h.protocol().raw.last_oracle_round, round + 1);
}

// --- 8. a loss is booked on a confirmed valuation only ---

#[test]
fn one_low_print_does_not_book_a_loss() {
    let (mut h, _, _) = Harness::backstopped(|_| {}, 20_000 * STABLECOIN);
    h.post_wbtc(6_600.0, 0.9, 0.0);
    let cr = ballast_sdk::status::reserve_status(&mut h.chain).unwrap().collateral_ratio.unwrap();
    assert!(cr < 1.0, "spot shows a loss: CR {cr}");
    let extra = [pda::insurance_vault(), pda::governance(), pda::stake_vault()];
    let before = h.snapshot(&extra);
    let result = h.send_admin(instructions::absorb_shortfall(&h.reserve_assets()));
    h.assert_refused(result, BallastError::NoShortfall, &before);

    // Held until the smoothed price agrees, the loss is booked.
    h.settle_wbtc(6_600.0, 0.9, 0.0);
    let loss = h.shortfall();
    assert!(loss > 0);
    h.send_admin(instructions::absorb_shortfall(&h.reserve_assets())).unwrap();
    let protocol = h.protocol();
    let insurance = protocol.raw.insurance;
    assert_eq!((insurance.paid_out + insurance.backstop_burned + insurance.holder_losses) as i128, loss);
}

// --- 9. one dead feed does not stop redemptions of healthy assets ---

#[test]
fn a_dead_feed_does_not_stop_redemptions_that_the_rest_covers() {
    let mut h = Harness::new();
    h.contribute(USDC, 50_000 * STABLECOIN);
    let alice = h.holder(USDC, 100_000 * STABLECOIN);
    h.fund(&alice, WBTC, 10_000_000);
    h.mint(&alice, USDC, 100_000 * STABLECOIN).unwrap();
    h.mint(&alice, WBTC, 1_000_000).unwrap();
    // WBTC's confidence is 5% where 2% is allowed: its price is unusable,
    // but USDC alone covers the supply.
    h.set_price(WBTC, WBTC_PRICE, 3_000.0).unwrap();
    let usdc = h.asset_account(&alice, USDC);
    let received = h.balance(&usdc);
    h.redeem(&alice, USDC, 1_000 * STABLECOIN).expect("USDC redeems while WBTC's feed is unusable");
    let (_, payout) = expected::redeem(1_000 * STABLECOIN, 6, fixed(1.0), h.protocol().raw.fee_redeem);
    assert_eq!(h.balance(&usdc) - received, payout, "paid at r = 1");
    h.check_books();
}

#[test]
fn a_dead_feed_that_decides_solvency_stops_redemptions() {
    // V = 210,000 of which WBTC 60,000; S = 159,520. Without WBTC, CR 0.94:
    // the rate would be a guess at the dead asset's worth.
    let mut h = Harness::new();
    h.contribute(USDC, 50_000 * STABLECOIN);
    let alice = h.holder(USDC, 100_000 * STABLECOIN);
    h.fund(&alice, WBTC, 100_000_000);
    h.mint(&alice, USDC, 100_000 * STABLECOIN).unwrap();
    h.mint(&alice, WBTC, 100_000_000).unwrap();
    h.set_price(WBTC, WBTC_PRICE, 3_000.0).unwrap();
    let extra = [h.stable_account(&alice), h.asset_account(&alice, USDC)];
    let before = h.snapshot(&extra);
    let result = h.redeem(&alice, USDC, 1_000 * STABLECOIN);
    h.assert_refused(result, BallastError::PriceConfidenceTooWide, &before);
}

// --- 10. staking works after a deep partial bail-in ---

/// The WBTC price, in I80F48 bits, at which the reserve is worth exactly
/// `target` stablecoin units as the waterfall values it.
fn wbtc_price_for_value(h: &mut Harness, target: u64) -> i128 {
    let others: u128 = [USDC, TBILL]
        .iter()
        .map(|&i| {
            let view = h.asset(i);
            let price = view.raw.price.bits.max(view.raw.smoothed_price.bits) as u128;
            view.vault_amount as u128 * price / 10u128.pow(view.decimals as u32)
        })
        .sum();
    let sats = h.asset(WBTC).vault_amount as u128;
    let units = |price_bits: u128| ((others + sats * price_bits / 100_000_000) * 1_000_000) >> 48;
    let (mut low, mut high) = (1u128, (100_000u128) << 48);
    while low < high {
        let mid = (low + high) / 2;
        if units(mid) < target as u128 {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    assert_eq!(units(low), target as u128, "no price gives exactly {target}");
    low as i128
}

#[test]
fn a_bail_in_that_leaves_crumbs_sweeps_them_and_staking_goes_on() {
    // kappa 1: the backstop bears the whole residual. Choose the WBTC price
    // so the residual is the stake less one unit.
    let (mut h, alice, _) = Harness::backstopped(|args| args.params.risk.kappa = fixed(1.0), 1_000 * STABLECOIN);
    let staked = h.governance().total_staked;
    let pool = h.balance(&pda::insurance_vault());
    let supply = h.protocol().supply;
    let target = supply - pool - (staked - 1);
    let price_bits = wbtc_price_for_value(&mut h, target);
    let price = I80F48::from_bits(price_bits);
    let mut update = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, 0.0]);
    update.prices[WBTC] = ballast::instructions::PriceInput {
        price: price.into(),
        confidence: (price / 1000).into(),
    };
    h.settle(update).unwrap();
    assert_eq!(h.shortfall(), (pool + staked - 1) as i128);

    h.send_admin(instructions::absorb_shortfall(&h.reserve_assets())).unwrap();
    let governance = h.governance();
    assert_eq!((governance.total_staked, governance.raw.total_shares), (0, 0));
    assert_eq!(governance.raw.share_generation, 1);
    assert_eq!(h.protocol().raw.insurance.backstop_burned, staked - 1);
    assert_eq!(h.balance(&pda::insurance_vault()), 1, "the crumb went to the pool");

    // 100,000 stablecoins stake at a fresh share price.
    let source = h.stable_account(&alice);
    let stake = instructions::stake(&alice.pubkey(), &source, 100_000 * STABLECOIN);
    h.send_as(&alice, stake).expect("staking after the bail-in");
    assert_eq!(h.governance().raw.total_shares, 100_000 * STABLECOIN);
    h.check_books();
}

// --- beyond the list: economic attacks ---

#[test]
fn sandwiching_a_price_rise_with_mint_and_redeem_loses() {
    let mut h = Harness::new();
    h.contribute(USDC, 100_000 * STABLECOIN);
    let attacker = h.holder(WBTC, 50_000_000);
    let wbtc = h.asset_account(&attacker, WBTC);
    // Mint with 0.5 BTC at $60,000, then WBTC rises 5%, then redeem for WBTC.
    h.mint(&attacker, WBTC, 50_000_000).unwrap();
    h.post_wbtc(WBTC_PRICE * 1.05, 0.02, 0.0);
    let stable = h.stable_account(&attacker);
    let minted = h.balance(&stable);
    h.redeem(&attacker, WBTC, minted).unwrap();
    let back = h.balance(&wbtc);
    assert!(back < 50_000_000, "got {back} satoshis back for 50,000,000");
}

#[test]
fn sandwiching_a_price_fall_with_mint_and_redeem_loses() {
    let mut h = Harness::new();
    h.contribute(USDC, 100_000 * STABLECOIN);
    let alice = h.holder(WBTC, 50_000_000);
    h.mint(&alice, WBTC, 50_000_000).unwrap();
    // Mint with USDC, then WBTC falls 5%, then redeem for the cheap WBTC:
    // the payout is priced at the higher of spot and the lagging smoothed price.
    let attacker = h.holder(USDC, 10_000 * STABLECOIN);
    h.mint(&attacker, USDC, 10_000 * STABLECOIN).unwrap();
    h.post_wbtc(WBTC_PRICE * 0.95, 0.02, 0.0);
    let stable = h.stable_account(&attacker);
    let minted = h.balance(&stable);
    h.redeem(&attacker, WBTC, minted).unwrap();
    let wbtc = h.asset_account(&attacker, WBTC);
    let worth = h.balance(&wbtc) as f64 / 1e8 * WBTC_PRICE * 0.95;
    assert!(worth < 10_000.0, "10,000 USDC became WBTC worth {worth}");
}

#[test]
fn many_small_round_trips_never_gain_from_rounding() {
    let mut h = Harness::new();
    h.contribute(USDC, 100_000 * STABLECOIN);
    let attacker = h.holder(USDC, 1_000 * STABLECOIN);
    h.fund(&attacker, WBTC, 1_000_000);
    let usdc = h.asset_account(&attacker, USDC);
    let wbtc = h.asset_account(&attacker, WBTC);
    let stable = h.stable_account(&attacker);
    let start = (h.balance(&usdc), h.balance(&wbtc));
    // Odd amounts just above what rounds to nothing, in both assets.
    for round in 0..40u64 {
        let (asset, amount) = if round % 2 == 0 { (USDC, 1_003 + round) } else { (WBTC, 3 + round % 5) };
        let _ = h.mint(&attacker, asset, amount);
        let held = h.balance(&stable);
        if held > 0 {
            let _ = h.redeem(&attacker, asset, held);
        }
    }
    let end = (h.balance(&usdc), h.balance(&wbtc));
    let value = |(usdc, wbtc): (u64, u64)| usdc as f64 / 1e6 + wbtc as f64 / 1e8 * WBTC_PRICE;
    assert!(value(end) + h.balance(&stable) as f64 / 1e6 <= value(start), "{start:?} became {end:?}");
    h.check_books();
}
