use anchor_lang::prelude::*;

use crate::events::AuthorityRenounced;
use crate::instructions::AuthorityOnly;

/// Gives up the bootstrap authority for good: from then on parameters and
/// assets change only through governance.
pub fn handle_renounce_authority(ctx: Context<AuthorityOnly>) -> Result<()> {
    let protocol = &mut ctx.accounts.protocol;
    emit!(AuthorityRenounced {
        authority: protocol.authority,
    });
    protocol.authority = Pubkey::default();
    Ok(())
}
