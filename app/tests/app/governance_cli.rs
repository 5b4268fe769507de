//! The governance commands, run against an in-process bank.

use ballast_app::cli::{proposal_kind, ProposalArgs};
use ballast_app::governance::{self, param_key};
use ballast_sdk::accounts::ProposalStatus;
use ballast_sdk::program::math::I80F48;
use ballast_sdk::program::state::{Ballot, ParamKey, ProposalKind};
use ballast_sdk::{Chain, Signer};
use ballast_tests::*;

const STABLECOIN: u64 = 1_000_000;

#[test]
fn stake_propose_vote_list_and_execute() {
    let mut h = Harness::with_governance();
    let alice = h.staker(600 * STABLECOIN);
    let bob = h.staker(400 * STABLECOIN);

    let receipt = governance::stake(&mut h.chain, &alice, 400 * STABLECOIN).unwrap();
    assert_eq!(receipt.position, "1000.000000");
    assert_eq!(receipt.total_staked, "1400.000000");

    let kind = ProposalKind::Param(param_key("cr_target", None).unwrap());
    let id = governance::propose(&mut h.chain, &alice, kind).unwrap();
    governance::vote(&mut h.chain, &alice, id, Ballot::Value(I80F48::from_num(1.25).into())).unwrap();
    governance::vote(&mut h.chain, &bob, id, Ballot::Value(I80F48::from_num(1.30).into())).unwrap();

    let listed = governance::list(&mut h.chain).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, ProposalStatus::Voting);
    assert_eq!(listed[0].proposal, "set cr_target");
    assert!((listed[0].participation - 1.0).abs() < 1e-12);
    let mean = listed[0].weighted_mean.unwrap();
    assert!((mean - (1000.0 * 1.25 + 400.0 * 1.30) / 1400.0).abs() < 1e-12, "{mean}");

    // Locked by the vote, and not yet executable: both say why.
    let error = governance::unstake(&mut h.chain, &alice, STABLECOIN).unwrap_err().to_string();
    assert!(error.contains("locked until slot"), "{error}");
    let error = governance::execute(&mut h.chain, &alice, id).unwrap_err().to_string();
    assert!(error.contains("not executable: it is Voting"), "{error}");

    h.warp_past_timelock(id);
    assert_eq!(governance::list(&mut h.chain).unwrap()[0].status, ProposalStatus::Executable);
    governance::execute(&mut h.chain, &bob, id).unwrap();
    assert_eq!(governance::list(&mut h.chain).unwrap()[0].status, ProposalStatus::Executed);
    let cr_target = h.protocol().cr_target;
    assert!((cr_target - mean).abs() < 1e-12, "{cr_target}");

    let receipt = governance::unstake(&mut h.chain, &alice, 100 * STABLECOIN).unwrap();
    assert_eq!(receipt.position, "900.000000");
}

#[test]
fn execute_picks_the_accounts_an_action_needs() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    let kind = proposal_kind(ProposalArgs::DisableAsset { index: 1 }).unwrap();
    let id = governance::propose(&mut h.chain, &voter, kind).unwrap();
    governance::vote(&mut h.chain, &voter, id, Ballot::Approve(true)).unwrap();
    h.warp_past_timelock(id);
    governance::execute(&mut h.chain, &voter, id).unwrap();
    assert!(!h.asset(TBILL).enabled);
    let _ = h.chain.slot().unwrap();
}

#[test]
fn bad_arguments_say_what_is_wrong() {
    let error = param_key("cr_minimum", None).unwrap_err().to_string();
    assert!(error.contains("unknown parameter `cr_minimum`") && error.contains("cr_min,"), "{error}");
    let error = param_key("weight_cap", None).unwrap_err().to_string();
    assert!(error.contains("add --asset INDEX"), "{error}");
    let error = param_key("cr_min", Some(1)).unwrap_err().to_string();
    assert!(error.contains("drop --asset"), "{error}");
    assert_eq!(param_key("weight_cap", Some(2)).unwrap(), ParamKey::AssetWeightCap { index: 2 });

    let error = proposal_kind(ProposalArgs::SetGuardian { guardian: "nobody".into() }).unwrap_err().to_string();
    assert_eq!(error, "guardian `nobody` is not a public key");
    let error = proposal_kind(ProposalArgs::SetOracles { quorum: 1, keys: vec![] }).unwrap_err().to_string();
    assert!(error.contains("1 to 8 oracle keys"), "{error}");
    let error = governance::parse_value("1,5").unwrap_err().to_string();
    assert!(error.contains("`1,5`"), "{error}");
}

#[test]
fn proposing_an_asset_parameter_finds_the_asset() {
    let mut h = Harness::with_governance();
    let voter = h.staker(1_000 * STABLECOIN);
    let kind = ProposalKind::Param(param_key("weight_cap", Some(2)).unwrap());
    let id = governance::propose(&mut h.chain, &voter, kind).unwrap();
    assert_eq!(governance::list(&mut h.chain).unwrap()[0].proposal, "set weight_cap of asset 2");
    let error = governance::propose(&mut h.chain, &voter, ProposalKind::Param(param_key("weight_cap", Some(5)).unwrap()))
        .unwrap_err()
        .to_string();
    assert!(error.contains("there is no asset 5: the reserve has 3"), "{error}");
    assert_eq!(id, 0);
    assert!(voter.pubkey() != ballast_sdk::Pubkey::default());
}
