//! `ballast`: the command-line tool for holders, stakers, operators and demos.

use anyhow::Result;
use ballast_app::cli::{run, Cli};
use clap::Parser;

fn main() -> Result<()> {
    // The embedded bank logs every instruction at debug level unless told otherwise.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    run(Cli::parse())
}
