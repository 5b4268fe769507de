//! `ballast-oracle value`: each loan of a tape valued as a GBM claim (drift
//! from its base rate, sigma fitted by maximum likelihood), with Monte Carlo
//! Greeks against the closed form and a discrete delta-hedge check.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::inputs;
use super::output::{progress_bar, Output};
use crate::data::{LoanPath, DAYS_PER_YEAR};
use crate::estimate::fit_loan;
use crate::valuation::{
    closed_form, delta_hedge, monte_carlo_greeks, GbmClaim, Greeks, HedgeReport, Loan,
    MonteCarloGreeks, MonteCarloSettings, Payoff, Scheme,
};

/// Days between the hedge's rebalances.
const HEDGE_EVERY_DAYS: f64 = 7.0;
const HEDGE_PATHS: u64 = 500;

/// Numerical settings of the command.
pub struct ValueSettings {
    pub discount_rate: f64,
    pub paths: u64,
    pub seed: u64,
}

#[derive(Serialize)]
struct LoanValue {
    loan_id: String,
    sigma: f64,
    sigma_se: f64,
    drift: f64,
    maturity_years: f64,
    monte_carlo: MonteCarloGreeks,
    closed_form: Greeks,
    /// Largest |Monte Carlo − closed form| / standard error over the four figures.
    max_z: f64,
    /// Weekly delta hedge of min(S_T, e^{mu T}), the repayment the base rate promises.
    hedge_of_promised_repayment: HedgeReport,
}

#[derive(Serialize)]
struct Skipped {
    loan_id: String,
    reason: String,
}

#[derive(Serialize)]
struct ValueReport {
    source: String,
    discount_rate: f64,
    loans: Vec<LoanValue>,
    skipped: Vec<Skipped>,
}

pub fn run(loans: Option<&Path>, settings: &ValueSettings, output: &Output) -> Result<()> {
    let tape = inputs::loans(loans)?;
    let bar = progress_bar(tape.data.len(), "loans");
    let (mut valued, mut skipped) = (Vec::new(), Vec::new());
    for loan in &tape.data {
        match value_loan(loan, settings) {
            Ok(value) => valued.push(value),
            Err(reason) => skipped.push(Skipped {
                loan_id: loan.loan_id.clone(),
                reason: reason.to_string(),
            }),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let report = ValueReport {
        source: tape.source,
        discount_rate: settings.discount_rate,
        loans: valued,
        skipped,
    };
    output.finish(&report, &summary(&report), &[])
}

fn value_loan(path: &LoanPath, settings: &ValueSettings) -> Result<LoanValue> {
    let fit = fit_loan(path)?;
    let claim = Loan {
        spot: 1.0,
        base_interest_rate_pct: path.base_interest_rate_pct,
        duration_days: f64::from(path.loan_duration_days),
        compounding_periods: path.compounding_periods,
        sigma: fit.fit.sigma,
        discount_rate: settings.discount_rate,
        payoff: Payoff::Loan,
    }
    .claim()?;
    let monte_carlo = monte_carlo_greeks(
        &claim,
        &MonteCarloSettings {
            seed: settings.seed,
            paths: settings.paths,
            steps: 1,
            scheme: Scheme::LogExact,
            relative_spot_bump: 0.01,
            time_bump: 1.0 / DAYS_PER_YEAR,
        },
    )?;
    let exact = closed_form(&claim);
    let z = |mc: crate::valuation::Estimate, exact: f64| {
        (mc.mean - exact).abs() / mc.standard_error.max(f64::MIN_POSITIVE)
    };
    let max_z = [
        z(monte_carlo.value, exact.value),
        z(monte_carlo.delta, exact.delta),
        z(monte_carlo.gamma, exact.gamma),
        z(monte_carlo.theta, exact.theta),
    ]
    .into_iter()
    .fold(0.0, f64::max);
    let promised = GbmClaim {
        payoff: Payoff::Debt {
            face: (claim.drift * claim.maturity).exp(),
        },
        ..claim
    };
    let rebalances = (claim.maturity * DAYS_PER_YEAR / HEDGE_EVERY_DAYS).ceil() as usize;
    let hedge = delta_hedge(
        &promised,
        &crate::valuation::HedgeSettings {
            seed: settings.seed,
            paths: HEDGE_PATHS,
            rebalances: rebalances.max(1),
        },
    )?;
    Ok(LoanValue {
        loan_id: path.loan_id.clone(),
        sigma: fit.fit.sigma,
        sigma_se: fit.fit.sigma_se,
        drift: claim.drift,
        maturity_years: claim.maturity,
        monte_carlo,
        closed_form: exact,
        max_z,
        hedge_of_promised_repayment: hedge,
    })
}

fn summary(report: &ValueReport) -> String {
    let mut text = format!(
        "{} loans valued, {} skipped ({}), discount rate {}\n  loan       sigma   value (MC ± se)      closed   delta   gamma    theta   hedge RMS",
        report.loans.len(),
        report.skipped.len(),
        report.source,
        report.discount_rate
    );
    for loan in report.loans.iter().take(8) {
        let mc = &loan.monte_carlo;
        text += &format!(
            "\n  {:<9} {:>6.3}  {:.5} ± {:.5}  {:.5}  {:>6.3}  {:>6.3}  {:>7.4}  {:.2e}",
            loan.loan_id,
            loan.sigma,
            mc.value.mean,
            mc.value.standard_error,
            loan.closed_form.value,
            mc.delta.mean,
            mc.gamma.mean,
            mc.theta.mean,
            loan.hedge_of_promised_repayment.rms_error
        );
    }
    if report.loans.len() > 8 {
        text += &format!("\n  ... {} more in the report", report.loans.len() - 8);
    }
    let worst = report.loans.iter().map(|l| l.max_z).fold(0.0, f64::max);
    text + &format!("\n  largest |MC - closed form| / se over all loans and Greeks: {worst:.2}")
}
