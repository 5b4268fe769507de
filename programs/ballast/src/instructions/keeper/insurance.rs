use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::events::log_event;
use crate::constants::PROTOCOL_SEED;
use crate::errors::BallastError;
use crate::events::PremiumAccrued;
use crate::instructions::reserve::{value_reserve, Valuation};
use crate::instructions::stablecoin::mint_stable;
use crate::math::{self, I80F48};
use crate::state::Protocol;

#[derive(Accounts)]
pub struct AccruePremium<'info> {
    #[account(mut, seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut, address = protocol.stable_mint @ BallastError::InvalidStableMint)]
    pub stable_mint: Box<Account<'info, Mint>>,
    #[account(mut, address = protocol.insurance_vault @ BallastError::InvalidVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Pays the premium p·S for the slots since the last accrual into the
/// insurance pool: reserve equity moves to the pool as newly minted
/// stablecoins, rounded down, and never more than keeps CR at CR_min (no
/// equity, no premium: it must not dilute holders).
/// Remaining accounts: every `Asset`, in index order.
pub fn handle_accrue_premium<'info>(ctx: Context<'info, AccruePremium<'info>>) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let slot = Clock::get()?.slot;
    let protocol = &mut accounts.protocol;
    let elapsed = slot.saturating_sub(protocol.premium_accrued_slot);
    let rate = protocol.params.risk.insurance_premium_per_slot.get();
    let per_slot = math::mul_floor(I80F48::from_num(protocol.supply), rate)?;
    let accrued = math::to_u64_floor(math::mul_floor(per_slot, I80F48::from_num(elapsed))?)?;
    let value = value_reserve(protocol, None, ctx.remaining_accounts, slot, Valuation::Lenient)?.total;
    let supported = math::stable_for_value_floor(math::div_floor(value, protocol.params.cr_min.get())?)?;
    let premium = accrued.min(supported.saturating_sub(protocol.supply));
    protocol.premium_accrued_slot = slot;
    protocol.supply = protocol.supply.checked_add(premium).ok_or_else(math::overflow)?;
    protocol.insurance.premiums = protocol.insurance.premiums.checked_add(premium).ok_or_else(math::overflow)?;
    mint_stable(
        protocol,
        &accounts.stable_mint,
        &accounts.insurance_vault,
        &accounts.token_program,
        premium,
    )?;
    log_event(&PremiumAccrued {
        slots: elapsed,
        premium,
        pool: accounts.insurance_vault.amount + premium,
    });
    Ok(())
}
