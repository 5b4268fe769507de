//! `ballast-localnet` as a separate process, reached over JSON-RPC on
//! loopback: the shared `Chain` behaviour, the protocol's shapes and
//! errors, a fuzz of malformed requests, and restarts from the ledger.

mod chain;
mod fuzz;
mod ledger;
mod protocol;
mod support;
