use anchor_lang::prelude::*;

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
/// the pause then lifts on its own. A new pause replaces the last one.
pub fn handle_guardian_pause(ctx: Context<GuardianPause>, operations: u8) -> Result<()> {
    require!(is_valid_pause_mask(operations), BallastError::ParameterOutOfBounds);
    let protocol = &mut ctx.accounts.protocol;
    let until = Clock::get()?
        .slot
        .saturating_add(protocol.params.guardian_pause_slots);
    protocol.guardian_paused = operations;
    protocol.guardian_pause_until = until;
    emit!(GuardianPaused { operations, until_slot: until });
    Ok(())
}
