use anchor_lang::prelude::*;

use crate::events::log_event;
use crate::constants::{GOVERNANCE_SEED, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::events::AuthorityRenounced;
use crate::state::{Governance, Protocol};

#[derive(Accounts)]
pub struct RenounceAuthority<'info> {
    pub authority: Signer<'info>,
    #[account(
        mut,
        seeds = [PROTOCOL_SEED],
        bump = protocol.bump,
        has_one = authority @ BallastError::Unauthorized,
    )]
    pub protocol: Box<Account<'info, Protocol>>,
    /// Governance must exist first: without it nothing could change again.
    #[account(seeds = [GOVERNANCE_SEED], bump = governance.bump)]
    pub governance: Box<Account<'info, Governance>>,
}

/// Gives up the bootstrap authority for good: from then on parameters and
/// assets change only through governance.
pub fn handle_renounce_authority(ctx: Context<RenounceAuthority>) -> Result<()> {
    let protocol = &mut ctx.accounts.protocol;
    log_event(&AuthorityRenounced {
        authority: protocol.authority,
    });
    protocol.authority = Pubkey::default();
    Ok(())
}
