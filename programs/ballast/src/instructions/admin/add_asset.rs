use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::{self, spl_token, InitializeAccount3, Mint, Token};

use crate::constants::{ASSET_SEED, MAX_ASSETS, PROTOCOL_SEED, VAULT_SEED};
use crate::errors::BallastError;
use crate::events::AssetAdded;
use crate::instructions::account_creation::{create_pda_account, is_uncreated};
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
    /// CHECK: the asset PDA, created by the handler.
    #[account(mut, seeds = [ASSET_SEED, asset_mint.key().as_ref()], bump)]
    pub asset: UncheckedAccount<'info>,
    /// CHECK: the vault PDA, created by the handler as a token account.
    #[account(mut, seeds = [VAULT_SEED, asset.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handle_add_asset(ctx: Context<AddAsset>, kind: AssetKind, config: AssetConfig) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    require!(is_uncreated(&accounts.asset), BallastError::AssetAlreadyAdded);
    config.validate()?;
    require!(
        (accounts.protocol.asset_count as usize) < MAX_ASSETS,
        BallastError::TooManyAssets
    );
    let decimals = accounts.asset_mint.decimals;
    require!(decimals <= MAX_ASSET_DECIMALS, BallastError::ParameterOutOfBounds);

    let payer = accounts.authority.to_account_info();
    let system = accounts.system_program.to_account_info();
    let (asset_key, mint_key) = (accounts.asset.key(), accounts.asset_mint.key());
    create_pda_account(
        &payer,
        &accounts.asset,
        &system,
        8 + Asset::INIT_SPACE,
        &crate::ID,
        &[ASSET_SEED, mint_key.as_ref(), &[ctx.bumps.asset]],
    )?;
    create_pda_account(
        &payer,
        &accounts.vault,
        &system,
        spl_token::state::Account::LEN,
        &token::ID,
        &[VAULT_SEED, asset_key.as_ref(), &[ctx.bumps.vault]],
    )?;
    let vault = InitializeAccount3 {
        account: accounts.vault.to_account_info(),
        mint: accounts.asset_mint.to_account_info(),
        authority: accounts.protocol.to_account_info(),
    };
    token::initialize_account3(CpiContext::new(accounts.token_program.key(), vault))?;

    let protocol = &mut accounts.protocol;
    let index = protocol.asset_count;
    let asset = Box::new(Asset {
        protocol: protocol.key(),
        mint: mint_key,
        vault: accounts.vault.key(),
        index,
        decimals,
        kind,
        enabled: true,
        bump: ctx.bumps.asset,
        vault_bump: ctx.bumps.vault,
        config,
        price: FixedBits::ZERO,
        price_confidence: FixedBits::ZERO,
        price_slot: 0,
        smoothed_price: FixedBits::ZERO,
        vault_amount: 0,
        reserved: [0; 128],
    });
    asset.try_serialize(&mut &mut accounts.asset.try_borrow_mut_data()?[..])?;
    protocol.assets[index as usize] = asset_key;
    protocol.asset_count += 1;

    emit!(AssetAdded {
        asset: asset_key,
        mint: mint_key,
        index,
        kind: kind as u8,
        decimals,
    });
    Ok(())
}
