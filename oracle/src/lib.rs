//! Ballast's off-chain quant library (data, estimation, Monte Carlo, the
//! allocation QP, the MPC treasury controller, valuation, backtests) and the
//! `ballast-oracle` worker. Nothing is implemented yet: this crate holds the
//! workspace slot that the oracle issues fill.
