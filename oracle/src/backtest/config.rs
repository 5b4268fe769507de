//! What `ballast-oracle backtest` is configured by: the split and rebalance
//! calendar, the estimator, and the allocation QP's per-asset terms.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::BacktestError;
use crate::estimate::{
    AssetRiskInputs, CovarianceMethod, DynamicLambda, EstimateError, EstimationConfig,
    RiskScoreWeights,
};

/// Configuration of a walk-forward backtest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestConfig {
    /// Price dates in each trailing estimation window; the first window is
    /// the training set, everything after it the test set.
    pub train_days: usize,
    /// Price dates between rebalances (21 ≈ a month of trading days).
    pub rebalance_days: usize,
    /// Annual continuously compounded risk-free rate for the Sharpe ratio.
    #[serde(default)]
    pub risk_free_rate: f64,
    /// Covariance estimator.
    #[serde(default)]
    pub estimation: EstimationConfig,
    /// Risk aversion from the portfolio's volatility and last value change.
    pub risk_aversion: DynamicLambda,
    /// Coefficients of the risk scores R_i = alpha sigma_i + beta / L_i + gamma E_i.
    pub risk_score_weights: RiskScoreWeights,
    /// Limit on the portfolio risk score Σ w_i R_i.
    pub r_max: f64,
    /// Weight of the collateral ratio in the QP objective.
    pub psi: f64,
    /// Collateral ratio at the start of the test; the supply stays fixed, so
    /// CR then moves with the reserve's value.
    pub initial_cr: f64,
    pub cr_target: f64,
    pub cr_min: f64,
    /// Terms of every asset of the price history, by symbol.
    pub assets: BTreeMap<String, AssetTerms>,
}

/// One asset's terms in the backtest.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetTerms {
    /// Weight held at the start of the test (the static benchmark).
    pub initial_weight: f64,
    /// Cost per unit of weight traded (fraction of the reserve's value).
    pub cost: f64,
    /// Liquidity L_i of the risk score.
    pub liquidity: f64,
    /// External risk factor E_i.
    #[serde(default)]
    pub external: f64,
    /// Largest weight the asset may take.
    #[serde(default = "full_weight")]
    pub cap: f64,
    /// Fraction of its value recognised in the collateral ratio.
    pub recognition: f64,
}

impl BacktestConfig {
    /// The terms of each of `assets`, in order; every asset must have terms.
    pub fn terms_of(&self, assets: &[String]) -> Result<Vec<AssetTerms>, BacktestError> {
        assets
            .iter()
            .map(|asset| {
                self.assets
                    .get(asset)
                    .copied()
                    .ok_or_else(|| BacktestError::MissingTerms(asset.clone()))
            })
            .collect()
    }

    /// Risk score R_i of each asset from its terms and annualised volatility.
    pub fn risk_scores(
        &self,
        terms: &[AssetTerms],
        volatilities: &[f64],
    ) -> Result<Vec<f64>, EstimateError> {
        terms
            .iter()
            .zip(volatilities)
            .map(|(terms, &volatility)| {
                self.risk_score_weights.score(&AssetRiskInputs {
                    volatility,
                    liquidity: terms.liquidity,
                    external: terms.external,
                })
            })
            .collect()
    }
}

fn full_weight() -> f64 {
    1.0
}

impl Default for BacktestConfig {
    /// Terms for the assets of `SyntheticMarket::demo`: a year of training,
    /// monthly rebalancing, at most ~40% of the risk budget in crypto.
    fn default() -> Self {
        let terms = |initial_weight, cost, liquidity, recognition| AssetTerms {
            initial_weight,
            cost,
            liquidity,
            external: 0.0,
            cap: 1.0,
            recognition,
        };
        let assets = [
            ("BTC", terms(0.20, 0.0010, 50.0, 0.50)),
            ("ETH", terms(0.15, 0.0015, 30.0, 0.50)),
            ("SOL", terms(0.05, 0.0030, 10.0, 0.35)),
            ("TBILL", terms(0.30, 0.0005, 20.0, 0.95)),
            ("USDC", terms(0.30, 0.0001, 100.0, 1.00)),
        ];
        Self {
            train_days: 252,
            rebalance_days: 21,
            risk_free_rate: 0.0,
            estimation: EstimationConfig {
                covariance: CovarianceMethod::default(),
                factors: None,
            },
            risk_aversion: DynamicLambda {
                lambda0: 4.0,
                eta: 4.0,
                zeta: -2.0,
                floor: 1.0,
            },
            risk_score_weights: RiskScoreWeights {
                alpha: 1.0,
                beta: 0.5,
                gamma: 0.0,
            },
            r_max: 0.35,
            psi: 0.05,
            initial_cr: 1.5,
            cr_target: 1.3,
            cr_min: 1.05,
            assets: assets
                .into_iter()
                .map(|(name, terms)| (name.to_owned(), terms))
                .collect(),
        }
    }
}
