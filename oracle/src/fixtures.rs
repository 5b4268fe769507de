//! Seeded inputs shared by the criterion benchmarks and the Python peer
//! comparison (`bench/compare.py`), so both sides measure the same problems.

use crate::montecarlo::{McConfig, ReserveModel, Shocks};

/// A four-asset reserve (cash, T-bills, BTC, ETH) at CR 1.25, with annual
/// log-return moments of their usual size and a 10-day horizon in daily steps.
pub fn reserve_model() -> ReserveModel {
    let vols = [0.0, 0.01, 0.65, 0.80];
    let crypto_correlation = 0.7;
    let covariance = (0..4)
        .map(|i| {
            (0..4)
                .map(|j| {
                    let correlation = match (i, j) {
                        _ if i == j => 1.0,
                        (2, 3) | (3, 2) => crypto_correlation,
                        _ => 0.0,
                    };
                    correlation * vols[i] * vols[j]
                })
                .collect()
        })
        .collect();
    ReserveModel {
        assets: ["USDC", "TBILL", "BTC", "ETH"].map(String::from).to_vec(),
        weights: vec![0.30, 0.40, 0.18, 0.12],
        reserve_value: 125.0e6,
        supply: 100.0e6,
        mean_log_return: vec![0.0, 0.05, 0.10, 0.12],
        covariance,
        impact: Vec::new(),
        weight_changes: Vec::new(),
        shocks: Shocks::Normal,
    }
}

/// `paths` paths of [`reserve_model`] over its default horizon.
pub fn reserve_config(paths: usize, seed: u64) -> McConfig {
    McConfig {
        paths,
        seed,
        ..McConfig::default()
    }
}
