//! Walk-forward backtest of the allocation policy (seed 001, section 10).
//!
//! The first `train_days` price dates are the training set; the rest is the
//! test set, on which every strategy starts from the configured initial
//! weights with value 1. Every `rebalance_days` dates a strategy may trade,
//! deciding at date t's close from the returns of the trailing window of
//! `train_days` intervals ending at t only (no look-ahead), pays the costs
//! Σ c_i |w_i − w0_i| of the reserve's value, and holds the new weights,
//! which then drift with prices until the next rebalance.
//!
//! Strategies: the allocation QP (`Qp`), equal weight, risk parity over the
//! assets that have volatility, and the initial weights held untouched.

mod config;
mod metrics;

use nalgebra::DMatrix;
use serde::Serialize;

pub use config::{AssetTerms, BacktestConfig};
pub use metrics::{drawdowns, max_drawdown, simple_returns, Performance};

use crate::allocate::{
    risk_parity, solve_allocation, AllocationError, AllocationProblem, CollateralModel,
    RiskParityProblem,
};
use crate::data::{Date, LogReturns, PriceHistory};
use crate::estimate::{estimate_returns, portfolio_volatility, EstimateError, ReturnEstimates};

/// How far the initial weights may be from summing to one.
const WEIGHT_SUM_TOLERANCE: f64 = 1e-9;
/// Assets with a lower volatility (in the covariance's units) count as
/// riskless for risk parity.
const RISKLESS_VOLATILITY: f64 = 1e-4;

/// Why a backtest could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BacktestError {
    #[error("asset {0} is in the price history but has no terms in the backtest config")]
    MissingTerms(String),
    #[error("the backtest config has terms for {0}, which is not in the price history")]
    UnknownAsset(String),
    #[error("initial weights sum to {0}, not 1")]
    InitialWeights(f64),
    #[error("{name} = {value} is invalid: must be {requirement}")]
    InvalidParameter {
        name: &'static str,
        value: f64,
        requirement: &'static str,
    },
    #[error("{dates} price dates leave no test period after train_days = {train_days}")]
    TooShort { dates: usize, train_days: usize },
    #[error("estimating on the window ending {date}: {source}")]
    Estimate { date: Date, source: EstimateError },
}

/// A policy that sets the weights at each rebalance date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The allocation QP on the trailing window's estimates.
    Qp,
    /// 1/n in every asset.
    EqualWeight,
    /// Equal risk contributions among the risky assets.
    RiskParity,
    /// The initial weights, bought and held.
    Static,
}

impl Strategy {
    pub const ALL: [Strategy; 4] = [
        Strategy::Qp,
        Strategy::EqualWeight,
        Strategy::RiskParity,
        Strategy::Static,
    ];
}

/// One rebalance date of a strategy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rebalance {
    pub date: Date,
    /// Weights drifted to this date, before trading.
    pub drifted: Vec<f64>,
    /// Weights after trading (equal to `drifted` when the strategy held).
    pub weights: Vec<f64>,
    /// Cost charged, as a fraction of the reserve's value.
    pub cost: f64,
    /// Why the strategy held instead of trading, when it could not decide.
    pub held_because: Option<String>,
}

/// One strategy over the test period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StrategyRun {
    pub strategy: Strategy,
    /// Value at each test date, 1 at the first (before its trade).
    pub equity: Vec<f64>,
    pub performance: Performance,
    /// One-way turnover ½ Σ |Δw| summed over rebalances, per year.
    pub annual_turnover: f64,
    /// Costs paid, in units of the initial value.
    pub total_costs: f64,
    pub rebalances: Vec<Rebalance>,
}

/// The whole backtest.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BacktestReport {
    pub assets: Vec<String>,
    /// First and last price date of the training set.
    pub train: (Date, Date),
    /// First and last price date of the test set.
    pub test: (Date, Date),
    /// Price dates of the test set, one per equity value.
    pub dates: Vec<Date>,
    pub periods_per_year: f64,
    pub runs: Vec<StrategyRun>,
}

impl BacktestReport {
    pub fn run(&self, strategy: Strategy) -> &StrategyRun {
        self.runs
            .iter()
            .find(|run| run.strategy == strategy)
            .expect("every strategy is run")
    }
}

/// Runs every strategy over the test period of `history`.
pub fn backtest(
    history: &PriceHistory,
    config: &BacktestConfig,
) -> Result<BacktestReport, BacktestError> {
    let market = Market::new(history, config)?;
    let runs = Strategy::ALL
        .iter()
        .map(|&strategy| market.run(strategy))
        .collect::<Result<_, _>>()?;
    let dates = history.dates();
    let start = config.train_days;
    Ok(BacktestReport {
        assets: history.assets().to_vec(),
        train: (dates[0], dates[start]),
        test: (dates[start], dates[dates.len() - 1]),
        dates: dates[start..].to_vec(),
        periods_per_year: market.periods_per_year,
        runs,
    })
}

/// The price history with the config's terms in the history's asset order.
struct Market<'a> {
    history: &'a PriceHistory,
    config: &'a BacktestConfig,
    returns: LogReturns,
    terms: Vec<AssetTerms>,
    periods_per_year: f64,
}

/// What a strategy does at a rebalance date.
enum Decision {
    Trade(Vec<f64>),
    Hold(Option<String>),
}

impl<'a> Market<'a> {
    fn new(history: &'a PriceHistory, config: &'a BacktestConfig) -> Result<Self, BacktestError> {
        let assets = history.assets();
        if let Some(unknown) = config.assets.keys().find(|a| !assets.contains(a)) {
            return Err(BacktestError::UnknownAsset(unknown.clone()));
        }
        let terms = config.terms_of(assets)?;
        let weight_sum: f64 = terms.iter().map(|t| t.initial_weight).sum();
        if (weight_sum - 1.0).abs() > WEIGHT_SUM_TOLERANCE {
            return Err(BacktestError::InitialWeights(weight_sum));
        }
        for (name, value) in [
            ("train_days", config.train_days),
            ("rebalance_days", config.rebalance_days),
        ] {
            if value < 2 {
                return Err(BacktestError::InvalidParameter {
                    name,
                    value: value as f64,
                    requirement: "at least 2",
                });
            }
        }
        if history.dates().len() < config.train_days + 2 {
            return Err(BacktestError::TooShort {
                dates: history.dates().len(),
                train_days: config.train_days,
            });
        }
        let returns = history.log_returns();
        let periods_per_year = returns.periods_per_year();
        Ok(Self {
            history,
            config,
            returns,
            terms,
            periods_per_year,
        })
    }

    fn run(&self, strategy: Strategy) -> Result<StrategyRun, BacktestError> {
        let n = self.terms.len();
        let start = self.config.train_days;
        let last = self.history.dates().len() - 1;
        let mut weights: Vec<f64> = self.terms.iter().map(|t| t.initial_weight).collect();
        let (mut value, mut value_at_last_rebalance) = (1.0, 1.0);
        let (mut equity, mut rebalances) = (vec![value], Vec::new());
        let (mut turnover, mut total_costs) = (0.0, 0.0);
        for t in start..last {
            if (t - start) % self.config.rebalance_days == 0 {
                let change = value / value_at_last_rebalance - 1.0;
                let decision = self.decide(strategy, t, &weights, value, change)?;
                let rebalance = self.rebalance(t, &weights, decision);
                turnover += 0.5 * l1_distance(&rebalance.drifted, &rebalance.weights);
                total_costs += value * rebalance.cost;
                value *= 1.0 - rebalance.cost;
                value_at_last_rebalance = value;
                weights.clone_from(&rebalance.weights);
                rebalances.push(rebalance);
            }
            let growth: Vec<f64> = (0..n)
                .map(|i| self.history.series(i)[t + 1] / self.history.series(i)[t])
                .collect();
            let gross: f64 = weights.iter().zip(&growth).map(|(w, g)| w * g).sum();
            value *= gross;
            for (w, g) in weights.iter_mut().zip(&growth) {
                *w *= g / gross;
            }
            equity.push(value);
        }
        let years = (equity.len() - 1) as f64 / self.periods_per_year;
        Ok(StrategyRun {
            strategy,
            performance: Performance::of(
                &equity,
                self.periods_per_year,
                self.config.risk_free_rate,
            ),
            equity,
            annual_turnover: turnover / years,
            total_costs,
            rebalances,
        })
    }

    fn rebalance(&self, t: usize, drifted: &[f64], decision: Decision) -> Rebalance {
        let (weights, held_because) = match decision {
            Decision::Trade(weights) => (weights, None),
            Decision::Hold(reason) => (drifted.to_vec(), reason),
        };
        let cost = self
            .terms
            .iter()
            .zip(drifted.iter().zip(&weights))
            .map(|(terms, (before, after))| terms.cost * (after - before).abs())
            .sum();
        Rebalance {
            date: self.history.dates()[t],
            drifted: drifted.to_vec(),
            weights,
            cost,
            held_because,
        }
    }

    /// The strategy's decision at date index t, from data up to t only.
    fn decide(
        &self,
        strategy: Strategy,
        t: usize,
        drifted: &[f64],
        value: f64,
        value_change: f64,
    ) -> Result<Decision, BacktestError> {
        let n = drifted.len();
        Ok(match strategy {
            Strategy::Static => Decision::Hold(None),
            Strategy::EqualWeight => Decision::Trade(vec![1.0 / n as f64; n]),
            Strategy::RiskParity => {
                let estimates = self.estimates(t)?;
                match risk_parity_weights(&estimates.assets, &estimates.covariance) {
                    Ok(weights) => Decision::Trade(weights),
                    Err(error) => Decision::Hold(Some(error.to_string())),
                }
            }
            Strategy::Qp => {
                let problem = self.problem(&self.estimates(t)?, drifted, value, value_change)?;
                match solve_allocation(&problem) {
                    Ok(allocation) => Decision::Trade(without_solver_noise(allocation.weights)),
                    Err(error) => Decision::Hold(Some(error.to_string())),
                }
            }
        })
    }

    /// Estimates from the `train_days` return intervals ending at date index t.
    fn estimates(&self, t: usize) -> Result<ReturnEstimates, BacktestError> {
        let window = self.config.train_days;
        let first = t - window;
        let returns = LogReturns {
            assets: self.returns.assets.clone(),
            end_dates: self.returns.end_dates[first..t].to_vec(),
            year_fractions: self.returns.year_fractions[first..t].to_vec(),
            values: self.returns.values.rows(first, window).into_owned(),
        };
        estimate_returns(&returns, &self.config.estimation).map_err(|source| {
            BacktestError::Estimate {
                date: self.history.dates()[t],
                source,
            }
        })
    }

    /// The allocation QP over one holding period of `rebalance_days`: mean
    /// and covariance scaled to that horizon, so that the one-off trading
    /// costs weigh against the return they buy over it.
    fn problem(
        &self,
        estimates: &ReturnEstimates,
        drifted: &[f64],
        value: f64,
        value_change: f64,
    ) -> Result<AllocationProblem, BacktestError> {
        let config = self.config;
        let horizon = config.rebalance_days as f64 / self.periods_per_year;
        let n = drifted.len();
        let covariance = DMatrix::from_fn(n, n, |i, j| estimates.covariance[i][j]);
        let volatility = portfolio_volatility(drifted, &covariance).map_err(|source| {
            BacktestError::Estimate {
                date: estimates.last_date,
                source,
            }
        })?;
        let risk_scores = config
            .risk_scores(&self.terms, &estimates.volatility)
            .map_err(|source| BacktestError::Estimate {
                date: estimates.last_date,
                source,
            })?;
        // GBM: the expected simple return's rate is the log drift + sigma²/2.
        let mu = (0..n)
            .map(|i| (estimates.mean_log_return[i] + 0.5 * estimates.covariance[i][i]) * horizon)
            .collect();
        let sigma = estimates.sigma_over(horizon);
        Ok(AllocationProblem {
            assets: estimates.assets.clone(),
            mu,
            sigma,
            lambda: config.risk_aversion.lambda(volatility, value_change),
            costs: self.terms.iter().map(|t| t.cost).collect(),
            w0: drifted.to_vec(),
            risk_scores,
            r_max: config.r_max,
            liquidity_caps: self.terms.iter().map(|t| t.cap).collect(),
            psi: config.psi,
            // The supply is fixed at 1 / initial_cr (initial value 1).
            cr_now: config.initial_cr * value,
            cr_target: config.cr_target,
            cr_min: config.cr_min,
            collateral: CollateralModel::RiskWeighted {
                recognition: self.terms.iter().map(|t| t.recognition).collect(),
            },
        })
    }
}

/// Risk-parity weights among the assets with volatility, 0 for the others
/// (a riskless asset cannot carry a share of the risk).
pub fn risk_parity_weights(
    assets: &[String],
    covariance: &[Vec<f64>],
) -> Result<Vec<f64>, AllocationError> {
    let risky: Vec<usize> = (0..assets.len())
        .filter(|&i| covariance[i][i].sqrt() > RISKLESS_VOLATILITY)
        .collect();
    let problem = RiskParityProblem {
        assets: risky.iter().map(|&i| assets[i].clone()).collect(),
        sigma: risky
            .iter()
            .map(|&i| risky.iter().map(|&j| covariance[i][j]).collect())
            .collect(),
        risk_budgets: None,
    };
    let parity = risk_parity(&problem)?;
    let mut weights = vec![0.0; assets.len()];
    for (&i, w) in risky.iter().zip(parity.weights) {
        weights[i] = w;
    }
    Ok(weights)
}

/// The allocation QP the policy would solve at the last date of `history`,
/// holding the initial weights: what `ballast-oracle optimize` solves.
pub fn allocation_problem_at_end(
    history: &PriceHistory,
    config: &BacktestConfig,
) -> Result<AllocationProblem, BacktestError> {
    let market = Market::new(history, config)?;
    let last = history.dates().len() - 1;
    let initial: Vec<f64> = market.terms.iter().map(|t| t.initial_weight).collect();
    market.problem(&market.estimates(last)?, &initial, 1.0, 0.0)
}

/// The interior-point solver leaves weights like −1e-13 at the bounds; held
/// weights must be exactly feasible to be the next problem's w0.
fn without_solver_noise(weights: Vec<f64>) -> Vec<f64> {
    let clipped: Vec<f64> = weights.into_iter().map(|w| w.max(0.0)).collect();
    let total: f64 = clipped.iter().sum();
    clipped.into_iter().map(|w| w / total).collect()
}

fn l1_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
}

#[cfg(test)]
mod tests;
