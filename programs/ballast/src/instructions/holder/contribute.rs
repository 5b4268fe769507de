use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::events::log_event;
use crate::constants::{ASSET_SEED, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::instructions::vault::deposit_to_vault;
use crate::events::CapitalContributed;
use crate::math;
use crate::state::{Asset, Protocol};

#[derive(Accounts)]
pub struct Contribute<'info> {
    pub contributor: Signer<'info>,
    #[account(seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(
        mut,
        seeds = [ASSET_SEED, asset.mint.as_ref()],
        bump = asset.bump,
        has_one = protocol @ BallastError::InvalidAssetAccount,
    )]
    pub asset: Box<Account<'info, Asset>>,
    #[account(address = asset.mint @ BallastError::InvalidAssetMint)]
    pub asset_mint: Box<Account<'info, Mint>>,
    #[account(mut, address = asset.vault @ BallastError::InvalidVault)]
    pub vault: Box<Account<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = contributor_asset_account.mint == asset.mint @ BallastError::InvalidTokenAccount,
        constraint = contributor_asset_account.owner == contributor.key() @ BallastError::InvalidTokenAccount,
    )]
    pub contributor_asset_account: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Adds reserve capital without minting: the equity that lets CR stand above
/// one. Minting dilutes CR toward 1 / (1 - fee), so a deployment is seeded
/// with capital before its first mint.
pub fn handle_contribute(ctx: Context<Contribute>, amount: u64) -> Result<()> {
    require!(amount > 0, BallastError::ZeroAmount);
    let accounts = &mut *ctx.accounts;
    accounts.asset.require_enabled()?;
    require!(
        accounts.contributor_asset_account.amount >= amount,
        BallastError::InsufficientFunds
    );
    let asset = &mut accounts.asset;
    asset.vault_amount = asset.vault_amount.checked_add(amount).ok_or_else(math::overflow)?;

    deposit_to_vault(
        &accounts.contributor_asset_account,
        &accounts.asset_mint,
        &accounts.vault,
        accounts.contributor.to_account_info(),
        &accounts.token_program,
        amount,
    )?;
    log_event(&CapitalContributed {
        contributor: accounts.contributor.key(),
        asset: asset.key(),
        amount,
    });
    Ok(())
}
