use anchor_lang::prelude::*;
use anchor_spl::token::{self, Mint, Token, TokenAccount, Transfer};

use crate::events::log_event;
use crate::constants::{GOVERNANCE_SEED, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::events::{BackstopBailedIn, HoldersHaircut, InsurancePaid, RedemptionRateRestored};
use crate::instructions::reserve::{value_reserve, Valuation};
use crate::instructions::stablecoin::burn_stable;
use crate::math::{self, I80F48};
use crate::state::{Governance, Protocol};

#[derive(Accounts)]
pub struct AbsorbShortfall<'info> {
    #[account(mut, seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut, address = protocol.stable_mint @ BallastError::InvalidStableMint)]
    pub stable_mint: Box<Account<'info, Mint>>,
    #[account(mut, address = protocol.insurance_vault @ BallastError::InvalidVault)]
    pub insurance_vault: Box<Account<'info, TokenAccount>>,
    #[account(mut, seeds = [GOVERNANCE_SEED], bump = governance.bump)]
    pub governance: Box<Account<'info, Governance>>,
    #[account(mut, address = governance.stake_vault @ BallastError::InvalidVault)]
    pub stake_vault: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// The loss waterfall (spec section 6), in its fixed order. With claims
/// C = S·r and the reserve worth V, a shortfall L = C − V is borne by:
/// 1. the insurance pool, which burns P_out = min(P, L);
/// 2. the backstop, which burns kappa of the residual, at most all of it,
///    pro rata to every stake through the share price (crumbs below the
///    share price floor go to the pool, see `Governance::bail_in_split`);
/// 3. the holders, through a lower redemption rate r = V / S.
///
/// The three add up to L to the unit. A loss is irreversible, so it is
/// booked only on a confirmed valuation: every price fresh and confident,
/// each asset at the higher of its spot and smoothed price, so that one
/// low print cannot book it before the smoothed price agrees. The way back
/// is confirmed the same way: with no shortfall and r below one, the crank
/// raises r toward one from V at the lower of the two prices. Anyone may
/// send it. Until a loss is booked, redemptions already pay min(r, CR).
/// Remaining accounts: every `Asset`, in index order.
pub fn handle_absorb_shortfall<'info>(ctx: Context<'info, AbsorbShortfall<'info>>) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let slot = Clock::get()?.slot;
    let assets = ctx.remaining_accounts;
    let value = value_reserve(&accounts.protocol, None, assets, slot, Valuation::LossRecognition)?.total;
    let value_units = math::stable_for_value_floor(value)?;
    let protocol = &mut accounts.protocol;
    let rate = protocol.redemption_rate.get();
    let claims = math::to_u64_floor(math::mul_floor(I80F48::from_num(protocol.supply), rate)?)?;

    if claims <= value_units {
        let lower = value_reserve(protocol, None, assets, slot, Valuation::Strict)?.total;
        let restored = restored_rate(math::stable_for_value_floor(lower)?, protocol.supply, rate)?;
        require!(restored > rate, BallastError::NoShortfall);
        protocol.redemption_rate = restored.into();
        log_event(&RedemptionRateRestored {
            redemption_rate_bits: restored.to_bits(),
        });
        return Ok(());
    }
    let shortfall = claims - value_units;

    // 1. Insurance.
    let paid_out = shortfall.min(accounts.insurance_vault.amount);
    let seeds = protocol.signer_seeds();
    burn_stable(
        &accounts.stable_mint,
        &accounts.insurance_vault,
        protocol.to_account_info(),
        &accounts.token_program,
        &[&seeds],
        paid_out,
    )?;
    protocol.supply -= paid_out;
    protocol.insurance.paid_out = protocol.insurance.paid_out.checked_add(paid_out).ok_or_else(math::overflow)?;
    log_event(&InsurancePaid { shortfall, paid_out });

    // 2. Backstop.
    let residual = shortfall - paid_out;
    let kappa = protocol.params.risk.kappa.get();
    let governance = &mut accounts.governance;
    let wanted = math::to_u64_floor(math::mul_floor(I80F48::from_num(residual), kappa)?)?;
    let (bailed_in, crumbs) = governance.bail_in_split(wanted);
    let governance_seeds: &[&[u8]] = &[GOVERNANCE_SEED, &[governance.bump]];
    burn_stable(
        &accounts.stable_mint,
        &accounts.stake_vault,
        governance.to_account_info(),
        &accounts.token_program,
        &[governance_seeds],
        bailed_in,
    )?;
    if crumbs > 0 {
        token::transfer(
            CpiContext::new_with_signer(
                accounts.token_program.key(),
                Transfer {
                    from: accounts.stake_vault.to_account_info(),
                    to: accounts.insurance_vault.to_account_info(),
                    authority: governance.to_account_info(),
                },
                &[governance_seeds],
            ),
            crumbs,
        )?;
    }
    governance.absorb_loss(bailed_in + crumbs);
    protocol.supply -= bailed_in;
    protocol.insurance.backstop_burned = protocol
        .insurance
        .backstop_burned
        .checked_add(bailed_in)
        .ok_or_else(math::overflow)?;
    log_event(&BackstopBailedIn {
        residual,
        burned: bailed_in,
        swept_to_insurance: crumbs,
        total_staked: governance.total_staked,
    });

    // 3. Holders: what is left lowers r so that S · r = V.
    let holder_loss = residual - bailed_in;
    let rate = if protocol.supply == 0 {
        I80F48::ONE
    } else {
        math::div_floor(I80F48::from_num(value_units), I80F48::from_num(protocol.supply))?.min(I80F48::ONE)
    };
    protocol.redemption_rate = rate.into();
    protocol.insurance.holder_losses = protocol
        .insurance
        .holder_losses
        .checked_add(holder_loss)
        .ok_or_else(math::overflow)?;
    log_event(&HoldersHaircut {
        loss: holder_loss,
        redemption_rate_bits: rate.to_bits(),
    });
    Ok(())
}

/// min(1, V / S), rounded down.
fn restored_rate(value_units: u64, supply: u64, current: I80F48) -> Result<I80F48> {
    if supply == 0 {
        return Ok(I80F48::ONE.max(current));
    }
    Ok(math::div_floor(I80F48::from_num(value_units), I80F48::from_num(supply))?.min(I80F48::ONE))
}
