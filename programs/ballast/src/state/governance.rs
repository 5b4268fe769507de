use anchor_lang::prelude::*;

use crate::constants::bounds;
use crate::errors::BallastError;
use crate::math::{FixedBits, I80F48};
use crate::state::governable::PARAM_SLOTS;
use crate::state::StakePosition;

/// Stake-weighted governance: the backstop stake that is voting power, the
/// rules of proposals, and when each parameter last changed.
#[account]
#[derive(InitSpace, Debug)]
pub struct Governance {
    pub bump: u8,
    pub stake_vault_bump: u8,
    /// The stablecoin account holding every stake.
    pub stake_vault: Pubkey,
    pub config: GovernanceConfig,
    /// Stablecoin units in the stake vault, as accounted...
    pub total_staked: u64,
    /// ...and the shares that divide them.
    pub total_shares: u64,
    /// Bumped when a bail-in takes the whole backstop: shares of an earlier
    /// generation are worth nothing, and staking starts afresh.
    pub share_generation: u64,
    pub proposal_count: u64,
    /// The governance epoch of each parameter's last executed change
    /// (`u64::MAX` for never), indexed by `ParamKey::slot`.
    pub last_change_epoch: [u64; PARAM_SLOTS],
    pub reserved: [u8; 128],
}

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GovernanceConfig {
    /// Votes are open for this long after a proposal is made.
    pub voting_slots: u64,
    /// A passed proposal waits this long after voting ends...
    pub timelock_slots: u64,
    /// ...and can then be executed for this long before it expires.
    pub execution_window_slots: u64,
    /// Fraction of the stake at proposal time that must vote.
    pub quorum: FixedBits,
    /// Stake a proposer must hold, in stablecoin units.
    pub min_proposal_stake: u64,
    /// Parameters move at most one bounded step per epoch of this length.
    pub epoch_slots: u64,
    /// The bounded step, as a fraction of the parameter's current value.
    pub max_step: FixedBits,
}

impl GovernanceConfig {
    pub fn validate(&self) -> Result<()> {
        let periods = [
            self.voting_slots,
            self.timelock_slots,
            self.execution_window_slots,
            self.epoch_slots,
        ];
        require!(
            periods.iter().all(|p| (1..=bounds::GOVERNANCE_SLOTS_HIGHEST).contains(p)),
            BallastError::ParameterOutOfBounds
        );
        let fraction = |x: FixedBits| x.get() > 0 && x.get() <= I80F48::ONE;
        require!(
            fraction(self.quorum) && fraction(self.max_step),
            BallastError::ParameterOutOfBounds
        );
        require!(self.min_proposal_stake > 0, BallastError::ParameterOutOfBounds);
        Ok(())
    }
}

impl Governance {
    pub fn epoch(&self, slot: u64) -> u64 {
        slot / self.config.epoch_slots
    }

    /// The shares of `position` that still count: none from an earlier generation.
    pub fn live_shares(&self, position: &StakePosition) -> u64 {
        if position.share_generation == self.share_generation {
            position.shares
        } else {
            0
        }
    }

    /// What `position` is worth in stablecoin units, rounded down.
    pub fn position_value(&self, position: &StakePosition) -> u64 {
        self.stake_value(self.live_shares(position))
    }

    /// Splits a bail-in that asks for `wanted` units into what is burned
    /// (at most the whole stake) and the crumbs swept to the insurance pool:
    /// all that would be left when it is worth less than `SHARE_PRICE_FLOOR`
    /// per share. Crumbs are worth next to nothing to their owners but would
    /// make every later deposit buy more than a u64 of shares.
    pub fn bail_in_split(&self, wanted: u64) -> (u64, u64) {
        let burned = wanted.min(self.total_staked);
        let left = self.total_staked - burned;
        let (numerator, denominator) = bounds::SHARE_PRICE_FLOOR;
        let below_floor = (left as u128) * (denominator as u128) < self.total_shares as u128 * numerator as u128;
        (burned, if below_floor { left } else { 0 })
    }

    /// Records a bail-in of `burned` units; a backstop burned to nothing
    /// starts a new share generation.
    pub fn absorb_loss(&mut self, burned: u64) {
        self.total_staked -= burned;
        if self.total_staked == 0 {
            self.total_shares = 0;
            self.share_generation += 1;
        }
    }

    /// What `shares` are worth in stablecoin units, rounded down.
    pub fn stake_value(&self, shares: u64) -> u64 {
        if self.total_shares == 0 {
            return 0;
        }
        (shares as u128 * self.total_staked as u128 / self.total_shares as u128) as u64
    }

    /// Shares for depositing `amount`, rounded down (existing stakers keep the dust).
    pub fn shares_for_deposit(&self, amount: u64) -> Result<u64> {
        if self.total_shares == 0 || self.total_staked == 0 {
            return Ok(amount);
        }
        u64::try_from(amount as u128 * self.total_shares as u128 / self.total_staked as u128)
            .map_err(|_| crate::math::overflow())
    }

    /// Shares to burn for withdrawing `amount`, rounded up.
    pub fn shares_for_withdrawal(&self, amount: u64) -> Result<u64> {
        require!(self.total_staked > 0, BallastError::InsufficientStake);
        u64::try_from((amount as u128 * self.total_shares as u128).div_ceil(self.total_staked as u128))
            .map_err(|_| crate::math::overflow())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn governance(total_staked: u64, total_shares: u64) -> Governance {
        Governance {
            bump: 0,
            stake_vault_bump: 0,
            stake_vault: Pubkey::default(),
            config: GovernanceConfig {
                voting_slots: 1,
                timelock_slots: 1,
                execution_window_slots: 1,
                quorum: FixedBits::from(I80F48::ONE),
                min_proposal_stake: 1,
                epoch_slots: 1,
                max_step: FixedBits::from(I80F48::ONE),
            },
            total_staked,
            total_shares,
            share_generation: 0,
            proposal_count: 0,
            last_change_epoch: [u64::MAX; PARAM_SLOTS],
            reserved: [0; 128],
        }
    }

    #[test]
    fn a_bail_in_sweeps_the_crumbs_below_the_share_price_floor() {
        // 10^10 shares over 10^10 units: leaving less than 10^7 units would
        // leave shares worth under a thousandth of a unit each.
        let g = governance(10_000_000_000, 10_000_000_000);
        assert_eq!(g.bail_in_split(9_990_000_000), (9_990_000_000, 0));
        assert_eq!(g.bail_in_split(9_990_000_001), (9_990_000_001, 9_999_999));
        assert_eq!(g.bail_in_split(u64::MAX), (10_000_000_000, 0));
    }

    #[test]
    fn above_the_floor_every_deposit_up_to_a_large_amount_gets_its_shares() {
        // The deepest partial bail-in leaves the price at the floor; a
        // deposit of 10^15 units (a billion dollars) still fits a u64.
        let g = governance(10_000_000, 10_000_000_000);
        assert_eq!(g.shares_for_deposit(1_000_000_000_000_000).unwrap(), 1_000_000_000_000_000_000);
    }
}
