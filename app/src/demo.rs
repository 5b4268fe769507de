//! The scripted session of `ballast demo`, on an embedded bank.

use std::collections::HashMap;

use anyhow::{Context, Result};
use ballast_migrations::{deploy, Deployment};
use ballast_sdk::instructions::{self, HolderAccounts};
use ballast_sdk::program::instructions::{OracleUpdate, PriceInput};
use ballast_sdk::program::math::FixedBits;
use ballast_sdk::program::state::{Ballot, ParamKey, ProposalKind};
use ballast_sdk::{accounts, fixed, pda, status, token, BankChain, Chain, Keypair, Pubkey, Signer};

use crate::governance;
use crate::report::print_status;

struct Demo {
    chain: BankChain,
    operator: Keypair,
    /// Three oracle nodes; two of them sign each update.
    oracles: Vec<Keypair>,
    /// Asset mints by symbol, in reserve order.
    mints: Vec<(String, Pubkey, u8)>,
    symbols: HashMap<String, String>,
    json: bool,
}

struct Holder {
    name: &'static str,
    keypair: Keypair,
}

impl Demo {
    /// Gives `holder` SOL for fees and the rent of what it opens (stake, votes).
    fn give_sol(&mut self, holder: &Holder) -> Result<()> {
        let ix = solana_system_interface::instruction::transfer(&self.operator.pubkey(), &holder.keypair.pubkey(), 1_000_000_000);
        self.chain.send(&[ix], &self.operator, &[])?;
        Ok(())
    }

    /// Alice and Bob stake, propose a higher CR_min, vote different values,
    /// and the stake-weighted mean becomes the parameter after the timelock.
    fn governance_vote(&mut self, alice: &Holder, bob: &Holder) -> Result<()> {
        self.give_sol(alice)?;
        self.give_sol(bob)?;
        governance::stake(&mut self.chain, &alice.keypair, 20_000_000_000)?;
        governance::stake(&mut self.chain, &bob.keypair, 10_000_000_000)?;
        let before = accounts::protocol(&mut self.chain)?.cr_min;
        let id = governance::propose(&mut self.chain, &alice.keypair, ProposalKind::Param(ParamKey::CrMin))?;
        governance::vote(&mut self.chain, &alice.keypair, id, Ballot::Value(fixed(1.12)))?;
        governance::vote(&mut self.chain, &bob.keypair, id, Ballot::Value(fixed(1.15)))?;
        let proposal = accounts::proposal(&mut self.chain, id)?;
        let config = accounts::governance(&mut self.chain)?;
        self.chain.warp_to_slot(proposal.voting_end_slot + config.timelock_slots)?;
        governance::execute(&mut self.chain, &self.operator, id)?;
        let after = accounts::protocol(&mut self.chain)?.cr_min;
        self.show(&format!(
            "governance: alice (20,000 staked) votes CR_min 1.12, bob (10,000) votes 1.15; \
             after the timelock CR_min moves from {before:.4} to {after:.6}, their stake-weighted mean"
        ))
    }

    fn mint_of(&self, symbol: &str) -> (Pubkey, u8) {
        let (_, mint, decimals) = self.mints.iter().find(|(s, _, _)| s == symbol).expect("known symbol");
        (*mint, *decimals)
    }

    fn show(&mut self, step: &str) -> Result<()> {
        let reserve = status::reserve_status(&mut self.chain)?;
        print_status(step, &reserve, &self.symbols, self.json);
        Ok(())
    }

    /// Two of the three oracle nodes sign an update with these prices (in
    /// reserve order), keeping target weights and fees as they are.
    fn set_prices(&mut self, prices: &[(&str, f64)]) -> Result<()> {
        let protocol = accounts::protocol(&mut self.chain)?;
        let assets = accounts::assets(&mut self.chain, &protocol)?;
        let update = OracleUpdate {
            nonce: protocol.raw.oracle_nonce + 1,
            expiry_slot: self.chain.slot()? + 150,
            prices: prices
                .iter()
                .map(|(_, price)| PriceInput {
                    price: fixed(*price),
                    confidence: fixed(price * 0.001),
                })
                .collect(),
            target_weights: assets.iter().map(|a| a.raw.config.target_weight).collect(),
            sigma_p: fixed(0.2),
            lambda: fixed(2.0),
            reference_value: FixedBits::ZERO,
            fee_mint: protocol.raw.fee_mint,
            fee_redeem: protocol.raw.fee_redeem,
        };
        let signers: Vec<Pubkey> = self.oracles[..2].iter().map(|k| k.pubkey()).collect();
        let ix = instructions::submit_update(update, &protocol.assets, &signers);
        self.chain.send(&[ix], &self.operator, &[&self.oracles[0], &self.oracles[1]])?;
        Ok(())
    }

    /// Gives `holder` `whole` tokens of `symbol` in its associated account.
    fn fund(&mut self, holder: &Holder, symbol: &str, whole: f64) -> Result<Pubkey> {
        let (mint, decimals) = self.mint_of(symbol);
        let account = token::associated_account(&mut self.chain, &self.operator, &holder.keypair.pubkey(), &mint)?;
        let amount = (whole * 10f64.powi(decimals as i32)) as u64;
        token::mint_to(&mut self.chain, &self.operator, &mint, &self.operator, &account, amount)?;
        Ok(account)
    }

    fn holder_accounts(&mut self, holder: &Holder, symbol: &str) -> Result<(HolderAccounts, HolderAccounts)> {
        let (mint, _) = self.mint_of(symbol);
        let owner = holder.keypair.pubkey();
        let asset_account = token::associated_account(&mut self.chain, &self.operator, &owner, &mint)?;
        let stable_account = token::associated_account(&mut self.chain, &self.operator, &owner, &pda::stable_mint())?;
        let minting = HolderAccounts {
            user: owner,
            asset_mint: mint,
            source: asset_account,
            destination: stable_account,
        };
        let redeeming = HolderAccounts {
            source: stable_account,
            destination: asset_account,
            ..minting
        };
        Ok((minting, redeeming))
    }

    fn mint(&mut self, holder: &Holder, symbol: &str, whole: f64) -> Result<()> {
        let (_, decimals) = self.mint_of(symbol);
        let (accounts, _) = self.holder_accounts(holder, symbol)?;
        let before = token::balance(&mut self.chain, &accounts.destination)?;
        let amount = (whole * 10f64.powi(decimals as i32)) as u64;
        let reserve = accounts::protocol(&mut self.chain)?.assets;
        let ix = instructions::mint(&accounts, amount, &reserve);
        let step = format!("{} mints with {whole} {symbol}", holder.name);
        match self.chain.send(&[ix], &self.operator, &[&holder.keypair]) {
            Ok(_) => {
                let minted = token::balance(&mut self.chain, &accounts.destination)? - before;
                self.show(&format!("{step}: received {:.6} stablecoins", minted as f64 / 1e6))
            }
            Err(refusal) => self.show(&format!("{step}: refused, {refusal}")),
        }
    }

    fn redeem(&mut self, holder: &Holder, symbol: &str, stablecoins: f64) -> Result<()> {
        let (_, decimals) = self.mint_of(symbol);
        let (_, accounts) = self.holder_accounts(holder, symbol)?;
        let before = token::balance(&mut self.chain, &accounts.destination)?;
        let reserve = accounts::protocol(&mut self.chain)?.assets;
        let ix = instructions::redeem(&accounts, (stablecoins * 1e6) as u64, &reserve);
        let step = format!("{} redeems {stablecoins} stablecoins for {symbol}", holder.name);
        match self.chain.send(&[ix], &self.operator, &[&holder.keypair]) {
            Ok(_) => {
                let paid = token::balance(&mut self.chain, &accounts.destination)? - before;
                let whole = paid as f64 / 10f64.powi(decimals as i32);
                self.show(&format!("{step}: received {whole} {symbol}"))
            }
            Err(refusal) => self.show(&format!("{step}: refused, {refusal}")),
        }
    }
}

pub fn run(json: bool) -> Result<()> {
    let mut chain = BankChain::new()?;
    let operator = chain.payer();
    let mut deployment = Deployment::embedded_default();
    // The embedded deployment leaves the guardian and the oracle set to the
    // deployer; the demo makes fresh keys.
    deployment.protocol.guardian = Some(Keypair::new().pubkey().to_string());
    let oracles: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    deployment.protocol.oracles = Some(oracles.iter().map(|k| k.pubkey().to_string()).collect());

    // A bank starts empty: create an SPL mint for each reserve asset.
    let mut mints = Vec::new();
    for spec in deployment.assets.iter_mut() {
        let mint = Keypair::new();
        token::create_mint(&mut chain, &operator, &mint, &operator.pubkey(), spec.decimals)
            .with_context(|| format!("creating the {} mint", spec.symbol))?;
        spec.mint = Some(mint.pubkey().to_string());
        mints.push((spec.symbol.clone(), mint.pubkey(), spec.decimals));
    }
    deploy(&mut chain, &operator, &deployment)?;
    let symbols = mints.iter().map(|(s, m, _)| (m.to_string(), s.clone())).collect();
    let mut demo = Demo {
        chain,
        operator,
        oracles,
        mints,
        symbols,
        json,
    };
    demo.show("initialised with three assets")?;

    let prices: Vec<(String, f64)> = deployment
        .assets
        .iter()
        .map(|a| (a.symbol.clone(), a.price.unwrap_or(1.0)))
        .collect();
    let prices: Vec<(&str, f64)> = prices.iter().map(|(s, p)| (s.as_str(), *p)).collect();
    demo.set_prices(&prices)?;
    demo.show("two of the three oracle nodes sign prices: USDC $1, TBILL $1.02, WBTC $60,000")?;

    let treasury = Holder { name: "treasury", keypair: Keypair::new() };
    let alice = Holder { name: "alice", keypair: Keypair::new() };
    let bob = Holder { name: "bob", keypair: Keypair::new() };

    // Equity first: minting dilutes CR toward 1 / (1 - fee), so the reserve
    // needs capital above its liabilities before anyone can mint.
    let source = demo.fund(&treasury, "USDC", 30_000.0)?;
    let (usdc, _) = demo.mint_of("USDC");
    let ix = instructions::contribute(&treasury.keypair.pubkey(), &usdc, &source, 30_000_000_000);
    demo.chain.send(&[ix], &demo.operator, &[&treasury.keypair])?;
    demo.show("treasury contributes 30,000 USDC of capital")?;

    demo.fund(&alice, "USDC", 100_000.0)?;
    demo.fund(&alice, "TBILL", 60_000.0)?;
    demo.fund(&bob, "WBTC", 2.0)?;

    demo.mint(&alice, "USDC", 100_000.0)?;
    demo.mint(&alice, "TBILL", 50_000.0)?;
    demo.mint(&bob, "WBTC", 0.5)?;
    demo.mint(&bob, "WBTC", 1.5)?;
    demo.redeem(&alice, "USDC", 20_000.0)?;
    demo.redeem(&bob, "TBILL", 5_000.0)?;
    demo.governance_vote(&alice, &bob)?;

    demo.set_prices(&[("USDC", 1.0), ("TBILL", 1.02), ("WBTC", 45_000.0)])?;
    demo.show("the oracles post WBTC 25% lower, at $45,000: CR drops, mints must keep it above the new CR_min")?;
    demo.mint(&alice, "TBILL", 10_000.0)?;
    demo.redeem(&bob, "WBTC", 10_000.0)?;
    Ok(())
}
