//! The oracle network's rounds: each round collects one observation per
//! registered oracle, in its own transaction, and finalizes once a quorum
//! of them agree within the outlier tolerance. Zero-copy, because a round
//! holds up to eight full observations (several kilobytes).

use anchor_lang::prelude::*;

use crate::constants::{MAX_ASSETS, MAX_ORACLES};
use crate::math::{FixedBits, I80F48};

/// Finalized and lapsed rounds kept for readers (dashboards, governance).
pub const ROUND_HISTORY: usize = 12;

/// A triggered round may open once this share of `round_slots` has passed
/// since the scheduled round before it opened (1 / 4): the frequency bound
/// on out-of-window updates, with at most one per scheduled round.
pub const EARLY_ROUND_GAP_PARTS: u64 = 4;

/// An I80F48 stored as 16 little-endian bytes, so that zero-copy layouts
/// have no padding and read the same on SBF and on a host.
#[zero_copy]
#[derive(Default, Debug, PartialEq, Eq)]
pub struct PodFixed {
    pub bytes: [u8; 16],
}

impl PodFixed {
    pub fn get(&self) -> I80F48 {
        I80F48::from_bits(i128::from_le_bytes(self.bytes))
    }

    pub fn set(&mut self, value: I80F48) {
        self.bytes = value.to_bits().to_le_bytes();
    }
}

impl From<I80F48> for PodFixed {
    fn from(value: I80F48) -> Self {
        Self {
            bytes: value.to_bits().to_le_bytes(),
        }
    }
}

impl From<FixedBits> for PodFixed {
    fn from(value: FixedBits) -> Self {
        value.get().into()
    }
}

/// Where a round stands.
pub mod round_status {
    pub const OPEN: u8 = 0;
    pub const FINALIZED: u8 = 1;
    /// Its deadline passed before a quorum of inliers was in.
    pub const LAPSED: u8 = 2;
}

/// One oracle's observation (prices, confidences and risk figures from its
/// own data) and its policy proposal (computed by its own pipeline).
#[zero_copy]
#[derive(Default, Debug)]
pub struct Submission {
    pub prices: [PodFixed; MAX_ASSETS],
    pub confidences: [PodFixed; MAX_ASSETS],
    pub target_weights: [PodFixed; MAX_ASSETS],
    pub sigma_p: PodFixed,
    /// P(CR < 1) over the horizon, and the upper end of its interval.
    pub breach_probability: PodFixed,
    pub breach_upper: PodFixed,
    pub lambda: PodFixed,
    pub reference_value: PodFixed,
    pub fee_mint: PodFixed,
    pub fee_redeem: PodFixed,
    /// R_i per asset, from the oracle's own data.
    pub risk_scores: [PodFixed; MAX_ASSETS],
    /// The loan book's gamma and theta per unit of its value.
    pub loan_gamma: PodFixed,
    pub loan_theta: PodFixed,
    pub slot: u64,
    /// 1 when the oracle found the stability condition met, 0 when not.
    pub stable: u8,
    /// 1 when its allocation passed the certificate, 0 when flagged.
    pub allocation_certified: u8,
    pub _padding: [u8; 6],
}

/// A finished round, for readers.
#[zero_copy]
#[derive(Default, Debug)]
pub struct RoundSummary {
    pub round: u64,
    pub opened_slot: u64,
    pub closed_slot: u64,
    pub status: u8,
    /// Bit i: the oracle at index i of the set submitted / was kept out.
    pub submitted_mask: u8,
    pub outlier_mask: u8,
    pub asset_count: u8,
    /// Why the round opened before its predecessor's time was up (a
    /// `RebalanceTrigger` code), or 0 for a scheduled round.
    pub trigger: u8,
    pub _padding: [u8; 3],
    /// The finalized median prices (zero for a lapsed round).
    pub prices: [PodFixed; MAX_ASSETS],
    /// Per asset, (highest − lowest) / median over every submission.
    pub spreads: [PodFixed; MAX_ASSETS],
}

/// What each oracle has done, for governance and the dashboard.
#[zero_copy]
#[derive(Default, Debug)]
pub struct OracleStats {
    pub oracle: Pubkey,
    pub submitted: u64,
    /// Observations that went into a finalized round.
    pub included: u64,
    /// Observations kept out as farther than the tolerance from the median.
    pub outliers: u64,
    pub last_round: u64,
}

#[account(zero_copy)]
#[derive(Debug)]
pub struct OracleRounds {
    /// The current round's id: consecutive, starting at 1.
    pub round: u64,
    pub opened_slot: u64,
    /// The current round's observations, by the oracle's index in the set.
    pub submissions: [Submission; MAX_ORACLES],
    pub history: [RoundSummary; ROUND_HISTORY],
    /// Rounds recorded in `history` so far (the next goes at this modulo).
    pub history_count: u64,
    /// Rounds opened early on a trigger so far: each re-describes the market
    /// window of the scheduled round before it, so round r describes the
    /// window `r - 1 - early_rounds` scheduled rounds after the first.
    pub early_rounds: u64,
    pub stats: [OracleStats; MAX_ORACLES],
    /// A set chosen by governance, taking over when the next round opens.
    pub pending_oracles: [Pubkey; MAX_ORACLES],
    pub status: u8,
    pub submitted_mask: u8,
    pub pending_count: u8,
    pub pending_quorum: u8,
    pub bump: u8,
    /// The current round's trigger code, 0 when it is a scheduled round.
    pub trigger: u8,
    pub _padding: [u8; 2],
}

impl OracleRounds {
    pub fn submitted(&self) -> usize {
        self.submitted_mask.count_ones() as usize
    }

    /// The first slot at which a triggered round may follow the current
    /// one: once it has finalized, is itself a scheduled round, and
    /// `round_slots / EARLY_ROUND_GAP_PARTS` have passed since it opened.
    pub fn early_round_from(&self, round_slots: u64) -> Option<u64> {
        (self.round > 0 && self.status == round_status::FINALIZED && self.trigger == 0)
            .then(|| self.opened_slot.saturating_add(round_slots / EARLY_ROUND_GAP_PARTS))
    }

    /// Scheduled rounds opened so far: the current round describes the
    /// market window this many rounds after the one before round 1.
    pub fn scheduled_rounds(&self) -> u64 {
        self.round - self.early_rounds
    }

    /// The last recorded round, if any.
    pub fn last_summary(&self) -> Option<&RoundSummary> {
        let count = self.history_count as usize;
        (count > 0).then(|| &self.history[(count - 1) % ROUND_HISTORY])
    }

    pub fn record(&mut self, summary: RoundSummary) {
        let at = self.history_count as usize % ROUND_HISTORY;
        self.history[at] = summary;
        self.history_count += 1;
    }

    /// The stats entry of `oracle`, if it is in the set.
    pub fn stats_for(&mut self, oracle: &Pubkey) -> Option<&mut OracleStats> {
        self.stats.iter_mut().find(|s| s.oracle == *oracle)
    }

    /// Points the stats at `oracles`, keeping the counts of those that stay.
    pub fn rekey_stats(&mut self, oracles: &[Pubkey]) {
        let old = self.stats;
        self.stats = [OracleStats::default(); MAX_ORACLES];
        for (entry, oracle) in self.stats.iter_mut().zip(oracles) {
            *entry = old.iter().find(|s| s.oracle == *oracle).copied().unwrap_or(OracleStats {
                oracle: *oracle,
                ..OracleStats::default()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_pinned() {
        // A field added without care would move every later one: fix it here.
        assert_eq!(std::mem::size_of::<Submission>(), 32 * 16 + 9 * 16 + 8 + 8);
        assert_eq!(std::mem::size_of::<RoundSummary>(), 32 + 2 * MAX_ASSETS * 16);
        assert_eq!(std::mem::size_of::<OracleStats>(), 32 + 4 * 8);
        assert_eq!(std::mem::align_of::<OracleRounds>(), 8);
    }

    #[test]
    fn pod_fixed_round_trips() {
        let value = I80F48::from_num(-1234.5678);
        assert_eq!(PodFixed::from(value).get(), value);
    }
}
