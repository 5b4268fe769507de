//! Governance arithmetic: the stake-weighted mean of voted values, quorum
//! and the supermajority, all exact.

use anchor_lang::prelude::*;

use super::fixed_point::{overflow, I80F48};
use super::wide::{wide_add, wide_div_floor, wide_mul, U256};
use crate::constants::bounds::SUPERMAJORITY_PERCENT;

/// Adds one vote, `weight` × `value`, to the running sum Σ v_j θ_j.
pub fn add_weighted_vote(sum: U256, weight: u64, value: I80F48) -> Result<U256> {
    let value_bits = u128::try_from(value.to_bits()).map_err(|_| overflow())?;
    wide_add(sum, wide_mul(weight as u128, value_bits))
}

/// θ = Σ v_j θ_j / Σ v_j, rounded down to the last fixed-point unit.
pub fn weighted_mean_floor(weighted_sum: U256, total_weight: u128) -> Result<I80F48> {
    let bits = wide_div_floor(weighted_sum, total_weight)?;
    Ok(I80F48::from_bits(i128::try_from(bits).map_err(|_| overflow())?))
}

/// Whether `participating` stake is at least `quorum` (a fraction) of
/// `total_stake`, compared exactly.
pub fn meets_quorum(participating: u128, total_stake: u64, quorum: I80F48) -> Result<bool> {
    let quorum_bits = u128::try_from(quorum.to_bits()).map_err(|_| overflow())?;
    let needed = wide_mul(quorum_bits, total_stake as u128);
    Ok(wide_mul(participating, 1u128 << 48) >= needed)
}

/// Whether yes has at least 66% of the votes cast.
pub fn passes_supermajority(yes: u128, no: u128) -> bool {
    let cast = yes.saturating_add(no);
    yes > 0 && wide_mul(yes, 100) >= wide_mul(cast, SUPERMAJORITY_PERCENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The exact tally agrees with an f64 reference to the last unit.
        #[test]
        fn weighted_mean_matches_f64_to_the_last_unit(
            votes in prop::collection::vec((1u64..1 << 50, 1.0f64..3.0), 1..20)
        ) {
            let mut sum = [0, 0];
            let mut total = 0u128;
            for (weight, value) in &votes {
                sum = add_weighted_vote(sum, *weight, I80F48::from_num(*value)).unwrap();
                total += *weight as u128;
            }
            let mean = weighted_mean_floor(sum, total).unwrap();
            let reference = votes.iter().map(|(w, v)| *w as f64 * I80F48::from_num(*v).to_num::<f64>()).sum::<f64>()
                / votes.iter().map(|(w, _)| *w as f64).sum::<f64>();
            let reference_bits = (reference * 2f64.powi(48)).round() as i128;
            prop_assert!((mean.to_bits() - reference_bits).abs() <= 1, "{} vs {}", mean.to_bits(), reference_bits);
        }
    }

    #[test]
    fn supermajority_is_66_percent() {
        assert!(!passes_supermajority(659, 341));
        assert!(passes_supermajority(661, 339));
        assert!(passes_supermajority(66, 34));
        assert!(!passes_supermajority(0, 0));
    }

    #[test]
    fn quorum_is_exact() {
        let quarter = I80F48::from_num(0.25);
        assert!(meets_quorum(25, 100, quarter).unwrap());
        assert!(!meets_quorum(24, 100, quarter).unwrap());
        assert!(meets_quorum(u64::MAX as u128, u64::MAX, I80F48::ONE).unwrap());
    }
}
