//! The treasury loop closed on the real program (seed 004): the oracle
//! node's MPC splits the liquidity tier between cash and bills in the
//! targets it posts, and the keeper's rebalancing swaps carry the on-chain
//! cash buffer there. The same reserve is run through calm flows, a
//! clustered redemption wave and a false alarm (mints surge, then a modest
//! redemption rise), with everything else equal.

use std::sync::Arc;
use std::time::Duration;

use ballast_app::keeper::{Keeper, KeeperConfig, RetryPolicy};
use ballast_oracle_node::worker::audit::AuditLog;
use ballast_oracle_node::worker::metrics::Metrics;
use ballast_oracle_node::worker::source::{Synthetic, SyntheticSpec};
use ballast_oracle_node::{RoundOutcome, Worker, WorkerConfig};
use ballast_sdk::program::state::AssetKind;
use ballast_sdk::{Chain, Keypair};
use ballast_tests::*;

const UNIT: u64 = 1_000_000;
const LOOKBACK: usize = 8;
/// Windows of calm flows before the onset, for the controller's baseline
/// estimates to settle.
const CALM_WINDOWS: usize = 8;
const EVENT_WINDOWS: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Flows {
    Calm,
    /// Redemptions rising from 1.5 to 4.5 times their baseline, window by
    /// window, from the onset on.
    ClusteredWave,
    /// Mints at three times their baseline for two windows, then
    /// redemptions at 1.5 times for three.
    FalseAlarm,
}

impl Flows {
    /// (redeemed, minted) in window `k` as multiples of the model's baseline.
    fn multiples(self, k: usize) -> (f64, f64) {
        let after = k.checked_sub(CALM_WINDOWS);
        match (self, after) {
            (Flows::ClusteredWave, Some(k)) => (1.5 + k as f64, 1.0),
            (Flows::FalseAlarm, Some(0 | 1)) => (1.0, 3.0),
            (Flows::FalseAlarm, Some(_)) => (1.5, 1.0),
            _ => (1.0, 1.0),
        }
    }
}

/// What one run's windows came to on the chain.
struct Run {
    /// The posted cash target as a share of the liquidity tier's targets.
    target_shares: Vec<f64>,
    /// The controller's cash target, USD.
    cash_targets: Vec<f64>,
    /// The USDC vault after the window's flows and the keeper, USD.
    cash: Vec<f64>,
    /// Windows whose redemption the cash vault could not pay.
    redeemed_in_bills: usize,
}

fn run(flows: Flows) -> Run {
    std::env::set_var("RUST_LOG", "error");
    // Cash is about a tenth of the supply, the rest and the capital bills;
    // no cash floor (min_cash_ratio 0), so the controller alone sets the split.
    let mut h = Harness::liquidity_tier();
    h.contribute(TBILL, 30_000 * UNIT);
    let crowd = h.holder(USDC, 200_000 * UNIT);
    h.mint(&crowd, USDC, 15_000 * UNIT).expect("mint with USDC");
    let investor = h.holder(TBILL, 100_000 * UNIT);
    h.mint(&investor, TBILL, 100_000 * UNIT).expect("mint with TBILL");
    let keeper_key = h.holder(USDC, 200_000 * UNIT);
    h.fund(&keeper_key, TBILL, 200_000 * UNIT);
    let mut keeper = Keeper::new(
        keeper_key.insecure_clone(),
        KeeperConfig {
            retry: RetryPolicy {
                max_failures: 4,
                initial_backoff: Duration::ZERO,
                max_backoff: Duration::ZERO,
            },
            interval: Duration::ZERO,
            ..KeeperConfig::default()
        },
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let mut node = oracle_node(&mut h, &dir.path().join("node.sqlite"));

    // The model's baseline at this supply: $320 of redemptions and of
    // mints a window per $100,000 of supply.
    let baseline = 0.0032 * h.protocol().raw.supply as f64;
    let mut run = Run {
        target_shares: Vec::new(),
        cash_targets: Vec::new(),
        cash: Vec::new(),
        redeemed_in_bills: 0,
    };
    for k in 0..CALM_WINDOWS + EVENT_WINDOWS {
        let slot = h.chain.slot().unwrap();
        h.chain.warp_to_slot(slot + WINDOW_SLOTS).unwrap();
        let outcome = node.step(&mut h.chain).expect("node step");
        assert!(matches!(outcome, RoundOutcome::Submitted { .. }), "window {k}: {outcome:?}");
        let treasury = &node.last_decision().expect("a decision").treasury;
        run.target_shares.push(treasury.cash_share);
        run.cash_targets.push(treasury.cash_target);

        let (redeemed, minted) = flows.multiples(k);
        h.mint(&crowd, USDC, (minted * baseline) as u64).expect("the crowd mints");
        // Cash when the vault has it, else bills: the holder is never stuck.
        let amount = (redeemed * baseline) as u64;
        if h.redeem(&crowd, USDC, amount).is_err() {
            h.redeem(&crowd, TBILL, amount).expect("the crowd redeems in bills");
            run.redeemed_in_bills += 1;
        }
        keeper.tick(&mut h.chain).unwrap_or_else(|error| panic!("window {k}: keeper: {error}"));
        run.cash.push(h.asset(USDC).raw.vault_amount as f64 / UNIT as f64);
    }
    run
}

fn oracle_node(h: &mut Harness, audit: &std::path::Path) -> Worker<Synthetic> {
    let specs = [("USDC", AssetKind::Cash, 1.0), ("TBILL", AssetKind::Bill, TBILL_PRICE)]
        .map(|(symbol, kind, price)| SyntheticSpec { symbol, kind, price });
    let market = Synthetic::for_reserve(11, LOOKBACK + CALM_WINDOWS + EVENT_WINDOWS + 2, &specs).expect("synthetic market");
    let mut config = WorkerConfig::new(specs.iter().map(|s| s.symbol.to_string()).collect());
    config.pipeline.lookback = LOOKBACK;
    config.pipeline.monte_carlo_paths = 1_000;
    config.first_window = LOOKBACK as u64 - 1;
    config.initial_backoff = Duration::from_millis(1);
    config.max_backoff = Duration::from_millis(4);
    let log = AuditLog::open(audit).expect("audit log");
    let oracle: Keypair = h.oracles[0].insecure_clone();
    Worker::new(&mut h.chain, market, log, oracle, config, Arc::new(Metrics::default())).expect("node starts")
}

#[test]
fn the_cash_buffer_follows_the_treasury_controller_through_a_wave_and_a_false_alarm() {
    let calm = run(Flows::Calm);
    let wave = run(Flows::ClusteredWave);
    let false_alarm = run(Flows::FalseAlarm);
    for (name, r) in [("calm", &calm), ("wave", &wave), ("false alarm", &false_alarm)] {
        eprintln!("{name}: shares {:.3?}\n  targets {:.0?}\n  vault {:.0?}\n  in bills {}", r.target_shares, r.cash_targets, r.cash, r.redeemed_in_bills);
    }
    let last = CALM_WINDOWS + EVENT_WINDOWS - 1;
    // The keeper carries the vault to the controller's target every window
    // (within rounding and the window's own move in V: 2%, or $2).
    for r in [&calm, &wave, &false_alarm] {
        for k in 2..=last {
            let target = r.cash_targets[k].max(0.0);
            assert!((r.cash[k] - target).abs() < (0.02 * target).max(2.0), "window {k}: vault {} target {}", r.cash[k], r.cash_targets[k]);
        }
    }
    // Until the wave is seen the three runs are one; calm flows that net
    // to zero need no buffer, so the calm controller invests it all.
    assert_eq!(calm.cash[..CALM_WINDOWS], wave.cash[..CALM_WINDOWS]);
    assert!(calm.cash[CALM_WINDOWS..].iter().all(|c| *c < 5.0), "{:?}", calm.cash);
    // As the wave builds, so does the buffer, window after window, while
    // the calm run keeps none.
    let building = &wave.cash[CALM_WINDOWS + 2..=last];
    assert!(building.windows(2).all(|w| w[1] > w[0]), "{building:?}");
    assert!(wave.cash[last] > calm.cash[last] + 400.0, "{:?}", wave.cash);
    // A mint surge then a modest rise in redemptions builds nothing.
    for k in CALM_WINDOWS..=last {
        assert!(false_alarm.cash[k] <= calm.cash[k] + 1.0, "window {k}: {:?}", false_alarm.cash);
    }
}
