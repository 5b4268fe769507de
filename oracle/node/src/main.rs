//! `ballast-oracle`: the quant commands and the oracle worker.

use anyhow::Result;
use ballast_oracle_node::cli::{run, NodeCli};
use clap::Parser;

fn main() -> Result<()> {
    run(NodeCli::parse())
}
