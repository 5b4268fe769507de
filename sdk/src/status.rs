//! The reserve's state as a person reads it: each asset's amount, value and
//! weight, and V, S and CR, valued the way the program values them.

use ballast::math::{self, I80F48};

use crate::accounts::{self, AssetView, ProtocolView};
use crate::chain::{Chain, ChainError};

#[derive(Clone, Debug, serde::Serialize)]
pub struct AssetStatus {
    pub mint: String,
    pub kind: String,
    /// Vault balance in whole tokens.
    pub amount: f64,
    /// The lower conservative price, min(spot, smoothed).
    pub price: f64,
    pub value: f64,
    pub weight: f64,
    pub target_weight: f64,
    pub weight_cap: f64,
    pub enabled: bool,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ReserveStatus {
    pub assets: Vec<AssetStatus>,
    /// V, the reserve value.
    pub value: f64,
    /// S, the supply in whole stablecoins.
    pub supply: f64,
    /// CR = V / S; `None` while nothing is minted.
    pub collateral_ratio: Option<f64>,
    pub redemption_rate: f64,
    pub paused: u8,
    /// Seed 003's capital ratios as the program counts them, and their
    /// governed floors (0: none); `None` without risk-weighted assets.
    pub capital: CapitalStatus,
    /// The same V and CR in the program's fixed point, for exact comparisons.
    #[serde(skip)]
    pub value_fixed: I80F48,
    #[serde(skip)]
    pub collateral_ratio_fixed: Option<I80F48>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct CapitalStatus {
    /// MCR = (tier 1 + tier 2 capital) / RWA.
    pub minimum_capital_ratio: Option<f64>,
    pub min_capital_ratio: f64,
    /// CCB = tier 1 capital / RWA.
    pub countercyclical_buffer: Option<f64>,
    pub min_countercyclical_buffer: f64,
}

/// The value of an asset's vault at its lower conservative price, as the
/// program computes it (without the staleness check, so a status can still
/// be shown when prices are old).
pub fn asset_value(asset: &AssetView) -> I80F48 {
    let price = asset.raw.price.get().min(asset.raw.smoothed_price.get());
    math::token_value_floor(asset.vault_amount, asset.decimals, price).unwrap_or(I80F48::ZERO)
}

pub fn reserve_status(chain: &mut dyn Chain) -> Result<ReserveStatus, ChainError> {
    let protocol = accounts::protocol(chain)?;
    let assets = accounts::assets(chain, &protocol)?;
    Ok(summarise(&protocol, &assets))
}

pub fn summarise(protocol: &ProtocolView, assets: &[AssetView]) -> ReserveStatus {
    let values: Vec<I80F48> = assets.iter().map(asset_value).collect();
    let total = values.iter().fold(I80F48::ZERO, |sum, v| sum.saturating_add(*v));
    let cr = math::collateral_ratio_floor(total, protocol.supply).ok().flatten();
    let base = assets.iter().zip(&values).try_fold(math::CapitalBase::default(), |base, (asset, value)| {
        asset.raw.move_capital(base, *value, true)
    });
    let base = base.ok();
    let shown = |ratio: Option<I80F48>| ratio.map(|r| r.to_num());
    let policy = protocol.raw.params.policy;
    let capital = CapitalStatus {
        minimum_capital_ratio: shown(base.and_then(|b| b.minimum_capital_ratio().ok().flatten())),
        min_capital_ratio: policy.min_capital_ratio.get().to_num(),
        countercyclical_buffer: shown(base.and_then(|b| b.countercyclical_buffer().ok().flatten())),
        min_countercyclical_buffer: policy.min_countercyclical_buffer.get().to_num(),
    };
    let statuses = assets
        .iter()
        .zip(&values)
        .map(|(asset, value)| AssetStatus {
            mint: asset.mint.to_string(),
            kind: format!("{:?}", asset.kind),
            amount: asset.vault_amount as f64 / 10f64.powi(asset.decimals as i32),
            price: asset.price.min(asset.smoothed_price),
            value: value.to_num(),
            weight: if total > 0 { (*value / total).to_num() } else { 0.0 },
            target_weight: asset.target_weight,
            weight_cap: asset.weight_cap,
            enabled: asset.enabled,
        })
        .collect();
    ReserveStatus {
        assets: statuses,
        value: total.to_num(),
        supply: protocol.supply as f64 / 1e6,
        collateral_ratio: cr.map(|c| c.to_num()),
        redemption_rate: protocol.redemption_rate,
        paused: protocol.paused,
        capital,
        value_fixed: total,
        collateral_ratio_fixed: cr,
    }
}
