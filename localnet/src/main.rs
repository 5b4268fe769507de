//! `ballast-localnet`: the local node on its own (also `ballast localnet`).

use clap::Parser;

#[derive(Parser)]
#[command(name = "ballast-localnet", version, about = "A local Solana JSON-RPC node on the real Agave bank, with the Ballast program built in")]
struct Cli {
    #[command(flatten)]
    localnet: ballast_localnet::LocalnetArgs,
}

fn main() -> anyhow::Result<()> {
    ballast_localnet::init_logging();
    ballast_localnet::run(Cli::parse().localnet)
}
