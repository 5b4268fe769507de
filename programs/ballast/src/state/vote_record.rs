use anchor_lang::prelude::*;

use crate::math::FixedBits;

/// One staker's vote on one proposal; its existence is what stops a second vote.
#[account]
#[derive(InitSpace, Debug)]
pub struct VoteRecord {
    pub proposal: Pubkey,
    pub voter: Pubkey,
    pub weight: u64,
    pub ballot: Ballot,
}

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ballot {
    /// A value for a parameter proposal.
    Value(FixedBits),
    /// Yes or no on an action proposal.
    Approve(bool),
}
