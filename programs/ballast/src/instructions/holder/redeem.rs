use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::events::log_event;
use crate::constants::{pause, ASSET_SEED, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::instructions::vault::pay_from_vault;
use crate::events::Redeemed;
use crate::instructions::reserve::{value_reserve, Valuation};
use crate::instructions::stablecoin::{burn_stable, mint_stable};
use crate::math::{self, I80F48};
use crate::state::{Asset, PriceSide, Protocol};

#[derive(Accounts)]
pub struct RedeemStable<'info> {
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
        constraint = user_stable_account.mint == stable_mint.key() @ BallastError::InvalidTokenAccount,
        constraint = user_stable_account.owner == user.key() @ BallastError::InvalidTokenAccount,
    )]
    pub user_stable_account: Box<Account<'info, TokenAccount>>,
    /// Receives the asset; it may belong to anyone.
    #[account(
        mut,
        constraint = recipient_asset_account.mint == asset.mint @ BallastError::InvalidTokenAccount,
    )]
    pub recipient_asset_account: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Burns `amount` stablecoins and pays out the asset at the higher
/// conservative price: (amount - fee) × rate in value, where the rate is r,
/// or CR if the reserve is short of its supply. The asset paid out needs a
/// fresh, confident price; the others may lack one (see below).
/// Remaining accounts: every `Asset` of the protocol in index order.
pub fn handle_redeem<'info>(ctx: Context<'info, RedeemStable<'info>>, amount: u64) -> Result<()> {
    require!(amount > 0, BallastError::ZeroAmount);
    let accounts = &mut *ctx.accounts;
    let slot = Clock::get()?.slot;
    accounts.protocol.require_not_paused(pause::REDEEM, slot)?;
    accounts.asset.require_enabled()?;
    require!(
        accounts.user_stable_account.amount >= amount,
        BallastError::InsufficientFunds
    );

    let price = accounts.asset.conservative_price(slot, PriceSide::Higher)?;
    // Assets without a usable price count as worthless, which can only
    // understate CR and the rate min(r, CR), so one dead feed does not stop
    // redemptions of the others. Once that understated CR is below one, the
    // rate would be a guess at the dead asset's worth: then every price
    // must be usable and the redemption waits for it.
    let (protocol, asset) = (&accounts.protocol, Some(&*accounts.asset));
    let lenient = value_reserve(protocol, asset, ctx.remaining_accounts, slot, Valuation::Lenient)?;
    let guessing = lenient.unpriced > 0
        && math::collateral_ratio_floor(lenient.total, protocol.supply)?.is_some_and(|cr| cr < I80F48::ONE);
    let value = if guessing {
        value_reserve(protocol, asset, ctx.remaining_accounts, slot, Valuation::Strict)?.total
    } else {
        lenient.total
    };
    let rate = math::solvent_rate_floor(
        accounts.protocol.redemption_rate.get(),
        value,
        accounts.protocol.supply,
    )?;
    let quote = math::quote_redeem(
        amount,
        accounts.asset.decimals,
        price,
        accounts.protocol.fee_redeem.get(),
        rate,
    )?;
    require!(quote.payout > 0, BallastError::AmountTooSmall);
    require!(
        quote.payout <= accounts.asset.vault_amount,
        BallastError::InsufficientReserve
    );

    let insurance_share = math::fee_share_floor(quote.fee, accounts.protocol.params.risk.insurance_fee_share.get())?;
    let protocol = &mut accounts.protocol;
    protocol.record_redeem(slot, amount)?;
    protocol.supply = protocol
        .supply
        .checked_sub(amount)
        .and_then(|s| s.checked_add(insurance_share))
        .ok_or_else(math::overflow)?;
    protocol.insurance.fees = protocol.insurance.fees.checked_add(insurance_share).ok_or_else(math::overflow)?;
    protocol.total_redeemed = protocol.total_redeemed.checked_add(amount).ok_or_else(math::overflow)?;
    protocol.total_redeem_fees = protocol.total_redeem_fees.checked_add(quote.fee).ok_or_else(math::overflow)?;
    let asset = &mut accounts.asset;
    asset.vault_amount -= quote.payout;

    burn_stable(
        &accounts.stable_mint,
        &accounts.user_stable_account,
        accounts.user.to_account_info(),
        &accounts.token_program,
        &[],
        amount,
    )?;
    mint_stable(
        protocol,
        &accounts.stable_mint,
        &accounts.insurance_vault,
        &accounts.token_program,
        insurance_share,
    )?;
    pay_from_vault(
        protocol,
        &accounts.vault,
        &accounts.asset_mint,
        &accounts.recipient_asset_account,
        &accounts.token_program,
        quote.payout,
    )?;

    log_event(&Redeemed {
        user: accounts.user.key(),
        asset: asset.key(),
        burned: amount,
        fee: quote.fee,
        insurance_share,
        paid_out: quote.payout,
        supply: protocol.supply,
    });
    Ok(())
}
