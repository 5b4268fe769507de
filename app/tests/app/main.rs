//! The `ballast` tool's integration tests: commands, keeper and demo against
//! an in-process bank, in one test binary (each links the Solana runtime).

mod cluster;
mod demo;
mod e2e;
mod governance_cli;
mod holder_cli;
mod keeper;
mod oracle_network;
