//! The oracle node: the `ballast-oracle` command line and the node that,
//! every oracle round, runs the quant pipeline of `ballast-oracle` (the
//! library) on its own data, submits its own observation signed by its one
//! key, and keeps an audit log.

pub mod cli;
pub mod worker;

pub use worker::{RoundOutcome, Worker, WorkerConfig, WorkerError};
