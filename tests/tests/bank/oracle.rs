//! M-of-N signed oracle updates: what they change, and every refusal.

use ballast::errors::BallastError;
use ballast_sdk::{fixed, pda, Chain, Keypair, Pubkey, Signer};
use ballast_tests::*;

fn prices() -> Vec<f64> {
    vec![USDC_PRICE, TBILL_PRICE, WBTC_PRICE]
}

/// The accounts an update may touch.
fn update_accounts(h: &mut Harness) -> Vec<(Pubkey, Option<ballast_sdk::Account>)> {
    h.snapshot(&[])
}

#[test]
fn two_of_three_oracles_update_prices_weights_fees_and_risk() {
    let mut h = Harness::new();
    let start_nonce = h.protocol().raw.oracle_nonce;
    let mut update = h.oracle_update(&[1.0, 0.99, 61_000.0]);
    update.target_weights = vec![fixed(0.35), fixed(0.35), fixed(0.3)];
    update.fee_mint = fixed(0.004);
    update.sigma_p = fixed(0.031);
    h.submit_update(update.clone()).unwrap();

    let protocol = h.protocol();
    assert_eq!(protocol.raw.oracle_nonce, update.nonce);
    assert_eq!(protocol.raw.fee_mint, fixed(0.004));
    assert_eq!(protocol.raw.risk.sigma_p, fixed(0.031));
    assert_eq!(protocol.raw.risk.reference_value, update.reference_value);
    let wbtc = h.asset(WBTC);
    assert_eq!(wbtc.raw.price, fixed(61_000.0));
    assert_eq!(wbtc.raw.config.target_weight, fixed(0.3));
    // Turnover from 0.4/0.3/0.3: (0.05 + 0.05 + 0) / 2 = 0.05.
    let turnover = protocol.raw.window.weight_turnover.get().to_num::<f64>();
    assert!((turnover - 0.05).abs() < 1e-9, "{turnover}");

    // Any two of the three will do; all three too.
    let oracles: Vec<Keypair> = h.oracles.iter().map(|k| k.insecure_clone()).collect();
    let update = h.oracle_update(&prices());
    h.submit_update_as(update, &[oracles[2].pubkey(), oracles[0].pubkey()], &[&oracles[2], &oracles[0]])
        .unwrap();
    let update = h.oracle_update(&prices());
    let all: Vec<Pubkey> = oracles.iter().map(|k| k.pubkey()).collect();
    h.submit_update_as(update, &all, &oracles.iter().collect::<Vec<_>>()).unwrap();
    assert_eq!(h.protocol().raw.oracle_nonce, start_nonce + 3);
}

#[test]
fn replays_and_expired_updates_are_refused() {
    let mut h = Harness::new();
    let update = h.oracle_update(&prices());
    h.submit_update(update.clone()).unwrap();
    let before = update_accounts(&mut h);
    let result = h.submit_update(update.clone());
    h.assert_refused(result, BallastError::OracleReplay, &before);
    let mut older = h.oracle_update(&prices());
    older.nonce = update.nonce - 1;
    let result = h.submit_update(older);
    h.assert_refused(result, BallastError::OracleReplay, &before);

    let late = h.oracle_update(&prices());
    h.warp_slots(101);
    let before = update_accounts(&mut h);
    let result = h.submit_update(late);
    h.assert_refused(result, BallastError::OracleUpdateExpired, &before);
}

#[test]
fn signers_must_be_distinct_registered_oracles_reaching_the_quorum() {
    let mut h = Harness::new();
    let oracles: Vec<Keypair> = h.oracles.iter().map(|k| k.insecure_clone()).collect();
    let before = update_accounts(&mut h);

    // One oracle listed twice: one signature, counted once.
    let update = h.oracle_update(&prices());
    let twice = [oracles[0].pubkey(), oracles[0].pubkey()];
    let result = h.submit_update_as(update.clone(), &twice, &[&oracles[0]]);
    h.assert_refused(result, BallastError::DuplicateOracleSigner, &before);

    // A stranger's signature is not an oracle's.
    let stranger = Keypair::new();
    let listed = [oracles[0].pubkey(), stranger.pubkey()];
    let result = h.submit_update_as(update.clone(), &listed, &[&oracles[0], &stranger]);
    h.assert_refused(result, BallastError::UnknownOracleSigner, &before);

    // One of three is below the quorum of two.
    let result = h.submit_update_as(update.clone(), &[oracles[1].pubkey()], &[&oracles[1]]);
    h.assert_refused(result, BallastError::OracleQuorumNotMet, &before);

    // Listing an oracle is not signing for it.
    let mut ix = ballast_sdk::instructions::submit_update(update, &h.reserve_assets(), &[oracles[0].pubkey(), oracles[1].pubkey()]);
    let last = ix.accounts.len() - 1;
    ix.accounts[last].is_signer = false;
    let result = h.send_as(&oracles[0], ix);
    h.assert_refused(result, BallastError::OracleSignatureMissing, &before);
}

#[test]
fn policy_outside_its_bounds_is_refused() {
    let mut h = Harness::new();
    let before = update_accounts(&mut h);

    let mut update = h.oracle_update(&prices());
    update.fee_redeem = fixed(0.05); // fee_max is 1%
    let result = h.submit_update(update);
    h.assert_refused(result, BallastError::FeeOutOfBounds, &before);

    let mut update = h.oracle_update(&prices());
    update.target_weights = vec![fixed(0.5), fixed(0.3), fixed(0.3)];
    let result = h.submit_update(update);
    h.assert_refused(result, BallastError::WeightsDoNotSumToOne, &before);

    let mut update = h.oracle_update(&prices());
    update.target_weights = vec![fixed(1.2), fixed(-0.1), fixed(-0.1)];
    let result = h.submit_update(update);
    h.assert_refused(result, BallastError::WeightsDoNotSumToOne, &before);

    // Targets start at 0.4/0.3/0.3; u_max is 0.1 of turnover per window and
    // this is 0.2.
    let mut update = h.oracle_update(&prices());
    update.target_weights = vec![fixed(0.6), fixed(0.2), fixed(0.2)];
    let result = h.submit_update(update);
    h.assert_refused(result, BallastError::WeightMoveTooLarge, &before);

    let mut update = h.oracle_update(&prices());
    update.prices.pop();
    let result = h.submit_update(update);
    h.assert_refused(result, BallastError::UpdateLengthMismatch, &before);

    let mut update = h.oracle_update(&prices());
    update.sigma_p = fixed(-0.1);
    let result = h.submit_update(update);
    h.assert_refused(result, BallastError::InvalidRiskFigures, &before);
}

#[test]
fn weight_moves_add_up_within_a_window() {
    let mut h = Harness::new();
    let mut first = h.oracle_update(&prices());
    first.target_weights = vec![fixed(0.35), fixed(0.35), fixed(0.3)];
    h.submit_update(first).unwrap(); // turnover 0.05
    let mut second = h.oracle_update(&prices());
    second.target_weights = vec![fixed(0.3), fixed(0.4), fixed(0.3)];
    h.submit_update(second).unwrap(); // 0.1 in all
    let before = update_accounts(&mut h);
    let mut third = h.oracle_update(&prices());
    third.target_weights = vec![fixed(0.35), fixed(0.35), fixed(0.3)];
    let result = h.submit_update(third);
    h.assert_refused(result, BallastError::WeightMoveTooLarge, &before);
}

#[test]
fn a_price_jump_beyond_its_bound_is_refused() {
    let mut h = Harness::new();
    let before = update_accounts(&mut h);
    // max_price_jump is 90%: WBTC from 60,000 to 5,000 is a 92% drop.
    let update = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, 5_000.0]);
    let result = h.submit_update(update);
    h.assert_refused(result, BallastError::PriceJumpTooLarge, &before);
    let update = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, 7_000.0]);
    h.submit_update(update).expect("an 88% drop is within the bound");
}

#[test]
fn the_smoothed_price_grows_at_most_a_bounded_step_per_slot() {
    let mut h = Harness::new();
    // A long quiet spell, then a 50% spike: the EMA alone would jump all the
    // way; the growth bound holds it to 0.1% per elapsed slot.
    h.warp_slots(150);
    let elapsed = h.slot() - h.asset(WBTC).price_slot;
    let update = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, 90_000.0]);
    h.submit_update(update).unwrap();
    let smoothed = h.asset(WBTC).smoothed_price;
    let bound = 60_000.0 * (1.0 + 0.001 * elapsed as f64);
    assert!(smoothed <= bound + 1e-6 && smoothed > 60_000.0, "smoothed {smoothed}, bound {bound}");
}

#[test]
fn the_asset_list_must_be_the_reserve_in_order() {
    let mut h = Harness::new();
    let before = update_accounts(&mut h);
    let update = h.oracle_update(&prices());
    let mut reserve = h.reserve_assets();
    reserve.swap(0, 2);
    let oracles: Vec<Keypair> = h.oracles[..2].iter().map(|k| k.insecure_clone()).collect();
    let listed: Vec<Pubkey> = oracles.iter().map(|k| k.pubkey()).collect();
    let ix = ballast_sdk::instructions::submit_update(update, &reserve, &listed);
    let result = h.chain.send(&[ix], &h.admin, &oracles.iter().collect::<Vec<_>>());
    h.assert_refused(result, BallastError::IncompleteReserve, &before);
    let _ = pda::protocol();
}
