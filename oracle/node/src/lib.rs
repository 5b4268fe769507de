//! The oracle node: the `ballast-oracle` command line and the worker that,
//! every settlement window, runs the quant pipeline of `ballast-oracle` (the
//! library), signs the update M-of-N, submits it and keeps an audit log.

pub mod cli;
pub mod worker;

pub use worker::{WindowOutcome, Worker, WorkerConfig, WorkerError};
