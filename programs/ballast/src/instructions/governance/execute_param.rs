use anchor_lang::prelude::*;

use crate::events::log_event;
use crate::constants::{GOVERNANCE_SEED, ORACLE_ROUNDS_SEED, PROPOSAL_SEED, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::events::ParamChanged;
use crate::state::{Asset, Governance, OracleRounds, Proposal, ProposalKind, Protocol};

use super::propose::proposal_asset;
use super::require_quorum_and_timelock;

#[derive(Accounts)]
pub struct ExecuteProposal<'info> {
    #[account(mut, seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut, seeds = [GOVERNANCE_SEED], bump = governance.bump)]
    pub governance: Box<Account<'info, Governance>>,
    #[account(mut, seeds = [PROPOSAL_SEED, proposal.id.to_le_bytes().as_ref()], bump = proposal.bump)]
    pub proposal: Box<Account<'info, Proposal>>,
    /// The oracle rounds, where a new oracle set waits for the next round.
    #[account(mut, seeds = [ORACLE_ROUNDS_SEED], bump)]
    pub oracle_rounds: AccountLoader<'info, OracleRounds>,
    /// The asset the proposal changes, when it changes one.
    #[account(mut)]
    pub asset: Option<Box<Account<'info, Asset>>>,
}

/// Sets a parameter to the stake-weighted mean of the votes, at most one
/// step from its value, at most once per epoch. Anyone may send it.
pub fn handle_execute_param(ctx: Context<ExecuteProposal>) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let ProposalKind::Param(key) = accounts.proposal.kind else {
        return err!(BallastError::ProposalAccountMismatch);
    };
    let slot = Clock::get()?.slot;
    let governance = &mut accounts.governance;
    require_quorum_and_timelock(&accounts.proposal, governance, slot)?;
    let epoch = governance.epoch(slot);
    let last_change = governance.last_change_epoch[key.slot()];
    require!(last_change == u64::MAX || last_change < epoch, BallastError::ParamChangedThisEpoch);

    let mut value = accounts.proposal.mean_value(key)?;
    if key.is_integer() {
        value = value.floor();
    }
    let protocol = &mut accounts.protocol;
    let asset = proposal_asset(protocol, key.asset_index(), accounts.asset.as_deref())?;
    let current = key.read(protocol, asset)?;
    key.check_value(value, current, governance.config.max_step.get())?;
    key.write(value, protocol, accounts.asset.as_deref_mut().map(|a| &mut **a))?;

    governance.last_change_epoch[key.slot()] = epoch;
    accounts.proposal.executed = true;
    log_event(&ParamChanged {
        proposal: accounts.proposal.key(),
        key,
        old_value_bits: current.to_bits(),
        new_value_bits: value.to_bits(),
    });
    Ok(())
}
