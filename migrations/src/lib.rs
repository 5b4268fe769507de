//! Deploying a Ballast reserve: a TOML description of the protocol's
//! parameters and assets, and the transactions that initialise it.

use std::path::Path;

use anyhow::{bail, Context, Result};
use ballast_sdk::program::instructions::InitializeArgs;
use ballast_sdk::program::state::{AssetConfig, AssetKind, Params};
use ballast_sdk::{accounts, fixed, instructions, pda, Chain, Keypair, Pubkey, Signer};
use serde::Deserialize;

/// The deployment the demo runs, embedded so that it needs no file.
pub const DEFAULT_DEPLOYMENT: &str = include_str!("../default.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    pub protocol: ProtocolConfig,
    pub assets: Vec<AssetSpec>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolConfig {
    pub cr_crit: f64,
    pub cr_min: f64,
    pub cr_target: f64,
    pub fee_min: f64,
    pub fee_max: f64,
    pub fee_mint: f64,
    pub fee_redeem: f64,
    pub limit_window_slots: u64,
    /// Whole stablecoins.
    pub mint_limit_per_window: u64,
    pub redeem_limit_per_window: u64,
    pub price_ema_slots: u64,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Cash,
    Bill,
    Loan,
    Crypto,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetSpec {
    pub symbol: String,
    pub kind: Kind,
    pub decimals: u8,
    /// The SPL mint; absent when the deployer creates a new one (the demo).
    pub mint: Option<String>,
    pub risk_weight: f64,
    pub risk_score: f64,
    pub target_weight: f64,
    pub weight_cap: f64,
    pub max_staleness_slots: u64,
    pub max_confidence: f64,
    /// An initial price, in dollars, for demos and tests.
    pub price: Option<f64>,
}

impl Deployment {
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        toml::from_str(text).with_context(|| format!("{origin}: invalid deployment"))
    }

    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn embedded_default() -> Self {
        Self::parse(DEFAULT_DEPLOYMENT, "embedded default.toml").expect("the embedded deployment parses")
    }

    pub fn initialize_args(&self) -> InitializeArgs {
        let p = &self.protocol;
        let whole = |stablecoins: u64| stablecoins.saturating_mul(1_000_000);
        InitializeArgs {
            params: Params {
                cr_crit: fixed(p.cr_crit),
                cr_min: fixed(p.cr_min),
                cr_target: fixed(p.cr_target),
                fee_min: fixed(p.fee_min),
                fee_max: fixed(p.fee_max),
                limit_window_slots: p.limit_window_slots,
                mint_limit_per_window: whole(p.mint_limit_per_window),
                redeem_limit_per_window: whole(p.redeem_limit_per_window),
                price_ema_slots: p.price_ema_slots,
            },
            fee_mint: fixed(p.fee_mint),
            fee_redeem: fixed(p.fee_redeem),
        }
    }
}

impl AssetSpec {
    pub fn kind(&self) -> AssetKind {
        match self.kind {
            Kind::Cash => AssetKind::Cash,
            Kind::Bill => AssetKind::Bill,
            Kind::Loan => AssetKind::Loan,
            Kind::Crypto => AssetKind::Crypto,
        }
    }

    pub fn config(&self) -> AssetConfig {
        AssetConfig {
            risk_weight: fixed(self.risk_weight),
            risk_score: fixed(self.risk_score),
            target_weight: fixed(self.target_weight),
            weight_cap: fixed(self.weight_cap),
            max_staleness_slots: self.max_staleness_slots,
            max_confidence: fixed(self.max_confidence),
        }
    }

    pub fn mint_address(&self, position: usize) -> Result<Pubkey> {
        let Some(text) = &self.mint else {
            bail!("assets[{position}] ({}): `mint` is missing", self.symbol);
        };
        text.parse()
            .with_context(|| format!("assets[{position}] ({}): `mint` is not a public key: {text}", self.symbol))
    }
}

/// Initialises the protocol and adds each asset, skipping what already
/// exists, so that running it twice changes nothing.
pub fn deploy(chain: &mut dyn Chain, authority: &Keypair, deployment: &Deployment) -> Result<()> {
    if chain.account(&pda::protocol())?.is_none() {
        let initialize = instructions::initialize(&authority.pubkey(), deployment.initialize_args());
        chain.send(&[initialize], authority, &[]).context("initialize")?;
    }
    let registered = accounts::protocol(chain)?.assets;
    for (position, spec) in deployment.assets.iter().enumerate() {
        let mint = spec.mint_address(position)?;
        if registered.contains(&pda::asset(&mint)) {
            continue;
        }
        let add = instructions::add_asset(&authority.pubkey(), &mint, spec.kind(), spec.config());
        chain
            .send(&[add], authority, &[])
            .with_context(|| format!("add_asset {} ({mint})", spec.symbol))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_deployment_parses_and_is_in_bounds() {
        let deployment = Deployment::embedded_default();
        assert_eq!(deployment.assets.len(), 3);
        assert_eq!(deployment.assets[2].decimals, 8);
        assert!(deployment.initialize_args().params.thresholds().are_ordered());
    }

    #[test]
    fn a_bad_field_is_named_with_its_line() {
        let text = DEFAULT_DEPLOYMENT.replace("cr_min = 1.10", "cr_min = \"high\"");
        let message = format!("{:#}", Deployment::parse(&text, "bad.toml").unwrap_err());
        assert!(message.contains("bad.toml") && message.contains("cr_min") && message.contains("line"), "{message}");

        let text = DEFAULT_DEPLOYMENT.replace("kind = \"bill\"", "kind = \"bond\"");
        let message = format!("{:#}", Deployment::parse(&text, "bad.toml").unwrap_err());
        assert!(message.contains("bond") && message.contains("line 31"), "{message}");
    }

    #[test]
    fn a_missing_mint_is_named() {
        let deployment = Deployment::embedded_default();
        let message = deployment.assets[1].mint_address(1).unwrap_err().to_string();
        assert_eq!(message, "assets[1] (TBILL): `mint` is missing");
    }
}
