use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::constants::{ASSET_SEED, MAX_ASSETS, PROTOCOL_SEED, VAULT_SEED};
use crate::errors::BallastError;
use crate::events::AssetAdded;
use crate::math::FixedBits;
use crate::state::{Asset, AssetConfig, AssetKind, Protocol};

/// The largest decimals whose 10^decimals fits a u64.
const MAX_ASSET_DECIMALS: u8 = 18;

#[derive(Accounts)]
pub struct AddAsset<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(
        mut,
        seeds = [PROTOCOL_SEED],
        bump = protocol.bump,
        has_one = authority @ BallastError::Unauthorized,
    )]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(constraint = asset_mint.key() != protocol.stable_mint @ BallastError::InvalidAssetMint)]
    pub asset_mint: Box<Account<'info, Mint>>,
    #[account(
        init,
        payer = authority,
        space = 8 + Asset::INIT_SPACE,
        seeds = [ASSET_SEED, asset_mint.key().as_ref()],
        bump,
    )]
    pub asset: Box<Account<'info, Asset>>,
    #[account(
        init,
        payer = authority,
        seeds = [VAULT_SEED, asset.key().as_ref()],
        bump,
        token::mint = asset_mint,
        token::authority = protocol,
    )]
    pub vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handle_add_asset(ctx: Context<AddAsset>, kind: AssetKind, config: AssetConfig) -> Result<()> {
    config.validate()?;
    let protocol = &mut ctx.accounts.protocol;
    require!(
        (protocol.asset_count as usize) < MAX_ASSETS,
        BallastError::TooManyAssets
    );
    let decimals = ctx.accounts.asset_mint.decimals;
    require!(decimals <= MAX_ASSET_DECIMALS, BallastError::ParameterOutOfBounds);

    let asset = &mut ctx.accounts.asset;
    asset.protocol = protocol.key();
    asset.mint = ctx.accounts.asset_mint.key();
    asset.vault = ctx.accounts.vault.key();
    asset.index = protocol.asset_count;
    asset.decimals = decimals;
    asset.kind = kind;
    asset.enabled = true;
    asset.bump = ctx.bumps.asset;
    asset.vault_bump = ctx.bumps.vault;
    asset.config = config;
    asset.price = FixedBits::ZERO;
    asset.price_confidence = FixedBits::ZERO;
    asset.price_slot = 0;
    asset.smoothed_price = FixedBits::ZERO;
    asset.vault_amount = 0;
    protocol.assets[asset.index as usize] = asset.key();
    protocol.asset_count += 1;

    emit!(AssetAdded {
        asset: asset.key(),
        mint: asset.mint,
        index: asset.index,
        kind: kind as u8,
        decimals,
    });
    Ok(())
}
