//! Loan valuation (seed 001, protocol §8).
//!
//! A loan's normalised cumulative return S follows GBM dS = mu S dt + sigma S dW,
//! mu from the base interest rate and sigma given (estimated elsewhere by
//! maximum likelihood). A claim paying payoff(S_T) at maturity is worth
//! e^{−rT} E[payoff(S_T)]; seed 001 values the loan token itself (payoff S_T).
//! This module gives that value and its Greeks in closed form and by Monte
//! Carlo with common random numbers, and checks replication by a
//! self-financing discrete delta hedge.

mod claim;
mod closed_form;
mod error;
mod hedging;
mod monte_carlo;

pub use crate::montecarlo::Scheme;
pub use claim::{GbmClaim, Loan, Payoff};
pub use closed_form::{closed_form, Greeks};
pub use error::ValuationError;
pub use hedging::{delta_hedge, hedge_path, HedgePath, HedgeReport, HedgeSettings, HedgeStep};
pub use monte_carlo::{monte_carlo_greeks, Estimate, MonteCarloGreeks, MonteCarloSettings};
