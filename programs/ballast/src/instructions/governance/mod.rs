//! Stake-weighted governance (spec section 7): stakers propose and vote,
//! anyone executes what passed once its timelock is over.

pub mod execute_action;
pub mod execute_add_asset;
pub mod execute_param;
pub mod initialize_governance;
pub mod propose;
pub mod stake;
pub mod unstake;
pub mod vote;

pub use execute_action::*;
pub use execute_add_asset::*;
pub use execute_param::*;
pub use initialize_governance::*;
pub use propose::*;
pub use stake::*;
pub use unstake::*;
pub use vote::*;

use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::math::{meets_quorum, passes_supermajority};
use crate::state::{Governance, Proposal};

/// The checks every execution shares: the timelock has passed, the window
/// has not, it has not run before, and enough stake voted.
fn require_quorum_and_timelock(proposal: &Proposal, governance: &Governance, slot: u64) -> Result<()> {
    let config = &governance.config;
    proposal.require_executable(slot, config.timelock_slots, config.execution_window_slots)?;
    require!(
        meets_quorum(proposal.total_weight, proposal.stake_snapshot, config.quorum.get())?,
        BallastError::QuorumNotMet
    );
    Ok(())
}

/// An action proposal may execute: the shared checks and a supermajority.
fn require_action_passed(proposal: &Proposal, governance: &Governance, slot: u64) -> Result<()> {
    require_quorum_and_timelock(proposal, governance, slot)?;
    require!(
        passes_supermajority(proposal.yes_weight, proposal.no_weight),
        BallastError::ProposalRejected
    );
    Ok(())
}
