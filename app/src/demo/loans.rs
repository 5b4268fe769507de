//! Seed 001's loop in the demo (`--list-loan DAY`): that day the operator
//! lists a loan token, as the bootstrap authority listed the first assets;
//! the oracle nodes restart knowing it (its symbol, its term sheet and a
//! market for it); the next day a lender mints with loans. From then on the
//! nodes value the loan book as a portfolio and post its gamma and theta,
//! and past the governed bounds the next round opens early.

use anyhow::{Context, Result};
use ballast_migrations::{AssetSpec, Kind};
use ballast_oracle_node::worker::loans::{LoanBook, LoanTerms};
use ballast_oracle_node::worker::source::{Synthetic, SyntheticSpec};
use ballast_sdk::program::state::AssetKind;
use ballast_sdk::{instructions, token, Chain, Keypair, Signer};

use crate::holder;

pub const SYMBOL: &str = "LOAN";
/// Loans the lender mints with, in tokens worth about a dollar each.
const LENT: f64 = 20_000.0;

/// The loan token's term sheet, as a node's `[[loans]]` table has it:
/// 180 days at 8%, paying at most 1.04 a token.
pub fn terms() -> LoanTerms {
    LoanTerms {
        symbol: SYMBOL.into(),
        base_interest_rate_pct: 8.0,
        duration_days: 180.0,
        compounding_periods: 0,
        face: Some(1.04),
        discount_rate: 0.04,
    }
}

/// Creates the loan token's mint and lists it, capped at a tenth of the
/// reserve; returns its listing as a deployment file would have it.
pub fn list(chain: &mut dyn Chain, operator: &Keypair) -> Result<AssetSpec> {
    let mint = Keypair::new();
    token::create_mint(chain, operator, &mint, &operator.pubkey(), 6).context("the loan token's mint")?;
    let spec = AssetSpec {
        symbol: SYMBOL.into(),
        kind: Kind::Loan,
        decimals: 6,
        mint: Some(mint.pubkey().to_string()),
        risk_weight: 1.0,
        risk_score: 0.3,
        target_weight: 0.0,
        weight_cap: 0.1,
        max_staleness_slots: 300,
        max_confidence: 0.01,
        price: Some(1.0),
    };
    let listing = instructions::add_asset(&operator.pubkey(), &mint.pubkey(), AssetKind::Loan, spec.config());
    chain.send(&[listing], operator, &[]).context("listing the loan token")?;
    Ok(spec)
}

/// The loan token's market: its own seed, so that listing it leaves the
/// other assets' series as they were.
pub fn market(seed: u64, days: usize) -> Result<Synthetic> {
    let spec = SyntheticSpec {
        symbol: SYMBOL,
        kind: AssetKind::Loan,
        price: 1.0,
    };
    Ok(Synthetic::for_reserve(seed.wrapping_add(0x10a4), days, &[spec])?)
}

/// A lender gets `LENT` loan tokens and mints stablecoins with them;
/// returns what the program answered.
pub fn lend(chain: &mut dyn Chain, operator: &Keypair, lender: &Keypair, assets: &[AssetSpec]) -> Result<String> {
    let spec = assets.iter().find(|a| a.symbol == SYMBOL).context("the loan token is not listed")?;
    let mint = spec.mint.as_deref().context("the loan token's mint")?.parse().context("the loan token's mint")?;
    let account = token::associated_account(chain, operator, &lender.pubkey(), &mint)?;
    token::mint_to(chain, operator, &mint, operator, &account, (LENT * 1e6) as u64)?;
    Ok(match holder::mint(chain, lender, assets, SYMBOL, &format!("{LENT}")) {
        Ok(receipt) => format!("a lender mints {} stablecoins with {LENT:.0} {SYMBOL}", receipt.minted),
        Err(error) => format!("a lender's mint with {LENT:.0} {SYMBOL} is refused: {error:#}"),
    })
}

/// The story line for the listing.
pub fn listing_story() -> String {
    let terms = terms();
    format!(
        "the operator lists {SYMBOL}, a loan token ({:.0} days at {:.0}%, paying at most {:.2}), capped at a tenth of the reserve; the oracle nodes restart knowing its term sheet",
        terms.duration_days,
        terms.base_interest_rate_pct,
        terms.face.unwrap_or(f64::INFINITY)
    )
}

/// The story line for the nodes' first valuation of the book.
pub fn valuation_story(book: &LoanBook, max_gamma: f64, max_theta: f64) -> String {
    let (gamma, theta) = book.greeks_of_reserve();
    format!(
        "the oracle nodes value the loan book as a portfolio (seed 001): {:.0} stablecoins, {:.1}% of the reserve; per unit of its own value delta {:.2}, gamma {:.2}, theta {:.3} a year; per unit of the reserve gamma {gamma:.2} and theta {theta:.4}, against the governed bounds {max_gamma:.2} and {max_theta:.2}",
        book.value,
        100.0 * book.share_of_reserve,
        book.delta,
        book.gamma,
        book.theta
    )
}
