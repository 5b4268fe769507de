//! Integration tests of the program, the sdk and SPL Token in one bank.
//!
//! One test binary rather than one per file: each binary links the whole
//! Solana runtime, so separate ones cost a link and half a gigabyte apiece.

mod attacks;
mod chain;
mod crisis;
mod fuzz;
mod governance;
mod oracle;
mod policy;
mod reserve_flows;
mod risk;
mod security;
mod stress;
