//! A loan on the tape, and the claim at maturity on its GBM value that is priced.

use serde::{Deserialize, Serialize};

use super::error::{require, ValuationError};
use crate::data::{drift_from_base_rate, DAYS_PER_YEAR};
use crate::montecarlo::Gbm;

/// What the holder receives at maturity as a function of the loan value S_T.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Payoff {
    /// The loan token itself: S_T. This is what seed 001 values (the loan's
    /// normalised cumulative return at maturity, discounted).
    Loan,
    /// A call on the loan value: (S_T − strike)⁺.
    Call { strike: f64 },
    /// Debt with face value F senior to a residual claim: min(S_T, F).
    Debt { face: f64 },
}

impl Payoff {
    pub fn at(&self, spot: f64) -> f64 {
        match *self {
            Payoff::Loan => spot,
            Payoff::Call { strike } => (spot - strike).max(0.0),
            Payoff::Debt { face } => spot.min(face),
        }
    }
}

/// One loan as the tape gives it (seed 001 columns) plus the model inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loan {
    /// Current normalised cumulative return S_0, > 0.
    pub spot: f64,
    /// Base interest rate in percent per year (tape `base_interest_rate`).
    pub base_interest_rate_pct: f64,
    /// Days to maturity (tape `loan_duration_days`, ACT/365.25), > 0.
    pub duration_days: f64,
    /// Compounding periods over the loan's duration (tape
    /// `compounding_periods`); 0 means continuous compounding.
    pub compounding_periods: u32,
    /// Annual volatility of log S, e.g. the GBM maximum-likelihood estimate, > 0.
    pub sigma: f64,
    /// Continuously compounded annual discount rate.
    pub discount_rate: f64,
    /// The claim valued.
    pub payoff: Payoff,
}

/// A claim paying `payoff(S_T)` at `maturity` on dS = drift·S dt + sigma·S dW.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GbmClaim {
    /// S_0 > 0.
    pub spot: f64,
    /// Annual drift mu.
    pub drift: f64,
    /// Annual volatility sigma > 0.
    pub sigma: f64,
    /// Continuously compounded annual discount rate r.
    pub discount_rate: f64,
    /// Years to maturity T > 0.
    pub maturity: f64,
    pub payoff: Payoff,
}

impl Loan {
    /// The GBM claim this loan defines: drift from the base rate, maturity from the duration.
    pub fn claim(&self) -> Result<GbmClaim, ValuationError> {
        require(
            "duration_days",
            self.duration_days,
            self.duration_days > 0.0,
            "must be > 0",
        )?;
        require(
            "base_interest_rate_pct",
            self.base_interest_rate_pct,
            true,
            "must be finite",
        )?;
        let claim = GbmClaim {
            spot: self.spot,
            drift: drift_from_base_rate(
                self.base_interest_rate_pct,
                self.duration_days,
                self.compounding_periods,
            ),
            sigma: self.sigma,
            discount_rate: self.discount_rate,
            maturity: self.duration_days / DAYS_PER_YEAR,
            payoff: self.payoff,
        };
        claim.validate()?;
        Ok(claim)
    }
}

impl GbmClaim {
    pub fn validate(&self) -> Result<(), ValuationError> {
        require("spot", self.spot, self.spot > 0.0, "must be > 0")?;
        require("sigma", self.sigma, self.sigma > 0.0, "must be > 0")?;
        require(
            "maturity",
            self.maturity,
            self.maturity > 0.0,
            "must be > 0",
        )?;
        require("drift", self.drift, true, "must be finite")?;
        require("discount_rate", self.discount_rate, true, "must be finite")?;
        match self.payoff {
            Payoff::Loan => Ok(()),
            Payoff::Call { strike } => require("strike", strike, strike > 0.0, "must be > 0"),
            Payoff::Debt { face } => require("face", face, face > 0.0, "must be > 0"),
        }
    }

    /// The same claim with another spot.
    pub fn with_spot(&self, spot: f64) -> Self {
        Self { spot, ..*self }
    }

    /// The same claim with another time to maturity.
    pub fn with_maturity(&self, maturity: f64) -> Self {
        Self { maturity, ..*self }
    }

    /// The claim priced risk-neutrally: drift equal to the discount rate.
    pub fn risk_neutral(&self) -> Self {
        Self {
            drift: self.discount_rate,
            ..*self
        }
    }

    /// The loan value's dynamics under this claim's drift.
    pub fn gbm(&self) -> Gbm {
        Gbm {
            mu: self.drift,
            sigma: self.sigma,
        }
    }

    /// e^{−rT}.
    pub fn discount_factor(&self) -> f64 {
        (-self.discount_rate * self.maturity).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loan_inputs_are_checked() {
        let loan = Loan {
            spot: 1.0,
            base_interest_rate_pct: 12.0,
            duration_days: 180.0,
            compounding_periods: 6,
            sigma: 0.0,
            discount_rate: 0.05,
            payoff: Payoff::Loan,
        };
        assert!(matches!(
            loan.claim(),
            Err(ValuationError::InvalidParameter { name: "sigma", .. })
        ));
        let claim = Loan { sigma: 0.2, ..loan }.claim().unwrap();
        assert!((claim.maturity - 180.0 / DAYS_PER_YEAR).abs() < 1e-15);
    }
}
