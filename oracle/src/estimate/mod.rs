//! Estimation of the reserve's return model and risk figures: moments of
//! returns (sample, EWMA, Ledoit–Wolf), GBM by maximum likelihood with
//! standard errors, a principal-component factor model of the covariance,
//! risk scores and dynamic risk aversion (seed 000), and the PCV capital
//! ratios (seed 003).

mod capital;
mod error;
mod factors;
mod gbm;
mod moments;
mod report;
mod scores;
mod shrinkage;

pub use capital::{
    capital_ratios, redemption_volume_120h, CapitalRatios, Holding, Tier, TierWeights,
    LIQUIDITY_WINDOW_HOURS,
};
pub use error::EstimateError;
pub use factors::principal_factor_model;
pub use gbm::{fit_gbm, fit_loan, GbmFit, LoanFit};
pub use moments::{ewma_moments, sample_moments, Moments};
pub use report::{estimate_returns, CovarianceMethod, EstimationConfig, ReturnEstimates};
pub use scores::{portfolio_volatility, AssetRiskInputs, DynamicLambda, RiskScoreWeights};
pub use shrinkage::{ledoit_wolf, ShrinkageTarget, Shrunk};
