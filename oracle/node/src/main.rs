//! `ballast-oracle`: the quant commands and the oracle worker.

use anyhow::Result;
use ballast_oracle::cli::{run, Cli};
use clap::Parser;

fn main() -> Result<()> {
    run(Cli::parse())
}
