//! The allocation QP's inputs (protocol §8, seed 000) and their validation.

use serde::{Deserialize, Serialize};

use super::checks::{check_finite, check_len, check_non_negative, require};
use super::{AllocationError, Covariance};

/// How far the current weights may be from summing to one.
const WEIGHT_SUM_TOLERANCE: f64 = 1e-6;

/// How the collateral ratio depends on the new weights.
///
/// Rebalancing at fixed prices leaves V, and so V/S, unchanged; CR moves with
/// w only through how much of each asset's value is recognised. Both readings
/// below are linear, CR(w) = Σ_i w_i k_i, which keeps the problem a QP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum CollateralModel {
    /// Risk-weighted CR (seed 003 tier weights, protocol §2 rw_i):
    /// CR(w) = cr_now · Σ_i w_i rw_i, with rw_i = 1 for cash and e.g. 0.7 / 0.65 / 0.2 for riskier tiers.
    RiskWeighted {
        /// Recognised fraction rw_i of each asset's value, one per asset, ≥ 0.
        recognition: Vec<f64>,
    },
    /// CR expected after one horizon: CR(w) = cr_now · (1 + h · wᵀmu).
    Horizon {
        /// Horizon h in the units of `mu` (years if `mu` is annual), ≥ 0.
        horizon: f64,
    },
}

/// One solve of the allocation QP:
///
/// max_w  wᵀmu − (lambda/2) wᵀSigma w − Σ_i c_i t_i + psi (CR(w) − CR_target)
/// s.t. Σ w_i = 1, 0 ≤ w_i ≤ cap_i, CR(w) ≥ CR_min, Σ w_i R_i ≤ R_max,
///      t_i ≥ w_i − w0_i, t_i ≥ w0_i − w_i.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationProblem {
    /// Asset names, one per asset; they fix n.
    pub assets: Vec<String>,
    /// Expected return of each asset over the horizon.
    pub mu: Vec<f64>,
    /// Covariance of the returns: n rows of n entries, or a factor model (see
    /// [`Covariance`]); symmetric positive semidefinite.
    pub sigma: Covariance,
    /// Risk aversion lambda ≥ 0.
    pub lambda: f64,
    /// Transaction cost c_i per unit of weight traded, ≥ 0.
    pub costs: Vec<f64>,
    /// Current weights w0, ≥ 0 and summing to one.
    pub w0: Vec<f64>,
    /// Risk score R_i of each asset.
    pub risk_scores: Vec<f64>,
    /// Upper bound R_max on the portfolio's risk score Σ w_i R_i.
    pub r_max: f64,
    /// Largest weight cap_i each asset may take (liquidity), ≥ 0.
    pub liquidity_caps: Vec<f64>,
    /// Weight psi ≥ 0 of the collateral ratio in the objective.
    pub psi: f64,
    /// Collateral ratio V/S now, > 0.
    pub cr_now: f64,
    /// Target collateral ratio (enters the objective as a constant offset).
    pub cr_target: f64,
    /// Floor CR(w) ≥ cr_min.
    pub cr_min: f64,
    /// How CR depends on the weights.
    pub collateral: CollateralModel,
}

impl AllocationProblem {
    /// Number of assets.
    pub fn len(&self) -> usize {
        self.assets.len()
    }

    /// True when there are no assets.
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    /// Checks dimensions, signs, finiteness and that Sigma is symmetric PSD.
    pub fn validate(&self) -> Result<(), AllocationError> {
        let n = self.len();
        if n == 0 {
            return Err(AllocationError::NoAssets);
        }
        for (field, values) in [
            ("mu", &self.mu),
            ("costs", &self.costs),
            ("w0", &self.w0),
            ("risk_scores", &self.risk_scores),
            ("liquidity_caps", &self.liquidity_caps),
        ] {
            check_len(field, values.len(), n)?;
        }
        check_finite("mu", &self.mu)?;
        check_finite("risk_scores", &self.risk_scores)?;
        check_non_negative("costs", &self.costs)?;
        check_non_negative("w0", &self.w0)?;
        check_non_negative("liquidity_caps", &self.liquidity_caps)?;
        let w0_sum: f64 = self.w0.iter().sum();
        require(
            "sum of w0",
            w0_sum,
            (w0_sum - 1.0).abs() <= WEIGHT_SUM_TOLERANCE,
            "current weights must sum to 1",
        )?;
        require("lambda", self.lambda, self.lambda >= 0.0, "must be ≥ 0")?;
        require("psi", self.psi, self.psi >= 0.0, "must be ≥ 0")?;
        require("cr_now", self.cr_now, self.cr_now > 0.0, "must be > 0")?;
        require("cr_min", self.cr_min, true, "must be finite")?;
        require("cr_target", self.cr_target, true, "must be finite")?;
        require("r_max", self.r_max, true, "must be finite")?;
        match &self.collateral {
            CollateralModel::RiskWeighted { recognition } => {
                check_len("collateral.recognition", recognition.len(), n)?;
                check_non_negative("collateral.recognition", recognition)?;
            }
            CollateralModel::Horizon { horizon } => {
                require(
                    "collateral.horizon",
                    *horizon,
                    *horizon >= 0.0,
                    "must be ≥ 0",
                )?;
            }
        }
        self.sigma.validate(n)
    }

    /// Coefficients k with CR(w) = kᵀw on the budget Σ w_i = 1.
    pub fn cr_coefficients(&self) -> Vec<f64> {
        match &self.collateral {
            CollateralModel::RiskWeighted { recognition } => {
                recognition.iter().map(|rw| self.cr_now * rw).collect()
            }
            CollateralModel::Horizon { horizon } => self
                .mu
                .iter()
                .map(|m| self.cr_now * (1.0 + horizon * m))
                .collect(),
        }
    }

    /// wᵀ Sigma w.
    pub fn variance(&self, w: &[f64]) -> f64 {
        dot(w, &self.sigma.times(w))
    }

    /// The objective to maximise at weights w with trades t.
    pub fn objective(&self, w: &[f64], t: &[f64]) -> f64 {
        let cr = dot(w, &self.cr_coefficients());
        dot(w, &self.mu) - 0.5 * self.lambda * self.variance(w) - dot(t, &self.costs)
            + self.psi * (cr - self.cr_target)
    }

    /// The objective at weights w with the cheapest trades t_i = |w_i − w0_i|.
    pub fn utility(&self, w: &[f64]) -> f64 {
        let trades: Vec<f64> = w
            .iter()
            .zip(&self.w0)
            .map(|(wi, w0i)| (wi - w0i).abs())
            .collect();
        self.objective(w, &trades)
    }
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// Three assets (cash, T-bills, crypto) with a loose risk limit and CR floor.
    pub(crate) fn three_assets() -> AllocationProblem {
        AllocationProblem {
            assets: vec!["cash".into(), "tbill".into(), "eth".into()],
            mu: vec![0.0, 0.045, 0.15],
            sigma: Covariance::Dense(vec![
                vec![0.0, 0.0, 0.0],
                vec![0.0, 0.0004, 0.0002],
                vec![0.0, 0.0002, 0.36],
            ]),
            lambda: 3.0,
            costs: vec![0.0, 0.001, 0.004],
            w0: vec![0.3, 0.5, 0.2],
            risk_scores: vec![0.0, 0.2, 1.0],
            r_max: 0.5,
            liquidity_caps: vec![1.0, 0.8, 0.4],
            psi: 0.05,
            cr_now: 1.25,
            cr_target: 1.2,
            cr_min: 1.1,
            collateral: CollateralModel::RiskWeighted {
                recognition: vec![1.0, 0.98, 0.7],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::three_assets;
    use super::*;

    #[test]
    fn parses_toml_and_rejects_unknown_fields() {
        let problem = three_assets();
        let text = toml::to_string(&problem).unwrap();
        let parsed: AllocationProblem = toml::from_str(&text).unwrap();
        assert_eq!(parsed, problem);
        let with_typo = text.replace("r_max", "rmax");
        assert!(toml::from_str::<AllocationProblem>(&with_typo).is_err());
        let json = r#"{"model":"horizon","horizon":1.0,"extra":2}"#;
        assert!(serde_json::from_str::<CollateralModel>(json).is_err());
    }

    #[test]
    fn validation_names_the_offending_field() {
        let mut p = three_assets();
        p.costs.pop();
        assert_eq!(
            p.validate(),
            Err(AllocationError::DimensionMismatch {
                field: "costs",
                expected: 3,
                found: 2
            })
        );
        let mut p = three_assets();
        p.liquidity_caps[1] = -0.1;
        assert!(matches!(
            p.validate(),
            Err(AllocationError::Negative {
                field: "liquidity_caps",
                index: 1,
                ..
            })
        ));
        let mut p = three_assets();
        p.w0 = vec![0.5, 0.5, 0.5];
        assert!(matches!(
            p.validate(),
            Err(AllocationError::InvalidParameter {
                name: "sum of w0",
                ..
            })
        ));
        let mut p = three_assets();
        p.mu[2] = f64::NAN;
        assert_eq!(
            p.validate(),
            Err(AllocationError::NonFinite {
                field: "mu",
                index: 2
            })
        );
        let mut p = three_assets();
        let Covariance::Dense(rows) = &mut p.sigma else {
            unreachable!("the fixture is dense")
        };
        rows[2][2] = -0.1;
        assert!(matches!(
            p.validate(),
            Err(AllocationError::CovarianceNotPsd { .. })
        ));
    }

    #[test]
    fn horizon_reading_is_cr_now_times_one_plus_expected_growth() {
        let mut p = three_assets();
        p.collateral = CollateralModel::Horizon { horizon: 0.5 };
        let w = [0.2, 0.5, 0.3];
        let expected = p.cr_now * (1.0 + 0.5 * dot(&w, &p.mu));
        assert!((dot(&w, &p.cr_coefficients()) - expected).abs() < 1e-15);
    }
}
