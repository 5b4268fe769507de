//! Events for indexers and dashboards. Amounts are token units; prices,
//! values and ratios are I80F48 bits.

use anchor_lang::prelude::*;

#[event]
pub struct ProtocolInitialized {
    pub authority: Pubkey,
    pub stable_mint: Pubkey,
}

#[event]
pub struct AssetAdded {
    pub asset: Pubkey,
    pub mint: Pubkey,
    pub index: u8,
    pub kind: u8,
    pub decimals: u8,
}

#[event]
pub struct AssetEnabledSet {
    pub asset: Pubkey,
    pub enabled: bool,
}

#[event]
pub struct PauseSet {
    pub paused: u8,
}

#[event]
pub struct PriceSet {
    pub asset: Pubkey,
    pub price_bits: i128,
    pub confidence_bits: i128,
    pub smoothed_price_bits: i128,
    pub slot: u64,
}

#[event]
pub struct Minted {
    pub user: Pubkey,
    pub asset: Pubkey,
    pub deposited: u64,
    pub gross_stable: u64,
    pub fee: u64,
    pub minted: u64,
    pub reserve_value_bits: i128,
    pub supply: u64,
}

#[event]
pub struct Redeemed {
    pub user: Pubkey,
    pub asset: Pubkey,
    pub burned: u64,
    pub fee: u64,
    pub paid_out: u64,
    pub supply: u64,
}

#[event]
pub struct CapitalContributed {
    pub contributor: Pubkey,
    pub asset: Pubkey,
    pub amount: u64,
}
