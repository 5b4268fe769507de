//! `ballast mint` and `ballast redeem`, parsed by clap and run against an
//! in-process bank: human and JSON output, and bad input refused with a
//! clear error before anything is sent.

use ballast_app::cli::{run_mint, run_redeem, Cli, Command};
use ballast_app::holder::{self, HolderError};
use ballast_sdk::{pda, token, Chain, Keypair, Signer};
use ballast_tests::*;
use clap::Parser;

/// Runs a parsed `mint` or `redeem` command line as `holder`, returning its output.
fn ballast(h: &mut Harness, holder: &Keypair, args: &[&str]) -> anyhow::Result<String> {
    let cli = Cli::try_parse_from(["ballast"].iter().chain(args))?;
    let mut out = Vec::new();
    match &cli.command {
        Command::Mint(args) => run_mint(&mut h.chain, holder, args, cli.json, &mut out)?,
        Command::Redeem(args) => run_redeem(&mut h.chain, holder, args, cli.json, &mut out)?,
        _ => unreachable!("only mint and redeem here"),
    }
    Ok(String::from_utf8(out)?)
}

#[test]
fn mint_and_redeem_by_symbol_or_mint_with_human_and_json_output() {
    let mut h = Harness::with_governance();
    let holder = h.holder(USDC, 1_000_000_000);

    let out = ballast(
        &mut h,
        &holder,
        &["--json", "mint", "--asset", "usdc", "250.5"],
    )
    .unwrap();
    let receipt: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    // 250.5 less the 0.3% fee, rounded up: 0.7515.
    assert_eq!(receipt["asset"], "USDC");
    assert_eq!(receipt["deposited"], "250.500000");
    assert_eq!(receipt["minted"], "249.748500");
    assert_eq!(receipt["stable_balance"], "249.748500");
    let stable = h.stable_account(&holder);
    assert_eq!(h.balance(&stable), 249_748_500);

    let usdc = h.assets[USDC].mint.to_string();
    let out = ballast(&mut h, &holder, &["redeem", "--asset", &usdc, "100"]).unwrap();
    // 100 less the 0.2% fee at $1, paid out rounded down.
    assert!(
        out.starts_with(
            "burned 100.000000 stablecoins and received 99.799999 USDC (balance 849.299999): "
        ),
        "{out}"
    );
    assert_eq!(h.balance(&stable), 149_748_500);

    // Redeeming for an asset the holder has no account for opens one.
    h.contribute(TBILL, 1_000_000_000);
    let out = ballast(
        &mut h,
        &holder,
        &["--json", "redeem", "--asset", "TBILL", "10"],
    )
    .unwrap();
    let receipt: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(receipt["asset"], "TBILL");
    let tbill = token::associated_address(&holder.pubkey(), &h.assets[TBILL].mint);
    assert_eq!(receipt["asset_balance"], receipt["received"]);
    // 9.98 (10 less the fee) at the TBILL price, 0.984375, rounded down.
    assert_eq!(receipt["received"], "10.138412");
    assert_eq!(h.balance(&tbill), 10_138_412);
}

/// Calls `holder::mint` or `holder::redeem`, asserting that nothing at all
/// happened on chain: no account changed, no fee was paid.
fn refused(
    h: &mut Harness,
    holder: &Keypair,
    redeem: bool,
    asset: &str,
    amount: &str,
) -> HolderError {
    let before = h.snapshot(&[
        token::associated_address(&holder.pubkey(), &pda::stable_mint()),
        token::associated_address(&holder.pubkey(), &h.assets[WBTC].mint),
        holder.pubkey(),
    ]);
    let deployment = ballast_migrations::Deployment::embedded_default().assets;
    let result = if redeem {
        holder::redeem(&mut h.chain, holder, &deployment, asset, amount).map(|_| ())
    } else {
        holder::mint(&mut h.chain, holder, &deployment, asset, amount).map(|_| ())
    };
    h.assert_unchanged(&before);
    result.expect_err("refused")
}

#[test]
fn bad_input_is_refused_clearly_and_sends_nothing() {
    let mut h = Harness::with_governance();
    let holder = h.holder(USDC, 50_000_000);

    let error = refused(&mut h, &holder, false, "DOGE", "1").to_string();
    assert!(
        error.starts_with("unknown asset `DOGE`: give a reserve asset's mint or symbol (USDC "),
        "{error}"
    );
    assert!(
        error.contains(&format!("WBTC {}", h.assets[WBTC].mint)),
        "{error}"
    );
    let stranger = ballast_sdk::Pubkey::new_unique().to_string();
    assert!(matches!(
        refused(&mut h, &holder, false, &stranger, "1"),
        HolderError::UnknownAsset { .. }
    ));

    assert_eq!(
        refused(&mut h, &holder, false, "USDC", "0").to_string(),
        "the amount must be greater than zero"
    );
    assert_eq!(
        refused(&mut h, &holder, true, "USDC", "0.000000").to_string(),
        "the amount must be greater than zero"
    );
    let error = refused(&mut h, &holder, false, "USDC", "-5").to_string();
    assert!(
        error.starts_with("invalid amount: `-5` is not an amount"),
        "{error}"
    );
    let error = refused(&mut h, &holder, false, "USDC", "1.0000001").to_string();
    assert_eq!(
        error,
        "invalid amount: `1.0000001` has more than 6 decimal places"
    );

    // 50 USDC held; WBTC none at all; no stablecoins yet.
    let error = refused(&mut h, &holder, false, "USDC", "50.000001").to_string();
    assert!(
        error.ends_with("holds 50.000000 USDC, 50.000001 needed"),
        "{error}"
    );
    let error = refused(&mut h, &holder, false, "WBTC", "0.1").to_string();
    assert!(
        error.ends_with("holds 0.00000000 WBTC, 0.10000000 needed"),
        "{error}"
    );
    let error = refused(&mut h, &holder, true, "USDC", "1").to_string();
    assert!(
        error.ends_with("holds 0.000000 stablecoins, 1.000000 needed"),
        "{error}"
    );

    h.pause(PAUSE_MINT);
    assert_eq!(
        refused(&mut h, &holder, false, "USDC", "1").to_string(),
        "minting is paused"
    );
    h.unpause();

    // clap itself refuses a negative amount as an unknown flag.
    assert!(Cli::try_parse_from(["ballast", "mint", "--asset", "USDC", "-5"]).is_err());
    let _ = h.chain.slot().unwrap();
}
