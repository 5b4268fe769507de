use anchor_lang::prelude::*;

use crate::events::log_event;
use crate::constants::PROTOCOL_SEED;
use crate::errors::BallastError;
use crate::events::GuardianPaused;
use crate::state::{is_valid_pause_mask, Protocol};

#[derive(Accounts)]
pub struct GuardianPause<'info> {
    pub guardian: Signer<'info>,
    #[account(
        mut,
        seeds = [PROTOCOL_SEED],
        bump = protocol.bump,
        has_one = guardian @ BallastError::NotGuardian,
    )]
    pub protocol: Box<Account<'info, Protocol>>,
}

/// The guardian pauses `operations` at once, for `guardian_pause_slots`;
/// the pause then lifts on its own. It cannot be kept up by renewing it:
/// while a pause runs the guardian may add operations to it but not extend
/// it, and after it lifts the guardian must wait as long again before the
/// next one. Only governance makes a pause last (`Action::SetPause`).
/// `operations == 0` lifts the guardian's pause early.
pub fn handle_guardian_pause(ctx: Context<GuardianPause>, operations: u8) -> Result<()> {
    require!(is_valid_pause_mask(operations), BallastError::ParameterOutOfBounds);
    let protocol = &mut ctx.accounts.protocol;
    let slot = Clock::get()?.slot;
    let running = slot < protocol.guardian_pause_until;
    if operations == 0 {
        protocol.guardian_paused = 0;
        protocol.guardian_pause_until = protocol.guardian_pause_until.min(slot);
    } else if running {
        protocol.guardian_paused |= operations;
    } else {
        let next_allowed = protocol
            .guardian_pause_until
            .saturating_add(protocol.params.guardian_pause_slots);
        require!(
            protocol.guardian_pause_until == 0 || slot >= next_allowed,
            BallastError::GuardianPauseCoolingDown
        );
        protocol.guardian_paused = operations;
        protocol.guardian_pause_until = slot.saturating_add(protocol.params.guardian_pause_slots);
    }
    log_event(&GuardianPaused {
        operations: protocol.guardian_paused,
        until_slot: protocol.guardian_pause_until,
    });
    Ok(())
}
