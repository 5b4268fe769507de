//! Random sequences of every operation, with the invariants checked after
//! each step. 200 sequences from a fixed seed by default, so CI is
//! repeatable; BALLAST_FUZZ_CASES=N runs N, BALLAST_FUZZ_SEED=S explores others.

use ballast::errors::BallastError;
use ballast_sdk::{fixed, instructions, pda, ChainError, Keypair, Signer};
use ballast_tests::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

#[derive(Clone, Debug)]
enum Op {
    Mint { asset: usize, amount: u64 },
    Redeem { asset: usize, amount: u64 },
    Oracle { usdc: f64, wbtc_move: f64, sigma_p: f64 },
    Crash,
    /// Reprice the cash token so that CR lands near 1.02, in liquidation range.
    Drift,
    Swap { asset_in: usize, asset_out: usize, amount: u64 },
    Trip,
    Reset,
    StartAuction { asset: usize },
    CloseAuction { asset: usize },
    TakeAuction { asset: usize, amount: u64 },
    /// Takes all but `keep` stablecoin units of a running auction, which
    /// may leave it under one lot.
    TakeLeaving { keep: u64 },
    Stake { amount: u64 },
    Unstake { amount: u64 },
    Absorb,
    AccruePremium,
    Warp { slots: u64 },
    /// Governance replaces the oracle set with three new keys.
    ChangeOracles,
}

fn asset_amount(asset: usize) -> impl Strategy<Value = u64> {
    match asset {
        WBTC => 1_000u64..200_000_000,
        _ => 1_000u64..150_000_000_000,
    }
}

fn op() -> impl Strategy<Value = Op> {
    let asset = 0usize..3;
    prop_oneof![
        3 => asset.clone().prop_flat_map(|a| asset_amount(a).prop_map(move |amount| Op::Mint { asset: a, amount })),
        3 => (asset.clone(), 1_000u64..60_000_000_000).prop_map(|(asset, amount)| Op::Redeem { asset, amount }),
        3 => (0.9f64..1.02, -0.3f64..0.3, 0.0f64..1.5).prop_map(|(usdc, wbtc_move, sigma_p)| Op::Oracle { usdc, wbtc_move, sigma_p }),
        2 => Just(Op::Crash),
        2 => Just(Op::Drift),
        2 => (asset.clone(), asset.clone(), 1_000u64..20_000_000_000).prop_map(|(asset_in, asset_out, amount)| Op::Swap { asset_in, asset_out, amount }),
        1 => Just(Op::Trip),
        1 => Just(Op::Reset),
        3 => asset.clone().prop_map(|asset| Op::StartAuction { asset }),
        2 => (0u64..3_000_000).prop_map(|keep| Op::TakeLeaving { keep }),
        1 => asset.clone().prop_map(|asset| Op::CloseAuction { asset }),
        3 => (asset.clone(), 1_000u64..50_000_000_000).prop_map(|(asset, amount)| Op::TakeAuction { asset, amount }),
        1 => (1_000u64..5_000_000_000).prop_map(|amount| Op::Stake { amount }),
        1 => (1_000u64..5_000_000_000).prop_map(|amount| Op::Unstake { amount }),
        2 => Just(Op::Absorb),
        1 => Just(Op::AccruePremium),
        2 => (1u64..400).prop_map(|slots| Op::Warp { slots }),
        1 => Just(Op::ChangeOracles),
    ]
}

struct World {
    h: Harness,
    alice: Keypair,
    bob: Keypair,
}

fn world() -> World {
    let per_slot = ballast::math::ratio(1, 1_000_000_000).into();
    let mut h = Harness::new_with(|args| args.params.risk.insurance_premium_per_slot = per_slot);
    h.initialize_governance();
    h.contribute(USDC, 40_000_000_000);
    let alice = h.holder(USDC, 2_000_000_000_000);
    h.fund(&alice, TBILL, 1_000_000_000_000);
    h.fund(&alice, WBTC, 2_000_000_000);
    h.mint(&alice, USDC, 100_000_000_000).unwrap();
    let bob = h.staker(10_000_000_000);
    World { h, alice, bob }
}

/// The operation bit each instruction needs unpaused.
fn pause_bit(op: &Op) -> Option<u8> {
    match op {
        Op::Mint { .. } => Some(PAUSE_MINT),
        Op::Redeem { .. } => Some(PAUSE_REDEEM),
        Op::Swap { .. } => Some(PAUSE_REBALANCE),
        Op::TakeAuction { .. } | Op::TakeLeaving { .. } | Op::StartAuction { .. } => Some(PAUSE_LIQUIDATE),
        _ => None,
    }
}

fn apply(w: &mut World, op: &Op) -> Result<(), ChainError> {
    let h = &mut w.h;
    match *op {
        Op::Mint { asset, amount } => h.mint(&w.alice, asset, amount).map(drop),
        Op::Redeem { asset, amount } => h.redeem(&w.alice, asset, amount).map(drop),
        Op::Oracle { usdc, wbtc_move, sigma_p } => {
            let wbtc = h.asset(WBTC).price * (1.0 + wbtc_move);
            let mut update = h.oracle_update(&[usdc, TBILL_PRICE, wbtc]);
            update.sigma_p = fixed(sigma_p);
            update.reference_value = fixed(200_000.0);
            h.submit_update(update).map(drop)
        }
        Op::Crash => {
            let wbtc = h.asset(WBTC).price * 0.2;
            let usdc = h.asset(USDC).price * 0.9;
            let mut update = h.oracle_update(&[usdc, TBILL_PRICE, wbtc]);
            update.sigma_p = fixed(1.4);
            // Held until the smoothed prices agree, so a loss can be booked.
            h.settle(update).map(drop)
        }
        Op::Drift => {
            let protocol = h.protocol();
            let reserve = ballast_sdk::status::reserve_status(&mut h.chain).unwrap();
            let usdc_value = reserve.assets[USDC].value;
            let target = 1.02 * protocol.supply as f64 / 1e6;
            let factor = ((target - (reserve.value - usdc_value)) / usdc_value.max(1.0)).clamp(0.2, 1.8);
            let usdc = h.asset(USDC).price * factor;
            let wbtc = h.asset(WBTC).price;
            let mut update = h.oracle_update(&[usdc, TBILL_PRICE, wbtc]);
            update.sigma_p = fixed(0.3);
            h.submit_update(update).map(drop)
        }
        Op::Swap { asset_in, asset_out, amount } => h.swap(&w.alice, asset_in, asset_out, amount).map(drop),
        Op::Trip => h.send_admin(instructions::trip_breaker(&h.reserve_assets())).map(drop),
        Op::Reset => {
            // A keeper waits out the minimum pause, the oracles post calm
            // data, then the keeper resets.
            h.warp_slots(BREAKER_MIN_PAUSE_SLOTS);
            let prices: Vec<f64> = (0..3).map(|i| h.asset(i).price).collect();
            let mut update = h.oracle_update(&prices);
            update.sigma_p = fixed(0.2);
            h.submit_update(update)?;
            h.send_admin(instructions::reset_breaker()).map(drop)
        }
        Op::CloseAuction { asset } => {
            let mint = h.assets[asset].mint;
            h.send_admin(instructions::close_auction(&mint, &h.reserve_assets())).map(drop)
        }
        Op::StartAuction { asset } => {
            let mint = h.assets[asset].mint;
            h.send_admin(instructions::start_auction(&mint, &h.reserve_assets())).map(drop)
        }
        Op::TakeAuction { asset, amount } => {
            // Take from a running auction if there is one, else try `asset`.
            let running = (0..3).find(|i| h.asset((asset + i) % 3).raw.auction.remaining > 0);
            let asset = running.map_or(asset, |i| (asset + i) % 3);
            let ix = h.take_auction_ix(&w.alice, asset, amount, 1e12);
            h.send_as(&w.alice, ix).map(drop)
        }
        Op::TakeLeaving { keep } => {
            // With no auction running, the take on USDC is refused as such.
            let asset = (0..3).find(|i| h.asset(*i).raw.auction.remaining > keep).unwrap_or(USDC);
            let amount = h.asset(asset).raw.auction.remaining.saturating_sub(keep).max(1);
            let ix = h.take_auction_ix(&w.alice, asset, amount, 1e12);
            h.send_as(&w.alice, ix).map(drop)
        }
        Op::Stake { amount } => h.stake(&w.bob, amount).map(drop),
        Op::Unstake { amount } => h.unstake(&w.bob, amount).map(drop),
        Op::Absorb => h.send_admin(instructions::absorb_shortfall(&h.reserve_assets())).map(drop),
        Op::AccruePremium => h.send_admin(instructions::accrue_premium(&h.reserve_assets())).map(drop),
        Op::Warp { slots } => {
            h.warp_slots(slots);
            Ok(())
        }
        Op::ChangeOracles => {
            let replacement: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
            let mut oracles = [ballast_sdk::Pubkey::default(); ballast::constants::MAX_ORACLES];
            for (slot, key) in oracles.iter_mut().zip(&replacement) {
                *slot = key.pubkey();
            }
            let action = ballast::state::Action::SetOracles { oracles, count: 3, quorum: 2 };
            h.pass_action(&w.bob, action)?;
            h.oracles = replacement;
            Ok(())
        }
    }
}

/// A name per kind of operation, for the tally of what succeeded.
fn kind(op: &Op) -> &'static str {
    match op {
        Op::Mint { .. } => "mint",
        Op::Redeem { .. } => "redeem",
        Op::Oracle { .. } => "oracle update",
        Op::Crash => "price crash",
        Op::Drift => "drift",
        Op::Swap { .. } => "swap",
        Op::Trip => "trip",
        Op::Reset => "reset",
        Op::StartAuction { .. } => "start auction",
        Op::CloseAuction { .. } => "close auction",
        Op::TakeAuction { .. } => "auction take",
        Op::TakeLeaving { .. } => "take leaving",
        Op::Stake { .. } => "stake",
        Op::Unstake { .. } => "unstake",
        Op::Absorb => "waterfall",
        Op::AccruePremium => "premium",
        Op::Warp { .. } => "warp",
        Op::ChangeOracles => "oracle set change",
    }
}

type Tally = std::cell::RefCell<std::collections::BTreeMap<&'static str, (u32, u32)>>;

fn run_sequence(ops: &[Op], tally: &Tally) -> Result<(), TestCaseError> {
    let mut w = world();
    for op in ops {
        let before = w.h.protocol();
        let paused = before.raw.paused | before.raw.breaker_paused;
        let pool_before = w.h.balance(&pda::insurance_vault());
        let staked_before = w.h.governance().total_staked;
        let loss = w.h.shortfall();
        let backstop_safe = backstop_may_leave(&mut w.h);

        let result = apply(&mut w, op);
        {
            let mut tally = tally.borrow_mut();
            let entry = tally.entry(kind(op)).or_default();
            if result.is_ok() {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
        if let Err(error) = &result {
            prop_assert!(
                matches!(error, ChainError::Transaction { .. }),
                "{op:?} failed outside the program: {error}"
            );
            // Oracle rounds can always go on, whatever set posts them.
            prop_assert!(
                !error.is(BallastError::RoundLate) && !error.is(BallastError::RoundNotOpen) && !error.is(BallastError::UnknownOracle),
                "{op:?} could not post: {error}"
            );
        }
        if let (Op::Unstake { .. }, Ok(())) = (op, &result) {
            prop_assert!(backstop_safe, "stake left while CR was below CR_crit or the breaker was due");
        }
        if let (Some(bit), Ok(())) = (pause_bit(op), &result) {
            prop_assert!(paused & bit == 0, "{op:?} succeeded while paused ({paused:#b})");
        }

        // Every asset can always be fully liquidated: no auction is left
        // with less than one lot to raise.
        let premium = w.h.protocol().raw.params.risk.auction_start_premium.get();
        for index in 0..3 {
            let asset = w.h.asset(index).raw;
            let lot = ballast::math::auction_lot_units(asset.decimals, asset.auction.reference_price.get(), premium).unwrap();
            prop_assert!(
                asset.auction.remaining == 0 || asset.auction.remaining >= lot,
                "asset {index}: an auction left {} to raise, under one lot of {lot}",
                asset.auction.remaining
            );
        }

        // The books: vaults match the accounting, S matches the mint.
        w.h.check_books();
        let governance = w.h.governance();
        prop_assert_eq!(w.h.balance(&pda::stake_vault()), governance.total_staked);
        let after = w.h.protocol();
        prop_assert!(after.redemption_rate <= 1.0);

        // The waterfall: insurance, then backstop, then holders, to the unit.
        if let (Op::Absorb, Ok(())) = (op, &result) {
            let paid = (after.raw.insurance.paid_out - before.raw.insurance.paid_out) as i128;
            let burned = (after.raw.insurance.backstop_burned - before.raw.insurance.backstop_burned) as i128;
            let holders = (after.raw.insurance.holder_losses - before.raw.insurance.holder_losses) as i128;
            if loss > 0 {
                prop_assert_eq!(paid + burned + holders, loss);
                prop_assert_eq!(paid, loss.min(pool_before as i128));
                // Stake under the share price floor is swept to the pool.
                let swept = staked_before as i128 - burned - governance.total_staked as i128;
                if burned > 0 || holders > 0 {
                    prop_assert_eq!(w.h.balance(&pda::insurance_vault()) as i128, swept, "backstop before the pool was empty");
                }
                if holders > 0 {
                    prop_assert_eq!(burned, ((loss - paid) / 2).min(staked_before as i128), "holders before the backstop's share");
                }
            } else {
                prop_assert_eq!(paid + burned + holders, 0);
            }
        }
    }
    Ok(())
}

/// Whether the program's own rules would let stake leave now: no tripped
/// breaker, r = 1, every price usable, the breaker's condition not met,
/// and CR at the lower conservative prices at least CR_crit.
fn backstop_may_leave(h: &mut Harness) -> bool {
    let protocol = h.protocol().raw;
    let slot = h.slot();
    let assets: Vec<ballast::state::Asset> = (0..3).map(|i| h.asset(i).raw).collect();
    let mut value = ballast::math::I80F48::ZERO;
    for asset in &assets {
        match asset.reserve_value_floor(slot) {
            Ok(v) => value += v,
            Err(_) => return false,
        }
    }
    let breaker_due = ballast::instructions::breaker_condition(&protocol, value).map_or(true, |condition| condition.holds());
    let cr = ballast::math::collateral_ratio_floor(value, protocol.supply).unwrap();
    protocol.breaker_paused == 0
        && protocol.redemption_rate.get() >= 1
        && !breaker_due
        && cr.is_none_or(|cr| cr >= protocol.params.cr_crit.get())
}

#[test]
fn random_sequences_keep_every_invariant() {
    let cases = std::env::var("BALLAST_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(200);
    let seed = std::env::var("BALLAST_FUZZ_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(20_261_121);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    });
    let sequences = prop::collection::vec(op(), 4..24);
    let tally = Tally::default();
    runner.run(&sequences, |ops| run_sequence(&ops, &tally)).unwrap();
    // Every kind of operation succeeded somewhere, so no invariant held
    // only because nothing happened.
    for (kind, (succeeded, refused)) in tally.borrow().iter() {
        eprintln!("{kind:>14}: {succeeded:>5} succeeded, {refused:>5} refused");
    }
    if cases >= 200 {
        for kind in [
            "mint", "redeem", "oracle update", "price crash", "swap", "trip", "reset", "auction take", "stake", "unstake",
            "waterfall", "oracle set change",
        ] {
            let succeeded = tally.borrow().get(kind).map_or(0, |t| t.0);
            assert!(succeeded > 0, "no {kind} succeeded in {cases} sequences");
        }
    }
}
