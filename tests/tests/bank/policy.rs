//! The oracles' policy under governance (issue 18): stakers set lambda's
//! coefficients, psi, R_max and epsilon; oracles post data-driven risk
//! scores and seed 000's certificate; the program stores what most of them
//! agree and stops taking risky collateral while P(CR < 1) may exceed epsilon.

use ballast::errors::BallastError;
use ballast::instructions::Observation;
use ballast::state::{Ballot, ParamKey, ProposalKind};
use ballast::math::I80F48;
use ballast_sdk::{fixed, instructions, status};
use ballast_tests::*;

const STABLECOIN: u64 = 1_000_000;

fn value(v: f64) -> Ballot {
    Ballot::Value(I80F48::from_num(v).into())
}

fn govern(h: &mut Harness, voter: &ballast_sdk::Keypair, key: ParamKey, to: f64) -> Result<(), ballast_sdk::ChainError> {
    let id = h.propose(voter, ProposalKind::Param(key)).unwrap();
    h.vote(voter, id, value(to)).unwrap();
    h.warp_past_timelock(id);
    h.execute_param(id).map(|_| ())
}

#[test]
fn stakers_govern_the_policy_coefficients_within_bounds_and_steps() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    let policy = |h: &mut Harness| h.protocol().raw.params.policy;
    // epsilon 0.05 → 0.054 (a 10% step), lambda_zeta -10 → -11 (a step of
    // |current|), psi from zero by its minimum step.
    govern(&mut h, &voter, ParamKey::BreachEpsilon, 0.054).unwrap();
    govern(&mut h, &voter, ParamKey::LambdaZeta, -10.9).unwrap();
    govern(&mut h, &voter, ParamKey::Psi, 0.09).unwrap();
    govern(&mut h, &voter, ParamKey::RiskLimit, 0.46).unwrap();
    let now = policy(&mut h);
    assert_eq!(now.breach_epsilon, fixed(0.054));
    assert_eq!(now.lambda_zeta, fixed(-10.9));
    assert_eq!(now.psi, fixed(0.09));
    assert_eq!(now.risk_limit, fixed(0.46));

    // Beyond a step, or outside the hard bounds, nothing moves.
    let refusals = [
        (ParamKey::Lambda0, 3.0, BallastError::StepBeyondClamp),
        (ParamKey::BreachEpsilon, 0.0, BallastError::ValueOutOfBounds),
        (ParamKey::Psi, -0.1, BallastError::ValueOutOfBounds),
    ];
    for (key, to, error) in refusals {
        let id = h.propose(&voter, ProposalKind::Param(key)).unwrap();
        let before = h.snapshot(&[]);
        let result = h.vote(&voter, id, value(to));
        h.assert_refused(result, error, &before);
    }
    assert_eq!(policy(&mut h), now);
}

/// Capital 50,000 USDC; alice mints with 100,000 USDC and holds WBTC too.
fn reserve() -> (Harness, ballast_sdk::Keypair) {
    let mut h = Harness::new();
    h.contribute(USDC, 50_000_000_000);
    let alice = h.holder(USDC, 500_000_000_000);
    h.fund(&alice, WBTC, 1_000_000_000);
    h.mint(&alice, USDC, 100_000_000_000).unwrap();
    (h, alice)
}

fn with_breach_bound(h: &mut Harness, upper: f64) -> Observation {
    let mut update = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]);
    update.breach_probability = fixed(upper / 2.0);
    update.breach_upper = fixed(upper);
    update.allocation_certified = false;
    update
}

#[test]
fn while_the_breach_bound_exceeds_epsilon_risky_collateral_is_refused() {
    let (mut h, alice) = reserve();
    // epsilon is 0.05: an upper bound of 0.08 fails the certificate.
    let update = with_breach_bound(&mut h, 0.08);
    h.submit_update(update).unwrap();
    let risk = h.protocol().raw.risk;
    assert_eq!(risk.breach_upper, fixed(0.08));
    assert!(!risk.allocation_certified);

    let extra = [h.stable_account(&alice), h.asset_account(&alice, WBTC)];
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, WBTC, 10_000_000);
    h.assert_refused(result, BallastError::RiskyMintHalted, &before);
    // Cash still comes in, and holders still leave.
    h.mint(&alice, USDC, 1_000 * STABLECOIN).expect("cash is not risky");
    h.redeem(&alice, USDC, 1_000 * STABLECOIN).expect("redemptions go on");

    // At epsilon exactly the certificate passes, and WBTC is taken again.
    let update = with_breach_bound(&mut h, 0.05);
    h.submit_update(update).unwrap();
    h.mint(&alice, WBTC, 10_000_000).expect("the certificate passes again");
    h.check_books();
}

#[test]
fn a_flag_counts_only_when_most_oracles_raise_it() {
    // Four oracles, quorum four: two of four is a tie, which claims nothing.
    let mut h = Harness::with_oracles(4, 4);
    let mut observation = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]);
    observation.round = h.next_round();
    for index in 0..4 {
        let mut mine = observation.clone();
        mine.stable = index < 3;
        mine.allocation_certified = index < 2;
        let oracle = h.oracles[index].insecure_clone();
        h.submit_observation(&oracle, mine).unwrap();
    }
    let risk = h.protocol().raw.risk;
    assert!(risk.stable, "three of four found the reserve stable");
    assert!(!risk.allocation_certified, "two of four is no majority");
}

#[test]
fn posted_risk_scores_are_stored_and_set_liquidations_order() {
    // As in crisis.rs: uncapped auctions, TBILL and WBTC collateral, WBTC
    // falls to $14,000. Here the oracles score TBILL riskier than WBTC (a
    // bills market in turmoil), so TBILL is raised from first.
    let mut h = Harness::new_with(|args| args.params.risk.auction_cap = fixed(1.0));
    h.contribute(USDC, 50_000_000_000);
    let alice = h.holder(TBILL, 500_000_000_000);
    h.fund(&alice, WBTC, 1_000_000_000);
    h.mint(&alice, TBILL, 100_000_000_000).unwrap();
    h.mint(&alice, WBTC, 100_000_000).unwrap();
    let mut update = h.wbtc_update(14_000.0, 0.1, 0.0);
    update.risk_scores = vec![fixed(0.05), fixed(2.0), fixed(1.0)];
    h.submit_update(update).unwrap();
    assert_eq!(h.asset(TBILL).raw.risk_score(), fixed(2.0).get());
    assert_eq!(h.asset(WBTC).raw.risk_score(), fixed(1.0).get());
    assert!(h.asset(TBILL).raw.liquidates_before(&h.asset(WBTC).raw));

    let reserve = status::reserve_status(&mut h.chain).unwrap();
    let buyback = (1.2 * reserve.supply - reserve.value) / 0.2;
    let assets = h.reserve_assets();
    for index in [WBTC, TBILL] {
        h.send_admin(instructions::start_auction(&h.assets[index].mint, &assets)).unwrap();
    }
    let raised = |h: &mut Harness, index: usize| h.asset(index).raw.auction.remaining as f64 / 1e6;
    let tbill = reserve.assets[TBILL].value.min(buyback);
    let wbtc = reserve.assets[WBTC].value.min(buyback - tbill);
    for (index, expected) in [(TBILL, tbill), (WBTC, wbtc)] {
        let got = raised(&mut h, index);
        assert!((got - expected).abs() < 1.0, "asset {index}: raises {got}, expected {expected}");
    }
}

#[test]
fn a_risk_score_out_of_range_is_refused() {
    let mut h = Harness::new();
    let mut observation = h.oracle_update(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]);
    observation.round = h.next_round();
    for bad in [fixed(-0.1), fixed(11.0)] {
        let mut mine = observation.clone();
        mine.risk_scores[WBTC] = bad;
        let before = h.snapshot(&[]);
        let oracle = h.oracles[0].insecure_clone();
        let result = h.submit_observation(&oracle, mine);
        h.assert_refused(result, BallastError::InvalidRiskFigures, &before);
    }
    let mut short = observation;
    short.risk_scores.pop();
    let before = h.snapshot(&[]);
    let oracle = h.oracles[0].insecure_clone();
    let result = h.submit_observation(&oracle, short);
    h.assert_refused(result, BallastError::UpdateLengthMismatch, &before);
}

#[test]
fn swaps_leave_the_governed_cash_floor_and_stakers_set_it() {
    // Floor at 95% of the supply: 100,000 USDC minted (supply 99,700)
    // leaves 5,285 USDC to swap out before cash reaches 94,715.
    let mut h = Harness::new_with(|args| args.params.policy.min_cash_ratio = fixed(0.95));
    h.contribute(TBILL, 45_000 * STABLECOIN);
    let alice = h.holder(USDC, 100_000 * STABLECOIN);
    h.mint(&alice, USDC, 100_000 * STABLECOIN).unwrap();
    let keeper = h.holder(WBTC, 100_000_000);
    let extra = [h.asset_account(&keeper, WBTC), h.asset_account(&keeper, USDC)];

    // 0.1 WBTC for about 6,012 USDC would leave 93,988: refused, nothing moves.
    let before = h.snapshot(&extra);
    let result = h.swap(&keeper, WBTC, USDC, 10_000_000);
    h.assert_refused(result, BallastError::CashBelowFloor, &before);
    // 0.08 WBTC for about 4,810 leaves 95,190, above it.
    h.swap(&keeper, WBTC, USDC, 8_000_000).expect("a swap above the floor");
    let cash = h.asset(USDC).vault_amount as f64 / STABLECOIN as f64;
    assert!(cash >= 0.95 * h.protocol().raw.supply as f64 / STABLECOIN as f64, "cash {cash}");

    // Stakers govern the floor: from zero by its least step.
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    govern(&mut h, &voter, ParamKey::MinCashRatio, 0.009).unwrap();
    assert_eq!(h.protocol().raw.params.policy.min_cash_ratio, fixed(0.009));
    let id = h.propose(&voter, ProposalKind::Param(ParamKey::MinCashRatio)).unwrap();
    let before = h.snapshot(&[]);
    let result = h.vote(&voter, id, value(0.95));
    h.assert_refused(result, BallastError::ValueOutOfBounds, &before);
}

#[test]
fn mints_and_swaps_keep_the_governed_capital_floors_and_stakers_set_them() {
    // Every asset here is weighted 1 in RWA, so MCR is the liquidity
    // tier's share of the reserve and CCB the cash's. Floors: 0.8 and 0.5.
    let mut h = Harness::new_with(|args| {
        args.params.policy.min_capital_ratio = fixed(0.8);
        args.params.policy.min_countercyclical_buffer = fixed(0.5);
    });
    h.contribute(USDC, 50_000 * STABLECOIN);
    let alice = h.holder(USDC, 100_000 * STABLECOIN);
    h.mint(&alice, USDC, 100_000 * STABLECOIN).unwrap();
    let bob = h.holder(WBTC, 100_000_000);
    let carol = h.holder(TBILL, 300_000 * STABLECOIN);
    let extra = [h.asset_account(&bob, WBTC), h.asset_account(&carol, TBILL)];

    // 0.75 WBTC (45,000) against 150,000 of cash: MCR 150 / 195 = 0.77.
    let before = h.snapshot(&extra);
    let result = h.mint(&bob, WBTC, 75_000_000);
    h.assert_refused(result, BallastError::CapitalRatioBelowFloor, &before);
    h.mint(&bob, WBTC, 50_000_000).expect("0.5 WBTC keeps MCR at 0.83");
    // 150,000 TBILL (147,656) would leave cash 150 / 327.7 = 0.46 of RWA.
    let before = h.snapshot(&extra);
    let result = h.mint(&carol, TBILL, 150_000 * STABLECOIN);
    h.assert_refused(result, BallastError::CountercyclicalBufferBelowFloor, &before);
    h.mint(&carol, TBILL, 70_000 * STABLECOIN).expect("70,000 TBILL keeps CCB at 0.60");
    // Cash is always welcome: it raises CCB and keeps MCR above 0.8.
    let dave = h.holder(USDC, 1_000 * STABLECOIN);
    h.mint(&dave, USDC, 1_000 * STABLECOIN).unwrap();

    // A keeper's WBTC for cash lowers both: 25,000 of it would take MCR to
    // (220 - 25) / 250 = 0.78; 12,000 leaves 0.83 and CCB 0.55.
    let keeper = h.holder(WBTC, 100_000_000);
    let extra = [h.asset_account(&keeper, WBTC), h.asset_account(&keeper, USDC)];
    let before = h.snapshot(&extra);
    let result = h.swap(&keeper, WBTC, USDC, 41_666_667);
    h.assert_refused(result, BallastError::CapitalRatioBelowFloor, &before);
    h.swap(&keeper, WBTC, USDC, 20_000_000).expect("a swap that keeps both floors");

    // Stakers govern the floors within [0, 1].
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    govern(&mut h, &voter, ParamKey::MinCapitalRatio, 0.009).unwrap();
    govern(&mut h, &voter, ParamKey::MinCountercyclicalBuffer, 0.009).unwrap();
    let policy = h.protocol().raw.params.policy;
    assert_eq!((policy.min_capital_ratio, policy.min_countercyclical_buffer), (fixed(0.009), fixed(0.009)));
    let id = h.propose(&voter, ProposalKind::Param(ParamKey::MinCapitalRatio)).unwrap();
    let before = h.snapshot(&[]);
    let result = h.vote(&voter, id, value(1.5));
    h.assert_refused(result, BallastError::ValueOutOfBounds, &before);
}

#[test]
fn stakers_set_the_loan_books_greek_bounds_and_no_bound_goes_negative() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    govern(&mut h, &voter, ParamKey::MaxLoanGamma, 0.009).unwrap();
    govern(&mut h, &voter, ParamKey::MaxLoanTheta, 0.009).unwrap();
    let policy = h.protocol().raw.params.policy;
    assert_eq!((policy.max_loan_gamma, policy.max_loan_theta), (fixed(0.009), fixed(0.009)));
    let id = h.propose(&voter, ProposalKind::Param(ParamKey::MaxLoanGamma)).unwrap();
    let before = h.snapshot(&[]);
    let result = h.vote(&voter, id, value(-1.0));
    h.assert_refused(result, BallastError::ValueOutOfBounds, &before);
}
