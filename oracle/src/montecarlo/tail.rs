//! Tail risk from Monte Carlo samples: value at risk and expected shortfall
//! of a loss, and a histogram.

use serde::Serialize;

use super::error::{require, McError};

/// VaR and ES of a loss at one level.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TailRisk {
    /// Level alpha, e.g. 0.99.
    pub level: f64,
    /// Value at risk: the alpha-quantile of the loss.
    pub value_at_risk: f64,
    /// Expected shortfall: mean loss in the worst 1 - alpha of outcomes.
    pub expected_shortfall: f64,
}

/// VaR and ES at `level` of the empirical loss distribution of `losses`
/// (reordered in place; O(n)).
///
/// With tail mass m = n (1 - alpha), VaR is the smallest loss l with
/// P(L <= l) >= alpha, the order statistic L_(n - ⌊m⌋) (1-based, ascending).
/// ES is (1/(1-alpha)) ∫_alpha^1 VaR_u du over the empirical quantile function
/// (Acerbi–Tasche): the ⌊m⌋ largest losses plus the fraction m - ⌊m⌋ of VaR,
/// divided by m; equivalently VaR + E[(L - VaR)⁺] / (1 - alpha), the
/// Rockafellar–Uryasev form the minimum-ES allocation optimises.
pub fn tail_risk(losses: &mut [f64], level: f64) -> Result<TailRisk, McError> {
    let n = losses.len();
    require(n > 0, "number of losses", 0.0, "positive")?;
    require(level > 0.0 && level < 1.0, "tail level", level, "in (0, 1)")?;
    require(
        losses.iter().all(|l| !l.is_nan()),
        "loss",
        f64::NAN,
        "a number",
    )?;
    let mass = tail_mass(level, n);
    let whole = (mass.floor() as usize).min(n - 1);
    let (_, &mut value_at_risk, worse) =
        losses.select_nth_unstable_by(n - 1 - whole, f64::total_cmp);
    let tail_sum = worse.iter().sum::<f64>() + (mass - whole as f64) * value_at_risk;
    Ok(TailRisk {
        level,
        value_at_risk,
        expected_shortfall: tail_sum / mass,
    })
}

/// n (1 - alpha), rounded when it is an integer up to rounding error, so that
/// e.g. alpha = 0.9 over 20 losses leaves exactly two in the tail.
pub fn tail_mass(level: f64, n: usize) -> f64 {
    let mass = (1.0 - level) * n as f64;
    if (mass - mass.round()).abs() < 1e-9 {
        mass.round()
    } else {
        mass
    }
}

/// Counts of samples in equal-width bins.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Histogram {
    /// Bin edges, one more than bins; the last bin includes its upper edge.
    pub edges: Vec<f64>,
    /// Samples per bin.
    pub counts: Vec<u64>,
}

impl Histogram {
    /// `bins` equal bins from the smallest to the largest finite sample
    /// (non-finite samples are left out).
    pub fn from_samples(samples: &[f64], bins: usize) -> Result<Self, McError> {
        require(bins > 0, "histogram bins", bins as f64, "positive")?;
        let finite = || samples.iter().copied().filter(|s| s.is_finite());
        let low = finite().fold(f64::INFINITY, f64::min);
        let high = finite().fold(f64::NEG_INFINITY, f64::max);
        require(low <= high, "finite samples", 0.0, "at least one")?;
        let width = if high > low {
            (high - low) / bins as f64
        } else {
            1.0
        };
        let mut counts = vec![0u64; bins];
        for sample in finite() {
            let bin = (((sample - low) / width) as usize).min(bins - 1);
            counts[bin] += 1;
        }
        let edges = (0..=bins).map(|b| low + b as f64 * width).collect();
        Ok(Self { edges, counts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use rand::Rng;
    use rand_distr::StandardNormal;
    use statrs::distribution::{Continuous, ContinuousCDF, Normal};

    #[test]
    fn normal_loss_matches_closed_forms_within_monte_carlo_error() {
        let (mean, sd, n) = (2.0, 3.0, 200_000usize);
        let mut rng = stream(17, 0);
        let mut losses: Vec<f64> = (0..n)
            .map(|_| mean + sd * rng.sample::<f64, _>(StandardNormal))
            .collect();
        let standard = Normal::standard();
        for level in [0.95, 0.99] {
            let q = standard.inverse_cdf(level);
            let density = standard.pdf(q);
            let var = mean + sd * q;
            let tail_mean = density / (1.0 - level); // E[Z | Z > q]
            let es = mean + sd * tail_mean;
            // Asymptotic s.d.: quantile sqrt(a(1-a)/n)/f(q); ES
            // sqrt((Var[L | L > VaR] + a (ES - VaR)²) / (n (1 - a))).
            let var_se = sd * (level * (1.0 - level) / n as f64).sqrt() / density;
            let tail_variance = 1.0 + q * tail_mean - tail_mean * tail_mean;
            let es_se = sd
                * ((tail_variance + level * (tail_mean - q).powi(2)) / (n as f64 * (1.0 - level)))
                    .sqrt();
            let risk = tail_risk(&mut losses, level).unwrap();
            assert!(
                (risk.value_at_risk - var).abs() < 4.0 * var_se,
                "VaR {level}: {} vs {var}",
                risk.value_at_risk
            );
            assert!(
                (risk.expected_shortfall - es).abs() < 4.0 * es_se,
                "ES {level}: {} vs {es}",
                risk.expected_shortfall
            );
        }
    }

    #[test]
    fn small_samples_follow_the_definitions() {
        // n = 10, alpha = 0.75: VaR = L_(8); m = 2.5 -> ES = (L_10 + L_9 + 0.5 L_8) / 2.5.
        let mut losses: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        let risk = tail_risk(&mut losses, 0.75).unwrap();
        assert_eq!(risk.value_at_risk, 8.0);
        assert!((risk.expected_shortfall - (10.0 + 9.0 + 4.0) / 2.5).abs() < 1e-12);
        // alpha so high that the tail is a fraction of one sample: ES = max.
        let risk = tail_risk(&mut losses, 0.99).unwrap();
        assert_eq!((risk.value_at_risk, risk.expected_shortfall), (10.0, 10.0));
        // 20 losses, alpha = 0.9: the tail is exactly the two worst, 19 and 20.
        let mut losses: Vec<f64> = (1..=20).map(f64::from).collect();
        let risk = tail_risk(&mut losses, 0.9).unwrap();
        assert_eq!(risk.value_at_risk, 18.0);
        assert_eq!(risk.expected_shortfall, 19.5);
        // ES is VaR + E[(L - VaR)⁺] / (1 - alpha) at any level.
        for level in [0.5, 0.8, 0.875, 0.93, 0.97] {
            let risk = tail_risk(&mut losses, level).unwrap();
            let excess: f64 = losses
                .iter()
                .map(|l| (l - risk.value_at_risk).max(0.0))
                .sum();
            let rockafellar_uryasev = risk.value_at_risk + excess / (20.0 * (1.0 - level));
            assert!(
                (risk.expected_shortfall - rockafellar_uryasev).abs() < 1e-12,
                "{level}"
            );
        }
        assert!(tail_risk(&mut [], 0.9).is_err());
        assert!(tail_risk(&mut [1.0], 1.0).is_err());
    }

    #[test]
    fn histogram_counts_every_sample_once() {
        let samples = [0.0, 0.1, 0.5, 0.99, 1.0, f64::NAN];
        let histogram = Histogram::from_samples(&samples, 2).unwrap();
        assert_eq!(histogram.edges, vec![0.0, 0.5, 1.0]);
        assert_eq!(histogram.counts, vec![2, 3]);
        assert_eq!(
            Histogram::from_samples(&[2.0, 2.0], 3).unwrap().counts,
            vec![2, 0, 0]
        );
    }
}
