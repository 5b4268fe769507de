//! A reserve on the real bank (Ballast + SPL Token) with a supply, and
//! oracle nodes, one per key, each with its own view of the market.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ballast_oracle_node::worker::audit::AuditLog;
use ballast_oracle_node::worker::metrics::Metrics;
use ballast_oracle_node::worker::source::{MarketSource, NodeView, Synthetic, SyntheticSpec};
use ballast_oracle_node::{Worker, WorkerConfig};
use ballast_sdk::program::instructions::InitializeArgs;
use ballast_sdk::program::state::AssetKind;
use ballast_sdk::Chain;
use ballast_tests::{Harness, TBILL_PRICE, USDC, WBTC, WBTC_PRICE};

pub const SYMBOLS: [&str; 3] = ["USDC", "TBILL", "WBTC"];
pub const LOOKBACK: usize = 8;

/// The harness reserve (USDC, TBILL, WBTC; 2-of-3 oracles) with 50,000 USDC
/// of capital, 100,000 stablecoins minted against USDC and 0.5 WBTC.
pub fn reserve() -> Harness {
    reserve_with(|_| {})
}

/// [`reserve`] with its initial parameters adjusted first.
pub fn reserve_with(adjust: impl FnOnce(&mut InitializeArgs)) -> Harness {
    std::env::set_var("RUST_LOG", "error");
    let mut h = Harness::new_with(adjust);
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

/// The harness's assets: symbol, kind and starting price.
pub const ASSETS: [SyntheticSpec<'static>; 3] = [
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

/// The synthetic market of the harness's assets, starting at its prices.
pub fn synthetic(days: usize) -> Synthetic {
    Synthetic::for_reserve(11, days, &ASSETS).expect("synthetic market")
}

/// The synthetic market as node `index` sees it: its own noise (0.05%).
pub fn node_view(index: usize, days: usize) -> NodeView<Synthetic> {
    NodeView {
        inner: synthetic(days),
        seed: 100 + index as u64,
        noise: 0.0005,
        bias: 0.0,
    }
}

/// The node for oracle key `index` of the harness, on `source`.
pub fn node<S: MarketSource>(h: &mut Harness, index: usize, source: S, audit: &Path, metrics: Arc<Metrics>) -> Worker<S> {
    let log = AuditLog::open(audit).expect("audit log");
    let oracle = h.oracles[index].insecure_clone();
    Worker::new(&mut h.chain, source, log, oracle, config(), metrics).expect("node starts")
}

/// Moves the chain past the open round's end, so the next step opens a new one.
pub fn next_round(chain: &mut dyn Chain) {
    let protocol = ballast_sdk::accounts::protocol(chain).expect("protocol");
    let rounds = ballast_sdk::accounts::oracle_rounds(chain).expect("rounds");
    let opens = rounds.opened_slot + protocol.raw.params.round_slots;
    if chain.slot().expect("slot") < opens {
        chain.warp_to_slot(opens).expect("warp");
    }
}
