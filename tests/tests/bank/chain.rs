//! The sdk's `Chain` backends themselves.

use ballast_sdk::{pda, token, BankChain, Chain, ChainError, Keypair, RpcChain, Signer};

#[test]
fn the_bank_resends_an_identical_transaction_as_a_new_one() {
    let mut chain = BankChain::new().unwrap();
    let payer = chain.payer();
    let mint = Keypair::new();
    token::create_mint(&mut chain, &payer, &mint, &payer.pubkey(), 6).unwrap();
    let account = token::associated_account(&mut chain, &payer, &payer.pubkey(), &mint.pubkey()).unwrap();
    // Same instruction, same signers: a replay unless the bank moves on.
    for _ in 0..3 {
        token::mint_to(&mut chain, &payer, &mint.pubkey(), &payer, &account, 5).unwrap();
    }
    assert_eq!(token::balance(&mut chain, &account).unwrap(), 15);
}

#[test]
fn the_bank_warps_forward_only() {
    let mut chain = BankChain::new().unwrap();
    let slot = chain.slot().unwrap();
    chain.warp_to_slot(slot + 1_000).unwrap();
    assert!(chain.clock().unwrap().slot >= slot + 1_000);
    let error = chain.warp_to_slot(slot).unwrap_err();
    assert!(matches!(error, ChainError::Transport(_)), "{error}");
}

#[test]
fn decoding_a_missing_or_foreign_account_names_it() {
    let mut chain = BankChain::new().unwrap();
    let error = ballast_sdk::accounts::protocol(&mut chain).unwrap_err().to_string();
    assert!(error.contains(&pda::protocol().to_string()) && error.contains("no such account"), "{error}");
    let payer = chain.payer().pubkey();
    let error = ballast_sdk::accounts::asset(&mut chain, &payer).unwrap_err().to_string();
    assert!(error.contains("not the Ballast program"), "{error}");
}

#[test]
fn rpc_without_a_node_is_a_transport_error() {
    // Port 9 (discard) is closed on loopback: the connection is refused at once.
    let mut chain = RpcChain::new("http://127.0.0.1:9");
    let error = chain.slot().unwrap_err();
    assert!(matches!(error, ChainError::Transport(_)), "{error}");
    assert!(matches!(chain.warp_to_slot(1), Err(ChainError::Unsupported(_))));
}

/// The RPC backend against a real validator, when one is installed. The
/// program itself cannot be loaded there without an SBF build, so this
/// exercises the backend with SPL Token.
#[test]
fn rpc_against_a_local_validator_when_installed() {
    let Some(validator) = which("solana-test-validator") else {
        eprintln!("solana-test-validator is not on PATH; the RPC layer is covered by the bank tests only");
        return;
    };
    let ledger = std::env::temp_dir().join(format!("ballast-ledger-{}", std::process::id()));
    let mut child = std::process::Command::new(validator)
        .args(["--reset", "--quiet", "--rpc-port", "18899", "--ledger"])
        .arg(&ledger)
        .spawn()
        .expect("start the validator");
    let mut chain = RpcChain::new("http://127.0.0.1:18899");
    let ready = (0..60).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(500));
        chain.slot().is_ok()
    });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert!(ready, "the validator did not answer within 30 s");
        let payer = Keypair::new();
        chain.client().request_airdrop(&payer.pubkey(), 10_000_000_000).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(2));
        let mint = Keypair::new();
        token::create_mint(&mut chain, &payer, &mint, &payer.pubkey(), 6).unwrap();
        let account = token::associated_account(&mut chain, &payer, &payer.pubkey(), &mint.pubkey()).unwrap();
        token::mint_to(&mut chain, &payer, &mint.pubkey(), &payer, &account, 42).unwrap();
        assert_eq!(token::balance(&mut chain, &account).unwrap(), 42);
    }));
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&ledger);
    result.unwrap();
}

fn which(binary: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(binary)).find(|p| p.is_file()))
}
