//! One call for `ballast-oracle estimate`: annualised moments of log returns
//! by the configured covariance method, plus a GBM fit per asset.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::factors::principal_factor_model;
use super::gbm::{fit_gbm, GbmFit};
use super::moments::{ewma_moments, sample_moments, Moments};
use super::shrinkage::{ledoit_wolf, ShrinkageTarget};
use super::EstimateError;
use crate::allocate::{Covariance, FactorModel};
use crate::data::{Date, LogReturns};

/// How to estimate the covariance of returns.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum CovarianceMethod {
    /// Unbiased sample covariance. (A struct variant so that stray fields
    /// such as `lambda` are rejected, which serde skips for unit variants.)
    Sample {},
    /// Exponentially weighted (RiskMetrics), decay `lambda`.
    Ewma {
        /// Decay per period, 0.94 for daily data.
        #[serde(default = "riskmetrics_daily_lambda")]
        lambda: f64,
    },
    /// Ledoit–Wolf shrinkage toward `target`.
    LedoitWolf {
        /// Shrinkage target.
        #[serde(default = "default_target")]
        target: ShrinkageTarget,
    },
}

fn riskmetrics_daily_lambda() -> f64 {
    0.94
}

fn default_target() -> ShrinkageTarget {
    ShrinkageTarget::ConstantCorrelation
}

impl Default for CovarianceMethod {
    /// Ledoit–Wolf toward constant correlation: well conditioned for the QP
    /// even with many assets and short windows.
    fn default() -> Self {
        Self::LedoitWolf {
            target: default_target(),
        }
    }
}

/// Configuration of `ballast-oracle estimate`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EstimationConfig {
    /// Covariance estimator.
    pub covariance: CovarianceMethod,
    /// Also fit the covariance's k principal components as a factor model,
    /// which the allocation QP then uses (faster for many assets).
    pub factors: Option<usize>,
}

/// Annualised estimates of the return model of a set of assets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReturnEstimates {
    /// Asset symbols, the order of every vector and matrix below.
    pub assets: Vec<String>,
    /// Number of return intervals used.
    pub intervals: usize,
    /// Date at the end of the first interval.
    pub first_date: Date,
    /// Date at the end of the last interval.
    pub last_date: Date,
    /// Intervals per year used to annualise.
    pub periods_per_year: f64,
    /// Covariance method used.
    pub method: CovarianceMethod,
    /// Shrinkage intensity, for Ledoit–Wolf.
    pub shrinkage_intensity: Option<f64>,
    /// Annualised mean log return per asset.
    pub mean_log_return: Vec<f64>,
    /// Annualised covariance of log returns (row-major rows).
    pub covariance: Vec<Vec<f64>>,
    /// Annualised volatility per asset.
    pub volatility: Vec<f64>,
    /// Correlation matrix.
    pub correlation: Vec<Vec<f64>>,
    /// The annualised covariance's principal-component factor model, when
    /// `factors` was configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor_model: Option<FactorModel>,
    /// Per-asset GBM fit by maximum likelihood (honours uneven intervals).
    pub gbm: Vec<GbmFit>,
}

impl ReturnEstimates {
    /// The annualised moments as nalgebra types, for simulation or the QP.
    pub fn moments(&self) -> Moments {
        let n = self.assets.len();
        Moments {
            mean: DVector::from_column_slice(&self.mean_log_return),
            covariance: DMatrix::from_fn(n, n, |i, j| self.covariance[i][j]),
        }
    }

    /// The covariance over `horizon` years for the allocation QP: the factor
    /// model when one was fitted, else the dense matrix.
    pub fn sigma_over(&self, horizon: f64) -> Covariance {
        match &self.factor_model {
            Some(model) => Covariance::Factor(model.clone()),
            None => Covariance::Dense(self.covariance.clone()),
        }
        .scaled(horizon)
    }
}

/// Estimates annualised moments and GBM fits from aligned log returns.
pub fn estimate_returns(
    returns: &LogReturns,
    config: &EstimationConfig,
) -> Result<ReturnEstimates, EstimateError> {
    let (Some(&first_date), Some(&last_date)) =
        (returns.end_dates.first(), returns.end_dates.last())
    else {
        return Err(EstimateError::TooFewObservations {
            estimator: "return estimates",
            needed: 2,
            found: 0,
        });
    };
    let (moments, shrinkage_intensity) = match config.covariance {
        CovarianceMethod::Sample {} => (sample_moments(&returns.values)?, None),
        CovarianceMethod::Ewma { lambda } => (ewma_moments(&returns.values, lambda)?, None),
        CovarianceMethod::LedoitWolf { target } => {
            let shrunk = ledoit_wolf(&returns.values, target)?;
            (shrunk.moments, Some(shrunk.intensity))
        }
    };
    let periods_per_year = returns.periods_per_year();
    let annual = moments.annualised(periods_per_year);
    let rows = |m: &DMatrix<f64>| {
        m.row_iter()
            .map(|row| row.iter().copied().collect())
            .collect()
    };
    let factor_model = config
        .factors
        .map(|k| principal_factor_model(&annual.covariance, k))
        .transpose()?;
    let gbm = returns
        .values
        .column_iter()
        .map(|column| fit_gbm(column.as_slice(), &returns.year_fractions))
        .collect::<Result<_, _>>()?;
    Ok(ReturnEstimates {
        assets: returns.assets.clone(),
        intervals: returns.periods(),
        first_date,
        last_date,
        periods_per_year,
        method: config.covariance,
        shrinkage_intensity,
        mean_log_return: annual.mean.iter().copied().collect(),
        covariance: rows(&annual.covariance),
        volatility: annual.volatilities().iter().copied().collect(),
        correlation: rows(&annual.correlation()),
        factor_model,
        gbm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SyntheticMarket;

    #[test]
    fn config_parses_with_defaults_and_rejects_unknown_fields() {
        let config: EstimationConfig = toml::from_str("").unwrap();
        assert_eq!(config, EstimationConfig::default());
        let ewma: EstimationConfig = toml::from_str("covariance = { method = \"ewma\" }").unwrap();
        assert_eq!(ewma.covariance, CovarianceMethod::Ewma { lambda: 0.94 });
        assert!(
            toml::from_str::<EstimationConfig>("covarience = { method = \"sample\" }").is_err()
        );
        assert!(toml::from_str::<EstimationConfig>(
            "covariance = { method = \"sample\", lambda = 0.9 }"
        )
        .is_err());
    }

    #[test]
    fn estimates_demo_market_consistently_across_methods() {
        let history = SyntheticMarket::demo(5).generate().unwrap();
        let returns = history.log_returns();
        let methods = [
            CovarianceMethod::Sample {},
            CovarianceMethod::Ewma { lambda: 0.97 },
            CovarianceMethod::LedoitWolf {
                target: ShrinkageTarget::ScaledIdentity,
            },
            CovarianceMethod::default(),
        ];
        let btc = history.asset_index("BTC").unwrap();
        for covariance in methods {
            let config = EstimationConfig {
                covariance,
                factors: None,
            };
            let estimates = estimate_returns(&returns, &config).unwrap();
            // Annualised vol agrees with the GBM fit over the whole window, to
            // sampling error: ~3% relative over 730 days, ~10% for an EWMA
            // whose effective sample is (1 + lambda) / (1 - lambda) = 66 days.
            let gbm = &estimates.gbm[btc];
            let tolerance = if matches!(covariance, CovarianceMethod::Ewma { .. }) {
                0.4
            } else {
                0.1
            };
            let relative = (estimates.volatility[btc] / gbm.sigma - 1.0).abs();
            assert!(relative < tolerance, "{covariance:?}: {relative}");
            // The estimates print as JSON (the CLI's output).
            let json = serde_json::to_string(&estimates).unwrap();
            assert!(json.contains("\"assets\":[\"BTC\",\"ETH\",\"SOL\",\"TBILL\",\"USDC\"]"));
            assert_eq!(estimates.moments().covariance.nrows(), 5);
        }
    }

    #[test]
    fn factor_model_is_fitted_on_request_and_scales_with_the_horizon() {
        let history = SyntheticMarket::demo(5).generate().unwrap();
        let config: EstimationConfig = toml::from_str("factors = 2").unwrap();
        let estimates = estimate_returns(&history.log_returns(), &config).unwrap();
        let model = estimates.factor_model.as_ref().unwrap();
        assert_eq!(model.factors(), 2);
        let quarter = estimates.sigma_over(0.25);
        assert!(matches!(quarter, Covariance::Factor(_)));
        for i in 0..5 {
            let variance = 0.25 * estimates.covariance[i][i];
            assert!((quarter.entry(i, i) - variance).abs() < 1e-12 * variance.max(1.0));
        }
        let too_many: EstimationConfig = toml::from_str("factors = 5").unwrap();
        let error = estimate_returns(&history.log_returns(), &too_many).unwrap_err();
        assert!(error.to_string().contains("estimation.factors"), "{error}");
    }
}
