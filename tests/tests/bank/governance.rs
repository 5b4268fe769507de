//! Stake-weighted governance: tallies, supermajorities, and every refusal.

use ballast::errors::BallastError;
use ballast::math::{FixedBits, I80F48};
use ballast::state::{Action, AssetKind, Ballot, ParamKey, ProposalKind};
use ballast_sdk::{instructions, pda, Chain, Keypair, Pubkey, Signer};
use ballast_tests::*;

const STABLECOIN: u64 = 1_000_000;

fn value(v: f64) -> Ballot {
    Ballot::Value(I80F48::from_num(v).into())
}

fn cr_min_bits(h: &mut Harness) -> i128 {
    h.protocol().raw.params.cr_min.bits
}

/// Everything governance touches, for "nothing changed" checks.
fn governance_accounts(h: &Harness, stakers: &[&Keypair]) -> Vec<Pubkey> {
    let mut accounts = vec![pda::governance(), pda::stake_vault()];
    let count = 8;
    accounts.extend((0..count).map(pda::proposal));
    for staker in stakers {
        accounts.push(pda::stake_position(&staker.pubkey()));
        accounts.extend((0..count).map(|id| pda::vote_record(&pda::proposal(id), &staker.pubkey())));
    }
    let _ = h;
    accounts
}

#[test]
fn three_stakers_set_cr_min_to_their_weighted_mean() {
    let mut h = Harness::with_governance();
    let stakes = [1_000 * STABLECOIN, 3_000 * STABLECOIN, 6_000 * STABLECOIN];
    let values = [1.12, 1.15, 1.19];
    let stakers: Vec<Keypair> = stakes.iter().map(|s| h.staker(*s)).collect();
    let id = h.propose(&stakers[0], ProposalKind::Param(ParamKey::CrMin)).unwrap();
    for (staker, v) in stakers.iter().zip(values) {
        h.vote(staker, id, value(v)).unwrap();
    }
    h.warp_past_timelock(id);
    h.execute_param(id).unwrap();

    // Exact: floor(Σ v θ_bits / Σ v), with u128 arithmetic here.
    let weighted: u128 = stakes
        .iter()
        .zip(values)
        .map(|(s, v)| *s as u128 * I80F48::from_num(v).to_bits() as u128)
        .sum();
    let total: u128 = stakes.iter().map(|s| *s as u128).sum();
    let expected = (weighted / total) as i128;
    assert_eq!(cr_min_bits(&mut h), expected);
    // And to the last unit of an f64 reference.
    let reference = (1_000.0 * 1.12 + 3_000.0 * 1.15 + 6_000.0 * 1.19) / 10_000.0;
    let reference_bits = (reference * 2f64.powi(48)).round() as i128;
    assert!((expected - reference_bits).abs() <= 1, "{expected} vs {reference_bits}");
    assert!(h.proposal(id).executed);
}

fn action_with_split(yes: u64, no: u64) -> (Harness, u64) {
    let mut h = Harness::with_governance();
    let for_it = h.staker(yes * STABLECOIN);
    let against = h.staker(no * STABLECOIN);
    let guardian = Pubkey::new_unique();
    let id = h.propose(&for_it, ProposalKind::Action(Action::SetGuardian { guardian })).unwrap();
    h.vote(&for_it, id, Ballot::Approve(true)).unwrap();
    h.vote(&against, id, Ballot::Approve(false)).unwrap();
    h.warp_past_timelock(id);
    (h, id)
}

#[test]
fn a_supermajority_of_65_9_percent_fails() {
    let (mut h, id) = action_with_split(659, 341);
    let before = h.snapshot(&[pda::governance(), pda::proposal(id)]);
    let result = h.execute_action(id);
    h.assert_refused(result, BallastError::ProposalRejected, &before);
}

#[test]
fn a_supermajority_of_66_1_percent_passes() {
    let (mut h, id) = action_with_split(661, 339);
    h.execute_action(id).unwrap();
    let proposal = h.proposal(id);
    let ProposalKind::Action(Action::SetGuardian { guardian }) = proposal.kind else { unreachable!() };
    assert_eq!(h.protocol().raw.guardian, guardian);
}

#[test]
fn a_missed_quorum_is_refused() {
    let mut h = Harness::with_governance();
    // 10% of the stake votes; the quorum is 20%.
    let voter = h.staker(100 * STABLECOIN);
    let _silent = h.staker(900 * STABLECOIN);
    let id = h.propose(&voter, ProposalKind::Param(ParamKey::CrMin)).unwrap();
    h.vote(&voter, id, value(1.12)).unwrap();
    h.warp_past_timelock(id);
    let before = h.snapshot(&[pda::governance(), pda::proposal(id)]);
    let result = h.execute_param(id);
    h.assert_refused(result, BallastError::QuorumNotMet, &before);
}

#[test]
fn double_votes_and_late_votes_are_refused() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    let late = h.staker(1_000 * STABLECOIN);
    let id = h.propose(&voter, ProposalKind::Param(ParamKey::CrMin)).unwrap();
    h.vote(&voter, id, value(1.12)).unwrap();
    let extra = governance_accounts(&h, &[&voter, &late]);
    let before = h.snapshot(&extra);
    let result = h.vote(&voter, id, value(1.15));
    h.assert_refused(result, BallastError::AlreadyVoted, &before);

    h.warp_slots(VOTING_SLOTS);
    let before = h.snapshot(&extra);
    let result = h.vote(&late, id, value(1.15));
    h.assert_refused(result, BallastError::VotingClosed, &before);
}

#[test]
fn execution_waits_for_the_timelock_runs_once_and_expires() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    let id = h.propose(&voter, ProposalKind::Param(ParamKey::CrMin)).unwrap();
    h.vote(&voter, id, value(1.12)).unwrap();
    let extra = [pda::governance(), pda::proposal(id)];

    // Voting still open, then voting over but the timelock running.
    let before = h.snapshot(&extra);
    let result = h.execute_param(id);
    h.assert_refused(result, BallastError::TimelockActive, &before);
    h.warp_slots(VOTING_SLOTS + 1);
    let before = h.snapshot(&extra);
    let result = h.execute_param(id);
    h.assert_refused(result, BallastError::TimelockActive, &before);

    h.warp_past_timelock(id);
    h.execute_param(id).unwrap();
    let before = h.snapshot(&extra);
    let result = h.execute_param(id);
    h.assert_refused(result, BallastError::AlreadyExecuted, &before);

    // A second proposal left too long expires.
    let id = h.propose(&voter, ProposalKind::Param(ParamKey::CrTarget)).unwrap();
    h.vote(&voter, id, value(1.25)).unwrap();
    h.warp_past_timelock(id);
    h.warp_slots(EXECUTION_WINDOW_SLOTS);
    let before = h.snapshot(&[pda::governance(), pda::proposal(id)]);
    let result = h.execute_param(id);
    h.assert_refused(result, BallastError::ProposalExpired, &before);
}

#[test]
fn a_flash_stake_cannot_vote_and_leave() {
    let mut h = Harness::with_governance();
    let proposer = h.staker(1_000 * STABLECOIN);
    let id = h.propose(&proposer, ProposalKind::Param(ParamKey::CrMin)).unwrap();
    // Borrowed stablecoins: stake, vote and unstake in one transaction.
    let flash = h.holder(USDC, 20_000 * STABLECOIN);
    h.mint(&flash, USDC, 20_000 * STABLECOIN).unwrap();
    let mut extra = governance_accounts(&h, &[&flash]);
    extra.push(h.stable_account(&flash));
    let before = h.snapshot(&extra);
    let stake = h.stake_ix(&flash, 10_000 * STABLECOIN);
    let vote = instructions::vote(&flash.pubkey(), id, value(1.19));
    let unstake = h.unstake_ix(&flash, 10_000 * STABLECOIN);
    let result = h.chain.send(&[stake, vote, unstake], &h.admin, &[&flash]);
    h.assert_refused(result, BallastError::StakeLocked, &before);

    // Staked in the proposal's own slot, the stake counts but is locked
    // until the vote's timelock ends, through the end of voting.
    h.stake(&flash, 10_000 * STABLECOIN).unwrap();
    h.vote(&flash, id, value(1.19)).unwrap();

    // Stake bought a slot later, once the proposal is known, does not vote on it.
    h.warp_slots(1);
    let buyer = h.holder(USDC, 20_000 * STABLECOIN);
    h.mint(&buyer, USDC, 20_000 * STABLECOIN).unwrap();
    h.stake(&buyer, 10_000 * STABLECOIN).unwrap();
    let before = h.snapshot(&governance_accounts(&h, &[&buyer]));
    let result = h.vote(&buyer, id, value(1.05));
    h.assert_refused(result, BallastError::StakedAfterProposal, &before);

    let result = h.unstake(&flash, 10_000 * STABLECOIN);
    assert!(result.unwrap_err().is(BallastError::StakeLocked));
    h.warp_slots(VOTING_SLOTS);
    let result = h.unstake(&flash, 10_000 * STABLECOIN);
    assert!(result.unwrap_err().is(BallastError::StakeLocked), "still locked in the timelock");
    h.warp_past_timelock(id);
    h.unstake(&flash, 10_000 * STABLECOIN).expect("free once the timelock has ended");
    assert_eq!(h.proposal(id).total_weight, 10_000 * STABLECOIN as u128);
}

#[test]
fn values_outside_bounds_or_beyond_the_step_are_refused() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    let id = h.propose(&voter, ProposalKind::Param(ParamKey::CrMin)).unwrap();
    let extra = governance_accounts(&h, &[&voter]);
    let before = h.snapshot(&extra);
    // CR_min is 1.10 and moves at most 10% (0.11) per epoch; its hard bounds are [1, 3].
    let result = h.vote(&voter, id, value(0.5));
    h.assert_refused(result, BallastError::ValueOutOfBounds, &before);
    let result = h.vote(&voter, id, value(1.25));
    h.assert_refused(result, BallastError::StepBeyondClamp, &before);
    // An action ballot on a parameter proposal.
    let result = h.vote(&voter, id, Ballot::Approve(true));
    h.assert_refused(result, BallastError::WrongBallot, &before);
}

#[test]
fn a_parameter_changes_at_most_once_per_epoch() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    let first = h.propose(&voter, ProposalKind::Param(ParamKey::CrTarget)).unwrap();
    let second = h.propose(&voter, ProposalKind::Param(ParamKey::CrTarget)).unwrap();
    h.vote(&voter, first, value(1.3)).unwrap();
    h.vote(&voter, second, value(1.3)).unwrap();
    h.warp_past_timelock(second);
    h.execute_param(first).unwrap();
    let before = h.snapshot(&[pda::governance(), pda::proposal(second)]);
    let result = h.execute_param(second);
    h.assert_refused(result, BallastError::ParamChangedThisEpoch, &before);
}

#[test]
fn a_proposers_stake_is_locked_while_the_proposal_is_decided() {
    let mut h = Harness::with_governance();
    let proposer = h.staker(1_000 * STABLECOIN);
    let id = h.propose(&proposer, ProposalKind::Param(ParamKey::CrMin)).unwrap();
    let extra = governance_accounts(&h, &[&proposer]);
    let before = h.snapshot(&extra);
    let result = h.unstake(&proposer, 1_000 * STABLECOIN);
    h.assert_refused(result, BallastError::StakeLocked, &before);
    h.warp_past_timelock(id);
    h.unstake(&proposer, 1_000 * STABLECOIN).unwrap();
}

#[test]
fn proposing_needs_the_minimum_stake() {
    let mut h = Harness::with_governance();
    let small = h.staker(STABLECOIN);
    let before = h.snapshot(&[pda::governance(), pda::proposal(0)]);
    let result = h.propose(&small, ProposalKind::Param(ParamKey::CrMin));
    h.assert_refused(result, BallastError::StakeTooSmallToPropose, &before);
}

#[test]
fn after_renouncing_no_direct_change_is_possible() {
    let mut h = Harness::with_governance();
    h.send_admin(instructions::renounce_authority(&h.admin.pubkey())).unwrap();
    assert_eq!(h.protocol().authority, Pubkey::default());
    let before = h.snapshot(&[]);
    let usdc = h.assets[USDC].mint;
    let result = h.send_admin(instructions::set_asset_enabled(&h.admin.pubkey(), &usdc, false));
    h.assert_refused(result, BallastError::Unauthorized, &before);
    let result = h.send_admin(instructions::set_pause(&h.admin.pubkey(), PAUSE_MINT));
    h.assert_refused(result, BallastError::Unauthorized, &before);
    let mint = h.create_mint(6);
    let ix = instructions::add_asset(&h.admin.pubkey(), &mint, AssetKind::Loan, asset_config(0.5, 0.01));
    let result = h.send_admin(ix);
    h.assert_refused(result, BallastError::Unauthorized, &before);
    let result = h.send_admin(instructions::initialize_governance(&h.admin.pubkey(), governance_config()));
    h.assert_refused(result, BallastError::Unauthorized, &before);
}

#[test]
fn the_authority_cannot_renounce_before_governance_exists() {
    let mut h = Harness::new();
    let before = h.snapshot(&[]);
    let error = h.send_admin(instructions::renounce_authority(&h.admin.pubkey())).unwrap_err();
    assert_eq!(
        error.custom_code(),
        Some(anchor_lang::error::ErrorCode::AccountNotInitialized.into()),
        "{error}"
    );
    h.assert_unchanged(&before);
}

#[test]
fn governance_adds_and_disables_assets_and_sets_the_oracles() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    h.send_admin(instructions::renounce_authority(&h.admin.pubkey())).unwrap();

    let mint = h.create_mint(6);
    let add = Action::AddAsset {
        mint,
        kind: AssetKind::Loan,
        config: asset_config(0.2, 0.01),
    };
    let disable = Action::SetAssetEnabled { index: WBTC as u8, enabled: false };
    let oracles = oracle_set(5);
    let set_oracles = Action::SetOracles { oracles, count: 5, quorum: 3 };
    let ids: Vec<u64> = [add, disable, set_oracles]
        .into_iter()
        .map(|action| {
            let id = h.propose(&voter, ProposalKind::Action(action)).unwrap();
            h.vote(&voter, id, Ballot::Approve(true)).unwrap();
            id
        })
        .collect();
    h.warp_past_timelock(ids[2]);

    // The add-asset execution must name the proposal's mint.
    let other = h.create_mint(6);
    let before = h.snapshot(&[pda::proposal(ids[0])]);
    let result = h.send_admin(instructions::execute_add_asset(&h.admin.pubkey(), ids[0], &other));
    h.assert_refused(result, BallastError::ProposalAccountMismatch, &before);
    h.send_admin(instructions::execute_add_asset(&h.admin.pubkey(), ids[0], &mint)).unwrap();
    h.execute_action(ids[1]).unwrap();
    h.execute_action(ids[2]).unwrap();

    let protocol = h.protocol();
    assert_eq!(protocol.assets.len(), 4);
    assert_eq!(protocol.assets[3], pda::asset(&mint));
    assert!(!h.asset(WBTC).enabled);
    // The oracle set waits for the next round (tests/tests/bank/oracle.rs).
    let rounds = ballast_sdk::accounts::oracle_rounds(&mut h.chain).unwrap();
    assert_eq!((rounds.pending_count, rounds.pending_quorum), (5, 3));
    assert_eq!(rounds.pending_oracles, oracles);
    assert_eq!((protocol.raw.oracle_count, protocol.raw.oracle_quorum), (3, 2));
}

#[test]
fn invalid_actions_are_refused_when_proposed() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    let before = h.snapshot(&[pda::governance(), pda::proposal(0)]);
    let quorum_too_high = Action::SetOracles { oracles: oracle_set(2), count: 2, quorum: 3 };
    let result = h.propose(&voter, ProposalKind::Action(quorum_too_high));
    h.assert_refused(result, BallastError::InvalidOracleSet, &before);
    let mut duplicated = oracle_set(2);
    duplicated[1] = duplicated[0];
    let result = h.propose(&voter, ProposalKind::Action(Action::SetOracles { oracles: duplicated, count: 2, quorum: 1 }));
    h.assert_refused(result, BallastError::InvalidOracleSet, &before);
    let result = h.propose(&voter, ProposalKind::Action(Action::SetAssetEnabled { index: 7, enabled: false }));
    h.assert_refused(result, BallastError::ProposalAccountMismatch, &before);
}

#[test]
fn an_asset_parameter_changes_only_its_asset() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    let key = ParamKey::AssetWeightCap { index: WBTC as u8 };
    let id = h.propose(&voter, ProposalKind::Param(key)).unwrap();
    // The cap is 35%; one step is 10% of that.
    h.vote(&voter, id, value(0.32)).unwrap();
    h.warp_past_timelock(id);
    // Executing against another asset's account is refused.
    let before = h.snapshot(&[pda::governance(), pda::proposal(id)]);
    let tbill = h.assets[TBILL].address;
    let result = h.send_admin(instructions::execute_param(id, Some(tbill)));
    h.assert_refused(result, BallastError::ProposalAccountMismatch, &before);
    h.execute_param(id).unwrap();
    assert_eq!(h.asset(WBTC).raw.config.weight_cap, FixedBits::from(I80F48::from_num(0.32)));
    assert_eq!(h.asset(TBILL).raw.config.weight_cap, ballast_sdk::fixed(0.7));
}

#[test]
fn unstaking_waits_for_the_cooldown_and_returns_the_stake() {
    let mut h = Harness::with_governance();
    let staker = h.staker(500 * STABLECOIN);
    let account = h.stable_account(&staker);
    let before = h.balance(&account);
    let snapshot = h.snapshot(&governance_accounts(&h, &[&staker]));
    let result = h.unstake(&staker, 100 * STABLECOIN);
    h.assert_refused(result, BallastError::StakeLocked, &snapshot);
    h.warp_slots(STAKE_COOLDOWN_SLOTS);
    let snapshot = h.snapshot(&governance_accounts(&h, &[&staker]));
    let result = h.unstake(&staker, 501 * STABLECOIN);
    h.assert_refused(result, BallastError::InsufficientStake, &snapshot);
    h.unstake(&staker, 200 * STABLECOIN).unwrap();
    assert_eq!(h.balance(&account), before + 200 * STABLECOIN);
    assert_eq!(h.governance().total_staked, 300 * STABLECOIN);
    let vault = pda::stake_vault();
    assert_eq!(h.balance(&vault), 300 * STABLECOIN);
}

#[test]
fn risk_parameters_are_governable_too() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    let id = h.propose(&voter, ProposalKind::Param(ParamKey::Kappa)).unwrap();
    // kappa is 0.5; a step is 10% of it.
    h.vote(&voter, id, value(0.46)).unwrap();
    h.warp_past_timelock(id);
    h.execute_param(id).unwrap();
    assert_eq!(h.protocol().raw.params.risk.kappa, ballast_sdk::fixed(0.46));

    // Breaker thresholds too: sigma_reset from 0.5 to 0.54, inside its step.
    let id = h.propose(&voter, ProposalKind::Param(ParamKey::SigmaReset)).unwrap();
    h.vote(&voter, id, value(0.54)).unwrap();
    h.warp_past_timelock(id);
    h.execute_param(id).unwrap();
    assert_eq!(h.protocol().raw.params.risk.sigma_reset, ballast_sdk::fixed(0.54));
}
