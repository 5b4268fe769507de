use anchor_lang::prelude::*;

use crate::events::log_event;
use crate::constants::pause;
use crate::errors::BallastError;
use crate::events::{BreakerReset, BreakerTripped};
use crate::instructions::reserve::{value_reserve, Valuation};
use crate::math::{self, I80F48};
use crate::state::Protocol;

use super::ProtocolCrank;

/// What a tripped breaker pauses: minting, redeeming and rebalancing.
/// Liquidation auctions stay open: they are how the reserve recovers.
pub const BREAKER_PAUSES: u8 = pause::MINT | pause::REDEEM | pause::REBALANCE;

/// Delta V / V against the oracle's reference value; zero without one.
pub fn value_change(protocol: &Protocol, value: I80F48) -> Result<I80F48> {
    let reference = protocol.risk.reference_value.get();
    if reference <= 0 {
        return Ok(I80F48::ZERO);
    }
    math::sub(value, reference)?
        .checked_div(reference)
        .ok_or_else(math::overflow)
}

/// Whether the breaker's condition holds for a reserve worth `value`:
/// sigma_p > sigma_threshold, or V more than `breaker_drawdown` below the
/// reference value. Returns Delta V / V beside it.
pub fn breaker_condition(protocol: &Protocol, value: I80F48) -> Result<(bool, I80F48)> {
    let change = value_change(protocol, value)?;
    let risk = protocol.params.risk;
    let volatile = protocol.risk.sigma_p.get() > risk.sigma_threshold.get();
    let drawdown = change < -risk.breaker_drawdown.get();
    Ok((volatile || drawdown, change))
}

/// Trips the circuit breaker when sigma_p > sigma_threshold, or when V has
/// fallen more than `breaker_drawdown` below the reference value. V counts
/// assets without a usable price as worthless, so a dead feed trips it too.
/// Remaining accounts: every `Asset`, in index order.
pub fn handle_trip_breaker<'info>(ctx: Context<'info, ProtocolCrank<'info>>) -> Result<()> {
    let protocol = &mut ctx.accounts.protocol;
    require!(protocol.breaker_paused == 0, BallastError::BreakerAlreadyTripped);
    let slot = Clock::get()?.slot;
    let value = value_reserve(protocol, None, ctx.remaining_accounts, slot, Valuation::Lenient)?.total;
    let (holds, change) = breaker_condition(protocol, value)?;
    require!(holds, BallastError::BreakerConditionNotMet);

    protocol.breaker_paused = BREAKER_PAUSES;
    protocol.breaker_tripped_slot = slot;
    log_event(&BreakerTripped {
        slot,
        sigma_p_bits: protocol.risk.sigma_p.bits,
        value_change_bits: change.to_bits(),
        paused: BREAKER_PAUSES,
    });
    Ok(())
}

/// Resets the breaker once its minimum pause has passed and sigma_p is
/// below sigma_reset.
pub fn handle_reset_breaker(ctx: Context<ProtocolCrank>) -> Result<()> {
    let protocol = &mut ctx.accounts.protocol;
    require!(protocol.breaker_paused != 0, BallastError::BreakerNotTripped);
    let slot = Clock::get()?.slot;
    let risk = protocol.params.risk;
    require!(
        slot >= protocol.breaker_tripped_slot.saturating_add(risk.breaker_min_pause_slots),
        BallastError::BreakerMinPauseActive
    );
    require!(
        protocol.risk.sigma_p.get() < risk.sigma_reset.get(),
        BallastError::BreakerConditionPersists
    );
    protocol.breaker_paused = 0;
    log_event(&BreakerReset { slot });
    Ok(())
}
