//! Instruction builders. Each takes the few keys a caller knows and derives
//! the rest; mint and redeem also take the reserve's asset addresses in index
//! order, which the program needs to value the whole reserve.

use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use ballast::instructions::{InitializeArgs, PriceInput};
use ballast::state::{AssetConfig, AssetKind};
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::pubkey::Pubkey;

use crate::pda;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData, remaining: Vec<AccountMeta>) -> Instruction {
    let mut metas = accounts.to_account_metas(None);
    metas.extend(remaining);
    Instruction {
        program_id: ballast::ID,
        accounts: metas,
        data: data.data(),
    }
}

fn readonly(addresses: &[Pubkey]) -> Vec<AccountMeta> {
    addresses.iter().map(|a| AccountMeta::new_readonly(*a, false)).collect()
}

pub fn initialize(authority: &Pubkey, args: InitializeArgs) -> Instruction {
    build(
        ballast::accounts::Initialize {
            authority: *authority,
            protocol: pda::protocol(),
            stable_mint: pda::stable_mint(),
            token_program: spl_token::ID,
            system_program: solana_system_interface::program::ID,
        },
        ballast::instruction::Initialize { args },
        vec![],
    )
}

pub fn add_asset(authority: &Pubkey, asset_mint: &Pubkey, kind: AssetKind, config: AssetConfig) -> Instruction {
    let asset = pda::asset(asset_mint);
    build(
        ballast::accounts::AddAsset {
            authority: *authority,
            protocol: pda::protocol(),
            asset_mint: *asset_mint,
            asset,
            vault: pda::vault(&asset),
            token_program: spl_token::ID,
            system_program: solana_system_interface::program::ID,
        },
        ballast::instruction::AddAsset { kind, config },
        vec![],
    )
}

fn authority_only(authority: &Pubkey) -> ballast::accounts::AuthorityOnly {
    ballast::accounts::AuthorityOnly {
        authority: *authority,
        protocol: pda::protocol(),
    }
}

pub fn set_pause(authority: &Pubkey, paused: u8) -> Instruction {
    build(authority_only(authority), ballast::instruction::SetPause { paused }, vec![])
}

pub fn set_asset_enabled(authority: &Pubkey, asset_mint: &Pubkey, enabled: bool) -> Instruction {
    build(
        ballast::accounts::SetAssetEnabled {
            authority: *authority,
            protocol: pda::protocol(),
            asset: pda::asset(asset_mint),
        },
        ballast::instruction::SetAssetEnabled { enabled },
        vec![],
    )
}

/// Prices for `(asset mint, price)` pairs, which must be in increasing asset index order.
pub fn set_prices(authority: &Pubkey, prices: &[(Pubkey, PriceInput)]) -> Instruction {
    let assets = prices
        .iter()
        .map(|(mint, _)| AccountMeta::new(pda::asset(mint), false))
        .collect();
    let prices = prices.iter().map(|(_, price)| *price).collect();
    build(authority_only(authority), ballast::instruction::SetPrices { prices }, assets)
}

/// The accounts a holder flow names, besides the reserve list.
pub struct HolderAccounts {
    pub user: Pubkey,
    pub asset_mint: Pubkey,
    /// Mint: the user's asset account (source). Redeem: the user's stablecoin account (source).
    pub source: Pubkey,
    /// Mint: any stablecoin account. Redeem: any account of the asset.
    pub destination: Pubkey,
}

/// Mints stablecoins for `amount` base units of the asset. `reserve_assets`
/// are the `Asset` addresses of the whole reserve, in index order.
pub fn mint(accounts: &HolderAccounts, amount: u64, reserve_assets: &[Pubkey]) -> Instruction {
    let asset = pda::asset(&accounts.asset_mint);
    build(
        ballast::accounts::MintStable {
            user: accounts.user,
            protocol: pda::protocol(),
            stable_mint: pda::stable_mint(),
            asset,
            asset_mint: accounts.asset_mint,
            vault: pda::vault(&asset),
            user_asset_account: accounts.source,
            recipient_stable_account: accounts.destination,
            token_program: spl_token::ID,
        },
        ballast::instruction::Mint { amount },
        readonly(reserve_assets),
    )
}

pub fn redeem(accounts: &HolderAccounts, amount: u64) -> Instruction {
    let asset = pda::asset(&accounts.asset_mint);
    build(
        ballast::accounts::RedeemStable {
            user: accounts.user,
            protocol: pda::protocol(),
            stable_mint: pda::stable_mint(),
            asset,
            asset_mint: accounts.asset_mint,
            vault: pda::vault(&asset),
            user_stable_account: accounts.source,
            recipient_asset_account: accounts.destination,
            token_program: spl_token::ID,
        },
        ballast::instruction::Redeem { amount },
        vec![],
    )
}

pub fn contribute(contributor: &Pubkey, asset_mint: &Pubkey, source: &Pubkey, amount: u64) -> Instruction {
    let asset = pda::asset(asset_mint);
    build(
        ballast::accounts::Contribute {
            contributor: *contributor,
            protocol: pda::protocol(),
            asset,
            asset_mint: *asset_mint,
            vault: pda::vault(&asset),
            contributor_asset_account: *source,
            token_program: spl_token::ID,
        },
        ballast::instruction::Contribute { amount },
        vec![],
    )
}
