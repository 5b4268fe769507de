use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::events::log_event;
use crate::constants::{pause, ASSET_SEED, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::instructions::vault::deposit_to_vault;
use crate::events::Minted;
use crate::instructions::reserve::{value_reserve, Valuation};
use crate::instructions::stablecoin::mint_stable;
use crate::math::{self, collateral_ratio_floor, weight_ceil};
use crate::state::{Asset, PriceSide, Protocol};

#[derive(Accounts)]
pub struct MintStable<'info> {
    pub user: Signer<'info>,
    #[account(mut, seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut, address = protocol.stable_mint @ BallastError::InvalidStableMint)]
    pub stable_mint: Box<Account<'info, Mint>>,
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
    #[account(mut, address = protocol.insurance_vault @ BallastError::InvalidVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = user_asset_account.mint == asset.mint @ BallastError::InvalidTokenAccount,
        constraint = user_asset_account.owner == user.key() @ BallastError::InvalidTokenAccount,
    )]
    pub user_asset_account: Box<Account<'info, TokenAccount>>,
    /// Receives the stablecoins; it may belong to anyone.
    #[account(
        mut,
        constraint = recipient_stable_account.mint == stable_mint.key() @ BallastError::InvalidTokenAccount,
    )]
    pub recipient_stable_account: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Deposits `amount` base units of the asset and mints stablecoins for their
/// value at the lower conservative price, less the mint fee. While the
/// oracles' bound on P(CR < 1) is above epsilon, risky collateral (crypto,
/// loans) is not taken, and no deposit may lower a capital ratio (MCR,
/// CCB) below its governed floor.
/// Remaining accounts: every `Asset` of the protocol in index order.
pub fn handle_mint<'info>(ctx: Context<'info, MintStable<'info>>, amount: u64) -> Result<()> {
    require!(amount > 0, BallastError::ZeroAmount);
    let accounts = &mut *ctx.accounts;
    let slot = Clock::get()?.slot;
    accounts.protocol.require_not_paused(pause::MINT, slot)?;
    accounts.asset.require_enabled()?;
    // Seed 000's certificate: while the posted P(CR < 1) bound is above
    // epsilon, the reserve takes no more risky collateral.
    require!(
        !(accounts.asset.is_risky() && accounts.protocol.breach_certificate_failed()),
        BallastError::RiskyMintHalted
    );
    require!(
        accounts.user_asset_account.amount >= amount,
        BallastError::InsufficientFunds
    );

    let price = accounts.asset.conservative_price(slot, PriceSide::Lower)?;
    let quote = math::quote_mint(
        amount,
        accounts.asset.decimals,
        price,
        accounts.protocol.fee_mint.get(),
    )?;
    require!(quote.minted > 0, BallastError::AmountTooSmall);
    let insurance_share = math::fee_share_floor(quote.fee, accounts.protocol.params.risk.insurance_fee_share.get())?;

    let reserve = value_reserve(
        &accounts.protocol,
        Some(&accounts.asset),
        ctx.remaining_accounts,
        slot,
        Valuation::Lenient,
    )?;
    let total_after = math::add(reserve.total, quote.deposit_value)?;
    let supply_after = accounts
        .protocol
        .supply
        .checked_add(quote.minted)
        .and_then(|s| s.checked_add(insurance_share))
        .ok_or_else(math::overflow)?;
    let cr_before = collateral_ratio_floor(reserve.total, accounts.protocol.supply)?;
    let cr_after = collateral_ratio_floor(total_after, supply_after)?.ok_or_else(math::overflow)?;
    math::check_mint_regime(cr_before, cr_after, &accounts.protocol.params.thresholds())?;
    let weight_after = weight_ceil(math::add(reserve.asset_value, quote.deposit_value)?, total_after)?;
    require!(
        weight_after <= accounts.asset.config.weight_cap.get(),
        BallastError::WeightCapExceeded
    );
    let capital_after = accounts.asset.move_capital(reserve.capital, quote.deposit_value, true)?;
    math::check_capital_floors(&reserve.capital, &capital_after, &accounts.protocol.params.policy.capital_floors())?;

    let protocol = &mut accounts.protocol;
    protocol.record_mint(slot, quote.minted)?;
    protocol.supply = supply_after;
    protocol.total_minted = protocol.total_minted.checked_add(quote.minted).ok_or_else(math::overflow)?;
    protocol.total_mint_fees = protocol.total_mint_fees.checked_add(quote.fee).ok_or_else(math::overflow)?;
    protocol.insurance.fees = protocol.insurance.fees.checked_add(insurance_share).ok_or_else(math::overflow)?;
    let asset = &mut accounts.asset;
    asset.vault_amount = asset.vault_amount.checked_add(amount).ok_or_else(math::overflow)?;

    deposit_to_vault(
        &accounts.user_asset_account,
        &accounts.asset_mint,
        &accounts.vault,
        accounts.user.to_account_info(),
        &accounts.token_program,
        amount,
    )?;
    mint_stable(
        protocol,
        &accounts.stable_mint,
        &accounts.recipient_stable_account,
        &accounts.token_program,
        quote.minted,
    )?;
    mint_stable(
        protocol,
        &accounts.stable_mint,
        &accounts.insurance_vault,
        &accounts.token_program,
        insurance_share,
    )?;

    log_event(&Minted {
        user: accounts.user.key(),
        asset: asset.key(),
        deposited: amount,
        gross_stable: quote.gross,
        fee: quote.fee,
        insurance_share,
        minted: quote.minted,
        reserve_value_bits: total_after.to_bits(),
        supply: supply_after,
    });
    Ok(())
}
