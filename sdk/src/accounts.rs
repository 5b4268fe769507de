//! Decoding program accounts into plain Rust types with f64 views.

use anchor_lang::AccountDeserialize;
use ballast::state::{Asset, AssetKind, Protocol};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;

use crate::chain::{Chain, ChainError};
use crate::{pda, to_f64};

/// Decodes a program account, checking its owner and discriminator.
pub fn decode<T: AccountDeserialize>(address: &Pubkey, account: &Account) -> Result<T, ChainError> {
    let fail = |reason: String| ChainError::Decode {
        address: *address,
        reason,
    };
    if account.owner != ballast::ID {
        return Err(fail(format!("owned by {}, not the Ballast program", account.owner)));
    }
    T::try_deserialize(&mut &account.data[..]).map_err(|e| fail(e.to_string()))
}

/// Fetches and decodes a program account that must exist.
pub fn fetch<T: AccountDeserialize>(chain: &mut dyn Chain, address: &Pubkey) -> Result<T, ChainError> {
    let account = chain.account(address)?.ok_or_else(|| ChainError::Decode {
        address: *address,
        reason: "no such account".into(),
    })?;
    decode(address, &account)
}

#[derive(Clone, Debug)]
pub struct ProtocolView {
    pub address: Pubkey,
    pub authority: Pubkey,
    pub stable_mint: Pubkey,
    pub paused: u8,
    pub assets: Vec<Pubkey>,
    pub cr_crit: f64,
    pub cr_min: f64,
    pub cr_target: f64,
    pub fee_mint: f64,
    pub fee_redeem: f64,
    pub fee_min: f64,
    pub fee_max: f64,
    pub redemption_rate: f64,
    /// S in stablecoin units.
    pub supply: u64,
    pub total_minted: u64,
    pub total_redeemed: u64,
    pub total_mint_fees: u64,
    pub total_redeem_fees: u64,
    /// The account as stored, for exact (fixed-point) work.
    pub raw: Protocol,
}

impl From<(Pubkey, Protocol)> for ProtocolView {
    fn from((address, raw): (Pubkey, Protocol)) -> Self {
        let params = raw.params;
        Self {
            address,
            authority: raw.authority,
            stable_mint: raw.stable_mint,
            paused: raw.paused,
            assets: raw.assets[..raw.asset_count as usize].to_vec(),
            cr_crit: to_f64(params.cr_crit),
            cr_min: to_f64(params.cr_min),
            cr_target: to_f64(params.cr_target),
            fee_mint: to_f64(raw.fee_mint),
            fee_redeem: to_f64(raw.fee_redeem),
            fee_min: to_f64(params.fee_min),
            fee_max: to_f64(params.fee_max),
            redemption_rate: to_f64(raw.redemption_rate),
            supply: raw.supply,
            total_minted: raw.total_minted,
            total_redeemed: raw.total_redeemed,
            total_mint_fees: raw.total_mint_fees,
            total_redeem_fees: raw.total_redeem_fees,
            raw,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AssetView {
    pub address: Pubkey,
    pub mint: Pubkey,
    pub vault: Pubkey,
    pub index: u8,
    pub decimals: u8,
    pub kind: AssetKind,
    pub enabled: bool,
    pub price: f64,
    pub price_confidence: f64,
    pub price_slot: u64,
    pub smoothed_price: f64,
    pub target_weight: f64,
    pub weight_cap: f64,
    pub risk_weight: f64,
    pub risk_score: f64,
    /// The vault balance as the program accounts it, in base units.
    pub vault_amount: u64,
    pub raw: Asset,
}

impl From<(Pubkey, Asset)> for AssetView {
    fn from((address, raw): (Pubkey, Asset)) -> Self {
        let config = raw.config;
        Self {
            address,
            mint: raw.mint,
            vault: raw.vault,
            index: raw.index,
            decimals: raw.decimals,
            kind: raw.kind,
            enabled: raw.enabled,
            price: to_f64(raw.price),
            price_confidence: to_f64(raw.price_confidence),
            price_slot: raw.price_slot,
            smoothed_price: to_f64(raw.smoothed_price),
            target_weight: to_f64(config.target_weight),
            weight_cap: to_f64(config.weight_cap),
            risk_weight: to_f64(config.risk_weight),
            risk_score: to_f64(config.risk_score),
            vault_amount: raw.vault_amount,
            raw,
        }
    }
}

pub fn protocol(chain: &mut dyn Chain) -> Result<ProtocolView, ChainError> {
    let address = pda::protocol();
    Ok((address, fetch::<Protocol>(chain, &address)?).into())
}

pub fn asset(chain: &mut dyn Chain, address: &Pubkey) -> Result<AssetView, ChainError> {
    Ok((*address, fetch::<Asset>(chain, address)?).into())
}

/// Every reserve asset, in index order.
pub fn assets(chain: &mut dyn Chain, protocol: &ProtocolView) -> Result<Vec<AssetView>, ChainError> {
    protocol.assets.iter().map(|address| asset(chain, address)).collect()
}
