//! The `ballast` tool's integration tests, in one test binary (each links
//! the Solana runtime): commands, keeper and demo against an in-process
//! bank, and the deployed shape (separate processes on a local node).

mod dashboard;
mod demo;
mod e2e;
mod governance_cli;
mod holder_cli;
mod keeper;
mod oracle_network;
mod treasury;
