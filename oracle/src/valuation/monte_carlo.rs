//! Monte Carlo value and finite-difference Greeks with common random numbers.
//!
//! Path k draws its normals from `rng::stream(seed, k)`; the bumped runs
//! (S_0 ± h, and T − dT for theta) reuse the same normals, so the differences
//! carry little noise. Paths are split in fixed chunks summed in order, so the
//! result is identical for any rayon thread count.

use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::claim::GbmClaim;
use super::error::{require, ValuationError};
use super::gbm::Scheme;
use crate::rng;

const CHUNK: u64 = 1024;

/// Simulation settings for `monte_carlo_greeks`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonteCarloSettings {
    pub seed: u64,
    /// Number of paths, ≥ 2.
    pub paths: u64,
    /// Time steps per path, ≥ 1 (one suffices for `LogExact`).
    pub steps: usize,
    pub scheme: Scheme,
    /// Spot bump h as a fraction of S_0, in (0, 1).
    pub relative_spot_bump: f64,
    /// Maturity bump for theta in years, in (0, T).
    pub time_bump: f64,
}

/// A Monte Carlo mean and its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub standard_error: f64,
}

/// Value and Greeks estimated by Monte Carlo; theta is ∂V/∂t = −∂V/∂T.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MonteCarloGreeks {
    pub value: Estimate,
    pub delta: Estimate,
    pub gamma: Estimate,
    pub theta: Estimate,
}

impl MonteCarloSettings {
    pub fn validate(&self, claim: &GbmClaim) -> Result<(), ValuationError> {
        require(
            "paths",
            self.paths as f64,
            self.paths >= 2,
            "need at least 2 paths",
        )?;
        require(
            "steps",
            self.steps as f64,
            self.steps >= 1,
            "need at least 1 step",
        )?;
        let h = self.relative_spot_bump;
        require(
            "relative_spot_bump",
            h,
            h > 0.0 && h < 1.0,
            "must be in (0, 1)",
        )?;
        let dt = self.time_bump;
        require(
            "time_bump",
            dt,
            dt > 0.0 && dt < claim.maturity,
            "must be in (0, maturity)",
        )
    }
}

/// Running sums of per-path samples for K estimators.
#[derive(Clone, Copy)]
pub(crate) struct Moments<const K: usize> {
    count: u64,
    sum: [f64; K],
    sum_sq: [f64; K],
}

impl<const K: usize> Moments<K> {
    fn new() -> Self {
        Self {
            count: 0,
            sum: [0.0; K],
            sum_sq: [0.0; K],
        }
    }

    fn add(mut self, sample: [f64; K]) -> Self {
        self.count += 1;
        for (k, x) in sample.iter().enumerate() {
            self.sum[k] += x;
            self.sum_sq[k] += x * x;
        }
        self
    }

    fn merge(mut self, other: Self) -> Self {
        self.count += other.count;
        for k in 0..K {
            self.sum[k] += other.sum[k];
            self.sum_sq[k] += other.sum_sq[k];
        }
        self
    }

    pub(crate) fn estimate(&self, k: usize) -> Estimate {
        let n = self.count as f64;
        let mean = self.sum[k] / n;
        let variance = ((self.sum_sq[k] - n * mean * mean) / (n - 1.0)).max(0.0);
        Estimate {
            mean,
            standard_error: (variance / n).sqrt(),
        }
    }
}

/// Averages `sample(k)` over paths k in 0..paths, deterministically for any thread count.
pub(crate) fn average_over_paths<const K: usize>(
    paths: u64,
    sample: impl Fn(u64) -> [f64; K] + Sync,
) -> Moments<K> {
    let chunks: Vec<Moments<K>> = (0..paths.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            (c * CHUNK..((c + 1) * CHUNK).min(paths))
                .fold(Moments::new(), |acc, k| acc.add(sample(k)))
        })
        .collect();
    chunks.into_iter().fold(Moments::new(), Moments::merge)
}

/// `count` standard normals from stream k of `seed`.
pub(crate) fn path_normals(seed: u64, k: u64, count: usize) -> Vec<f64> {
    let mut stream = rng::stream(seed, k);
    (0..count)
        .map(|_| StandardNormal.sample(&mut stream))
        .collect()
}

/// Discounted payoff of the claim from `spot` over `maturity` along `normals`.
pub(crate) fn discounted_payoff(
    claim: &GbmClaim,
    scheme: Scheme,
    spot: f64,
    maturity: f64,
    normals: &[f64],
) -> f64 {
    let terminal = scheme.terminal(spot, claim.drift, claim.sigma, maturity, normals);
    (-claim.discount_rate * maturity).exp() * claim.payoff.at(terminal)
}

/// e^{−rT} E[payoff(S_T)] under the claim's drift, with delta and gamma by
/// central differences in S_0 and theta by a backward difference in T, all
/// with common random numbers.
pub fn monte_carlo_greeks(
    claim: &GbmClaim,
    settings: &MonteCarloSettings,
) -> Result<MonteCarloGreeks, ValuationError> {
    claim.validate()?;
    settings.validate(claim)?;
    let (s, t) = (claim.spot, claim.maturity);
    let h = settings.relative_spot_bump * s;
    let dt = settings.time_bump;
    let moments = average_over_paths(settings.paths, |k| {
        let normals = path_normals(settings.seed, k, settings.steps);
        let at =
            |spot, maturity| discounted_payoff(claim, settings.scheme, spot, maturity, &normals);
        let (up, mid, down) = (at(s + h, t), at(s, t), at(s - h, t));
        let earlier = at(s, t - dt);
        [
            mid,
            (up - down) / (2.0 * h),
            (up - 2.0 * mid + down) / (h * h),
            (earlier - mid) / dt,
        ]
    });
    Ok(MonteCarloGreeks {
        value: moments.estimate(0),
        delta: moments.estimate(1),
        gamma: moments.estimate(2),
        theta: moments.estimate(3),
    })
}
