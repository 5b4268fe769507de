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

/// Delta V / V against the oracle's reference value, per stablecoin: the
/// change of V / S since the reference was posted, so that mints and
/// redemptions move it only as much as they move CR. Zero without a
/// reference; V alone while nothing is minted.
pub fn value_change(protocol: &Protocol, value: I80F48) -> Result<I80F48> {
    let reference = protocol.risk.reference_value.get();
    if reference <= 0 {
        return Ok(I80F48::ZERO);
    }
    let (supply, reference_supply) = (protocol.supply, protocol.risk.reference_supply);
    let now = if supply > 0 && reference_supply > 0 {
        // V · S_ref / S: today's value at the reference's supply.
        math::mul_floor(value, math::div_floor(I80F48::from_num(reference_supply), I80F48::from_num(supply))?)?
    } else {
        value
    };
    math::sub(now, reference)?
        .checked_div(reference)
        .ok_or_else(math::overflow)
}

/// What the breaker's condition finds for a reserve worth `value`.
pub struct BreakerCondition {
    /// sigma_p > sigma_threshold.
    pub volatile: bool,
    /// V more than `breaker_drawdown` below the reference value.
    pub drawdown: bool,
    /// Delta V / V.
    pub change: I80F48,
}

impl BreakerCondition {
    pub fn holds(&self) -> bool {
        self.volatile || self.drawdown
    }
}

pub fn breaker_condition(protocol: &Protocol, value: I80F48) -> Result<BreakerCondition> {
    let change = value_change(protocol, value)?;
    let risk = protocol.params.risk;
    Ok(BreakerCondition {
        volatile: protocol.risk.sigma_p.get() > risk.sigma_threshold.get(),
        drawdown: change < -risk.breaker_drawdown.get(),
        change,
    })
}

/// After a breaker lapsed without a reset, volatility trips it again only
/// at a quarter above the sigma_p it tripped at: a new shock, not the
/// same episode's noise.
pub const RETRIP_SIGMA_FACTOR: (i64, i64) = (5, 4);

/// Whether a breaker that lapsed may trip again for `condition`.
pub fn retrip_allowed(protocol: &Protocol, condition: &BreakerCondition) -> Result<bool> {
    let factor = crate::math::ratio(RETRIP_SIGMA_FACTOR.0, RETRIP_SIGMA_FACTOR.1);
    let worse = protocol.risk.sigma_p.get() > math::mul_ceil(protocol.breaker_trip_sigma.get(), factor)?;
    Ok(condition.drawdown || (condition.volatile && worse))
}

/// Trips the circuit breaker when sigma_p > sigma_threshold, or when V has
/// fallen more than `breaker_drawdown` below the reference value. V counts
/// assets without a usable price as worthless, so a dead feed trips it too.
/// A breaker that lapsed after `breaker_max_pause_slots` without a reset
/// trips again only on a new drawdown or a clearly higher sigma_p
/// (`RETRIP_SIGMA_FACTOR`): the same risk cannot lock holders out twice.
/// Remaining accounts: every `Asset`, in index order.
pub fn handle_trip_breaker<'info>(ctx: Context<'info, ProtocolCrank<'info>>) -> Result<()> {
    let protocol = &mut ctx.accounts.protocol;
    let slot = Clock::get()?.slot;
    require!(protocol.breaker_paused_at(slot) == 0, BallastError::BreakerAlreadyTripped);
    let value = value_reserve(protocol, None, ctx.remaining_accounts, slot, Valuation::Lenient)?.total;
    let condition = breaker_condition(protocol, value)?;
    require!(condition.holds(), BallastError::BreakerConditionNotMet);
    if protocol.breaker_lapsed_at(slot) {
        require!(retrip_allowed(protocol, &condition)?, BallastError::BreakerLapsedRiskNotWorse);
    }
    let change = condition.change;

    protocol.breaker_paused = BREAKER_PAUSES;
    protocol.breaker_tripped_slot = slot;
    protocol.breaker_trip_sigma = protocol.risk.sigma_p;
    log_event(&BreakerTripped {
        slot,
        sigma_p_bits: protocol.risk.sigma_p.bits,
        value_change_bits: change.to_bits(),
        paused: BREAKER_PAUSES,
    });
    Ok(())
}

/// Resets the breaker once its minimum pause has passed and sigma_p is
/// below sigma_reset (also after it lapsed, which re-arms it fully).
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
