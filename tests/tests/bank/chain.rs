//! The sdk's `Chain` backends themselves. The behaviour every backend must
//! share runs here on the embedded bank; `localnet/tests/node` runs the
//! same checks over JSON-RPC against a `ballast-localnet` process.

use ballast_sdk::{BankChain, Chain, ChainError, RpcChain};
use ballast_tests::chain_behaviour;

fn bank() -> (BankChain, ballast_sdk::Keypair) {
    let chain = BankChain::new().unwrap();
    let payer = chain.payer();
    (chain, payer)
}

#[test]
fn tokens_move() {
    let (mut chain, payer) = bank();
    chain_behaviour::tokens_move(&mut chain, &payer);
}

#[test]
fn identical_transactions_land_as_new_ones() {
    let (mut chain, payer) = bank();
    chain_behaviour::identical_transactions_land_as_new_ones(&mut chain, &payer);
}

#[test]
fn a_program_refusal_names_its_error() {
    let (mut chain, payer) = bank();
    chain_behaviour::a_program_refusal_names_its_error(&mut chain, &payer);
}

#[test]
fn missing_and_foreign_accounts_are_named() {
    let (mut chain, payer) = bank();
    chain_behaviour::missing_and_foreign_accounts_are_named(&mut chain, &payer);
}

#[test]
fn a_holder_mints_and_redeems() {
    let (mut chain, payer) = bank();
    chain_behaviour::a_holder_mints_and_redeems(&mut chain, &payer);
}

#[test]
fn eight_oracles_deploy_and_the_set_is_fixed_once_rounds_run() {
    let (mut chain, payer) = bank();
    chain_behaviour::eight_oracles_deploy_and_the_set_is_fixed_once_rounds_run(&mut chain, &payer);
}

#[test]
fn the_bank_warps_forward_only() {
    let (mut chain, _) = bank();
    let slot = chain.slot().unwrap();
    chain.warp_to_slot(slot + 1_000).unwrap();
    assert!(chain.clock().unwrap().slot >= slot + 1_000);
    let error = chain.warp_to_slot(slot).unwrap_err();
    assert!(matches!(error, ChainError::Transport(_)), "{error}");
}

#[test]
fn rpc_without_a_node_is_a_transport_error() {
    // Port 9 (discard) is closed on loopback: the connection is refused at once.
    let mut chain = RpcChain::new("http://127.0.0.1:9");
    let error = chain.slot().unwrap_err();
    assert!(matches!(error, ChainError::Transport(_)), "{error}");
    let error = chain.warp_to_slot(1).unwrap_err();
    assert!(matches!(error, ChainError::Transport(_)), "{error}");
}
