use anchor_lang::prelude::*;

use crate::events::log_event;
use crate::constants::PROTOCOL_SEED;
use crate::errors::BallastError;
use crate::events::PauseSet;
use crate::state::{is_valid_pause_mask, Protocol};

#[derive(Accounts)]
pub struct AuthorityOnly<'info> {
    pub authority: Signer<'info>,
    #[account(
        mut,
        seeds = [PROTOCOL_SEED],
        bump = protocol.bump,
        has_one = authority @ BallastError::Unauthorized,
    )]
    pub protocol: Box<Account<'info, Protocol>>,
}

/// Replaces the pause bits with `paused` (see `constants::pause`).
pub fn handle_set_pause(ctx: Context<AuthorityOnly>, paused: u8) -> Result<()> {
    require!(is_valid_pause_mask(paused), BallastError::ParameterOutOfBounds);
    ctx.accounts.protocol.paused = paused;
    log_event(&PauseSet { paused });
    Ok(())
}
