//! Restarts from the ledger: after SIGTERM the state is whole; after
//! `kill -9` at most the slots since the last checkpoint are gone and the
//! ledger still loads; `--reset` starts afresh; a damaged checkpoint is
//! refused with the file's name.

use std::time::Duration;

use ballast_sdk::{token, Chain, Keypair, RpcChain, Signer};

use crate::support;

/// Makes a mint and an account holding `amount`, returns the account.
fn some_state(chain: &mut RpcChain, payer: &Keypair, amount: u64) -> ballast_sdk::Pubkey {
    let mint = Keypair::new();
    token::create_mint(chain, payer, &mint, &payer.pubkey(), 6).unwrap();
    let account = token::associated_account(chain, payer, &payer.pubkey(), &mint.pubkey()).unwrap();
    token::mint_to(chain, payer, &mint.pubkey(), payer, &account, amount).unwrap();
    account
}

#[test]
fn a_stopped_node_resumes_whole_from_its_ledger() {
    let ledger = tempfile::tempdir().unwrap();
    let mut node = support::start(ledger.path());
    let mut chain = RpcChain::new(&node.url);
    let payer = node.deployer();
    let account = some_state(&mut chain, &payer, 42);
    let signature = chain.client().request_airdrop(&Keypair::new().pubkey(), 1_000_000_000).unwrap();
    let slot = chain.slot().unwrap();
    let status = node.process.terminate(Duration::from_secs(60));
    assert!(status.success(), "SIGTERM ends it cleanly: {status}\n{}", node.process.output());

    let node = support::start(ledger.path());
    let mut chain = RpcChain::new(&node.url);
    assert_eq!(node.deployer().pubkey(), payer.pubkey(), "the same deployer");
    assert_eq!(token::balance(&mut chain, &account).unwrap(), 42);
    assert!(chain.slot().unwrap() > slot, "slots go on from the checkpoint");
    let status = chain.client().get_signature_status(&signature).unwrap();
    assert!(matches!(status, Some(Ok(()))), "the history survives: {status:?}");
    // And it goes on working.
    let mint = token::token_account(&mut chain, &account).unwrap().mint;
    token::mint_to(&mut chain, &payer, &mint, &payer, &account, 8).unwrap();
    assert_eq!(token::balance(&mut chain, &account).unwrap(), 50);
}

#[test]
fn a_killed_node_loses_at_most_the_slots_since_its_last_checkpoint() {
    let ledger = tempfile::tempdir().unwrap();
    let mut node = support::start_with(ledger.path(), &["--checkpoint-secs", "1"]);
    let mut chain = RpcChain::new(&node.url);
    let payer = node.deployer();
    let kept = some_state(&mut chain, &payer, 7);
    // Two checkpoint intervals: the state above is in the ledger.
    std::thread::sleep(Duration::from_millis(2_500));
    let checkpointed_slot = chain.slot().unwrap();
    node.process.kill9();

    let node = support::start(ledger.path());
    let mut chain = RpcChain::new(&node.url);
    assert_eq!(token::balance(&mut chain, &kept).unwrap(), 7);
    assert!(chain.slot().unwrap() + 15 >= checkpointed_slot, "resumed near where it was killed");
}

#[test]
fn reset_starts_afresh() {
    let ledger = tempfile::tempdir().unwrap();
    let mut node = support::start(ledger.path());
    let mut chain = RpcChain::new(&node.url);
    let payer = node.deployer();
    let account = some_state(&mut chain, &payer, 5);
    node.process.terminate(Duration::from_secs(60));

    let node = support::start_with(ledger.path(), &["--reset"]);
    let mut chain = RpcChain::new(&node.url);
    assert!(chain.account(&account).unwrap().is_none());
    assert_ne!(node.deployer().pubkey(), payer.pubkey(), "a reset makes a new deployer");
}

#[test]
fn a_damaged_checkpoint_is_refused_by_name() {
    let ledger = tempfile::tempdir().unwrap();
    let mut node = support::start(ledger.path());
    node.process.terminate(Duration::from_secs(60));
    let checkpoint = ledger.path().join("checkpoint.bin");
    let bytes = std::fs::read(&checkpoint).unwrap();
    std::fs::write(&checkpoint, &bytes[..bytes.len() / 2]).unwrap();

    let args = ["--ledger", ledger.path().to_str().unwrap(), "--rpc-addr", "127.0.0.1:0"];
    let mut process = ballast_tests::process::Process::spawn("localnet", std::path::Path::new(support::NODE), &args);
    let status = process.wait(Duration::from_secs(60)).expect("it exits");
    assert!(!status.success());
    let output = process.output();
    assert!(output.contains("checkpoint.bin") && output.contains("not a checkpoint"), "{output}");
}
