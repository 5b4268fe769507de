//! Deploying a Ballast reserve: a TOML description of the protocol's
//! parameters and assets, and the transactions that initialise it.

use std::path::Path;

use anyhow::{bail, Context, Result};
use ballast_sdk::program::instructions::InitializeArgs;
use ballast_sdk::program::constants::MAX_ORACLES;
use ballast_sdk::program::state::{AssetConfig, AssetKind, GovernanceConfig, Params, PolicyParams, RiskParams};
use ballast_sdk::{accounts, fixed, instructions, pda, Chain, Keypair, Pubkey, Signer};
use serde::Deserialize;

/// The deployment the demo runs, embedded so that it needs no file.
pub const DEFAULT_DEPLOYMENT: &str = include_str!("../default.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    pub protocol: ProtocolConfig,
    pub risk: RiskSpec,
    /// The oracles' policy coefficients; absent, the defaults below.
    #[serde(default)]
    pub policy: PolicySpec,
    pub governance: Option<GovernanceSpec>,
    pub assets: Vec<AssetSpec>,
}

/// The risk machinery: breakers, insurance, bail-in, auctions, swaps.
/// Ratios are fractions; the premium is per slot.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskSpec {
    pub sigma_threshold: f64,
    pub sigma_reset: f64,
    pub breaker_drawdown: f64,
    pub breaker_min_pause_slots: u64,
    /// The longest a tripped breaker pauses holders before it lapses.
    pub breaker_max_pause_slots: u64,
    pub insurance_fee_share: f64,
    pub insurance_premium_per_slot: f64,
    pub kappa: f64,
    pub stake_cooldown_slots: u64,
    pub auction_start_premium: f64,
    pub auction_max_discount: f64,
    pub auction_duration_slots: u64,
    pub auction_cap: f64,
    pub keeper_incentive: f64,
    pub swap_incentive: f64,
}

impl RiskSpec {
    pub fn params(&self) -> RiskParams {
        RiskParams {
            sigma_threshold: fixed(self.sigma_threshold),
            sigma_reset: fixed(self.sigma_reset),
            breaker_drawdown: fixed(self.breaker_drawdown),
            breaker_min_pause_slots: self.breaker_min_pause_slots,
            breaker_max_pause_slots: self.breaker_max_pause_slots,
            insurance_fee_share: fixed(self.insurance_fee_share),
            insurance_premium_per_slot: fixed(self.insurance_premium_per_slot),
            kappa: fixed(self.kappa),
            stake_cooldown_slots: self.stake_cooldown_slots,
            auction_start_premium: fixed(self.auction_start_premium),
            auction_max_discount: fixed(self.auction_max_discount),
            auction_duration_slots: self.auction_duration_slots,
            auction_cap: fixed(self.auction_cap),
            keeper_incentive: fixed(self.keeper_incentive),
            swap_incentive: fixed(self.swap_incentive),
        }
    }
}

/// The coefficients of the oracles' policy, under governance once deployed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySpec {
    /// lambda = lambda0 + lambda_eta sigma_p + lambda_zeta (Delta V / V).
    pub lambda0: f64,
    pub lambda_eta: f64,
    pub lambda_zeta: f64,
    /// Weight of CR in the allocation QP's objective.
    pub psi: f64,
    /// R_max, the limit on the portfolio risk score.
    pub risk_limit: f64,
    /// epsilon: the largest P(CR < 1) (upper confidence bound) an allocation may carry.
    pub breach_epsilon: f64,
    /// The least cash as a fraction of the supply that swaps leave and the
    /// oracles' split keeps.
    pub min_cash_ratio: f64,
    /// Seed 003's floors on MCR = (tier 1 + 2 capital) / RWA and on
    /// CCB = tier 1 capital / RWA, each in [0, 1]; 0 turns one off.
    pub min_capital_ratio: f64,
    pub min_countercyclical_buffer: f64,
    /// Seed 001's bounds on the loan book's |gamma| and |theta| per unit of
    /// its value, beyond which the oracles post a new target early; 0: none.
    pub max_loan_gamma: f64,
    pub max_loan_theta: f64,
}

impl Default for PolicySpec {
    fn default() -> Self {
        Self {
            lambda0: 2.0,
            lambda_eta: 5.0,
            lambda_zeta: -10.0,
            psi: 0.0,
            risk_limit: 0.5,
            breach_epsilon: 0.05,
            min_cash_ratio: 0.0,
            min_capital_ratio: 0.0,
            min_countercyclical_buffer: 0.0,
            max_loan_gamma: 0.0,
            max_loan_theta: 0.0,
        }
    }
}

impl PolicySpec {
    pub fn params(&self) -> PolicyParams {
        PolicyParams {
            lambda0: fixed(self.lambda0),
            lambda_eta: fixed(self.lambda_eta),
            lambda_zeta: fixed(self.lambda_zeta),
            psi: fixed(self.psi),
            risk_limit: fixed(self.risk_limit),
            breach_epsilon: fixed(self.breach_epsilon),
            min_cash_ratio: fixed(self.min_cash_ratio),
            min_capital_ratio: fixed(self.min_capital_ratio),
            min_countercyclical_buffer: fixed(self.min_countercyclical_buffer),
            max_loan_gamma: fixed(self.max_loan_gamma),
            max_loan_theta: fixed(self.max_loan_theta),
        }
    }
}

/// Stake-weighted governance; absent, the bootstrap authority keeps its powers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceSpec {
    pub voting_slots: u64,
    pub timelock_slots: u64,
    pub execution_window_slots: u64,
    pub quorum: f64,
    /// Whole stablecoins.
    pub min_proposal_stake: u64,
    pub epoch_slots: u64,
    pub max_step: f64,
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
    /// How far target weights may move per window (turnover).
    pub u_max: f64,
    /// The largest relative price move per oracle update.
    pub max_price_jump: f64,
    /// How long a guardian pause lasts.
    pub guardian_pause_slots: u64,
    /// How long an oracle round takes observations.
    #[serde(default = "default_round_slots")]
    pub round_slots: u64,
    /// How far (relative) an oracle's price may be from the round's median
    /// before it is kept out as an outlier.
    #[serde(default = "default_outlier_tolerance")]
    pub outlier_tolerance: f64,
    /// Public keys; absent when the deployer generates them (the demo).
    pub guardian: Option<String>,
    pub oracles: Option<Vec<String>>,
    pub oracle_quorum: u8,
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

    pub fn initialize_args(&self) -> Result<InitializeArgs> {
        let p = &self.protocol;
        let guardian = parse_key(p.guardian.as_deref(), "protocol.guardian")?;
        let keys = p.oracles.as_ref().context("protocol.oracles is missing")?;
        if keys.is_empty() || keys.len() > MAX_ORACLES {
            bail!("protocol.oracles must list 1 to {MAX_ORACLES} keys, not {}", keys.len());
        }
        let oracles = keys
            .iter()
            .enumerate()
            .map(|(position, key)| parse_key(Some(key), &format!("protocol.oracles[{position}]")))
            .collect::<Result<Vec<_>>>()?;
        Ok(InitializeArgs {
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
                u_max: fixed(p.u_max),
                max_price_jump: fixed(p.max_price_jump),
                round_slots: p.round_slots,
                outlier_tolerance: fixed(p.outlier_tolerance),
                guardian_pause_slots: p.guardian_pause_slots,
                risk: self.risk.params(),
                policy: self.policy.params(),
            },
            fee_mint: fixed(p.fee_mint),
            fee_redeem: fixed(p.fee_redeem),
            guardian,
            oracles,
            oracle_quorum: p.oracle_quorum,
        })
    }
}

fn default_round_slots() -> u64 {
    150
}

fn default_outlier_tolerance() -> f64 {
    0.05
}

fn whole(stablecoins: u64) -> u64 {
    stablecoins.saturating_mul(1_000_000)
}

fn parse_key(text: Option<&str>, field: &str) -> Result<Pubkey> {
    let text = text.with_context(|| format!("{field} is missing"))?;
    text.parse().with_context(|| format!("{field} is not a public key: {text}"))
}

impl GovernanceSpec {
    pub fn config(&self) -> GovernanceConfig {
        GovernanceConfig {
            voting_slots: self.voting_slots,
            timelock_slots: self.timelock_slots,
            execution_window_slots: self.execution_window_slots,
            quorum: fixed(self.quorum),
            min_proposal_stake: whole(self.min_proposal_stake),
            epoch_slots: self.epoch_slots,
            max_step: fixed(self.max_step),
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
        parse_key(self.mint.as_deref(), &format!("assets[{position}].mint ({})", self.symbol))
    }
}

/// What one run of [`deploy`] did; a second run of the same file reports
/// nothing created.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeployReport {
    pub initialized: bool,
    /// Whether this run registered the oracle set.
    pub oracles_registered: bool,
    pub governance_initialized: bool,
    /// Symbols of the assets added by this run.
    pub assets_added: Vec<String>,
    /// Symbols of the assets that were already registered.
    pub assets_present: Vec<String>,
}

impl DeployReport {
    pub fn changed_anything(&self) -> bool {
        self.initialized || self.oracles_registered || self.governance_initialized || !self.assets_added.is_empty()
    }
}

/// Initialises the protocol, adds each asset and sets up governance,
/// skipping what already exists, so that running it twice changes nothing.
pub fn deploy(chain: &mut dyn Chain, authority: &Keypair, deployment: &Deployment) -> Result<DeployReport> {
    let mut report = DeployReport::default();
    let args = deployment.initialize_args()?;
    if chain.account(&pda::protocol())?.is_none() {
        // Up to eight oracle keys would take `initialize` past the packet
        // size: it starts with the first, and the set is registered next.
        let mut first = args.clone();
        first.oracles.truncate(1);
        first.oracle_quorum = 1;
        let initialize = instructions::initialize(&authority.pubkey(), first);
        chain.send(&[initialize], authority, &[]).context("initialize")?;
        report.initialized = true;
    }
    let protocol = accounts::protocol(chain)?;
    let registered = &protocol.raw.oracles[..protocol.raw.oracle_count as usize];
    if registered != args.oracles.as_slice() || protocol.raw.oracle_quorum != args.oracle_quorum {
        if accounts::oracle_rounds(chain)?.round > 0 {
            bail!(
                "the chain's oracle set differs from protocol.oracles and its rounds have started: \
                 change it through governance (SetOracles)"
            );
        }
        let register = instructions::register_oracles(&authority.pubkey(), args.oracles.clone(), args.oracle_quorum);
        chain.send(&[register], authority, &[]).context("register_oracles")?;
        report.oracles_registered = true;
    }
    if let Some(governance) = &deployment.governance {
        if chain.account(&pda::governance())?.is_none() {
            let ix = instructions::initialize_governance(&authority.pubkey(), governance.config());
            chain.send(&[ix], authority, &[]).context("initialize_governance")?;
            report.governance_initialized = true;
        }
    }
    let registered = accounts::protocol(chain)?.assets;
    for (position, spec) in deployment.assets.iter().enumerate() {
        let mint = spec.mint_address(position)?;
        if registered.contains(&pda::asset(&mint)) {
            report.assets_present.push(spec.symbol.clone());
            continue;
        }
        let add = instructions::add_asset(&authority.pubkey(), &mint, spec.kind(), spec.config());
        chain
            .send(&[add], authority, &[])
            .with_context(|| format!("add_asset {} ({mint})", spec.symbol))?;
        report.assets_added.push(spec.symbol.clone());
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_deployment_parses_and_is_in_bounds() {
        let deployment = Deployment::embedded_default();
        assert_eq!(deployment.assets.len(), 3);
        assert_eq!(deployment.assets[2].decimals, 8);
        assert!(deployment.protocol.oracles.is_none(), "the demo generates its oracle keys");
        let error = deployment.initialize_args().unwrap_err().to_string();
        assert_eq!(error, "protocol.guardian is missing");
    }

    #[test]
    fn a_bad_field_is_named_with_its_line() {
        let text = DEFAULT_DEPLOYMENT.replace("cr_min = 1.10", "cr_min = \"high\"");
        let message = format!("{:#}", Deployment::parse(&text, "bad.toml").unwrap_err());
        assert!(message.contains("bad.toml") && message.contains("cr_min") && message.contains("line"), "{message}");

        let text = DEFAULT_DEPLOYMENT.replace("kind = \"bill\"", "kind = \"bond\"");
        let message = format!("{:#}", Deployment::parse(&text, "bad.toml").unwrap_err());
        let line = DEFAULT_DEPLOYMENT.lines().position(|l| l == "kind = \"bill\"").unwrap() + 1;
        assert!(message.contains("bond") && message.contains(&format!("line {line}")), "{message}");
    }

    #[test]
    fn a_missing_mint_is_named() {
        let deployment = Deployment::embedded_default();
        let message = deployment.assets[1].mint_address(1).unwrap_err().to_string();
        assert_eq!(message, "assets[1].mint (TBILL) is missing");
    }
}
