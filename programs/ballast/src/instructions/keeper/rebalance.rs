use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::events::log_event;
use crate::constants::{pause, ASSET_SEED, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::instructions::vault::{deposit_to_vault, pay_from_vault};
use crate::events::RebalanceSwapped;
use crate::instructions::reserve::{value_reserve, Valuation};
use crate::math::{self, CapitalBase, I80F48};
use crate::state::{Asset, AssetKind, PriceSide, Protocol};

#[derive(Accounts)]
pub struct RebalanceSwap<'info> {
    pub keeper: Signer<'info>,
    #[account(mut, seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(
        mut,
        seeds = [ASSET_SEED, asset_in.mint.as_ref()],
        bump = asset_in.bump,
        has_one = protocol @ BallastError::InvalidAssetAccount,
    )]
    pub asset_in: Box<Account<'info, Asset>>,
    #[account(address = asset_in.mint @ BallastError::InvalidAssetMint)]
    pub mint_in: Box<Account<'info, Mint>>,
    #[account(mut, address = asset_in.vault @ BallastError::InvalidVault)]
    pub vault_in: Box<Account<'info, TokenAccount>>,
    #[account(
        mut,
        seeds = [ASSET_SEED, asset_out.mint.as_ref()],
        bump = asset_out.bump,
        has_one = protocol @ BallastError::InvalidAssetAccount,
    )]
    pub asset_out: Box<Account<'info, Asset>>,
    #[account(address = asset_out.mint @ BallastError::InvalidAssetMint)]
    pub mint_out: Box<Account<'info, Mint>>,
    #[account(mut, address = asset_out.vault @ BallastError::InvalidVault)]
    pub vault_out: Box<Account<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = keeper_in_account.mint == asset_in.mint @ BallastError::InvalidTokenAccount,
        constraint = keeper_in_account.owner == keeper.key() @ BallastError::InvalidTokenAccount,
    )]
    pub keeper_in_account: Box<Account<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = keeper_out_account.mint == asset_out.mint @ BallastError::InvalidTokenAccount,
    )]
    pub keeper_out_account: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// A permissionless rebalancing swap (spec section 5): the keeper puts
/// `amount_in` of one asset into the reserve and takes out another worth
/// the same at oracle prices plus the swap incentive (never more than the
/// mint and redeem fees, see `Protocol::swap_incentive`). The deposit is valued
/// at the lower conservative price, the withdrawal at the higher. It must
/// bring both assets' weights toward their targets without crossing them,
/// keep CR >= CR_min, and stay within u_max of supply per window; it may
/// not take cash below its floor or lower MCR or CCB below theirs.
///
/// A swap toward safety (a lower risk score in than out) is how a reserve
/// in trouble sheds risk, so it is also accepted while the breaker pauses
/// rebalancing and below CR_min (spec section 3: "rebalance toward
/// safety"); the guardian's and governance's pauses still stop it.
/// Remaining accounts: every `Asset`, in index order.
/// The floors a swap of `value_in` of `asset_in` for `value_out` of
/// `asset_out` must keep, on a reserve whose capital is `capital`: cash may
/// not leave below `min_cash_ratio` of the supply (seed 003's immediate
/// liquidity; a swap that brings cash in is always welcome), and MCR and
/// CCB may not fall below theirs. The keeper sizes its swaps by it.
pub fn check_swap_floors(
    protocol: &Protocol,
    capital: &CapitalBase,
    asset_in: &Asset,
    value_in: I80F48,
    asset_out: &Asset,
    value_out: I80F48,
) -> Result<()> {
    if asset_out.kind == AssetKind::Cash && asset_in.kind != AssetKind::Cash {
        let floor = math::mul_ceil(math::stable_value_ceil(protocol.supply)?, protocol.params.policy.min_cash_ratio.get())?;
        require!(math::sub(capital.tier1, value_out)? >= floor, BallastError::CashBelowFloor);
    }
    let after = asset_out.move_capital(asset_in.move_capital(*capital, value_in, true)?, value_out, false)?;
    math::check_capital_floors(capital, &after, &protocol.params.policy.capital_floors())
}

pub fn handle_rebalance_swap<'info>(ctx: Context<'info, RebalanceSwap<'info>>, amount_in: u64) -> Result<()> {
    require!(amount_in > 0, BallastError::ZeroAmount);
    let accounts = &mut *ctx.accounts;
    require_keys_neq!(accounts.asset_in.key(), accounts.asset_out.key(), BallastError::SameAssetSwap);
    let slot = Clock::get()?.slot;
    let toward_safety = accounts.asset_in.risk_score() < accounts.asset_out.risk_score();
    let paused = if toward_safety {
        accounts.protocol.paused_by_others_at(slot)
    } else {
        accounts.protocol.paused_at(slot)
    };
    require!(paused & pause::REBALANCE == 0, BallastError::OperationPaused);
    accounts.asset_in.require_enabled()?;
    accounts.asset_out.require_enabled()?;
    require!(
        accounts.keeper_in_account.amount >= amount_in,
        BallastError::InsufficientFunds
    );

    let (asset_in, asset_out) = (&accounts.asset_in, &accounts.asset_out);
    let price_in = asset_in.conservative_price(slot, PriceSide::Lower)?;
    let price_out_high = asset_out.conservative_price(slot, PriceSide::Higher)?;
    let price_out_low = asset_out.conservative_price(slot, PriceSide::Lower)?;
    let incentive = accounts.protocol.swap_incentive()?;
    let value_in = math::token_value_floor(amount_in, asset_in.decimals, price_in)?;
    let value_paid = math::mul_floor(value_in, math::add(I80F48::ONE, incentive)?)?;
    let amount_out = math::tokens_for_value_floor(value_paid, asset_out.decimals, price_out_high)?;
    require!(amount_out > 0, BallastError::AmountTooSmall);
    require!(amount_out <= asset_out.vault_amount, BallastError::InsufficientReserve);

    let reserve = value_reserve(&accounts.protocol, None, ctx.remaining_accounts, slot, Valuation::Lenient)?;
    let total = reserve.total;
    let value_out = math::token_value_ceil(amount_out, asset_out.decimals, price_out_low)?;
    check_swap_floors(&accounts.protocol, &reserve.capital, asset_in, value_in, asset_out, value_out)?;
    let total_after = math::sub(math::add(total, value_in)?, value_out)?;
    let in_before = asset_in.collateral_value_floor(slot)?;
    let out_before = asset_out.collateral_value_floor(slot)?;
    // The asset coming in must be underweight and stay at or under its
    // target; the one going out overweight and stay at or over it. Without
    // overshooting, no swap can be undone by another that earns the
    // incentive again.
    let weight = |value: I80F48, of: I80F48| math::weight_ceil(value, of);
    let (target_in, target_out) = (asset_in.config.target_weight.get(), asset_out.config.target_weight.get());
    let in_after = weight(math::add(in_before, value_in)?, total_after)?;
    let out_after = weight(math::sub(out_before, value_out)?, total_after)?;
    require!(
        weight(in_before, total)? < target_in
            && in_after <= target_in
            && weight(out_before, total)? > target_out
            && out_after >= target_out,
        BallastError::SwapNotTowardTargets
    );
    let protocol = &mut accounts.protocol;
    let cr_after = math::collateral_ratio_floor(total_after, protocol.supply)?;
    require!(
        toward_safety || cr_after.is_none_or(|cr| cr >= protocol.params.thresholds().min),
        BallastError::CollateralRatioTooLow
    );
    protocol.record_swap(slot, math::stable_for_value_floor(value_paid)?)?;

    accounts.asset_in.vault_amount = accounts.asset_in.vault_amount.checked_add(amount_in).ok_or_else(math::overflow)?;
    accounts.asset_out.vault_amount -= amount_out;
    deposit_to_vault(
        &accounts.keeper_in_account,
        &accounts.mint_in,
        &accounts.vault_in,
        accounts.keeper.to_account_info(),
        &accounts.token_program,
        amount_in,
    )?;
    pay_from_vault(
        protocol,
        &accounts.vault_out,
        &accounts.mint_out,
        &accounts.keeper_out_account,
        &accounts.token_program,
        amount_out,
    )?;
    log_event(&RebalanceSwapped {
        keeper: accounts.keeper.key(),
        asset_in: accounts.asset_in.key(),
        amount_in,
        asset_out: accounts.asset_out.key(),
        amount_out,
    });
    Ok(())
}
