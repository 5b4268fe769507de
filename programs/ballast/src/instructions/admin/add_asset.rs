use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::{self, spl_token, InitializeAccount3, Mint, Token};

use crate::events::log_event;
use crate::constants::{ASSET_SEED, MAX_ASSETS, PROTOCOL_SEED, VAULT_SEED};
use crate::errors::BallastError;
use crate::events::AssetAdded;
use crate::instructions::account_creation::{create_pda_account, is_uncreated};
use crate::math::FixedBits;
use crate::state::{Asset, AssetConfig, AssetKind, AuctionState, Protocol};

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
    register_asset(
        NewAsset {
            payer: &accounts.authority.to_account_info(),
            protocol: &mut accounts.protocol,
            asset_mint: &accounts.asset_mint,
            asset: &accounts.asset,
            vault: &accounts.vault,
            token_program: &accounts.token_program,
            system_program: &accounts.system_program,
            asset_bump: ctx.bumps.asset,
            vault_bump: ctx.bumps.vault,
        },
        kind,
        config,
    )
}

/// The accounts that registering an asset touches, whoever authorises it.
pub struct NewAsset<'a, 'info> {
    pub payer: &'a AccountInfo<'info>,
    pub protocol: &'a mut Account<'info, Protocol>,
    pub asset_mint: &'a Account<'info, Mint>,
    pub asset: &'a AccountInfo<'info>,
    pub vault: &'a AccountInfo<'info>,
    pub token_program: &'a AccountInfo<'info>,
    pub system_program: &'a AccountInfo<'info>,
    pub asset_bump: u8,
    pub vault_bump: u8,
}

/// Creates the asset and its vault and appends it to the reserve.
pub fn register_asset(new: NewAsset, kind: AssetKind, config: AssetConfig) -> Result<()> {
    require!(is_uncreated(new.asset), BallastError::AssetAlreadyAdded);
    require!(
        new.asset_mint.key() != new.protocol.stable_mint,
        BallastError::InvalidAssetMint
    );
    config.validate()?;
    require!(
        (new.protocol.asset_count as usize) < MAX_ASSETS,
        BallastError::TooManyAssets
    );
    let decimals = new.asset_mint.decimals;
    require!(decimals <= MAX_ASSET_DECIMALS, BallastError::ParameterOutOfBounds);

    let (asset_key, mint_key) = (new.asset.key(), new.asset_mint.key());
    create_pda_account(
        new.payer,
        new.asset,
        new.system_program,
        8 + Asset::INIT_SPACE,
        &crate::ID,
        &[ASSET_SEED, mint_key.as_ref(), &[new.asset_bump]],
    )?;
    create_pda_account(
        new.payer,
        new.vault,
        new.system_program,
        spl_token::state::Account::LEN,
        &token::ID,
        &[VAULT_SEED, asset_key.as_ref(), &[new.vault_bump]],
    )?;
    let vault = InitializeAccount3 {
        account: new.vault.clone(),
        mint: new.asset_mint.to_account_info(),
        authority: new.protocol.to_account_info(),
    };
    token::initialize_account3(CpiContext::new(new.token_program.key(), vault))?;

    let protocol = new.protocol;
    let index = protocol.asset_count;
    let asset = Box::new(Asset {
        protocol: protocol.key(),
        mint: mint_key,
        vault: new.vault.key(),
        index,
        decimals,
        kind,
        enabled: true,
        bump: new.asset_bump,
        vault_bump: new.vault_bump,
        config,
        price: FixedBits::ZERO,
        price_confidence: FixedBits::ZERO,
        price_slot: 0,
        smoothed_price: FixedBits::ZERO,
        vault_amount: 0,
        auction: AuctionState::default(),
        posted_risk_score: FixedBits::ZERO,
        reserved: [0; 112],
    });
    asset.try_serialize(&mut &mut new.asset.try_borrow_mut_data()?[..])?;
    protocol.assets[index as usize] = asset_key;
    protocol.asset_count += 1;

    log_event(&AssetAdded {
        asset: asset_key,
        mint: mint_key,
        index,
        kind: kind as u8,
        decimals,
    });
    Ok(())
}
