//! Oracle rounds: each registered oracle submits its own observation in its
//! own transaction; a round finalizes once a quorum agree. What a round
//! changes, the medians, outliers, lapsed rounds, oracle-set changes at a
//! round boundary, and every refusal.

use ballast::errors::BallastError;
use ballast::instructions::Observation;
use ballast::state::{round_status, Action, RebalanceTrigger};
use ballast_sdk::{accounts, fixed, Chain, Keypair, Pubkey, Signer};
use ballast_tests::*;

fn prices() -> Vec<f64> {
    vec![USDC_PRICE, TBILL_PRICE, WBTC_PRICE]
}

fn oracle(h: &Harness, index: usize) -> Keypair {
    h.oracles[index].insecure_clone()
}

/// An observation of `prices` for the next round (warping to it).
fn next_observation(h: &mut Harness, prices: &[f64]) -> Observation {
    let mut observation = h.oracle_update(prices);
    observation.round = h.next_round();
    observation
}

fn rounds(h: &mut Harness) -> ballast::state::OracleRounds {
    accounts::oracle_rounds(&mut h.chain).expect("oracle rounds")
}

#[test]
fn a_round_finalizes_with_exactly_the_quorum_and_updates_prices_weights_fees_and_risk() {
    let mut h = Harness::new();
    let last = h.protocol().raw.last_oracle_round;
    let mut observation = next_observation(&mut h, &[1.0, 0.99, 61_000.0]);
    observation.target_weights = vec![fixed(0.35), fixed(0.35), fixed(0.3)];
    observation.fee_mint = fixed(0.004);
    observation.sigma_p = fixed(0.031);
    observation.breach_probability = fixed(0.01);
    observation.breach_upper = fixed(0.02);

    // One observation changes nothing the reserve reads.
    let before = h.snapshot(&[]);
    h.submit_observation(&oracle(&h, 0), observation.clone()).unwrap();
    h.assert_unchanged(&before);
    assert_eq!(rounds(&mut h).submitted_mask, 0b001);

    // The second, the quorum, finalizes the round.
    h.submit_observation(&oracle(&h, 1), observation.clone()).unwrap();
    let protocol = h.protocol();
    assert_eq!(protocol.raw.last_oracle_round, last + 1);
    assert_eq!(protocol.raw.fee_mint, fixed(0.004));
    assert_eq!(protocol.raw.risk.sigma_p, fixed(0.031));
    assert_eq!(protocol.raw.risk.breach_upper, fixed(0.02));
    let wbtc = h.asset(WBTC);
    assert_eq!(wbtc.raw.price, fixed(61_000.0));
    assert!((wbtc.raw.config.target_weight.get().to_num::<f64>() - 0.3).abs() < 1e-12);
    // Turnover from 0.4/0.3/0.3: (0.05 + 0.05 + 0) / 2 = 0.05.
    let turnover = protocol.raw.window.weight_turnover.get().to_num::<f64>();
    assert!((turnover - 0.05).abs() < 1e-9, "{turnover}");
    let state = rounds(&mut h);
    assert_eq!(state.status, round_status::FINALIZED);
    let summary = state.last_summary().unwrap();
    assert_eq!((summary.round, summary.submitted_mask, summary.outlier_mask), (last + 1, 0b011, 0));

    // Late for a finalized round: the third oracle is refused by name.
    let before = h.snapshot(&[]);
    let result = h.submit_observation(&oracle(&h, 2), observation);
    h.assert_refused(result, BallastError::RoundAlreadyFinalized, &before);
}

#[test]
fn medians_of_an_odd_and_an_even_count() {
    // Five oracles, quorum three: three observations finalize (odd).
    let mut h = Harness::with_oracles(5, 3);
    let observation = next_observation(&mut h, &prices());
    for (index, wbtc) in [60_000.0, 60_600.0, 60_300.0].into_iter().enumerate() {
        let mut mine = observation.clone();
        mine.prices[WBTC] = Harness::price_input(wbtc, wbtc / 1000.0);
        h.submit_observation(&oracle(&h, index), mine).unwrap();
    }
    assert_eq!(h.asset(WBTC).raw.price, fixed(60_300.0));

    // Quorum four: the median of four is the mean of the middle two.
    let mut h = Harness::with_oracles(5, 4);
    let observation = next_observation(&mut h, &prices());
    for (index, wbtc) in [60_000.0, 61_000.0, 60_400.0, 60_200.0].into_iter().enumerate() {
        let mut mine = observation.clone();
        mine.prices[WBTC] = Harness::price_input(wbtc, wbtc / 1000.0);
        mine.fee_mint = fixed(0.001 * (index + 1) as f64);
        h.submit_observation(&oracle(&h, index), mine).unwrap();
    }
    let wbtc = h.asset(WBTC);
    assert_eq!(wbtc.raw.price, fixed(60_300.0));
    // The confidence covers the farthest inlier, 700 from the median.
    assert!(wbtc.raw.price_confidence.get() >= fixed(700.0).get());
    let fee = h.protocol().raw.fee_mint.get().to_num::<f64>();
    assert!((fee - 0.0025).abs() < 1e-12, "fee {fee}");
}

#[test]
fn an_outlier_is_kept_out_and_counted_against_its_oracle() {
    let mut h = Harness::with_oracles(5, 3);
    let last = h.protocol().raw.last_oracle_round;
    let observation = next_observation(&mut h, &prices());
    let liar = oracle(&h, 4);
    // Two honest, one at ten times the price: the liar is an outlier, two
    // inliers are not a quorum, and nothing is posted yet.
    for (index, wbtc) in [(0, 60_000.0), (4, 600_000.0), (1, 60_100.0)] {
        let mut mine = observation.clone();
        mine.prices[WBTC] = Harness::price_input(wbtc, wbtc / 1000.0);
        h.submit_observation(&oracle(&h, index), mine).unwrap();
    }
    assert_eq!(h.protocol().raw.last_oracle_round, last);
    // A third honest observation finalizes at the honest median.
    let mut mine = observation.clone();
    mine.prices[WBTC] = Harness::price_input(60_200.0, 60.2);
    h.submit_observation(&oracle(&h, 3), mine).unwrap();
    assert_eq!(h.asset(WBTC).raw.price, fixed(60_100.0));
    let state = rounds(&mut h);
    assert_eq!(state.last_summary().unwrap().outlier_mask, 0b1_0000);
    let stats = state.stats.iter().find(|s| s.oracle == liar.pubkey()).unwrap();
    assert_eq!((stats.submitted, stats.outliers, stats.included), (1, 1, 0));
    // Oracles 0 to 2 also posted the harness's opening round.
    let honest = state.stats.iter().find(|s| s.oracle == h.oracles[0].pubkey()).unwrap();
    assert_eq!((honest.submitted, honest.included, honest.outliers), (2, 2, 0));
}

#[test]
fn a_round_without_a_quorum_lapses_and_the_next_one_opens() {
    let mut h = Harness::new();
    let observation = next_observation(&mut h, &prices());
    let round = observation.round;
    h.submit_observation(&oracle(&h, 0), observation.clone()).unwrap();
    // The round's time runs out with one observation of the two needed.
    h.warp_slots(ROUND_SLOTS + 1);
    let before = h.snapshot(&[]);
    let result = h.submit_observation(&oracle(&h, 1), observation);
    h.assert_refused(result, BallastError::RoundLate, &before);
    let next = next_observation(&mut h, &prices());
    assert_eq!(next.round, round + 1);
    h.submit_observation(&oracle(&h, 1), next.clone()).unwrap();
    let state = rounds(&mut h);
    let lapsed = state.last_summary().unwrap();
    assert_eq!((lapsed.round, lapsed.status, lapsed.submitted_mask), (round, round_status::LAPSED, 0b001));
    h.submit_observation(&oracle(&h, 2), next).unwrap();
    assert_eq!(h.protocol().raw.last_oracle_round, round + 1);
}

#[test]
fn refusals_name_their_reason_and_change_nothing() {
    let mut h = Harness::new();
    let observation = next_observation(&mut h, &prices());
    let before = h.snapshot(&[]);

    let stranger = Keypair::new();
    let result = h.submit_observation(&stranger, observation.clone());
    h.assert_refused(result, BallastError::UnknownOracle, &before);

    let mut future = observation.clone();
    future.round += 1;
    let result = h.submit_observation(&oracle(&h, 0), future);
    h.assert_refused(result, BallastError::RoundNotOpen, &before);

    h.submit_observation(&oracle(&h, 0), observation.clone()).unwrap();
    let before = h.snapshot(&[ballast_sdk::pda::oracle_rounds()]);
    // A second, different observation (the same one would be a replayed transaction).
    let mut again = observation.clone();
    again.sigma_p = fixed(0.05);
    let result = h.submit_observation(&oracle(&h, 0), again);
    h.assert_refused(result, BallastError::DuplicateObservation, &before);
    // Before the round's end the next round is not open yet.
    let mut early = observation.clone();
    early.round += 1;
    let result = h.submit_observation(&oracle(&h, 1), early);
    h.assert_refused(result, BallastError::RoundNotOpen, &before);

    let invalid: [(fn(&mut Observation), BallastError); 8] = [
        (|o| o.fee_redeem = fixed(0.05), BallastError::FeeOutOfBounds),
        (|o| o.target_weights = vec![fixed(0.5), fixed(0.3), fixed(0.3)], BallastError::WeightsDoNotSumToOne),
        (|o| o.target_weights = vec![fixed(1.2), fixed(-0.1), fixed(-0.1)], BallastError::WeightsDoNotSumToOne),
        (|o| o.prices.truncate(2), BallastError::UpdateLengthMismatch),
        // WBTC's cap is 0.35.
        (|o| o.target_weights = vec![fixed(0.2), fixed(0.4), fixed(0.4)], BallastError::TargetAboveCap),
        (|o| o.sigma_p = fixed(-0.1), BallastError::InvalidRiskFigures),
        (|o| o.breach_upper = fixed(1.5), BallastError::InvalidObservation),
        (|o| o.prices[0] = Harness::price_input(1.0, 2.0), BallastError::InvalidPrice),
    ];
    for (spoil, error) in invalid {
        let mut bad = observation.clone();
        spoil(&mut bad);
        let result = h.submit_observation(&oracle(&h, 1), bad);
        h.assert_refused(result, error, &before);
    }
}

#[test]
fn the_asset_list_must_be_the_reserve_in_order() {
    let mut h = Harness::new();
    let observation = next_observation(&mut h, &prices());
    h.submit_observation(&oracle(&h, 0), observation.clone()).unwrap();
    let before = h.snapshot(&[]);
    let mut reserve = h.reserve_assets();
    reserve.swap(0, 2);
    let second = oracle(&h, 1);
    let ix = ballast_sdk::instructions::submit_observation(&second.pubkey(), observation, &reserve);
    let result = h.chain.send(&[ix], &h.admin, &[&second]);
    h.assert_refused(result, BallastError::IncompleteReserve, &before);
}

#[test]
fn weights_step_toward_the_agreed_targets_within_u_max() {
    let mut h = Harness::new();
    // Targets 0.4/0.3/0.3 and a proposal of 0.6/0.2/0.2: turnover 0.2, but
    // u_max is 0.1 per window, so the targets move halfway.
    let mut first = h.oracle_update(&prices());
    first.target_weights = vec![fixed(0.6), fixed(0.2), fixed(0.2)];
    h.submit_update(first).unwrap();
    let weights: Vec<f64> = (0..3).map(|i| h.asset(i).raw.config.target_weight.get().to_num()).collect();
    assert!((weights[0] - 0.5).abs() < 1e-9 && (weights[1] - 0.25).abs() < 1e-9, "{weights:?}");
    let turnover = h.protocol().raw.window.weight_turnover.get().to_num::<f64>();
    assert!((turnover - 0.1).abs() < 1e-9, "{turnover}");
    // The window's budget is spent: a further proposal moves nothing more.
    let mut second = h.oracle_update(&prices());
    second.target_weights = vec![fixed(0.6), fixed(0.2), fixed(0.2)];
    h.submit_update(second).unwrap();
    assert!((h.asset(USDC).raw.config.target_weight.get().to_num::<f64>() - 0.5).abs() < 1e-9);
    // The next window brings a new budget.
    h.warp_slots(WINDOW_SLOTS);
    let mut third = h.oracle_update(&prices());
    third.target_weights = vec![fixed(0.6), fixed(0.2), fixed(0.2)];
    h.submit_update(third).unwrap();
    assert!((h.asset(USDC).raw.config.target_weight.get().to_num::<f64>() - 0.6).abs() < 1e-9);
}

#[test]
fn a_price_jump_beyond_its_bound_is_refused() {
    let mut h = Harness::new();
    let before = h.snapshot(&[]);
    // max_price_jump is 90%: WBTC from 60,000 to 5,000 is a 92% drop. The
    // observation that would finalize the round is refused.
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
fn an_oracle_set_change_takes_effect_at_a_round_boundary() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * 1_000_000);
    let newcomer = Keypair::new();
    let mut oracles = [Pubkey::default(); ballast::constants::MAX_ORACLES];
    oracles[0] = h.oracles[1].pubkey();
    oracles[1] = newcomer.pubkey();
    oracles[2] = h.oracles[2].pubkey();
    // A round is open with one observation when governance swaps oracle 0
    // for the newcomer.
    let observation = next_observation(&mut h, &prices());
    h.submit_observation(&oracle(&h, 0), observation.clone()).unwrap();
    let id = h.propose(&voter, ballast::state::ProposalKind::Action(Action::SetOracles { oracles, count: 3, quorum: 2 })).unwrap();
    h.vote(&voter, id, ballast::state::Ballot::Approve(true)).unwrap();
    h.warp_past_timelock(id);
    h.execute_action(id).unwrap();
    assert_eq!(h.protocol().raw.oracles[0], h.oracles[0].pubkey(), "the old set until the next round");

    // The next round: the newcomer is in, oracle 0 is out.
    let next = next_observation(&mut h, &prices());
    let before = h.snapshot(&[]);
    let result = h.submit_observation(&oracle(&h, 0), next.clone());
    h.assert_refused(result, BallastError::UnknownOracle, &before);
    h.submit_observation(&newcomer, next.clone()).unwrap();
    assert_eq!(h.protocol().raw.oracles[1], newcomer.pubkey());
    h.submit_observation(&oracle(&h, 2), next.clone()).unwrap();
    assert_eq!(h.protocol().raw.last_oracle_round, next.round);
    let state = rounds(&mut h);
    assert!(state.stats.iter().any(|s| s.oracle == newcomer.pubkey() && s.included == 1));
}

/// Oracle `index`'s observation for the round after the last finalized one.
fn observe_early(h: &mut Harness, index: usize) -> Result<ballast_sdk::Signature, ballast_sdk::ChainError> {
    let mut observation = h.oracle_update(&prices());
    observation.round = h.protocol().raw.last_oracle_round + 1;
    h.submit_observation(&oracle(h, index), observation)
}

/// Seed 000: "rebalance if CR < CR_crit or sigma_p > sigma_threshold". The
/// round after a finalized scheduled round may open a quarter of its time
/// in while either holds, once per scheduled round; it records its trigger
/// and counts toward the windows' mapping.
#[test]
fn seed_000s_trigger_opens_the_next_round_early_once_per_scheduled_round() {
    const SLOTS: u64 = 400;
    let mut h = Harness::new_with(|args| args.params.round_slots = SLOTS);
    let watched = [ballast_sdk::pda::oracle_rounds()];

    // Calm (sigma_p 0.02, nothing minted): a quarter in, the trigger does not hold.
    h.post_wbtc(WBTC_PRICE, 0.02, 0.0);
    let opened = rounds(&mut h).opened_slot;
    h.chain.warp_to_slot(opened + SLOTS / 4).unwrap();
    let before = h.snapshot(&watched);
    let result = observe_early(&mut h, 0);
    h.assert_refused(result, BallastError::EarlyRoundNotTriggered, &before);

    // sigma_p 0.9 > sigma_threshold 0.8: not before a quarter of the round's time.
    h.post_wbtc(WBTC_PRICE, 0.9, 0.0);
    let scheduled = rounds(&mut h);
    h.chain.warp_to_slot(scheduled.opened_slot + SLOTS / 4 - 1).unwrap();
    let before = h.snapshot(&watched);
    let result = observe_early(&mut h, 0);
    h.assert_refused(result, BallastError::EarlyRoundTooSoon, &before);
    h.warp_slots(1);
    observe_early(&mut h, 0).expect("the trigger opens the round early");
    observe_early(&mut h, 1).expect("the quorum finalizes it");
    let state = rounds(&mut h);
    assert_eq!((state.round, state.early_rounds, state.status), (scheduled.round + 1, scheduled.early_rounds + 1, round_status::FINALIZED));
    assert_eq!(state.scheduled_rounds(), scheduled.scheduled_rounds(), "it re-describes the same window");
    let summary = state.last_summary().unwrap();
    assert_eq!((summary.round, summary.trigger), (state.round, RebalanceTrigger::Volatile as u8));
    assert_eq!(h.protocol().raw.last_oracle_round, state.round);

    // At most one early round per scheduled round.
    h.warp_slots(SLOTS / 4);
    let before = h.snapshot(&watched);
    let result = observe_early(&mut h, 0);
    h.assert_refused(result, BallastError::EarlyRoundTooSoon, &before);
    // The next scheduled round opens at the early round's end, as any does.
    let next = next_observation(&mut h, &prices());
    h.submit_observation(&oracle(&h, 0), next).unwrap();
    let state = rounds(&mut h);
    assert_eq!((state.trigger, state.scheduled_rounds()), (0, scheduled.scheduled_rounds() + 1));
}

#[test]
fn cr_below_cr_crit_triggers_an_early_round() {
    let (mut h, _) = Harness::in_liquidation_range(|args| args.params.round_slots = 400);
    let state = rounds(&mut h);
    h.chain.warp_to_slot(state.opened_slot + 100).unwrap();
    // CR about 1.026 < CR_crit 1.05 at sigma_p 0.1, under the threshold.
    let mut observation = h.wbtc_update(14_000.0, 0.1, 0.0);
    observation.round = state.round + 1;
    h.submit_observation(&oracle(&h, 0), observation).expect("CR below CR_crit opens it");
    let state = rounds(&mut h);
    assert_eq!((state.trigger, state.early_rounds), (RebalanceTrigger::BelowCrCrit as u8, 1));
}

/// Seed 001: the oracles' loan book Greeks are kept as medians, and |gamma|
/// or |theta| beyond its governed bound lets the next round open early.
#[test]
fn loan_greeks_are_kept_as_medians_and_past_their_bounds_trigger_an_early_round() {
    const SLOTS: u64 = 400;
    let mut h = Harness::new_with(|args| {
        args.params.round_slots = SLOTS;
        args.params.policy.max_loan_gamma = fixed(2.0);
        args.params.policy.max_loan_theta = fixed(0.3);
    });
    let post = |h: &mut Harness, greeks: [(f64, f64); 2]| {
        let round = h.next_round();
        for (index, (gamma, theta)) in greeks.into_iter().enumerate() {
            let mut observation = h.oracle_update(&prices());
            observation.round = round;
            (observation.loan_gamma, observation.loan_theta) = (fixed(gamma), fixed(theta));
            h.submit_observation(&oracle(h, index), observation).unwrap();
        }
    };
    let watched = [ballast_sdk::pda::oracle_rounds()];

    // Within both bounds: gamma -1.25 and theta -0.25 (the medians of two).
    post(&mut h, [(-1.0, -0.2), (-1.5, -0.3)]);
    let risk = h.protocol().raw.risk;
    assert_eq!((risk.loan_gamma, risk.loan_theta), (fixed(-1.25), fixed(-0.25)));
    let opened = rounds(&mut h).opened_slot;
    h.chain.warp_to_slot(opened + SLOTS / 4).unwrap();
    let before = h.snapshot(&watched);
    let result = observe_early(&mut h, 0);
    h.assert_refused(result, BallastError::EarlyRoundNotTriggered, &before);

    // Theta beyond its bound (a book losing 35% of its value a year).
    post(&mut h, [(-1.0, -0.3), (-1.0, -0.4)]);
    let opened = rounds(&mut h).opened_slot;
    h.chain.warp_to_slot(opened + SLOTS / 4).unwrap();
    observe_early(&mut h, 0).expect("theta past its bound opens the round early");
    assert_eq!(rounds(&mut h).trigger, RebalanceTrigger::LoanGreeks as u8);
}

/// `register_oracles`: the authority names the set before the first round;
/// a stranger, a bad set and a set after round 1 are refused by name.
#[test]
fn the_authority_registers_the_oracle_set_only_before_the_first_round() {
    let mut h = Harness::unpriced_with(|args| {
        args.oracles.truncate(1);
        args.oracle_quorum = 1;
    });
    let keys: Vec<Pubkey> = h.oracles.iter().map(|k| k.pubkey()).collect();
    let watched = [ballast_sdk::pda::oracle_rounds()];
    let stranger = Keypair::new();
    let before = h.snapshot(&watched);
    let register = |authority: &Pubkey, oracles: Vec<Pubkey>, quorum| ballast_sdk::instructions::register_oracles(authority, oracles, quorum);
    let result = h.send_as(&stranger, register(&stranger.pubkey(), keys.clone(), 2));
    h.assert_refused(result, BallastError::Unauthorized, &before);
    let admin = h.admin.pubkey();
    let result = h.send_admin(register(&admin, keys.clone(), 4));
    h.assert_refused(result, BallastError::InvalidOracleSet, &before);

    h.send_admin(register(&admin, keys.clone(), 2)).expect("before the first round");
    let protocol = h.protocol();
    assert_eq!((&protocol.raw.oracles[..3], protocol.raw.oracle_quorum), (keys.as_slice(), 2));
    h.set_prices(&prices()).expect("two of the three finalize round 1");
    let before = h.snapshot(&watched);
    let result = h.send_admin(register(&admin, keys[..2].to_vec(), 2));
    h.assert_refused(result, BallastError::OracleRoundsStarted, &before);
}

/// Every node sends its observation as one legacy transaction: at the
/// program's limit of assets it must fit the 1,232-byte packet. Each field
/// added to an observation costs every asset count its bytes; this test is
/// where that shows.
#[test]
fn an_observation_of_the_largest_reserve_fits_one_packet() {
    use ballast::constants::MAX_ASSETS;
    let mut h = Harness::new();
    let mut observation = h.oracle_update(&prices());
    observation.round = u64::MAX;
    observation.prices.resize(MAX_ASSETS, Harness::price_input(60_000.0, 60.0));
    observation.target_weights.resize(MAX_ASSETS, fixed(0.125));
    observation.risk_scores.resize(MAX_ASSETS, fixed(0.5));
    let oracle = Keypair::new();
    let assets: Vec<Pubkey> = (0..MAX_ASSETS).map(|_| Pubkey::new_unique()).collect();
    let ix = ballast_sdk::instructions::submit_observation(&oracle.pubkey(), observation, &assets);
    let transaction = ballast_sdk::Transaction::new_signed_with_payer(&[ix], Some(&oracle.pubkey()), &[&oracle], Default::default());
    // A short-vec count of one, the signature, the message.
    let bytes = 1 + 64 + transaction.message.serialize().len();
    assert!(bytes <= 1_232, "{bytes} bytes at {MAX_ASSETS} assets");
}
