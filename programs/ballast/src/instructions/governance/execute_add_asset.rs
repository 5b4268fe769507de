use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token};

use crate::events::log_event;
use crate::constants::{ASSET_SEED, GOVERNANCE_SEED, PROPOSAL_SEED, PROTOCOL_SEED, VAULT_SEED};
use crate::errors::BallastError;
use crate::events::ActionExecuted;
use crate::instructions::admin::{register_asset, NewAsset};
use crate::state::{Action, Governance, Proposal, ProposalKind, Protocol};

use super::require_action_passed;

#[derive(Accounts)]
pub struct ExecuteAddAsset<'info> {
    /// Anyone: pays the rent of the new accounts.
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(mut, seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(seeds = [GOVERNANCE_SEED], bump = governance.bump)]
    pub governance: Box<Account<'info, Governance>>,
    #[account(mut, seeds = [PROPOSAL_SEED, proposal.id.to_le_bytes().as_ref()], bump = proposal.bump)]
    pub proposal: Box<Account<'info, Proposal>>,
    pub asset_mint: Box<Account<'info, Mint>>,
    /// CHECK: the asset PDA, created by the handler.
    #[account(mut, seeds = [ASSET_SEED, asset_mint.key().as_ref()], bump)]
    pub asset: UncheckedAccount<'info>,
    /// CHECK: the vault PDA, created by the handler as a token account.
    #[account(mut, seeds = [VAULT_SEED, asset.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Adds the asset a passed proposal names.
pub fn handle_execute_add_asset(ctx: Context<ExecuteAddAsset>) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let ProposalKind::Action(action) = accounts.proposal.kind else {
        return err!(BallastError::ProposalAccountMismatch);
    };
    let Action::AddAsset { mint, kind, config } = action else {
        return err!(BallastError::ProposalAccountMismatch);
    };
    require_keys_eq!(accounts.asset_mint.key(), mint, BallastError::ProposalAccountMismatch);
    require_action_passed(&accounts.proposal, &accounts.governance, Clock::get()?.slot)?;
    register_asset(
        NewAsset {
            payer: &accounts.payer.to_account_info(),
            protocol: &mut accounts.protocol,
            asset_mint: &accounts.asset_mint,
            asset: &accounts.asset,
            vault: &accounts.vault,
            token_program: &accounts.token_program,
            system_program: &accounts.system_program,
            asset_bump: ctx.bumps.asset,
            vault_bump: ctx.bumps.vault,
        },
        kind,
        config,
    )?;
    accounts.proposal.executed = true;
    log_event(&ActionExecuted {
        proposal: accounts.proposal.key(),
        action,
    });
    Ok(())
}
