//! Discrete delta hedging: does a self-financing portfolio replicate the claim?
//!
//! The hedger sells nothing and borrows nothing from outside: it starts with
//! the claim's risk-neutral value V_0 (the closed form with drift = discount
//! rate), holds delta_j units of the loan and keeps the rest in a cash account
//! growing at the discount rate, and at each rebalancing date pays for the
//! change in delta from that cash account. Paths follow the claim's own
//! (real-world) drift. At maturity the hedging error is portfolio − payoff;
//! continuous hedging would make it zero, discrete hedging leaves an error of
//! mean ≈ 0 and RMS ∝ sqrt(dt).

use serde::{Deserialize, Serialize};

use super::claim::GbmClaim;
use super::closed_form::closed_form;
use super::error::{require, ValuationError};
use super::monte_carlo::{average_over_paths, path_normals, Estimate};
use crate::montecarlo::Scheme;

/// Settings for `delta_hedge`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HedgeSettings {
    pub seed: u64,
    /// Number of simulated paths, ≥ 2.
    pub paths: u64,
    /// Rebalancing dates, equally spaced over the claim's life, ≥ 1.
    pub rebalances: usize,
}

/// One rebalancing of the hedge, before and after the trade.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HedgeStep {
    /// Years since inception.
    pub time: f64,
    pub spot: f64,
    /// Cash account after interest accrued since the previous date, before trading.
    pub cash_before: f64,
    pub cash_after: f64,
    pub delta_before: f64,
    pub delta_after: f64,
}

impl HedgeStep {
    /// Portfolio value just before the trade.
    pub fn value_before(&self) -> f64 {
        self.delta_before * self.spot + self.cash_before
    }

    /// Portfolio value just after the trade.
    pub fn value_after(&self) -> f64 {
        self.delta_after * self.spot + self.cash_after
    }
}

/// The hedge along one path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HedgePath {
    /// The rebalancing dates, inception first.
    pub steps: Vec<HedgeStep>,
    pub terminal_spot: f64,
    /// Portfolio value at maturity minus the payoff.
    pub hedging_error: f64,
}

/// Statistics of the hedging error over paths.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HedgeReport {
    /// Mean hedging error and its standard error.
    pub mean_error: Estimate,
    /// Root mean square hedging error.
    pub rms_error: f64,
    /// The claim's risk-neutral value, which funds the hedge.
    pub initial_value: f64,
}

impl HedgeSettings {
    fn validate(&self) -> Result<(), ValuationError> {
        require(
            "paths",
            self.paths as f64,
            self.paths >= 2,
            "need at least 2 paths",
        )?;
        require(
            "rebalances",
            self.rebalances as f64,
            self.rebalances >= 1,
            "need at least 1",
        )
    }
}

/// Hedges the claim along the path driven by `normals` (one per rebalancing
/// interval), recording every rebalancing.
pub fn hedge_path(claim: &GbmClaim, normals: &[f64]) -> HedgePath {
    let pricing = claim.risk_neutral();
    let dt = claim.maturity / normals.len() as f64;
    let growth = (claim.discount_rate * dt).exp();
    let delta_at = |spot: f64, time: f64| {
        closed_form(&pricing.with_spot(spot).with_maturity(claim.maturity - time)).delta
    };

    let gbm = claim.gbm();
    let mut spot = claim.spot;
    let delta = delta_at(spot, 0.0);
    let initial = HedgeStep {
        time: 0.0,
        spot,
        cash_before: closed_form(&pricing).value,
        cash_after: closed_form(&pricing).value - delta * spot,
        delta_before: 0.0,
        delta_after: delta,
    };
    let mut steps = Vec::with_capacity(normals.len());
    steps.push(initial);
    let (mut cash, mut delta) = (initial.cash_after, delta);
    for (j, z) in normals.iter().enumerate() {
        spot = Scheme::LogExact.step(&gbm, spot, dt, dt.sqrt() * z);
        cash *= growth;
        if j + 1 == normals.len() {
            break;
        }
        let time = (j + 1) as f64 * dt;
        let new_delta = delta_at(spot, time);
        let step = HedgeStep {
            time,
            spot,
            cash_before: cash,
            cash_after: cash - (new_delta - delta) * spot,
            delta_before: delta,
            delta_after: new_delta,
        };
        steps.push(step);
        (cash, delta) = (step.cash_after, new_delta);
    }
    HedgePath {
        steps,
        terminal_spot: spot,
        hedging_error: delta * spot + cash - claim.payoff.at(spot),
    }
}

/// Mean and RMS of the discrete delta-hedging error over paths; path k is
/// driven by `rng::stream(seed, k)`.
pub fn delta_hedge(
    claim: &GbmClaim,
    settings: &HedgeSettings,
) -> Result<HedgeReport, ValuationError> {
    claim.validate()?;
    settings.validate()?;
    let moments = average_over_paths(settings.paths, |k| {
        let normals = path_normals(settings.seed, k, settings.rebalances);
        let error = hedge_path(claim, &normals).hedging_error;
        [error, error * error]
    });
    Ok(HedgeReport {
        mean_error: moments.estimate(0),
        rms_error: moments.estimate(1).mean.sqrt(),
        initial_value: closed_form(&claim.risk_neutral()).value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::valuation::Payoff;

    fn claim(drift: f64) -> GbmClaim {
        GbmClaim {
            spot: 1.0,
            drift,
            sigma: 0.3,
            discount_rate: 0.04,
            maturity: 0.5,
            payoff: Payoff::Call { strike: 1.0 },
        }
    }

    #[test]
    fn every_rebalance_is_funded_from_the_cash_account() {
        let claim = claim(0.12);
        let normals = path_normals(9, 0, 50);
        let path = hedge_path(&claim, &normals);
        let growth = (claim.discount_rate * claim.maturity / 50.0).exp();
        assert_eq!(path.steps.len(), 50);
        assert_eq!(
            path.steps[0].cash_before,
            closed_form(&claim.risk_neutral()).value
        );
        for pair in path.steps.windows(2) {
            let (previous, step) = (pair[0], pair[1]);
            // Between dates the cash only earns interest ...
            assert!((step.cash_before - previous.cash_after * growth).abs() < 1e-15);
            assert_eq!(step.delta_before, previous.delta_after);
            // ... and a trade moves exactly −Δdelta·S through it, leaving the value unchanged.
            let traded = step.cash_after - step.cash_before;
            assert!((traded + (step.delta_after - step.delta_before) * step.spot).abs() < 1e-15);
            assert!((step.value_after() - step.value_before()).abs() < 1e-15);
        }
        let last = path.steps[49];
        let terminal_value = last.delta_after * path.terminal_spot + last.cash_after * growth;
        let payoff = claim.payoff.at(path.terminal_spot);
        assert!((path.hedging_error - (terminal_value - payoff)).abs() < 1e-15);
    }

    #[test]
    fn hedging_error_has_zero_mean_under_the_pricing_measure() {
        // With drift = discount rate the discounted portfolio and claim are
        // both martingales, so the mean error is zero at any frequency.
        for rebalances in [4, 32] {
            let settings = HedgeSettings {
                seed: 3,
                paths: 4000,
                rebalances,
            };
            let report = delta_hedge(&claim(0.04), &settings).unwrap();
            let mean = report.mean_error;
            assert!(
                mean.mean.abs() < 4.0 * mean.standard_error,
                "{rebalances}: {mean:?}"
            );
        }
    }

    #[test]
    fn hedging_error_shrinks_like_the_square_root_of_the_time_step() {
        // Real-world drift differs from the discount rate: replication does not care.
        let rms = |rebalances| {
            let settings = HedgeSettings {
                seed: 4,
                paths: 2000,
                rebalances,
            };
            delta_hedge(&claim(0.15), &settings).unwrap().rms_error
        };
        let (coarse, medium, fine) = (rms(16), rms(64), rms(256));
        for ratio in [coarse / medium, medium / fine] {
            assert!(
                (1.7..2.3).contains(&ratio),
                "RMS ratio {ratio} for 4× the rebalances"
            );
        }
    }
}
