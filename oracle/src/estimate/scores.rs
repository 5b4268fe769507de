//! Risk scores, portfolio volatility and dynamic risk aversion (seed 000,
//! "Unified Mathematical Framework"; protocol.md section 2):
//!
//! * R_i = alpha sigma_i + beta / L_i + gamma E_i
//! * sigma_p = sqrt(w^T Sigma w)
//! * lambda = lambda_0 + eta sigma_p + zeta (Delta V / V)

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::error::{require_finite, EstimateError};

/// Coefficients of the risk score.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskScoreWeights {
    /// Weight on volatility, alpha.
    pub alpha: f64,
    /// Weight on illiquidity 1/L, beta.
    pub beta: f64,
    /// Weight on the external factor, gamma.
    pub gamma: f64,
}

/// One asset's inputs to its risk score.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetRiskInputs {
    /// Annualised volatility sigma_i.
    pub volatility: f64,
    /// Liquidity L_i (e.g. market depth), positive.
    pub liquidity: f64,
    /// External factor E_i (e.g. a credit or regulatory score).
    #[serde(default)]
    pub external: f64,
}

impl RiskScoreWeights {
    /// R_i = alpha sigma_i + beta / L_i + gamma E_i.
    pub fn score(&self, asset: &AssetRiskInputs) -> Result<f64, EstimateError> {
        require_finite(
            "risk score inputs",
            [&asset.volatility, &asset.liquidity, &asset.external],
        )?;
        if asset.liquidity <= 0.0 {
            return Err(EstimateError::InvalidParameter {
                name: "liquidity",
                value: asset.liquidity,
                requirement: "positive",
            });
        }
        Ok(self.alpha * asset.volatility
            + self.beta / asset.liquidity
            + self.gamma * asset.external)
    }

    /// Scores of several assets, in order.
    pub fn scores(&self, assets: &[AssetRiskInputs]) -> Result<Vec<f64>, EstimateError> {
        assets.iter().map(|asset| self.score(asset)).collect()
    }
}

/// Portfolio volatility sqrt(w^T Sigma w).
pub fn portfolio_volatility(
    weights: &[f64],
    covariance: &DMatrix<f64>,
) -> Result<f64, EstimateError> {
    let n = weights.len();
    if covariance.shape() != (n, n) {
        return Err(EstimateError::DimensionMismatch {
            what: "covariance size per weight",
            expected: n,
            found: covariance.nrows(),
        });
    }
    let w = nalgebra::DVector::from_column_slice(weights);
    let variance = (covariance * &w).dot(&w);
    // Rounding can leave a PSD quadratic form at -1e-20.
    Ok(variance.max(0.0).sqrt())
}

/// Dynamic risk aversion for the allocation QP.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicLambda {
    /// Base risk aversion lambda_0.
    pub lambda0: f64,
    /// Sensitivity to portfolio volatility, eta.
    pub eta: f64,
    /// Sensitivity to the relative value change Delta V / V, zeta
    /// (negative makes losses raise risk aversion).
    pub zeta: f64,
    /// Lower bound on lambda; the QP's objective is concave only for lambda >= 0.
    #[serde(default)]
    pub floor: f64,
}

impl DynamicLambda {
    /// max(floor, lambda_0 + eta sigma_p + zeta Delta V / V).
    pub fn lambda(&self, portfolio_volatility: f64, relative_value_change: f64) -> f64 {
        let raw =
            self.lambda0 + self.eta * portfolio_volatility + self.zeta * relative_value_change;
        raw.max(self.floor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_follows_the_formula_and_rejects_zero_liquidity() {
        let weights = RiskScoreWeights {
            alpha: 2.0,
            beta: 0.5,
            gamma: 1.5,
        };
        let asset = AssetRiskInputs {
            volatility: 0.6,
            liquidity: 4.0,
            external: 0.2,
        };
        assert!((weights.score(&asset).unwrap() - (1.2 + 0.125 + 0.3)).abs() < 1e-15);
        let illiquid = AssetRiskInputs {
            liquidity: 0.0,
            ..asset
        };
        assert!(matches!(
            weights.score(&illiquid),
            Err(EstimateError::InvalidParameter { .. })
        ));
        let nan = AssetRiskInputs {
            volatility: f64::NAN,
            ..asset
        };
        assert!(weights.scores(&[asset, nan]).is_err());
    }

    #[test]
    fn portfolio_volatility_of_two_assets() {
        // sigma_p² = w1² s1² + w2² s2² + 2 w1 w2 rho s1 s2.
        let (s1, s2, rho): (f64, f64, f64) = (0.2, 0.5, 0.3);
        let cov = DMatrix::from_row_slice(2, 2, &[s1 * s1, rho * s1 * s2, rho * s1 * s2, s2 * s2]);
        let expected = (0.49 * s1 * s1 + 0.09 * s2 * s2 + 2.0 * 0.21 * rho * s1 * s2).sqrt();
        assert!((portfolio_volatility(&[0.7, 0.3], &cov).unwrap() - expected).abs() < 1e-15);
        assert!(portfolio_volatility(&[1.0], &cov).is_err());
    }

    #[test]
    fn lambda_moves_with_volatility_and_drawdown_and_respects_floor() {
        let rule = DynamicLambda {
            lambda0: 2.0,
            eta: 10.0,
            zeta: -20.0,
            floor: 0.5,
        };
        assert!((rule.lambda(0.1, -0.05) - 4.0).abs() < 1e-12);
        assert_eq!(rule.lambda(0.0, 0.5), 0.5);
    }
}
