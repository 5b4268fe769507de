//! Mean and covariance of returns: the sample estimator, RiskMetrics EWMA,
//! and annualisation. Returns come as a `T x n` matrix, one row per period.

use nalgebra::{DMatrix, DVector};

use super::error::{require_finite, EstimateError};

/// Mean vector and covariance matrix of per-period (or annualised) returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments {
    /// Mean return of each asset.
    pub mean: DVector<f64>,
    /// Covariance matrix, symmetric positive semi-definite.
    pub covariance: DMatrix<f64>,
}

impl Moments {
    /// Moments of annual returns from per-period moments, assuming i.i.d.
    /// periods: both the mean and the covariance scale with `periods_per_year`.
    pub fn annualised(&self, periods_per_year: f64) -> Self {
        Self {
            mean: &self.mean * periods_per_year,
            covariance: &self.covariance * periods_per_year,
        }
    }

    /// Standard deviation of each asset.
    pub fn volatilities(&self) -> DVector<f64> {
        self.covariance.diagonal().map(f64::sqrt)
    }

    /// Correlation matrix; pairs with a zero-variance asset get 0 off the
    /// diagonal (cash is uncorrelated with everything).
    pub fn correlation(&self) -> DMatrix<f64> {
        let sd = self.volatilities();
        DMatrix::from_fn(sd.len(), sd.len(), |i, j| match (i == j, sd[i] * sd[j]) {
            (true, _) => 1.0,
            (false, scale) if scale > 0.0 => self.covariance[(i, j)] / scale,
            _ => 0.0,
        })
    }
}

/// Checks a return matrix: finite and at least `needed` rows.
pub(super) fn check_returns(
    estimator: &'static str,
    returns: &DMatrix<f64>,
    needed: usize,
) -> Result<(), EstimateError> {
    if returns.nrows() < needed || returns.ncols() == 0 {
        return Err(EstimateError::TooFewObservations {
            estimator,
            needed,
            found: returns.nrows(),
        });
    }
    require_finite("returns", returns.iter())
}

/// Column means and the de-meaned returns.
pub(super) fn demeaned(returns: &DMatrix<f64>) -> (DVector<f64>, DMatrix<f64>) {
    let mean = returns.row_mean().transpose();
    let mut centred = returns.clone();
    for (mut column, m) in centred.column_iter_mut().zip(mean.iter()) {
        column.add_scalar_mut(-m);
    }
    (mean, centred)
}

/// Sample mean and unbiased sample covariance (divisor `T - 1`).
pub fn sample_moments(returns: &DMatrix<f64>) -> Result<Moments, EstimateError> {
    check_returns("sample covariance", returns, 2)?;
    let (mean, centred) = demeaned(returns);
    let covariance = centred.tr_mul(&centred) / (returns.nrows() - 1) as f64;
    Ok(Moments { mean, covariance })
}

/// Exponentially weighted moments (RiskMetrics, decay `lambda`, 0.94 for
/// daily data): period `t` of `T` has weight proportional to
/// `lambda^(T-1-t)`, so the latest return weighs most.
///
/// RiskMetrics assumes a zero mean; here returns are centred on the weighted
/// mean, because tokenised bills drift by more than their daily noise and a
/// zero-mean estimate would mistake that drift for variance. The covariance
/// is `sum_t w_t (r_t - m)(r_t - m)^T / (1 - sum_t w_t^2)`, unbiased for
/// i.i.d. returns (it reduces to the sample covariance as `lambda -> 1`).
pub fn ewma_moments(returns: &DMatrix<f64>, lambda: f64) -> Result<Moments, EstimateError> {
    if !(lambda > 0.0 && lambda < 1.0) {
        return Err(EstimateError::InvalidParameter {
            name: "EWMA lambda",
            value: lambda,
            requirement: "in (0, 1)",
        });
    }
    check_returns("EWMA covariance", returns, 2)?;
    let periods = returns.nrows();
    let mut weights = DVector::from_fn(periods, |t, _| lambda.powi((periods - 1 - t) as i32));
    weights /= weights.sum();
    let mean = returns.tr_mul(&weights);
    let mut weighted = returns.clone();
    for (t, mut row) in weighted.row_iter_mut().enumerate() {
        row -= mean.transpose();
        row *= weights[t].sqrt();
    }
    let effective_correction = 1.0 - weights.norm_squared();
    let covariance = weighted.tr_mul(&weighted) / effective_correction;
    Ok(Moments { mean, covariance })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_sample() -> DMatrix<f64> {
        DMatrix::from_row_slice(4, 2, &[0.01, 0.02, -0.02, 0.01, 0.03, -0.01, 0.00, 0.02])
    }

    #[test]
    fn sample_moments_match_hand_computation() {
        let m = sample_moments(&small_sample()).unwrap();
        assert!((m.mean[0] - 0.005).abs() < 1e-15);
        // x0 deviations: .005,-.025,.025,-.005 -> sum sq = .0013, /3
        assert!((m.covariance[(0, 0)] - 0.0013 / 3.0).abs() < 1e-15);
        // x1 mean .01, deviations .01,0,-.02,.01; cross = .00005+0-.0005-.00005
        assert!((m.covariance[(0, 1)] - (-0.0005 / 3.0)).abs() < 1e-15);
        assert_eq!(m.covariance[(0, 1)], m.covariance[(1, 0)]);
    }

    #[test]
    fn ewma_tends_to_sample_as_lambda_tends_to_one() {
        let sample = sample_moments(&small_sample()).unwrap();
        // Weights differ from 1/T by O(T (1 - lambda)) relative.
        let ewma = ewma_moments(&small_sample(), 1.0 - 1e-10).unwrap();
        assert!((ewma.covariance - sample.covariance).abs().max() < 1e-12);
        assert!((ewma.mean - sample.mean).abs().max() < 1e-11);
    }

    #[test]
    fn ewma_weighs_recent_returns_more() {
        // A volatile first half and a calm second half: EWMA sees calm.
        let returns = DMatrix::from_fn(200, 1, |t, _| {
            let sign = if t % 2 == 0 { 1.0 } else { -1.0 };
            sign * if t < 100 { 0.05 } else { 0.01 }
        });
        let ewma = ewma_moments(&returns, 0.9).unwrap();
        let sample = sample_moments(&returns).unwrap();
        assert!(ewma.covariance[(0, 0)] < 0.2 * sample.covariance[(0, 0)]);
        assert!((ewma.covariance[(0, 0)].sqrt() - 0.01).abs() < 1e-3);
    }

    #[test]
    fn rejects_bad_lambda_and_short_or_nan_input() {
        assert!(matches!(
            ewma_moments(&small_sample(), 1.0),
            Err(EstimateError::InvalidParameter { .. })
        ));
        let one_row = DMatrix::from_row_slice(1, 2, &[0.1, 0.2]);
        assert!(matches!(
            sample_moments(&one_row),
            Err(EstimateError::TooFewObservations { .. })
        ));
        let mut nan = small_sample();
        nan[(2, 1)] = f64::NAN;
        assert!(matches!(
            sample_moments(&nan),
            Err(EstimateError::NotFinite { .. })
        ));
    }

    #[test]
    fn annualising_scales_mean_and_covariance() {
        let m = sample_moments(&small_sample()).unwrap().annualised(365.0);
        let daily = sample_moments(&small_sample()).unwrap();
        assert!((m.volatilities()[0] - daily.volatilities()[0] * 365f64.sqrt()).abs() < 1e-12);
        assert!((m.correlation() - daily.correlation()).abs().max() < 1e-15);
    }
}
