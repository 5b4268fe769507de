//! Maximum-likelihood GBM parameters from log returns over uneven intervals.
//!
//! Under dS = mu S dt + sigma S dW the log return over an interval of length
//! dt_k is x_k ~ N(m dt_k, sigma² dt_k), independent across intervals, with
//! log drift m = mu - sigma²/2. Maximising the likelihood gives
//!
//! * m̂ = sum x_k / sum dt_k (the total log return over the total time T),
//! * σ̂² = (1/n) sum (x_k - m̂ dt_k)² / dt_k,
//!
//! and the Fisher information of (m, sigma²) is diag(T / sigma², n / (2 sigma⁴)),
//! so Var m̂ = sigma² / T and Var σ̂² = 2 sigma⁴ / n, independent. By the delta
//! method, se(σ̂) = σ̂ / sqrt(2n) and se(μ̂) = sqrt(σ̂²/T + σ̂⁴/(2n)) for
//! μ̂ = m̂ + σ̂²/2. The drift is identified only by the time span T, the
//! volatility by the number of intervals n.

use serde::Serialize;

use super::error::{require_finite, EstimateError};
use crate::data::LoanPath;

/// GBM parameters fitted by maximum likelihood, per year, with standard errors.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GbmFit {
    /// Drift mu of dS/S.
    pub mu: f64,
    /// Standard error of `mu`.
    pub mu_se: f64,
    /// Volatility sigma.
    pub sigma: f64,
    /// Standard error of `sigma`.
    pub sigma_se: f64,
    /// Drift of ln S, m = mu - sigma²/2.
    pub log_drift: f64,
    /// Standard error of `log_drift`.
    pub log_drift_se: f64,
    /// Number of return intervals n.
    pub intervals: usize,
    /// Total time spanned T, in years.
    pub years: f64,
}

/// Fits GBM to log returns `log_returns[k]` over intervals of
/// `year_fractions[k]` years.
pub fn fit_gbm(log_returns: &[f64], year_fractions: &[f64]) -> Result<GbmFit, EstimateError> {
    let n = log_returns.len();
    if year_fractions.len() != n {
        return Err(EstimateError::DimensionMismatch {
            what: "interval lengths per log return",
            expected: n,
            found: year_fractions.len(),
        });
    }
    if n < 2 {
        return Err(EstimateError::TooFewObservations {
            estimator: "GBM maximum likelihood",
            needed: 2,
            found: n,
        });
    }
    require_finite("log returns", log_returns)?;
    if let Some(&dt) = year_fractions
        .iter()
        .find(|dt| !(dt.is_finite() && **dt > 0.0))
    {
        return Err(EstimateError::InvalidParameter {
            name: "interval length",
            value: dt,
            requirement: "finite and positive",
        });
    }
    let years: f64 = year_fractions.iter().sum();
    let log_drift = log_returns.iter().sum::<f64>() / years;
    let variance = log_returns
        .iter()
        .zip(year_fractions)
        .map(|(x, dt)| (x - log_drift * dt).powi(2) / dt)
        .sum::<f64>()
        / n as f64;
    let count = n as f64;
    let log_drift_se = (variance / years).sqrt();
    Ok(GbmFit {
        mu: log_drift + 0.5 * variance,
        mu_se: (variance / years + variance * variance / (2.0 * count)).sqrt(),
        sigma: variance.sqrt(),
        sigma_se: (variance / (2.0 * count)).sqrt(),
        log_drift,
        log_drift_se,
        intervals: n,
        years,
    })
}

/// A loan's drift from its base rate (seed 001) and its GBM fit by maximum
/// likelihood on the log returns of its normalised cumulative return.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoanFit {
    /// Loan identifier.
    pub loan_id: String,
    /// Continuously compounded drift implied by the base rate.
    pub drift_from_rate: f64,
    /// Maximum-likelihood fit of the loan's value path.
    pub fit: GbmFit,
}

/// Fits one loan; fails if it has fewer than two periods or was written off to 0.
pub fn fit_loan(loan: &LoanPath) -> Result<LoanFit, EstimateError> {
    let returns = loan.log_returns().ok_or(EstimateError::InvalidParameter {
        name: "normalized cumulative return",
        value: 0.0,
        requirement: "positive (a loan written off to 0 has no log returns)",
    })?;
    let intervals = vec![loan.period_years(); returns.len()];
    Ok(LoanFit {
        loan_id: loan.loan_id.clone(),
        drift_from_rate: loan.drift_from_base_rate(),
        fit: fit_gbm(&returns, &intervals)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use rand::Rng;
    use rand_distr::StandardNormal;

    const MU: f64 = 0.12;
    const SIGMA: f64 = 0.45;

    /// Exact GBM log returns over 1-, 2- or 3-day gaps (uneven, like markets closed at weekends).
    fn simulate(seed: u64, intervals: usize) -> (Vec<f64>, Vec<f64>) {
        let mut rng = stream(seed, 0);
        let dts: Vec<f64> = (0..intervals)
            .map(|_| rng.random_range(1..=3) as f64 / 365.25)
            .collect();
        let returns = dts
            .iter()
            .map(|dt| {
                let z: f64 = rng.sample(StandardNormal);
                (MU - 0.5 * SIGMA * SIGMA) * dt + SIGMA * dt.sqrt() * z
            })
            .collect();
        (returns, dts)
    }

    #[test]
    fn recovers_known_parameters_within_three_standard_errors() {
        let (returns, dts) = simulate(42, 5000);
        let fit = fit_gbm(&returns, &dts).unwrap();
        assert!(
            (fit.mu - MU).abs() < 3.0 * fit.mu_se,
            "mu {} ± {}",
            fit.mu,
            fit.mu_se
        );
        assert!(
            (fit.sigma - SIGMA).abs() < 3.0 * fit.sigma_se,
            "sigma {} ± {}",
            fit.sigma,
            fit.sigma_se
        );
        // sigma is pinned by the number of intervals, not the span: se ≈ 0.45 / 100.
        assert!((fit.sigma_se - SIGMA / (2.0 * 5000.0f64).sqrt()).abs() < 1e-4);
    }

    #[test]
    fn reported_standard_errors_match_spread_across_seeds() {
        let runs = 400;
        let fits: Vec<GbmFit> = (0..runs)
            .map(|seed| {
                let (returns, dts) = simulate(1000 + seed, 1000);
                fit_gbm(&returns, &dts).unwrap()
            })
            .collect();
        let spread = |values: Vec<f64>| {
            let mean = values.iter().sum::<f64>() / runs as f64;
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (runs - 1) as f64).sqrt()
        };
        let mean_of = |values: Vec<f64>| values.iter().sum::<f64>() / runs as f64;
        // A sample s.d. over 400 runs has relative error ≈ 1/sqrt(2·399) = 3.5%; allow 4 of them.
        for (name, empirical, reported) in [
            (
                "mu",
                spread(fits.iter().map(|f| f.mu).collect()),
                mean_of(fits.iter().map(|f| f.mu_se).collect()),
            ),
            (
                "sigma",
                spread(fits.iter().map(|f| f.sigma).collect()),
                mean_of(fits.iter().map(|f| f.sigma_se).collect()),
            ),
        ] {
            assert!(
                (empirical / reported - 1.0).abs() < 0.14,
                "{name}: empirical {empirical}, reported {reported}"
            );
        }
        // Coverage of ±1.96 se intervals for sigma: 95% ± 3.3 binomial s.d.
        let covered = fits
            .iter()
            .filter(|f| (f.sigma - SIGMA).abs() < 1.96 * f.sigma_se)
            .count();
        assert!(
            (0.915..=0.985).contains(&(covered as f64 / runs as f64)),
            "coverage {covered}/{runs}"
        );
    }

    #[test]
    fn loan_fit_uses_period_length_and_rate() {
        let loan = LoanPath {
            loan_id: "L1".into(),
            base_interest_rate_pct: 10.0,
            loan_duration_days: 365,
            compounding_periods: 4,
            normalized_cumulative_returns: vec![1.03, 1.05, 1.08, 1.10],
        };
        let fit = fit_loan(&loan).unwrap();
        let years = 365.0 / 365.25;
        assert!((fit.fit.years - years).abs() < 1e-12);
        assert!((fit.fit.log_drift - 1.10f64.ln() / years).abs() < 1e-12);
        assert!(fit.drift_from_rate > 0.09 && fit.drift_from_rate < 0.1);
        let written_off = LoanPath {
            normalized_cumulative_returns: vec![1.0, 0.0],
            ..loan
        };
        assert!(fit_loan(&written_off).is_err());
    }

    #[test]
    fn rejects_mismatched_or_non_positive_intervals() {
        assert!(matches!(
            fit_gbm(&[0.1, 0.2], &[1.0]),
            Err(EstimateError::DimensionMismatch { .. })
        ));
        assert!(matches!(
            fit_gbm(&[0.1, 0.2], &[1.0, 0.0]),
            Err(EstimateError::InvalidParameter { .. })
        ));
        assert!(matches!(
            fit_gbm(&[0.1], &[1.0]),
            Err(EstimateError::TooFewObservations { .. })
        ));
    }
}
