//! Turning a round's observations into one update: pure functions of the
//! submissions, with their tests beside them.
//!
//! Prices are the median of the inliers, their confidence covers the
//! inliers' spread, the risk figures and the policy are medians too (the
//! target weights coordinate-wise, then normalised), so that fewer than half
//! of the observations can move nothing outside the honest range.

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
    /// Coordinate-wise medians, normalised to sum to one exactly.
    pub target_weights: [I80F48; MAX_ASSETS],
    pub sigma_p: I80F48,
    pub breach_probability: I80F48,
    pub breach_lower: I80F48,
    pub breach_upper: I80F48,
    pub lambda: I80F48,
    pub reference_value: I80F48,
    pub fee_mint: I80F48,
    pub fee_redeem: I80F48,
}

/// Aggregates the submissions in `inliers` over the first `assets` assets.
pub fn aggregate(submissions: &[Submission; MAX_ORACLES], inliers: u8, assets: usize) -> Result<Aggregate> {
    let mut result = Aggregate {
        prices: [I80F48::ZERO; MAX_ASSETS],
        confidences: [I80F48::ZERO; MAX_ASSETS],
        target_weights: [I80F48::ZERO; MAX_ASSETS],
        sigma_p: median_of(submissions, inliers, |s| s.sigma_p.get())?,
        breach_probability: median_of(submissions, inliers, |s| s.breach_probability.get())?,
        breach_lower: median_of(submissions, inliers, |s| s.breach_lower.get())?,
        breach_upper: median_of(submissions, inliers, |s| s.breach_upper.get())?,
        lambda: median_of(submissions, inliers, |s| s.lambda.get())?,
        reference_value: median_of(submissions, inliers, |s| s.reference_value.get())?,
        fee_mint: median_of(submissions, inliers, |s| s.fee_mint.get())?,
        fee_redeem: median_of(submissions, inliers, |s| s.fee_redeem.get())?,
    };
    let mut weight_sum = I80F48::ZERO;
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
        weight_sum = math::add(weight_sum, result.target_weights[asset])?;
    }
    normalise(&mut result.target_weights[..assets], weight_sum)?;
    Ok(result)
}

/// Scales `weights` (summing to `sum` > 0) to sum to one: each rounded
/// down, the last taking the remainder.
fn normalise(weights: &mut [I80F48], sum: I80F48) -> Result<()> {
    require!(sum > 0, crate::errors::BallastError::InvalidObservation);
    let Some((last, rest)) = weights.split_last_mut() else {
        return Ok(());
    };
    let mut used = I80F48::ZERO;
    for weight in rest.iter_mut() {
        *weight = math::div_floor(*weight, sum)?;
        used = math::add(used, *weight)?;
    }
    *last = math::sub(I80F48::ONE, used)?.max(I80F48::ZERO);
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
        let agreed = aggregate(&subs, mask & !out, 2).unwrap();
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
}
