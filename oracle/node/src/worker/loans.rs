//! Seed 001's loan book: the reserve's loan assets valued as one portfolio.
//! Each loan token is a claim on its loan's value S, a GBM with drift from
//! the base rate and the volatility the node estimates from its history;
//! the claim pays min(S_T, F) at maturity for debt with face F (or S_T for
//! the loan token itself). Monte Carlo gives each claim's value V_i and its
//! Greeks, and the book with q_i tokens of loan i has
//!
//!   value = sum q_i V_i,  w_i = q_i V_i / value,
//!   delta = sum q_i S_i dV_i/dS_i / value,
//!   gamma = sum q_i S_i^2 d2V_i/dS_i^2 / value,
//!   theta = sum q_i dV_i/dt / value (per year),
//!
//! each per unit of book value (the book's response to a common relative
//! move of every loan, and to time), so one governed bound fits any size.

use ballast_oracle::valuation::{monte_carlo_greeks, Loan, MonteCarloSettings, Payoff, Scheme, ValuationError};
use serde::{Deserialize, Serialize};

/// One loan asset's term sheet, from the node's pipeline config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoanTerms {
    /// The reserve asset's symbol.
    pub symbol: String,
    /// Base interest rate in percent per year.
    pub base_interest_rate_pct: f64,
    /// Days to maturity.
    pub duration_days: f64,
    /// Compounding periods over the duration; 0 is continuous.
    #[serde(default)]
    pub compounding_periods: u32,
    /// Face value per token, in the token's price units: the holder gets
    /// min(S_T, face). Absent: the token pays S_T.
    #[serde(default)]
    pub face: Option<f64>,
    /// Continuously compounded annual discount rate.
    pub discount_rate: f64,
}

/// One loan in the book.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoanPosition {
    pub symbol: String,
    /// Tokens held.
    pub amount: f64,
    /// S_i, the token's market price this window.
    pub spot: f64,
    /// The annual volatility its GBM is valued with.
    pub sigma: f64,
    /// The Monte Carlo value of one token and its standard error.
    pub value: f64,
    pub value_standard_error: f64,
    /// Its share of the book's value.
    pub weight: f64,
}

/// The book's value and its Greeks per unit of value (zero while it is empty).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoanBook {
    pub loans: Vec<LoanPosition>,
    pub value: f64,
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
    /// The book's share of the reserve's value.
    #[serde(default)]
    pub share_of_reserve: f64,
}

impl LoanBook {
    /// Gamma and theta per unit of the reserve's value, what the oracles
    /// post and the governed bounds judge: a book's own Greeks depend on its
    /// loans' terms, not its size, so a book shed to dust would otherwise
    /// keep its trigger for good.
    pub fn greeks_of_reserve(&self) -> (f64, f64) {
        (self.gamma * self.share_of_reserve, self.theta * self.share_of_reserve)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoanBookError {
    #[error("reserve asset {0} is a loan, but the pipeline config has no [[loans]] entry with its terms")]
    MissingTerms(String),
    #[error("loan {symbol}: {source}")]
    Valuation { symbol: String, source: ValuationError },
}

/// A loan in the reserve, as the decision sees it this window.
pub struct HeldLoan<'a> {
    pub symbol: &'a str,
    pub amount: f64,
    pub spot: f64,
    /// The estimated annual volatility of its price.
    pub volatility: f64,
}

/// Least volatility a loan is valued with: GBM needs sigma > 0, and a loan
/// whose price has not moved in the lookback is not riskless.
const MIN_LOAN_VOLATILITY: f64 = 1e-3;

/// Values `loans` with their `terms` on `paths` Monte Carlo paths; `None`
/// when the reserve holds no loan asset.
pub fn value_loan_book(
    loans: &[HeldLoan],
    terms: &[LoanTerms],
    paths: u64,
    seed: u64,
) -> Result<Option<LoanBook>, LoanBookError> {
    if loans.is_empty() {
        return Ok(None);
    }
    let mut book = LoanBook::default();
    let (mut dollar_delta, mut dollar_gamma, mut dollar_theta) = (0.0, 0.0, 0.0);
    for (index, held) in loans.iter().enumerate() {
        let symbol = held.symbol.to_string();
        let term = terms
            .iter()
            .find(|t| t.symbol == held.symbol)
            .ok_or_else(|| LoanBookError::MissingTerms(symbol.clone()))?;
        let invalid = |source| LoanBookError::Valuation { symbol: symbol.clone(), source };
        let loan = Loan {
            spot: held.spot,
            base_interest_rate_pct: term.base_interest_rate_pct,
            duration_days: term.duration_days,
            compounding_periods: term.compounding_periods,
            sigma: held.volatility.max(MIN_LOAN_VOLATILITY),
            discount_rate: term.discount_rate,
            payoff: term.face.map_or(Payoff::Loan, |face| Payoff::Debt { face }),
        };
        let claim = loan.claim().map_err(invalid)?;
        let settings = MonteCarloSettings {
            seed: seed.wrapping_add(index as u64),
            paths,
            steps: 1,
            scheme: Scheme::LogExact,
            relative_spot_bump: 0.01,
            // A day, or half the time left if less.
            time_bump: (1.0 / 365.25_f64).min(claim.maturity / 2.0),
        };
        let greeks = monte_carlo_greeks(&claim, &settings).map_err(invalid)?;
        let (q, s) = (held.amount, held.spot);
        book.value += q * greeks.value.mean;
        dollar_delta += q * s * greeks.delta.mean;
        dollar_gamma += q * s * s * greeks.gamma.mean;
        dollar_theta += q * greeks.theta.mean;
        book.loans.push(LoanPosition {
            symbol,
            amount: q,
            spot: s,
            sigma: loan.sigma,
            value: greeks.value.mean,
            value_standard_error: greeks.value.standard_error,
            weight: 0.0,
        });
    }
    if book.value > 0.0 {
        for position in &mut book.loans {
            position.weight = position.amount * position.value / book.value;
        }
        book.delta = dollar_delta / book.value;
        book.gamma = dollar_gamma / book.value;
        book.theta = dollar_theta / book.value;
    }
    Ok(Some(book))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_oracle::valuation::closed_form;

    fn terms(symbol: &str, face: Option<f64>) -> LoanTerms {
        LoanTerms {
            symbol: symbol.into(),
            base_interest_rate_pct: 8.0,
            duration_days: 180.0,
            compounding_periods: 0,
            face,
            discount_rate: 0.04,
        }
    }

    fn held(symbol: &str, amount: f64, spot: f64) -> HeldLoan<'_> {
        HeldLoan { symbol, amount, spot, volatility: 0.2 }
    }

    #[test]
    fn the_book_is_the_sum_of_its_loans_and_matches_the_closed_form() {
        let terms = [terms("A", Some(1.02)), terms("B", None)];
        let loans = [held("A", 1_000.0, 1.0), held("B", 3_000.0, 1.0)];
        let book = value_loan_book(&loans, &terms, 200_000, 7).unwrap().unwrap();
        let weights: f64 = book.loans.iter().map(|l| l.weight).sum();
        assert!((weights - 1.0).abs() < 1e-12);
        let exact: Vec<_> = terms
            .iter()
            .zip(&loans)
            .map(|(t, l)| {
                let loan = Loan {
                    spot: l.spot,
                    base_interest_rate_pct: t.base_interest_rate_pct,
                    duration_days: t.duration_days,
                    compounding_periods: 0,
                    sigma: l.volatility,
                    discount_rate: t.discount_rate,
                    payoff: t.face.map_or(Payoff::Loan, |face| Payoff::Debt { face }),
                };
                closed_form(&loan.claim().unwrap())
            })
            .collect();
        let value: f64 = exact.iter().zip(&loans).map(|(g, l)| l.amount * g.value).sum();
        assert!((book.value - value).abs() < 0.005 * value, "{} vs {value}", book.value);
        let gamma: f64 = exact.iter().zip(&loans).map(|(g, l)| l.amount * l.spot * l.spot * g.gamma).sum::<f64>() / value;
        let theta: f64 = exact.iter().zip(&loans).map(|(g, l)| l.amount * g.theta).sum::<f64>() / value;
        // Debt near its face is short a call: negative gamma.
        assert!(book.gamma < 0.0 && (book.gamma - gamma).abs() < 0.1 * gamma.abs(), "{} vs {gamma}", book.gamma);
        assert!((book.theta - theta).abs() < 0.05 * theta.abs().max(0.01), "{} vs {theta}", book.theta);
        assert!(book.delta > 0.0 && book.delta < 1.05, "{}", book.delta);
    }

    #[test]
    fn a_plain_loan_token_has_no_gamma_and_a_loan_without_terms_is_named() {
        let book = value_loan_book(&[held("B", 10.0, 1.0)], &[terms("B", None)], 20_000, 1).unwrap().unwrap();
        assert!(book.gamma.abs() < 1e-6, "{}", book.gamma);
        assert!(value_loan_book(&[], &[], 20_000, 1).unwrap().is_none());
        let error = value_loan_book(&[held("C", 1.0, 1.0)], &[terms("B", None)], 100, 1).unwrap_err();
        assert!(error.to_string().contains("reserve asset C is a loan"), "{error}");
    }
}
