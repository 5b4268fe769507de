use anchor_lang::prelude::*;

/// One staker's share of the backstop. Shares, not amounts: a bail-in burns
/// stablecoins from the stake vault and every position loses the same
/// fraction without being touched. Voting locks the position until the
/// vote's timelock ends, each stake starts a cooldown, and a position that
/// grew after a proposal opened does not vote on it.
#[account]
#[derive(InitSpace, Debug)]
pub struct StakePosition {
    pub owner: Pubkey,
    pub bump: u8,
    pub shares: u64,
    /// The `Governance::share_generation` the shares belong to.
    pub share_generation: u64,
    /// No unstaking before this slot.
    pub locked_until_slot: u64,
    /// The slot of the latest deposit (0 in positions from before it was kept).
    pub last_deposit_slot: u64,
    pub reserved: [u8; 56],
}
