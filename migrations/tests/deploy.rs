//! Deploying on the real bank (the program and SPL Token): a file's protocol,
//! governance and assets are created once, and a second run changes nothing.

use ballast_migrations::{deploy, Deployment};
use ballast_sdk::{pda, token, BankChain, Chain, Keypair, Pubkey, Signer};

/// The embedded deployment with fresh mints, guardian and oracle keys.
fn deployment_on(chain: &mut BankChain, operator: &Keypair) -> (Deployment, Vec<Pubkey>) {
    let mut deployment = Deployment::embedded_default();
    deployment.protocol.guardian = Some(Keypair::new().pubkey().to_string());
    deployment.protocol.oracles = Some(
        (0..3)
            .map(|_| Keypair::new().pubkey().to_string())
            .collect(),
    );
    let mut mints = Vec::new();
    for spec in deployment.assets.iter_mut() {
        let mint = Keypair::new();
        token::create_mint(chain, operator, &mint, &operator.pubkey(), spec.decimals).unwrap();
        spec.mint = Some(mint.pubkey().to_string());
        mints.push(mint.pubkey());
    }
    (deployment, mints)
}

#[test]
fn a_second_deploy_of_the_same_file_changes_nothing() {
    std::env::set_var("RUST_LOG", "error");
    let mut chain = BankChain::new().unwrap();
    let operator = chain.payer();
    let (deployment, mints) = deployment_on(&mut chain, &operator);
    let symbols: Vec<String> = deployment.assets.iter().map(|a| a.symbol.clone()).collect();

    let first = deploy(&mut chain, &operator, &deployment).unwrap();
    assert!(first.initialized && first.oracles_registered && first.governance_initialized);
    assert_eq!(first.assets_added, symbols);

    let mut watched = vec![pda::protocol(), pda::governance(), operator.pubkey()];
    watched.extend(mints.iter().map(pda::asset));
    let snapshot = |chain: &mut BankChain| -> Vec<_> {
        watched.iter().map(|a| chain.account(a).unwrap()).collect()
    };
    let before = snapshot(&mut chain);
    assert!(before.iter().all(Option::is_some));

    let second = deploy(&mut chain, &operator, &deployment).unwrap();
    assert!(!second.changed_anything(), "{second:?}");
    assert_eq!(second.assets_present, symbols);
    // Not a byte changed, and no fee paid: the second run only read.
    assert_eq!(snapshot(&mut chain), before);
}

#[test]
fn an_asset_added_to_the_file_is_the_only_thing_a_rerun_creates() {
    std::env::set_var("RUST_LOG", "error");
    let mut chain = BankChain::new().unwrap();
    let operator = chain.payer();
    let (full, _) = deployment_on(&mut chain, &operator);
    let mut first_two = full.clone();
    first_two.assets.truncate(2);
    deploy(&mut chain, &operator, &first_two).unwrap();

    let rerun = deploy(&mut chain, &operator, &full).unwrap();
    assert!(!rerun.initialized && !rerun.governance_initialized);
    assert_eq!(rerun.assets_added, vec![full.assets[2].symbol.clone()]);
    assert_eq!(rerun.assets_present.len(), 2);
}

