//! Turning a round's observations into one update: pure functions of the
//! submissions, with their tests beside them.
//!
//! Prices are the median of the inliers, their confidence covers the
//! inliers' spread, the risk figures and the policy are medians too (the
//! target weights coordinate-wise, then fitted to sum to one within the
//! caps), so that fewer than half of the observations can move nothing
//! outside the honest range.

use anchor_lang::prelude::*;

use crate::constants::{MAX_ASSETS, MAX_ORACLES};
use crate::math::{self, I80F48};
use crate::state::Submission;

/// The median of `values` (at least one): the middle one, or for an even
/// count the mean of the two middle ones, rounded down.
pub fn median(values: &mut [I80F48]) -> Result<I80F48> {
    require!(!values.is_empty(), crate::errors::BallastError::InvalidObservation);
    // Insertion sort: at most eight values.
    for i in 1..values.len() {
        let mut j = i;
        while j > 0 && values[j - 1] > values[j] {
            values.swap(j - 1, j);
            j -= 1;
        }
    }
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        return Ok(values[middle]);
    }
    let (low, high) = (values[middle - 1], values[middle]);
    // low + (high − low) / 2 cannot overflow where (low + high) / 2 could.
    Ok(low + (high - low) / 2)
}

/// The median over the submissions in `mask` of the value `field` picks.
fn median_of(submissions: &[Submission; MAX_ORACLES], mask: u8, field: impl Fn(&Submission) -> I80F48) -> Result<I80F48> {
    let mut values = [I80F48::ZERO; MAX_ORACLES];
    let mut count = 0;
    for (index, submission) in submissions.iter().enumerate() {
        if mask & (1 << index) != 0 {
            values[count] = field(submission);
            count += 1;
        }
    }
    median(&mut values[..count])
}

/// Whether more than half of the submissions in `mask` hold `flag`. The
/// flags claim safety (stable, certified), so a tie does not make the claim.
fn most(submissions: &[Submission; MAX_ORACLES], mask: u8, flag: impl Fn(&Submission) -> bool) -> bool {
    let holding = (0..MAX_ORACLES).filter(|i| mask & (1 << i) != 0 && flag(&submissions[*i])).count();
    2 * holding > mask.count_ones() as usize
}

/// The submissions in `mask` whose price of some asset is farther than
/// `tolerance` (relative) from the median of all of them.
pub fn outliers(submissions: &[Submission; MAX_ORACLES], mask: u8, assets: usize, tolerance: I80F48) -> Result<u8> {
    let mut outliers = 0u8;
    for asset in 0..assets {
        let centre = median_of(submissions, mask, |s| s.prices[asset].get())?;
        for (index, submission) in submissions.iter().enumerate() {
            if mask & (1 << index) == 0 {
                continue;
            }
            let price = submission.prices[asset].get();
            let distance = if price > centre { price - centre } else { centre - price };
            if math::div_ceil(distance, centre)? > tolerance {
                outliers |= 1 << index;
            }
        }
    }
    Ok(outliers)
}

/// Per asset, (highest − lowest) / median over the submissions in `mask`.
pub fn spreads(submissions: &[Submission; MAX_ORACLES], mask: u8, assets: usize) -> Result<[I80F48; MAX_ASSETS]> {
    let mut spreads = [I80F48::ZERO; MAX_ASSETS];
    for (asset, spread) in spreads.iter_mut().enumerate().take(assets) {
        let centre = median_of(submissions, mask, |s| s.prices[asset].get())?;
        let (mut low, mut high) = (I80F48::MAX, I80F48::MIN);
        for (index, submission) in submissions.iter().enumerate() {
            if mask & (1 << index) != 0 {
                let price = submission.prices[asset].get();
                low = low.min(price);
                high = high.max(price);
            }
        }
        *spread = math::div_ceil(high - low, centre)?;
    }
    Ok(spreads)
}

/// The update a round's inliers agree on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Aggregate {
    pub prices: [I80F48; MAX_ASSETS],
    pub confidences: [I80F48; MAX_ASSETS],
    /// Coordinate-wise medians, fitted to sum to one within the caps.
    pub target_weights: [I80F48; MAX_ASSETS],
    pub risk_scores: [I80F48; MAX_ASSETS],
    pub sigma_p: I80F48,
    pub breach_probability: I80F48,
    pub breach_upper: I80F48,
    pub lambda: I80F48,
    pub reference_value: I80F48,
    pub fee_mint: I80F48,
    pub fee_redeem: I80F48,
    pub loan_gamma: I80F48,
    pub loan_theta: I80F48,
    /// The flags most inliers set.
    pub stable: bool,
    pub allocation_certified: bool,
}

/// Aggregates the submissions in `inliers` over the reserve's assets, whose
/// weight caps are `caps`.
pub fn aggregate(submissions: &[Submission; MAX_ORACLES], inliers: u8, caps: &[I80F48]) -> Result<Aggregate> {
    let assets = caps.len();
    let mut result = Aggregate {
        prices: [I80F48::ZERO; MAX_ASSETS],
        confidences: [I80F48::ZERO; MAX_ASSETS],
        target_weights: [I80F48::ZERO; MAX_ASSETS],
        risk_scores: [I80F48::ZERO; MAX_ASSETS],
        stable: most(submissions, inliers, |s| s.stable != 0),
        allocation_certified: most(submissions, inliers, |s| s.allocation_certified != 0),
        sigma_p: median_of(submissions, inliers, |s| s.sigma_p.get())?,
        breach_probability: median_of(submissions, inliers, |s| s.breach_probability.get())?,
        breach_upper: median_of(submissions, inliers, |s| s.breach_upper.get())?,
        lambda: median_of(submissions, inliers, |s| s.lambda.get())?,
        reference_value: median_of(submissions, inliers, |s| s.reference_value.get())?,
        fee_mint: median_of(submissions, inliers, |s| s.fee_mint.get())?,
        fee_redeem: median_of(submissions, inliers, |s| s.fee_redeem.get())?,
        loan_gamma: median_of(submissions, inliers, |s| s.loan_gamma.get())?,
        loan_theta: median_of(submissions, inliers, |s| s.loan_theta.get())?,
    };
    for asset in 0..assets {
        let price = median_of(submissions, inliers, |s| s.prices[asset].get())?;
        // The confidence covers the median confidence and every inlier's distance.
        let mut confidence = median_of(submissions, inliers, |s| s.confidences[asset].get())?;
        for (index, submission) in submissions.iter().enumerate() {
            if inliers & (1 << index) != 0 {
                let other = submission.prices[asset].get();
                confidence = confidence.max(if other > price { other - price } else { price - other });
            }
        }
        result.prices[asset] = price;
        result.confidences[asset] = confidence;
        result.target_weights[asset] = median_of(submissions, inliers, |s| s.target_weights[asset].get())?;
        result.risk_scores[asset] = median_of(submissions, inliers, |s| s.risk_scores[asset].get())?;
    }
    fit_to_caps(&mut result.target_weights[..assets], caps)?;
    Ok(result)
}

/// Makes `weights`, each within its cap, sum to one within the caps: scaled
/// down when they sum to more, and when they sum to less the shortfall is
/// spread over the room under each cap in proportion to it (so no weight
/// rises past its cap). Each share is rounded down and the last few units
/// go where a cap leaves room. Only when the caps themselves sum to less
/// than one (which no accepted observation allows beyond the sum
/// tolerance) does the last asset end above its cap.
pub fn fit_to_caps(weights: &mut [I80F48], caps: &[I80F48]) -> Result<()> {
    let sum = weights.iter().try_fold(I80F48::ZERO, |sum, w| math::add(sum, *w))?;
    require!(sum > 0, crate::errors::BallastError::InvalidObservation);
    if sum > I80F48::ONE {
        for weight in weights.iter_mut() {
            *weight = math::div_floor(*weight, sum)?;
        }
    } else if sum < I80F48::ONE {
        let shortfall = I80F48::ONE - sum;
        let room = |i: usize, weights: &[I80F48]| (caps[i].min(I80F48::ONE) - weights[i]).max(I80F48::ZERO);
        let total_room = (0..weights.len()).try_fold(I80F48::ZERO, |sum, i| math::add(sum, room(i, weights)))?;
        let share = if total_room > shortfall { math::div_floor(shortfall, total_room)? } else { I80F48::ONE };
        for i in 0..weights.len() {
            let added = math::mul_floor(room(i, weights), share)?;
            weights[i] = math::add(weights[i], added)?;
        }
    }
    // The units rounding left over, wherever a cap leaves room for them.
    let used = weights.iter().try_fold(I80F48::ZERO, |sum, w| math::add(sum, *w))?;
    let mut left = math::sub(I80F48::ONE, used)?.max(I80F48::ZERO);
    for (weight, cap) in weights.iter_mut().zip(caps) {
        let given = left.min((*cap - *weight).max(I80F48::ZERO));
        *weight = math::add(*weight, given)?;
        left -= given;
    }
    if let Some(last) = weights.last_mut() {
        *last = math::add(*last, left)?;
    }
    Ok(())
}

/// Moves `from` toward `to` by `step` in [0, 1] (each summing to one),
/// keeping the sum at one: the last asset takes the remainder.
pub fn step_toward(from: &[I80F48], to: &[I80F48], step: I80F48, into: &mut [I80F48]) -> Result<()> {
    let Some(last) = into.len().checked_sub(1) else {
        return Ok(());
    };
    let mut used = I80F48::ZERO;
    for i in 0..last {
        let moved = (to[i] - from[i]).checked_mul(step).ok_or_else(math::overflow)?;
        into[i] = math::add(from[i], moved)?.max(I80F48::ZERO);
        used = math::add(used, into[i])?;
    }
    into[last] = math::sub(I80F48::ONE, used)?.max(I80F48::ZERO);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::PodFixed;
    use proptest::prelude::*;

    fn fx(x: f64) -> I80F48 {
        I80F48::from_num(x)
    }

    fn submission(price: f64, weight0: f64, fee: f64) -> Submission {
        let mut s = Submission::default();
        s.prices[0] = fx(price).into();
        s.prices[1] = fx(1.0).into();
        s.confidences[0] = fx(price / 1000.0).into();
        s.confidences[1] = fx(0.001).into();
        s.target_weights[0] = fx(weight0).into();
        s.target_weights[1] = fx(1.0 - weight0).into();
        s.fee_mint = PodFixed::from(fx(fee));
        s.fee_redeem = PodFixed::from(fx(fee));
        s
    }

    fn round(entries: &[Submission]) -> ([Submission; MAX_ORACLES], u8) {
        let mut all = [Submission::default(); MAX_ORACLES];
        all[..entries.len()].copy_from_slice(entries);
        (all, (1u16 << entries.len()).wrapping_sub(1) as u8)
    }

    #[test]
    fn the_median_of_an_odd_and_an_even_count() {
        assert_eq!(median(&mut [fx(3.0), fx(1.0), fx(2.0)]).unwrap(), fx(2.0));
        assert_eq!(median(&mut [fx(4.0), fx(1.0), fx(3.0), fx(2.0)]).unwrap(), fx(2.5));
        assert_eq!(median(&mut [fx(7.0)]).unwrap(), fx(7.0));
        assert!(median(&mut []).is_err());
    }

    #[test]
    fn a_liar_is_an_outlier_and_moves_nothing() {
        let (subs, mask) = round(&[submission(100.0, 0.5, 0.001), submission(1_000.0, 0.9, 0.01), submission(101.0, 0.6, 0.002)]);
        let out = outliers(&subs, mask, 2, fx(0.05)).unwrap();
        assert_eq!(out, 0b010);
        let agreed = aggregate(&subs, mask & !out, &[I80F48::ONE, I80F48::ONE]).unwrap();
        assert_eq!(agreed.prices[0], fx(100.5));
        assert!(agreed.confidences[0] >= fx(0.5), "covers the inliers' spread");
        assert_eq!(agreed.target_weights[0] + agreed.target_weights[1], I80F48::ONE);
        assert!((agreed.target_weights[0].to_num::<f64>() - 0.55).abs() < 1e-9);
    }

    #[test]
    fn the_spread_is_relative_to_the_median() {
        let (subs, mask) = round(&[submission(99.0, 0.5, 0.0), submission(100.0, 0.5, 0.0), submission(102.0, 0.5, 0.0)]);
        let spread = spreads(&subs, mask, 1).unwrap()[0];
        assert!((spread.to_num::<f64>() - 0.03).abs() < 1e-9);
    }

    #[test]
    fn stepping_keeps_the_sum_at_one() {
        let (from, to) = ([fx(0.2), fx(0.8)], [fx(0.6), fx(0.4)]);
        let mut into = [I80F48::ZERO; 2];
        step_toward(&from, &to, fx(0.25), &mut into).unwrap();
        assert!((into[0].to_num::<f64>() - 0.3).abs() < 1e-12);
        assert_eq!(into[0] + into[1], I80F48::ONE);
    }

    #[test]
    fn medians_short_of_one_fill_the_room_under_the_caps() {
        // Three proposals within caps of 0.4 whose coordinate-wise medians
        // (0.37, 0.21, 0.26, 0.08) sum to 0.92: scaling them up would put
        // the first at 0.402, above its cap.
        let proposals = [[0.40, 0.19, 0.05, 0.36], [0.33, 0.21, 0.39, 0.07], [0.37, 0.29, 0.26, 0.08]];
        let mut subs = [Submission::default(); MAX_ORACLES];
        for (sub, weights) in subs.iter_mut().zip(proposals) {
            for (i, w) in weights.iter().enumerate() {
                sub.target_weights[i] = fx(*w).into();
                sub.prices[i] = fx(1.0).into();
            }
        }
        let caps = [fx(0.4); 4];
        let agreed = aggregate(&subs, 0b111, &caps).unwrap();
        let weights = &agreed.target_weights[..4];
        assert_eq!(weights.iter().fold(I80F48::ZERO, |s, w| s + *w), I80F48::ONE);
        assert!(weights.iter().all(|w| *w <= fx(0.4)), "{weights:?}");
        // The 0.08 short is spread over the room under the caps (0.68 in all).
        let medians = [0.37, 0.21, 0.26, 0.08];
        for (i, weight) in weights.iter().enumerate() {
            let want = medians[i] + (0.4 - medians[i]) * 0.08 / 0.68;
            assert!((weight.to_num::<f64>() - want).abs() < 1e-9, "asset {i}: {weight} against {want}");
        }
    }

    proptest! {
        #[test]
        fn fitted_weights_sum_to_one_within_their_caps(
            raw in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.0), 1..=MAX_ASSETS),
        ) {
            let caps: Vec<I80F48> = raw.iter().map(|(cap, _)| fx(*cap)).collect();
            let cap_sum: f64 = raw.iter().map(|(cap, _)| cap).sum();
            prop_assume!(cap_sum >= 1.0);
            let mut weights: Vec<I80F48> = raw.iter().map(|(cap, share)| fx(cap * share)).collect();
            prop_assume!(weights.iter().any(|w| *w > 0));
            fit_to_caps(&mut weights, &caps).unwrap();
            prop_assert_eq!(weights.iter().fold(I80F48::ZERO, |s, w| s + *w), I80F48::ONE);
            for (weight, cap) in weights.iter().zip(&caps) {
                prop_assert!(*weight >= 0 && *weight <= *cap, "{} above its cap {}", weight, cap);
            }
        }
    }
}
