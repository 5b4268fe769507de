//! A loan from the tape's columns, valued in closed form and by Monte Carlo.

use ballast_oracle::data::DAYS_PER_YEAR;
use ballast_oracle::valuation::{
    closed_form, monte_carlo_greeks, Loan, MonteCarloSettings, Payoff, Scheme,
};

fn tape_loan(payoff: Payoff) -> Loan {
    Loan {
        spot: 1.0,
        base_interest_rate_pct: 11.5,
        duration_days: 270.0,
        compounding_periods: 9,
        sigma: 0.18,
        discount_rate: 0.05,
        payoff,
    }
}

#[test]
fn loan_token_grows_at_its_rate_and_is_at_par_when_discounted_at_it() {
    let claim = tape_loan(Payoff::Loan).claim().unwrap();
    let monthly: f64 = 1.0 + 0.115 * (270.0 / DAYS_PER_YEAR) / 9.0;
    // Discounted at 5%: the promised growth over the discount.
    let expected = monthly.powi(9) * (-0.05 * claim.maturity).exp();
    assert!((closed_form(&claim).value - expected).abs() < 1e-12);
    // Discounted at its own rate the loan is worth its spot.
    let at_own_rate = ballast_oracle::valuation::GbmClaim {
        discount_rate: claim.drift,
        ..claim
    };
    assert!((closed_form(&at_own_rate).value - 1.0).abs() < 1e-12);
}

#[test]
fn milstein_monte_carlo_values_debt_within_discretisation_and_sampling_error() {
    let claim = tape_loan(Payoff::Debt { face: 1.08 }).claim().unwrap();
    let settings = MonteCarloSettings {
        seed: 77,
        paths: 20_000,
        steps: 27,
        scheme: Scheme::Milstein,
        relative_spot_bump: 0.01,
        time_bump: 1.0 / 365.0,
    };
    let mc = monte_carlo_greeks(&claim, &settings).unwrap();
    let exact = closed_form(&claim);
    // Milstein's weak error at 27 steps is far below the sampling error here.
    assert!((mc.value.mean - exact.value).abs() < 4.0 * mc.value.standard_error + 1e-4);
    assert!((mc.delta.mean - exact.delta).abs() < 4.0 * mc.delta.standard_error + 1e-3);
}
