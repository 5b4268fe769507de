use anchor_lang::prelude::*;

use crate::events::log_event;
use crate::errors::BallastError;
use crate::events::{ActionExecuted, AssetEnabledSet, OracleSetScheduled, PauseSet};
use crate::state::{validate_oracle_set, Action, ProposalKind};

use super::execute_param::ExecuteProposal;
use super::propose::proposal_asset;
use super::require_action_passed;

/// Executes a passed action other than adding an asset (which creates
/// accounts and has its own instruction). Anyone may send it.
pub fn handle_execute_action(ctx: Context<ExecuteProposal>) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let ProposalKind::Action(action) = accounts.proposal.kind else {
        return err!(BallastError::ProposalAccountMismatch);
    };
    let slot = Clock::get()?.slot;
    require_action_passed(&accounts.proposal, &accounts.governance, slot)?;
    let protocol = &mut accounts.protocol;
    match action {
        Action::SetAssetEnabled { index, enabled } => {
            proposal_asset(protocol, Some(index), accounts.asset.as_deref())?;
            let asset = accounts.asset.as_mut().ok_or(error!(BallastError::ProposalAccountMismatch))?;
            asset.enabled = enabled;
            log_event(&AssetEnabledSet {
                asset: asset.key(),
                enabled,
            });
        }
        // A set changes at a round boundary: it waits for the next round.
        Action::SetOracles { oracles, count, quorum } => {
            let set = oracles.get(..count as usize).ok_or(error!(BallastError::InvalidOracleSet))?;
            validate_oracle_set(set, quorum)?;
            let mut rounds = accounts.oracle_rounds.load_mut()?;
            rounds.pending_oracles = oracles;
            rounds.pending_count = count;
            rounds.pending_quorum = quorum;
            log_event(&OracleSetScheduled {
                oracles: count,
                quorum,
                from_round: rounds.round + 1,
            });
        }
        Action::SetGuardian { guardian } => protocol.guardian = guardian,
        Action::SetPause { paused } => {
            protocol.paused = paused;
            protocol.guardian_paused = 0;
            protocol.guardian_pause_until = protocol.guardian_pause_until.min(slot);
            log_event(&PauseSet { paused });
        }
        Action::AddAsset { .. } => return err!(BallastError::ProposalAccountMismatch),
    }
    accounts.proposal.executed = true;
    log_event(&ActionExecuted {
        proposal: accounts.proposal.key(),
        action,
    });
    Ok(())
}
