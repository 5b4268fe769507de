//! Closed-form value and Greeks of the claims on GBM: Black–Scholes–Merton
//! with cost of carry b = drift (the drift is not forced to the discount rate,
//! as seed 001 discounts the expected payoff under the loan's own drift).

use serde::Serialize;
use statrs::function::erf::erfc;

use super::claim::{GbmClaim, Payoff};

/// Value and sensitivities. Theta is ∂V/∂t at fixed maturity date (= −∂V/∂T).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Greeks {
    pub value: f64,
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
}

impl std::ops::Sub for Greeks {
    type Output = Greeks;
    fn sub(self, other: Greeks) -> Greeks {
        Greeks {
            value: self.value - other.value,
            delta: self.delta - other.delta,
            gamma: self.gamma - other.gamma,
            theta: self.theta - other.theta,
        }
    }
}

fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Closed-form Greeks of `claim` (assumed valid: positive spot, sigma, maturity).
pub fn closed_form(claim: &GbmClaim) -> Greeks {
    match claim.payoff {
        Payoff::Loan => loan(claim),
        Payoff::Call { strike } => call(claim, strike),
        // min(S, F) = S − (S − F)⁺.
        Payoff::Debt { face } => loan(claim) - call(claim, face),
    }
}

/// e^{−rT} E[S_T] = S e^{(b−r)T}.
fn loan(claim: &GbmClaim) -> Greeks {
    let carry_growth = ((claim.drift - claim.discount_rate) * claim.maturity).exp();
    let value = claim.spot * carry_growth;
    Greeks {
        value,
        delta: carry_growth,
        gamma: 0.0,
        theta: -(claim.drift - claim.discount_rate) * value,
    }
}

/// e^{−rT} E[(S_T − K)⁺] (Haug's generalised Black–Scholes).
fn call(claim: &GbmClaim, strike: f64) -> Greeks {
    let GbmClaim {
        spot: s,
        drift: b,
        sigma,
        discount_rate: r,
        maturity: t,
        ..
    } = *claim;
    let vol_sqrt_t = sigma * t.sqrt();
    let d1 = ((s / strike).ln() + (b + 0.5 * sigma * sigma) * t) / vol_sqrt_t;
    let d2 = d1 - vol_sqrt_t;
    let carry_growth = ((b - r) * t).exp();
    let discount = (-r * t).exp();
    let (n1, n2, pdf1) = (normal_cdf(d1), normal_cdf(d2), normal_pdf(d1));
    Greeks {
        value: s * carry_growth * n1 - strike * discount * n2,
        delta: carry_growth * n1,
        gamma: carry_growth * pdf1 / (s * vol_sqrt_t),
        theta: -s * carry_growth * pdf1 * sigma / (2.0 * t.sqrt())
            - (b - r) * s * carry_growth * n1
            - r * strike * discount * n2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(payoff: Payoff) -> GbmClaim {
        GbmClaim {
            spot: 1.03,
            drift: 0.09,
            sigma: 0.25,
            discount_rate: 0.04,
            maturity: 0.75,
            payoff,
        }
    }

    #[test]
    fn textbook_black_scholes_price() {
        // Hull's example: S = 42, K = 40, r = 10%, sigma = 20%, T = 0.5 → c = 4.76.
        let c = closed_form(&GbmClaim {
            spot: 42.0,
            drift: 0.1,
            sigma: 0.2,
            discount_rate: 0.1,
            maturity: 0.5,
            payoff: Payoff::Call { strike: 40.0 },
        });
        assert!((c.value - 4.7594).abs() < 5e-4);
    }

    #[test]
    fn greeks_are_the_derivatives_of_the_value() {
        for payoff in [
            Payoff::Loan,
            Payoff::Call { strike: 1.0 },
            Payoff::Debt { face: 1.1 },
        ] {
            let base = claim(payoff);
            let g = closed_form(&base);
            let value = |spot: f64, maturity: f64| {
                closed_form(&base.with_spot(spot).with_maturity(maturity)).value
            };
            let (s, t, h, dt) = (base.spot, base.maturity, 1e-4, 1e-6);
            let delta = (value(s + h, t) - value(s - h, t)) / (2.0 * h);
            let gamma = (value(s + h, t) - 2.0 * value(s, t) + value(s - h, t)) / (h * h);
            let theta = -(value(s, t + dt) - value(s, t - dt)) / (2.0 * dt);
            assert!((g.delta - delta).abs() < 1e-8, "{payoff:?}");
            assert!((g.gamma - gamma).abs() < 1e-5, "{payoff:?}");
            assert!((g.theta - theta).abs() < 1e-7, "{payoff:?}");
        }
    }

    #[test]
    fn debt_plus_call_on_the_face_is_the_loan() {
        let face = 1.1;
        let sum = closed_form(&claim(Payoff::Debt { face })).value
            + closed_form(&claim(Payoff::Call { strike: face })).value;
        assert!((sum - closed_form(&claim(Payoff::Loan)).value).abs() < 1e-14);
    }
}
