//! The `ballast` command-line tool as a library, so that its commands can be
//! tested against an in-process bank.

pub mod amount;
pub mod cli;
pub mod demo;
pub mod governance;
pub mod holder;
pub mod keeper;
pub mod report;
