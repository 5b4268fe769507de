//! Confidence intervals for a binomial proportion (k successes in n trials),
//! used for Monte Carlo probabilities such as P(CR < 1).

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::beta::beta_reg;

use super::error::{require, McError};

/// A two-sided confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl Interval {
    /// Whether `value` lies in the closed interval.
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }
}

fn check(successes: u64, trials: u64, confidence: f64) -> Result<(), McError> {
    require(trials > 0, "trials", trials as f64, "positive")?;
    require(
        successes <= trials,
        "successes",
        successes as f64,
        "at most the number of trials",
    )?;
    require(
        confidence > 0.0 && confidence < 1.0,
        "confidence",
        confidence,
        "in (0, 1)",
    )
}

/// Two-sided normal quantile z with P(|Z| <= z) = `confidence`.
fn two_sided_z(confidence: f64) -> f64 {
    Normal::standard().inverse_cdf(0.5 + 0.5 * confidence)
}

/// Wilson score interval: the p for which |p̂ - p| <= z sqrt(p (1 - p) / n),
/// i.e. centre (p̂ + z²/2n) / (1 + z²/n) and half-width
/// z / (1 + z²/n) sqrt(p̂ (1 - p̂)/n + z²/4n²). Good coverage even near 0.
pub fn wilson_interval(successes: u64, trials: u64, confidence: f64) -> Result<Interval, McError> {
    check(successes, trials, confidence)?;
    let (n, z) = (trials as f64, two_sided_z(confidence));
    let p = successes as f64 / n;
    let shrink = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / shrink;
    let half = z / shrink * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    Ok(Interval {
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
    })
}

/// The `p`-quantile of Beta(a, b), a, b > 0, by bisection on the regularised
/// incomplete beta function to full f64 precision. (statrs' `inverse_cdf` is
/// off by ~1e-3 relative for shapes like (3, 1e6), i.e. rare breaches in
/// many paths.)
fn beta_quantile(a: f64, b: f64, p: f64) -> f64 {
    let (mut low, mut high) = (0.0f64, 1.0f64);
    loop {
        let middle = 0.5 * (low + high);
        if middle <= low || middle >= high {
            return middle;
        }
        if beta_reg(a, b, middle) < p {
            low = middle;
        } else {
            high = middle;
        }
    }
}

/// Clopper–Pearson ("exact") interval from beta quantiles:
/// lower = B⁻¹(a/2; k, n-k+1), upper = B⁻¹(1-a/2; k+1, n-k), a = 1 - confidence,
/// with lower = 0 when k = 0 and upper = 1 when k = n. Conservative: coverage
/// is at least `confidence` for every p.
pub fn clopper_pearson_interval(
    successes: u64,
    trials: u64,
    confidence: f64,
) -> Result<Interval, McError> {
    check(successes, trials, confidence)?;
    let (k, n) = (successes as f64, trials as f64);
    let tail = 0.5 * (1.0 - confidence);
    let lower = if successes == 0 {
        0.0
    } else {
        beta_quantile(k, n - k + 1.0, tail)
    };
    let upper = if successes == trials {
        1.0
    } else {
        beta_quantile(k + 1.0, n - k, 1.0 - tail)
    };
    Ok(Interval { lower, upper })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(interval: Interval, lower: f64, upper: f64, tolerance: f64) -> bool {
        (interval.lower - lower).abs() < tolerance && (interval.upper - upper).abs() < tolerance
    }

    #[test]
    fn published_values() {
        // Newcombe (1998), Stat. Med. 17, Table I, 95% intervals (4 decimals).
        let cases = [
            (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
            (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
        ];
        for (k, n, wilson, exact) in cases {
            let w = wilson_interval(k, n, 0.95).unwrap();
            assert!(close(w, wilson.0, wilson.1, 6e-5), "Wilson {k}/{n}: {w:?}");
            let cp = clopper_pearson_interval(k, n, 0.95).unwrap();
            assert!(
                close(cp, exact.0, exact.1, 6e-5),
                "Clopper-Pearson {k}/{n}: {cp:?}"
            );
        }
    }

    #[test]
    fn closed_forms_at_the_boundaries() {
        // k = 0: CP upper = 1 - (a/2)^(1/n); Wilson upper = (z²/n) / (1 + z²/n).
        let (n, a) = (10u64, 0.05);
        let cp = clopper_pearson_interval(0, n, 0.95).unwrap();
        assert_eq!(cp.lower, 0.0);
        assert!((cp.upper - (1.0 - (a / 2.0f64).powf(1.0 / n as f64))).abs() < 1e-10);
        let z2 = 1.959_963_984_540_054f64.powi(2);
        let w = wilson_interval(0, n, 0.95).unwrap();
        assert!(w.lower.abs() < 1e-15);
        assert!((w.upper - (z2 / n as f64) / (1.0 + z2 / n as f64)).abs() < 1e-12);
        // k = n mirrors k = 0.
        let full = clopper_pearson_interval(n, n, 0.95).unwrap();
        assert!((full.lower - (a / 2.0f64).powf(1.0 / n as f64)).abs() < 1e-10);
        assert_eq!(full.upper, 1.0);
    }

    #[test]
    fn clopper_pearson_matches_poisson_limit_for_rare_breaches() {
        // Rare events in many paths: the exact bounds tend to the Poisson ones,
        // chi²_{a/2}(2k) / 2n and chi²_{1-a/2}(2k + 2) / 2n (Garwood).
        use statrs::distribution::ChiSquared;
        let (k, n) = (3u64, 1_000_000u64);
        let cp = clopper_pearson_interval(k, n, 0.95).unwrap();
        let lower = ChiSquared::new(2.0 * k as f64).unwrap().inverse_cdf(0.025) / (2.0 * n as f64);
        let upper = ChiSquared::new(2.0 * k as f64 + 2.0)
            .unwrap()
            .inverse_cdf(0.975)
            / (2.0 * n as f64);
        assert!(
            (cp.lower / lower - 1.0).abs() < 1e-4,
            "{} vs {lower}",
            cp.lower
        );
        assert!(
            (cp.upper / upper - 1.0).abs() < 1e-4,
            "{} vs {upper}",
            cp.upper
        );
    }

    #[test]
    fn clopper_pearson_bounds_solve_the_binomial_tail_equations() {
        // The defining equations P(X >= k; p_L) = a/2 and P(X <= k; p_U) = a/2,
        // checked by summing binomial terms directly (log-gamma), which is
        // independent of the incomplete beta function used to solve them.
        use statrs::function::gamma::ln_gamma;
        let tail = |n: u64, p: f64, range: std::ops::RangeInclusive<u64>| -> f64 {
            let ln_n = ln_gamma(n as f64 + 1.0);
            range
                .map(|j| {
                    let (j, n) = (j as f64, n as f64);
                    (ln_n - ln_gamma(j + 1.0) - ln_gamma(n - j + 1.0)
                        + j * p.ln()
                        + (n - j) * (-p).ln_1p())
                    .exp()
                })
                .sum()
        };
        for (k, n) in [(3u64, 1_000_000u64), (81, 263), (100_000, 1_000_000)] {
            let cp = clopper_pearson_interval(k, n, 0.95).unwrap();
            // Terms beyond 40 000 of k are below 1e-300 here.
            let above = tail(n, cp.lower, k..=n.min(k + 40_000));
            let below = tail(n, cp.upper, k.saturating_sub(40_000)..=k);
            assert!(
                (above - 0.025).abs() < 1e-7,
                "{k}/{n}: P(X >= k; p_L) = {above}"
            );
            assert!(
                (below - 0.025).abs() < 1e-7,
                "{k}/{n}: P(X <= k; p_U) = {below}"
            );
        }
    }

    #[test]
    fn clopper_pearson_coverage_is_at_least_nominal() {
        // Exact coverage sum_k P(k; n, p) 1{p in CP(k)} >= confidence for every p
        // (the defining property); Wilson's is close to nominal on average.
        use statrs::distribution::{Binomial, Discrete};
        let n = 40u64;
        let intervals: Vec<(Interval, Interval)> = (0..=n)
            .map(|k| {
                (
                    clopper_pearson_interval(k, n, 0.95).unwrap(),
                    wilson_interval(k, n, 0.95).unwrap(),
                )
            })
            .collect();
        let mut wilson_total = 0.0;
        let grid: Vec<f64> = (1..100).map(|i| i as f64 / 100.0).collect();
        for &p in &grid {
            let binomial = Binomial::new(p, n).unwrap();
            let coverage = |pick: fn(&(Interval, Interval)) -> Interval| -> f64 {
                (0..=n)
                    .filter(|&k| pick(&intervals[k as usize]).contains(p))
                    .map(|k| binomial.pmf(k))
                    .sum()
            };
            assert!(coverage(|pair| pair.0) >= 0.95 - 1e-12, "p = {p}");
            wilson_total += coverage(|pair| pair.1);
        }
        let wilson_average = wilson_total / grid.len() as f64;
        assert!(
            (wilson_average - 0.95).abs() < 0.01,
            "Wilson average coverage {wilson_average}"
        );
    }

    #[test]
    fn rejects_impossible_counts_and_levels() {
        assert!(wilson_interval(3, 2, 0.95).is_err());
        assert!(clopper_pearson_interval(0, 0, 0.95).is_err());
        assert!(wilson_interval(1, 2, 1.0).is_err());
    }
}
