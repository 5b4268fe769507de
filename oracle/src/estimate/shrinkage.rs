//! Ledoit–Wolf shrinkage of the sample covariance toward a structured target
//! with the optimal (asymptotically oracle) intensity:
//!
//! * scaled identity: Ledoit & Wolf (2004), "A well-conditioned estimator for
//!   large-dimensional covariance matrices", J. Multivariate Anal. 88;
//! * constant correlation: Ledoit & Wolf (2004), "Honey, I shrunk the sample
//!   covariance matrix", J. Portfolio Management 30 (their `covCor.m`).
//!
//! Both use the maximum-likelihood sample covariance `S = X^T X / T` of the
//! de-meaned returns `X`, as the papers do.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::error::EstimateError;
use super::moments::{check_returns, demeaned, Moments};

/// Matrix the sample covariance is shrunk toward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShrinkageTarget {
    /// `m I`, with `m` the average sample variance.
    ScaledIdentity,
    /// Sample variances with every correlation set to the average one.
    ConstantCorrelation,
}

/// A shrunk covariance estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Shrunk {
    /// Sample mean and shrunk covariance `delta F + (1 - delta) S`.
    pub moments: Moments,
    /// The intensity `delta` in [0, 1].
    pub intensity: f64,
}

/// Ledoit–Wolf estimate of the covariance of `returns` (`T x n`, one row per
/// period), toward `target`.
pub fn ledoit_wolf(
    returns: &DMatrix<f64>,
    target: ShrinkageTarget,
) -> Result<Shrunk, EstimateError> {
    check_returns("Ledoit-Wolf covariance", returns, 2)?;
    let (mean, centred) = demeaned(returns);
    let sample = centred.tr_mul(&centred) / centred.nrows() as f64;
    let (prior, intensity) = match target {
        ShrinkageTarget::ScaledIdentity => toward_scaled_identity(&centred, &sample),
        ShrinkageTarget::ConstantCorrelation => toward_constant_correlation(&centred, &sample),
    };
    let covariance = &prior * intensity + sample * (1.0 - intensity);
    Ok(Shrunk {
        moments: Moments { mean, covariance },
        intensity,
    })
}

/// Target `m I` and intensity `min(b̄², d²) / d²` with `d² = ||S - m I||²`
/// and `b̄² = T^-2 sum_t ||x_t x_t^T - S||²` (Frobenius norms; the paper's
/// `1/n` normalisation cancels in the ratio).
fn toward_scaled_identity(centred: &DMatrix<f64>, sample: &DMatrix<f64>) -> (DMatrix<f64>, f64) {
    let (periods, n) = centred.shape();
    let average_variance = sample.trace() / n as f64;
    let prior = DMatrix::identity(n, n) * average_variance;
    let dispersion = (sample - &prior).norm_squared();
    let sample_norm = sample.norm_squared();
    // ||x x^T - S||² = ||x||⁴ - 2 x^T S x + ||S||², without forming x x^T.
    let estimation_error: f64 = centred
        .row_iter()
        .map(|row| {
            let x = row.transpose();
            x.norm_squared().powi(2) - 2.0 * (sample * &x).dot(&x) + sample_norm
        })
        .sum::<f64>()
        / (periods as f64).powi(2);
    let intensity = if dispersion > 0.0 {
        estimation_error.min(dispersion) / dispersion
    } else {
        1.0 // S is already the target
    };
    (prior, intensity)
}

/// Target: variances `s_ii`, covariances `r̄ sqrt(s_ii s_jj)`; intensity
/// `max(0, min(1, (pi - rho) / (gamma T)))` as in `covCor.m`. Assets with
/// zero sample variance (cash) have no correlation: they are left out of
/// `r̄`, and their target covariances are 0 whatever `r̄` is, so they add
/// nothing to `rho`'s off-diagonal part.
fn toward_constant_correlation(
    centred: &DMatrix<f64>,
    sample: &DMatrix<f64>,
) -> (DMatrix<f64>, f64) {
    let (periods, n) = centred.shape();
    let t = periods as f64;
    let sd: DVector<f64> = sample.diagonal().map(f64::sqrt);
    let varying = |i: usize| sd[i] > 0.0;

    let (correlation_sum, pairs) = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .filter(|&(i, j)| i != j && varying(i) && varying(j))
        .fold((0.0, 0usize), |(sum, count), (i, j)| {
            (sum + sample[(i, j)] / (sd[i] * sd[j]), count + 1)
        });
    let average_correlation = if pairs > 0 {
        correlation_sum / pairs as f64
    } else {
        0.0
    };
    let prior = DMatrix::from_fn(n, n, |i, j| match i == j {
        true => sample[(i, i)],
        false => average_correlation * sd[i] * sd[j],
    });

    // pi_ij = T^-1 sum_t (x_ti x_tj - s_ij)²; theta_ij = T^-1 sum_t x_ti³ x_tj - s_ii s_ij.
    let squares = centred.map(|x| x * x);
    let cubes = centred.map(|x| x * x * x);
    let fourth_cross = squares.tr_mul(&squares) / t;
    let pi = DMatrix::from_fn(n, n, |i, j| fourth_cross[(i, j)] - sample[(i, j)].powi(2));
    let cube_cross = cubes.tr_mul(centred) / t;
    let theta = |i: usize, j: usize| cube_cross[(i, j)] - sample[(i, i)] * sample[(i, j)];

    let mut rho = pi.trace();
    for i in (0..n).filter(|&i| varying(i)) {
        for j in (0..n).filter(|&j| j != i) {
            rho += average_correlation * sd[j] / sd[i] * theta(i, j);
        }
    }
    let gamma = (sample - &prior).norm_squared();
    let intensity = if gamma > 0.0 {
        ((pi.sum() - rho) / (gamma * t)).clamp(0.0, 1.0)
    } else {
        0.0 // S is already the target
    };
    (prior, intensity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use rand_distr::{Distribution, StandardNormal};

    /// `periods` i.i.d. N(0, covariance) rows drawn from a fixed stream.
    fn gaussian_sample(covariance: &DMatrix<f64>, periods: usize, seed: u64) -> DMatrix<f64> {
        let n = covariance.nrows();
        let factor = covariance
            .clone()
            .cholesky()
            .expect("positive definite")
            .l();
        let mut rng = stream(seed, 0);
        let z = DMatrix::<f64>::from_fn(periods, n, |_, _| StandardNormal.sample(&mut rng));
        z * factor.transpose()
    }

    fn known_covariance() -> DMatrix<f64> {
        let sd = [0.02, 0.03, 0.05, 0.01];
        let rho = DMatrix::from_row_slice(
            4,
            4,
            &[
                1.0, 0.6, 0.4, 0.1, //
                0.6, 1.0, 0.5, 0.0, //
                0.4, 0.5, 1.0, -0.2, //
                0.1, 0.0, -0.2, 1.0,
            ],
        );
        DMatrix::from_fn(4, 4, |i, j| rho[(i, j)] * sd[i] * sd[j])
    }

    const TARGETS: [ShrinkageTarget; 2] = [
        ShrinkageTarget::ScaledIdentity,
        ShrinkageTarget::ConstantCorrelation,
    ];

    #[test]
    fn intensity_in_unit_interval_and_positive_definite_when_sample_is_singular() {
        // 30 assets, 12 periods: the sample covariance has rank 11.
        let covariance = DMatrix::from_fn(30, 30, |i, j| if i == j { 1e-4 } else { 3e-5 });
        let returns = gaussian_sample(&covariance, 12, 5);
        let (_, centred) = demeaned(&returns);
        let sample = centred.tr_mul(&centred) / 12.0;
        assert!(
            sample.clone().cholesky().is_none(),
            "sample should be singular"
        );
        for target in TARGETS {
            let shrunk = ledoit_wolf(&returns, target).unwrap();
            assert!(
                (0.0..=1.0).contains(&shrunk.intensity),
                "{target:?}: {}",
                shrunk.intensity
            );
            assert!(shrunk.intensity > 0.0);
            let eigen = shrunk.moments.covariance.symmetric_eigenvalues();
            assert!(
                eigen.min() > 0.0,
                "{target:?}: min eigenvalue {}",
                eigen.min()
            );
        }
    }

    #[test]
    fn recovers_known_covariance_within_sampling_error() {
        let truth = known_covariance();
        let periods = 4000;
        let returns = gaussian_sample(&truth, periods, 11);
        for target in TARGETS {
            let shrunk = ledoit_wolf(&returns, target).unwrap();
            for i in 0..4 {
                for j in 0..4 {
                    // Gaussian sampling s.d. of a covariance entry: sqrt((s_ii s_jj + s_ij²) / T).
                    let se = ((truth[(i, i)] * truth[(j, j)] + truth[(i, j)].powi(2))
                        / periods as f64)
                        .sqrt();
                    let error = shrunk.moments.covariance[(i, j)] - truth[(i, j)];
                    assert!(
                        error.abs() < 4.0 * se,
                        "{target:?} ({i},{j}): error {error:e}, se {se:e}"
                    );
                }
            }
            // With T >> n the data outweigh the prior.
            assert!(shrunk.intensity < 0.05, "{target:?}: {}", shrunk.intensity);
        }
    }

    #[test]
    fn shrinks_more_with_fewer_observations() {
        let truth = known_covariance();
        for target in TARGETS {
            let few = ledoit_wolf(&gaussian_sample(&truth, 20, 3), target)
                .unwrap()
                .intensity;
            let many = ledoit_wolf(&gaussian_sample(&truth, 2000, 3), target)
                .unwrap()
                .intensity;
            assert!(few > many, "{target:?}: {few} <= {many}");
        }
    }

    #[test]
    fn constant_correlation_target_keeps_variances_and_ignores_cash() {
        let mut returns = gaussian_sample(&known_covariance(), 50, 9);
        returns.column_mut(3).fill(0.0); // cash
        let shrunk = ledoit_wolf(&returns, ShrinkageTarget::ConstantCorrelation).unwrap();
        let (_, centred) = demeaned(&returns);
        let sample = centred.tr_mul(&centred) / 50.0;
        for i in 0..4 {
            assert!((shrunk.moments.covariance[(i, i)] - sample[(i, i)]).abs() < 1e-15);
        }
        assert_eq!(
            shrunk
                .moments
                .covariance
                .row(3)
                .iter()
                .filter(|v| **v != 0.0)
                .count(),
            0
        );
        assert!(shrunk.moments.covariance.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn identity_intensity_matches_direct_formula() {
        // Independent restatement of b̄²/d² with explicit outer products.
        let returns = gaussian_sample(&known_covariance(), 15, 21);
        let (_, x) = demeaned(&returns);
        let s = x.tr_mul(&x) / 15.0;
        let m = s.trace() / 4.0;
        let d2 = (&s - DMatrix::<f64>::identity(4, 4) * m).norm_squared();
        let b2: f64 = x
            .row_iter()
            .map(|r| (r.transpose() * r - &s).norm_squared())
            .sum::<f64>()
            / 225.0;
        let expected = b2.min(d2) / d2;
        let shrunk = ledoit_wolf(&returns, ShrinkageTarget::ScaledIdentity).unwrap();
        assert!((shrunk.intensity - expected).abs() < 1e-12);
    }
}
