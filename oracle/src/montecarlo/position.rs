//! The reserve's position as configured for `ballast-oracle risk` (weights
//! by asset name, value, supply, trades), joined with estimated return
//! moments into a [`ReserveModel`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{McError, ReserveModel, Shocks};
use crate::estimate::ReturnEstimates;

/// The reserve's holdings and planned trades, keyed by asset symbol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservePosition {
    /// Weight of each held asset; the assets of the model, summing to 1.
    pub weights: BTreeMap<String, f64>,
    /// Current reserve value V0.
    pub reserve_value: f64,
    /// Stablecoin supply S.
    pub supply: f64,
    /// Price impact k_i per unit of weight traded (absent = 0).
    #[serde(default)]
    pub impact: BTreeMap<String, f64>,
    /// Net weight change per asset over the horizon, negative = sold (absent = 0).
    #[serde(default)]
    pub weight_changes: BTreeMap<String, f64>,
    /// Shock distribution.
    #[serde(default)]
    pub shocks: Shocks,
}

impl ReserveModel {
    /// The model of `position` with moments from `estimates`, restricted to
    /// the held assets (in the estimates' order). Every asset named in the
    /// position must have estimates.
    pub fn from_estimates(
        estimates: &ReturnEstimates,
        position: &ReservePosition,
    ) -> Result<Self, McError> {
        let named = position
            .weights
            .keys()
            .chain(position.impact.keys())
            .chain(position.weight_changes.keys());
        for asset in named {
            if !estimates.assets.contains(asset) {
                return Err(McError::UnknownAsset(asset.clone()));
            }
        }
        let held: Vec<usize> = (0..estimates.assets.len())
            .filter(|&i| position.weights.contains_key(&estimates.assets[i]))
            .collect();
        let per_asset = |map: &BTreeMap<String, f64>| -> Vec<f64> {
            held.iter()
                .map(|&i| map.get(&estimates.assets[i]).copied().unwrap_or(0.0))
                .collect()
        };
        Ok(Self {
            assets: held.iter().map(|&i| estimates.assets[i].clone()).collect(),
            weights: per_asset(&position.weights),
            reserve_value: position.reserve_value,
            supply: position.supply,
            mean_log_return: held.iter().map(|&i| estimates.mean_log_return[i]).collect(),
            covariance: held
                .iter()
                .map(|&i| held.iter().map(|&j| estimates.covariance[i][j]).collect())
                .collect(),
            impact: per_asset(&position.impact),
            weight_changes: per_asset(&position.weight_changes),
            shocks: position.shocks,
        })
    }
}
