//! Ballast's off-chain quant library and the `ballast-oracle` worker.
//!
//! Every window the oracle estimates the reserve's return model, measures its
//! risk by Monte Carlo, solves the allocation QP and runs the treasury
//! controller; the modules below are those steps, each usable on its own.

pub mod allocate;
pub mod backtest;
pub mod cli;
pub mod data;
pub mod estimate;
pub mod fixtures;
pub mod montecarlo;
pub mod plot;
pub mod rng;
pub mod treasury;
pub mod valuation;
