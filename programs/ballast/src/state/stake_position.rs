use anchor_lang::prelude::*;

/// One staker's backstop stake. Voting locks it until the vote ends, so the
/// same stablecoins cannot vote, leave and vote again (no flash staking).
#[account]
#[derive(InitSpace, Debug)]
pub struct StakePosition {
    pub owner: Pubkey,
    pub bump: u8,
    /// Stablecoin units staked.
    pub amount: u64,
    /// No unstaking before this slot: the latest end of a vote it joined.
    pub locked_until_slot: u64,
    pub reserved: [u8; 64],
}
