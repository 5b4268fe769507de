//! `ballast`: the command-line tool for holders, operators and demos.

mod demo;
mod report;

use anyhow::Result;
use ballast_sdk::{status, RpcChain};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ballast", version, about = "Ballast: a reserve-backed stablecoin on Solana")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scripted session on an embedded bank: deploy, price, mint, redeem.
    Demo {
        /// Print each step's reserve state as a JSON line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show the reserve of a deployment on a cluster.
    Status {
        /// JSON-RPC URL of the cluster.
        #[arg(long, short = 'u', default_value = "http://127.0.0.1:8899")]
        url: String,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> Result<()> {
    // The embedded bank logs every instruction at debug level unless told otherwise.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    match Cli::parse().command {
        Command::Demo { json } => demo::run(json),
        Command::Status { url, json } => {
            let mut chain = RpcChain::new(&url);
            let reserve = status::reserve_status(&mut chain)?;
            report::print_status("status", &reserve, &Default::default(), json);
            Ok(())
        }
    }
}
