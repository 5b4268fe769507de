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
use crate::montecarlo::Scheme;
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
    let terminal = claim
        .gbm()
        .terminal_from_normals(scheme, spot, maturity, normals);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::valuation::{closed_form, Greeks, Payoff, ValuationError};

    fn claim(payoff: Payoff) -> GbmClaim {
        GbmClaim {
            spot: 1.0,
            drift: 0.08,
            sigma: 0.3,
            discount_rate: 0.03,
            maturity: 0.5,
            payoff,
        }
    }

    fn settings(scheme: Scheme, steps: usize, paths: u64) -> MonteCarloSettings {
        MonteCarloSettings {
            seed: 2024,
            paths,
            steps,
            scheme,
            relative_spot_bump: 0.01,
            time_bump: 1.0 / 365.0,
        }
    }

    /// The exact finite differences of the closed form at the bumps the Monte
    /// Carlo uses: what the CRN estimators are unbiased for.
    fn closed_form_differences(claim: &GbmClaim, settings: &MonteCarloSettings) -> Greeks {
        let (s, t) = (claim.spot, claim.maturity);
        let h = settings.relative_spot_bump * s;
        let dt = settings.time_bump;
        let v = |spot, maturity| closed_form(&claim.with_spot(spot).with_maturity(maturity)).value;
        Greeks {
            value: v(s, t),
            delta: (v(s + h, t) - v(s - h, t)) / (2.0 * h),
            gamma: (v(s + h, t) - 2.0 * v(s, t) + v(s - h, t)) / (h * h),
            theta: (v(s, t - dt) - v(s, t)) / dt,
        }
    }

    #[test]
    fn greeks_match_closed_form_within_monte_carlo_error() {
        for payoff in [
            Payoff::Loan,
            Payoff::Call { strike: 1.0 },
            Payoff::Debt { face: 1.05 },
        ] {
            let claim = claim(payoff);
            let settings = settings(Scheme::LogExact, 1, 40_000);
            let mc = monte_carlo_greeks(&claim, &settings).unwrap();
            let differences = closed_form_differences(&claim, &settings);
            let exact = closed_form(&claim);
            for (name, estimate, difference, analytic) in [
                ("value", mc.value, differences.value, exact.value),
                ("delta", mc.delta, differences.delta, exact.delta),
                ("gamma", mc.gamma, differences.gamma, exact.gamma),
                ("theta", mc.theta, differences.theta, exact.theta),
            ] {
                // Unbiased for the finite difference: only Monte Carlo error.
                let mc_error = 4.0 * estimate.standard_error + 1e-9;
                assert!(
                    (estimate.mean - difference).abs() <= mc_error,
                    "{payoff:?} {name}: {estimate:?} vs {difference}"
                );
                // Against the derivative: Monte Carlo error plus the bump's bias.
                let bias = (difference - analytic).abs();
                assert!((estimate.mean - analytic).abs() <= mc_error + bias);
                assert!(
                    bias < 0.02 * analytic.abs() + 1e-9,
                    "{payoff:?} {name}: bumps too coarse"
                );
            }
        }
    }

    #[test]
    fn common_random_numbers_cut_delta_variance() {
        let claim = claim(Payoff::Call { strike: 1.0 });
        let settings = settings(Scheme::LogExact, 1, 20_000);
        let crn = monte_carlo_greeks(&claim, &settings).unwrap().delta;
        // The same estimator with the up and down runs on independent streams.
        let h = settings.relative_spot_bump * claim.spot;
        let independent = average_over_paths(settings.paths, |k| {
            let up = path_normals(settings.seed, 2 * k, 1);
            let down = path_normals(settings.seed, 2 * k + 1, 1);
            let at = |spot, normals: &[f64]| {
                discounted_payoff(&claim, Scheme::LogExact, spot, claim.maturity, normals)
            };
            [(at(claim.spot + h, &up) - at(claim.spot - h, &down)) / (2.0 * h)]
        })
        .estimate(0);
        // Independent draws: variance ≈ Var(payoff) / (2h²), thousands of times
        // the pathwise delta's variance at h = 1%.
        let variance_ratio = (independent.standard_error / crn.standard_error).powi(2);
        assert!(variance_ratio > 100.0, "ratio {variance_ratio}");
        assert!((independent.mean - crn.mean).abs() < 4.0 * independent.standard_error);
    }

    #[test]
    fn euler_and_milstein_means_match_their_discrete_closed_form() {
        // Each Euler or Milstein step multiplies E[S] by (1 + mu dt) exactly.
        let claim = claim(Payoff::Loan);
        let steps = 20;
        let dt = claim.maturity / steps as f64;
        let expected =
            claim.spot * (1.0 + claim.drift * dt).powi(steps as i32) * claim.discount_factor();
        for scheme in [Scheme::EulerMaruyama, Scheme::Milstein] {
            let value = monte_carlo_greeks(&claim, &settings(scheme, steps, 20_000))
                .unwrap()
                .value;
            assert!(
                (value.mean - expected).abs() < 4.0 * value.standard_error,
                "{scheme:?}"
            );
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let claim = claim(Payoff::Call { strike: 1.0 });
        let settings = settings(Scheme::LogExact, 1, 5_000);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| monte_carlo_greeks(&claim, &settings).unwrap())
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn bad_settings_are_rejected() {
        let claim = claim(Payoff::Loan);
        let mut s = settings(Scheme::LogExact, 1, 100);
        s.time_bump = 1.0;
        assert!(matches!(
            monte_carlo_greeks(&claim, &s),
            Err(ValuationError::InvalidParameter {
                name: "time_bump",
                ..
            })
        ));
    }
}
