use anchor_lang::prelude::*;

use crate::constants::MAX_ORACLES;
use crate::errors::BallastError;
use crate::math::{self, add_weighted_vote, weighted_mean_floor, FixedBits, I80F48};
use crate::state::{AssetConfig, AssetKind, ParamKey};

#[account]
#[derive(InitSpace, Debug)]
pub struct Proposal {
    pub id: u64,
    pub proposer: Pubkey,
    pub bump: u8,
    pub kind: ProposalKind,
    pub created_slot: u64,
    pub voting_end_slot: u64,
    /// Total stake when the proposal was made: the base of its quorum.
    pub stake_snapshot: u64,
    /// Parameter proposals: the value when proposed, the centre of the clamp.
    pub reference_value: FixedBits,
    /// Σ v_j over all votes, and Σ v_j (θ_j − θ_lowest) (parameter) or yes
    /// and no (action).
    pub total_weight: u128,
    pub weighted_value_sum: [u128; 2],
    pub yes_weight: u128,
    pub no_weight: u128,
    pub executed: bool,
}

// Stored in a fixed-size account sized for the largest variant, so boxing
// the large one would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalKind {
    /// Voters submit values; the stake-weighted mean becomes the parameter.
    Param(ParamKey),
    /// Voters say yes or no; 66% of the votes cast carries it.
    Action(Action),
}

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    AddAsset {
        mint: Pubkey,
        kind: AssetKind,
        config: AssetConfig,
    },
    SetAssetEnabled {
        index: u8,
        enabled: bool,
    },
    SetOracles {
        oracles: [Pubkey; MAX_ORACLES],
        count: u8,
        quorum: u8,
    },
    SetGuardian {
        guardian: Pubkey,
    },
    /// Sets the standing pause bits and ends the guardian's pause: how
    /// governance confirms an emergency pause, or lifts one, once the
    /// bootstrap authority is gone.
    SetPause {
        paused: u8,
    },
}

impl Proposal {
    /// Adds a vote of `value` for parameter `key`. Values are tallied above
    /// the key's lower bound, so that negative parameters (lambda_zeta)
    /// sum in unsigned arithmetic too.
    pub fn add_value_vote(&mut self, key: ParamKey, weight: u64, value: I80F48) -> Result<()> {
        let above_lowest = math::sub(value, key.bounds().0)?;
        self.weighted_value_sum = add_weighted_vote(self.weighted_value_sum, weight, above_lowest)?;
        Ok(())
    }

    /// θ = Σ v_j θ_j / Σ v_j, rounded down to the last fixed-point unit.
    pub fn mean_value(&self, key: ParamKey) -> Result<I80F48> {
        let above_lowest = weighted_mean_floor(self.weighted_value_sum, self.total_weight)?;
        math::add(key.bounds().0, above_lowest)
    }

    pub fn timelock_end_slot(&self, timelock_slots: u64) -> u64 {
        self.voting_end_slot.saturating_add(timelock_slots)
    }

    /// Checks that the proposal may execute at `slot`: voting over, timelock
    /// passed, not expired, not already executed.
    pub fn require_executable(&self, slot: u64, timelock_slots: u64, window_slots: u64) -> Result<()> {
        require!(!self.executed, BallastError::AlreadyExecuted);
        let opens = self.timelock_end_slot(timelock_slots);
        require!(slot >= opens, BallastError::TimelockActive);
        require!(slot < opens.saturating_add(window_slots), BallastError::ProposalExpired);
        Ok(())
    }

    pub fn is_voting_open(&self, slot: u64) -> bool {
        slot < self.voting_end_slot
    }
}
