//! `ballast-oracle`: the quant commands and the oracle worker.

fn main() {
    eprintln!("ballast-oracle: no subcommands yet");
    std::process::exit(2);
}
