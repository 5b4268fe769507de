//! A reserve on the real bank (Ballast + SPL Token) with a supply, and a
//! worker for two of its three oracle keys.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ballast_oracle_node::worker::audit::AuditLog;
use ballast_oracle_node::worker::cosign::OracleNode;
use ballast_oracle_node::worker::metrics::Metrics;
use ballast_oracle_node::worker::source::{MarketSource, Synthetic, SyntheticSpec};
use ballast_oracle_node::{Worker, WorkerConfig};
use ballast_sdk::program::state::AssetKind;
use ballast_sdk::Chain;
use ballast_tests::{Harness, TBILL_PRICE, USDC, WBTC, WBTC_PRICE};

pub const SYMBOLS: [&str; 3] = ["USDC", "TBILL", "WBTC"];
pub const LOOKBACK: usize = 8;

/// The harness reserve (USDC, TBILL, WBTC; 2-of-3 oracles) with 50,000 USDC
/// of capital, 100,000 stablecoins minted against USDC and 0.5 WBTC.
pub fn reserve() -> Harness {
    std::env::set_var("RUST_LOG", "error");
    let mut h = Harness::new();
    h.contribute(USDC, 50_000_000_000);
    let alice = h.holder(USDC, 100_000_000_000);
    h.mint(&alice, USDC, 100_000_000_000).expect("mint with USDC");
    let bob = h.holder(WBTC, 50_000_000);
    h.mint(&bob, WBTC, 50_000_000).expect("mint with WBTC");
    h
}

pub fn config() -> WorkerConfig {
    let mut config = WorkerConfig::new(SYMBOLS.iter().map(|s| s.to_string()).collect());
    config.pipeline.lookback = LOOKBACK;
    config.pipeline.monte_carlo_paths = 2_000;
    config.first_window = LOOKBACK as u64 - 1;
    config.initial_backoff = Duration::from_millis(1);
    config.max_backoff = Duration::from_millis(4);
    config
}

/// The synthetic market of the harness's assets, starting at its prices.
pub fn synthetic(days: usize) -> Synthetic {
    let specs = [
        SyntheticSpec {
            symbol: "USDC",
            kind: AssetKind::Cash,
            price: 1.0,
        },
        SyntheticSpec {
            symbol: "TBILL",
            kind: AssetKind::Bill,
            price: TBILL_PRICE,
        },
        SyntheticSpec {
            symbol: "WBTC",
            kind: AssetKind::Crypto,
            price: WBTC_PRICE,
        },
    ];
    Synthetic::for_reserve(11, days, &specs).expect("synthetic market")
}

/// A worker signing with the first two oracle keys, the admin relaying.
pub fn worker<C: Chain, S: MarketSource>(
    h_oracles: &[ballast_sdk::Keypair],
    admin: &ballast_sdk::Keypair,
    chain: C,
    source: S,
    audit: &Path,
    metrics: Arc<Metrics>,
) -> Worker<C, S> {
    let nodes = h_oracles[..2]
        .iter()
        .map(|k| OracleNode::new(k.insecure_clone()))
        .collect();
    let log = AuditLog::open(audit).expect("audit log");
    Worker::new(chain, source, log, nodes, admin.insecure_clone(), config(), metrics).expect("worker starts")
}
