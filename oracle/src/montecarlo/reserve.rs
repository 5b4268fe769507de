//! Monte Carlo of the reserve's value V and collateral ratio CR = V / S over
//! a horizon (protocol.md section 8, seed 000: V_s = sum_i w_i V (1 + r_is),
//! r'_is = r_is + sum_j Delta w_ji k_i, require P(CR_s < 1) < epsilon).
//!
//! # The model, exactly
//!
//! Inputs: n assets with weights w (w_i >= 0, sum 1), reserve value V0,
//! supply S, annual mean log returns m and annual log-return covariance Σ
//! (lower Cholesky factor L, L Lᵀ = Σ, zero columns for zero-variance assets),
//! impact coefficients k and net weight changes Δw (both default 0), and a
//! horizon of T years in H steps of dt = T / H. Path s, drawing only from
//! `crate::rng::FastStreams::new(seed).unit(s)`:
//!
//! ```text
//! X = 0 (n-vector of cumulative log returns)
//! repeat H times:
//!     Student-t only: draw W ~ ChiSquared(nu); c = sqrt((nu - 2) / W)   (normal: c = 1)
//!     draw Z_1..Z_n ~ N(0, 1) i.i.d., in asset order
//!     X += m dt + c sqrt(dt) L Z
//! r_i  = exp(X_i) - 1                        (horizon simple return)
//! r'_i = r_i + k_i Δw_i                      (market impact)
//! V_s  = V0 sum_i w_i (1 + r'_i);  CR_s = V_s / S;  loss_s = V0 - V_s
//! ```
//!
//! With Student-t shocks each step's shock vector is multivariate t with nu
//! degrees of freedom scaled to covariance Σ dt (fat tails, and assets crash
//! together). In NumPy, over all paths at once: `X += m*dt + c[:, None] *
//! sqrt(dt) * (Z @ L.T)` with `Z` of shape (paths, n).
//!
//! # Reading of the market-impact term
//!
//! Δw_ji is the change in the weight of asset i caused by action j (a
//! rebalancing trade toward the QP target, or the sales that meet
//! redemptions); selling (Δw < 0) depresses the price linearly with impact
//! coefficient k_i >= 0 (return per unit of reserve weight traded), buying
//! lifts it. Only the sum Δw_i = sum_j Δw_ji matters, so the model takes it
//! directly. The shift is deterministic: it moves every V_s by
//! V0 sum_i w_i k_i Δw_i.
//!
//! # Determinism
//!
//! Paths are simulated in parallel in fixed chunks, path s always from its
//! counter-seeded stream (ChaCha re-keyed per path cost a third of the run), and every statistic is computed afterwards from the stored CR of all
//! paths in path order, so results are bit-identical for any thread count.

use rand::Rng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::cholesky::psd_cholesky;
use super::error::{require, McError};
use super::intervals::{clopper_pearson_interval, wilson_interval, Interval};
use super::tail::{tail_risk, Histogram, TailRisk};
use crate::rng::{FastStream, FastStreams};

/// Distribution of the per-step shocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Shocks {
    /// Multivariate normal.
    #[default]
    Normal,
    /// Multivariate Student t with `degrees_of_freedom` > 2, scaled to unit variance.
    StudentT {
        /// Degrees of freedom nu; 3–6 fits daily crypto returns.
        degrees_of_freedom: f64,
    },
}

/// The reserve and its return model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveModel {
    /// Asset symbols, the order of every vector below.
    pub assets: Vec<String>,
    /// Portfolio weights w_i >= 0, summing to 1.
    pub weights: Vec<f64>,
    /// Current reserve value V0.
    pub reserve_value: f64,
    /// Stablecoin supply S.
    pub supply: f64,
    /// Annual mean log return m_i of each asset.
    pub mean_log_return: Vec<f64>,
    /// Annual covariance of log returns, symmetric positive semi-definite.
    pub covariance: Vec<Vec<f64>>,
    /// Price impact k_i per unit of weight traded; empty for none.
    #[serde(default)]
    pub impact: Vec<f64>,
    /// Net weight change Δw_i = sum_j Δw_ji over the horizon (negative = sold); empty for none.
    #[serde(default)]
    pub weight_changes: Vec<f64>,
    /// Shock distribution.
    #[serde(default)]
    pub shocks: Shocks,
}

/// Numerical settings of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct McConfig {
    /// Number of paths.
    pub paths: usize,
    /// Seed; path s draws from `FastStreams::new(seed).unit(s)`.
    pub seed: u64,
    /// Horizon T in years.
    pub horizon_years: f64,
    /// Steps H over the horizon.
    pub horizon_steps: usize,
    /// CR thresholds c for which P(CR_s < c) is reported.
    pub cr_thresholds: Vec<f64>,
    /// Confidence level of the probability intervals.
    pub confidence: f64,
    /// Level alpha of VaR and ES of the loss V0 - V_s.
    pub tail_level: f64,
    /// Bins of the CR histogram.
    pub histogram_bins: usize,
}

impl Default for McConfig {
    /// 100 000 paths, 10 daily steps, CR thresholds 1 / 1.05 / 1.10 (the
    /// regime boundaries), 95% intervals, 99% VaR and ES, 50 bins.
    fn default() -> Self {
        Self {
            paths: 100_000,
            seed: 0,
            horizon_years: 10.0 / crate::data::DAYS_PER_YEAR,
            horizon_steps: 10,
            cr_thresholds: vec![1.0, 1.05, 1.10],
            confidence: 0.95,
            tail_level: 0.99,
            histogram_bins: 50,
        }
    }
}

/// P(CR_s < threshold) with its intervals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThresholdProbability {
    /// The CR threshold c.
    pub threshold: f64,
    /// Paths with CR_s < c.
    pub count: u64,
    /// count / paths.
    pub probability: f64,
    /// Wilson score interval.
    pub wilson: Interval,
    /// Clopper–Pearson interval.
    pub clopper_pearson: Interval,
}

/// Results of [`simulate_reserve`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct McResult {
    /// Paths simulated.
    pub paths: usize,
    /// Seed used.
    pub seed: u64,
    /// Horizon in years.
    pub horizon_years: f64,
    /// Current CR = V0 / S.
    pub initial_cr: f64,
    /// Mean of CR_s over paths.
    pub mean_cr: f64,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// P(CR_s < c) for each configured threshold, in order.
    pub breach: Vec<ThresholdProbability>,
    /// VaR and ES of the loss V0 - V_s, in the reserve's currency
    /// (divide by V0 for a fraction of the reserve).
    pub loss: TailRisk,
    /// Histogram of CR_s.
    pub cr_histogram: Histogram,
}

/// The model with validated inputs and precomputed per-step constants.
struct PreparedModel {
    n: usize,
    /// m_i dt summed over the steps: the log drift over the horizon.
    horizon_drift: Vec<f64>,
    /// sqrt(dt) L as its packed lower triangle, row by row: row i is the
    /// i + 1 entries from `i (i + 1) / 2`.
    step_factor: Vec<f64>,
    /// V0 w_i.
    value_weights: Vec<f64>,
    /// V0 sum_i w_i k_i Δw_i.
    impact_shift: f64,
    chi_squared: Option<(ChiSquared<f64>, f64)>,
    steps: usize,
}

fn check_len(what: &'static str, found: usize, expected: usize) -> Result<(), McError> {
    match found == expected {
        true => Ok(()),
        false => Err(McError::DimensionMismatch {
            what,
            expected,
            found,
        }),
    }
}

fn all_finite(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite())
}

impl ReserveModel {
    /// Current CR = V0 / S.
    pub fn initial_cr(&self) -> f64 {
        self.reserve_value / self.supply
    }

    fn prepare(&self, config: &McConfig) -> Result<PreparedModel, McError> {
        let n = self.assets.len();
        require(n > 0, "number of assets", 0.0, "positive")?;
        check_len("weights", self.weights.len(), n)?;
        check_len("mean_log_return", self.mean_log_return.len(), n)?;
        check_len("covariance", self.covariance.len(), n)?;
        let impact = if self.impact.is_empty() {
            vec![0.0; n]
        } else {
            self.impact.clone()
        };
        let changes = if self.weight_changes.is_empty() {
            vec![0.0; n]
        } else {
            self.weight_changes.clone()
        };
        check_len("impact", impact.len(), n)?;
        check_len("weight_changes", changes.len(), n)?;
        let weight_sum: f64 = self.weights.iter().sum();
        if let Some(bad) = self.weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            require(false, "weight", *bad, "finite and >= 0")?;
        }
        require(
            (weight_sum - 1.0).abs() < 1e-9,
            "sum of weights",
            weight_sum,
            "1",
        )?;
        require(
            self.reserve_value.is_finite() && self.reserve_value > 0.0,
            "reserve_value",
            self.reserve_value,
            "positive",
        )?;
        require(
            self.supply.is_finite() && self.supply > 0.0,
            "supply",
            self.supply,
            "positive",
        )?;
        require(
            all_finite(&self.mean_log_return),
            "mean_log_return",
            f64::NAN,
            "finite",
        )?;
        require(
            all_finite(&impact) && all_finite(&changes),
            "impact or weight change",
            f64::NAN,
            "finite",
        )?;

        require(config.paths > 0, "paths", config.paths as f64, "positive")?;
        require(
            config.horizon_steps > 0,
            "horizon_steps",
            config.horizon_steps as f64,
            "positive",
        )?;
        require(
            config.horizon_years.is_finite() && config.horizon_years > 0.0,
            "horizon_years",
            config.horizon_years,
            "positive",
        )?;
        let dt = config.horizon_years / config.horizon_steps as f64;
        let chi_squared = match self.shocks {
            Shocks::Normal => None,
            Shocks::StudentT {
                degrees_of_freedom: nu,
            } => {
                require(
                    nu.is_finite() && nu > 2.0,
                    "degrees_of_freedom",
                    nu,
                    "finite and > 2",
                )?;
                let distribution = ChiSquared::new(nu).map_err(|_| McError::InvalidParameter {
                    name: "degrees_of_freedom",
                    value: nu,
                    requirement: "finite and > 2",
                })?;
                Some((distribution, nu - 2.0))
            }
        };
        let lower = psd_cholesky(&self.covariance)?;
        let step_factor = (0..n)
            .flat_map(|i| (0..=i).map(move |j| (i, j)))
            .map(|(i, j)| lower[i * n + j] * dt.sqrt())
            .collect();
        Ok(PreparedModel {
            n,
            horizon_drift: self
                .mean_log_return
                .iter()
                .map(|m| m * dt * config.horizon_steps as f64)
                .collect(),
            step_factor,
            value_weights: self
                .weights
                .iter()
                .map(|w| w * self.reserve_value)
                .collect(),
            impact_shift: self.reserve_value
                * (0..n)
                    .map(|i| self.weights[i] * impact[i] * changes[i])
                    .sum::<f64>(),
            chi_squared,
            steps: config.horizon_steps,
        })
    }
}

/// Paths per parallel work unit: buffers are allocated once per chunk.
const CHUNK: usize = 1024;

impl PreparedModel {
    /// Terminal reserve value V_s of the path drawing from `rng`; `shock_sum`
    /// is scratch of length n.
    ///
    /// X_T = Σ_s (m dt + c_s sqrt(dt) L Z_s) = steps m dt + sqrt(dt) L Σ_s c_s Z_s:
    /// the step map is linear, so each step's shocks are drawn (in the same
    /// order as a step-by-step update) and summed, and L is applied once.
    #[inline]
    fn terminal_value(&self, rng: &mut FastStream, shock_sum: &mut [f64]) -> f64 {
        shock_sum.fill(0.0);
        for _ in 0..self.steps {
            let scale = match &self.chi_squared {
                None => 1.0,
                Some((chi_squared, nu_minus_two)) => {
                    (nu_minus_two / chi_squared.sample(rng)).sqrt()
                }
            };
            for z in shock_sum.iter_mut() {
                *z += scale * rng.sample::<f64, _>(StandardNormal);
            }
        }
        let mut value = self.impact_shift;
        let mut rows = self.step_factor.as_slice();
        for (i, (drift, value_weight)) in self
            .horizon_drift
            .iter()
            .zip(&self.value_weights)
            .enumerate()
        {
            let (row, rest) = rows.split_at(i + 1);
            rows = rest;
            let x = drift + row.iter().zip(&*shock_sum).map(|(l, z)| l * z).sum::<f64>();
            value += value_weight * x.exp();
        }
        value
    }
}

/// Terminal reserve values V_s of every path, in path order.
pub fn simulate_reserve_values(
    model: &ReserveModel,
    config: &McConfig,
) -> Result<Vec<f64>, McError> {
    let prepared = model.prepare(config)?;
    let mut values = vec![0.0; config.paths];
    let streams = FastStreams::new(config.seed);
    values
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(chunk, out)| {
            let mut shock_sum = vec![0.0; prepared.n];
            let first = (chunk * CHUNK) as u64;
            for (offset, value) in out.iter_mut().enumerate() {
                let mut rng = streams.unit(first + offset as u64);
                *value = prepared.terminal_value(&mut rng, &mut shock_sum);
            }
        });
    Ok(values)
}

/// Simulates the reserve and summarises CR: breach probabilities with
/// Wilson and Clopper–Pearson intervals, VaR and ES of the loss, histogram.
pub fn simulate_reserve(model: &ReserveModel, config: &McConfig) -> Result<McResult, McError> {
    require(
        config.confidence > 0.0 && config.confidence < 1.0,
        "confidence",
        config.confidence,
        "in (0, 1)",
    )?;
    require(
        config.tail_level > 0.0 && config.tail_level < 1.0,
        "tail_level",
        config.tail_level,
        "in (0, 1)",
    )?;
    require(
        all_finite(&config.cr_thresholds),
        "cr_threshold",
        f64::NAN,
        "finite",
    )?;
    require(config.histogram_bins > 0, "histogram_bins", 0.0, "positive")?;
    let values = simulate_reserve_values(model, config)?;
    let crs: Vec<f64> = values.iter().map(|v| v / model.supply).collect();
    let paths = crs.len() as u64;
    let breach = config
        .cr_thresholds
        .iter()
        .map(|&threshold| {
            let count = crs.iter().filter(|&&cr| cr < threshold).count() as u64;
            Ok(ThresholdProbability {
                threshold,
                count,
                probability: count as f64 / paths as f64,
                wilson: wilson_interval(count, paths, config.confidence)?,
                clopper_pearson: clopper_pearson_interval(count, paths, config.confidence)?,
            })
        })
        .collect::<Result<_, McError>>()?;
    let mut losses: Vec<f64> = values.iter().map(|v| model.reserve_value - v).collect();
    Ok(McResult {
        paths: config.paths,
        seed: config.seed,
        horizon_years: config.horizon_years,
        initial_cr: model.initial_cr(),
        mean_cr: crs.iter().sum::<f64>() / paths as f64,
        confidence: config.confidence,
        breach,
        loss: tail_risk(&mut losses, config.tail_level)?,
        cr_histogram: Histogram::from_samples(&crs, config.histogram_bins)?,
    })
}

#[cfg(test)]
mod tests;
