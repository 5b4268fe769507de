//! The behaviour every `Chain` backend shares, over JSON-RPC: the same
//! checks `tests/tests/bank/chain.rs` runs on the embedded bank.

use ballast_sdk::{Chain, RpcChain};
use ballast_tests::chain_behaviour;

use crate::support;

/// Runs `check` against a fresh node with the node's deployer as payer.
fn over_rpc(check: impl FnOnce(&mut dyn Chain, &ballast_sdk::Keypair)) {
    let ledger = tempfile::tempdir().unwrap();
    let node = support::start(ledger.path());
    let mut chain = RpcChain::new(&node.url);
    check(&mut chain, &node.deployer());
}

#[test]
fn tokens_move() {
    over_rpc(chain_behaviour::tokens_move);
}

#[test]
fn identical_transactions_land_as_new_ones() {
    over_rpc(chain_behaviour::identical_transactions_land_as_new_ones);
}

#[test]
fn a_program_refusal_names_its_error() {
    over_rpc(chain_behaviour::a_program_refusal_names_its_error);
}

#[test]
fn missing_and_foreign_accounts_are_named() {
    over_rpc(chain_behaviour::missing_and_foreign_accounts_are_named);
}

#[test]
fn a_holder_mints_and_redeems() {
    over_rpc(chain_behaviour::a_holder_mints_and_redeems);
}

#[test]
fn eight_oracles_deploy_and_the_set_is_fixed_once_rounds_run() {
    over_rpc(chain_behaviour::eight_oracles_deploy_and_the_set_is_fixed_once_rounds_run);
}

#[test]
fn slots_advance_in_real_time_and_warp_on_request() {
    over_rpc(|chain, _| {
        let first = chain.slot().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(500));
        let later = chain.slot().unwrap();
        assert!(later >= first + 3, "100 ms slots: {first} then {later} half a second later");
        chain.warp_to_slot(later + 10_000).unwrap();
        assert!(chain.slot().unwrap() >= later + 10_000);
    });
}
