//! The oracle network as deployed: five `ballast-oracle node` processes,
//! each with its own key, source and audit log, on a `ballast localnet`
//! node, three of them finalizing each round. Crashed, lying and
//! partitioned nodes, and a restart of the local node; every test reads
//! the on-chain round history.

use std::time::Duration;

use ballast_oracle_node::worker::audit::{AuditLog, WindowStatus};
use ballast_sdk::program::state::{round_status, OracleRounds, RebalanceTrigger, RoundSummary, ROUND_HISTORY};
use ballast_sdk::{accounts, Signer};
use ballast_tests::process::{Process, TcpProxy};

use ballast_tests::cluster::{wait_until, Cluster};
use crate::e2e::assert_no_window_lost_or_sent_twice;

const NODES: usize = 5;
const QUORUM: u8 = 3;
const TIMEOUT: Duration = Duration::from_secs(120);

fn start() -> Cluster {
    Cluster::start(std::path::Path::new(env!("CARGO_BIN_EXE_ballast")), NODES, QUORUM)
}

fn rounds(cluster: &mut Cluster) -> OracleRounds {
    accounts::oracle_rounds(&mut cluster.chain).unwrap()
}

/// The recorded rounds, oldest first (at most the ring's 16).
fn history(rounds: &OracleRounds) -> Vec<RoundSummary> {
    let count = rounds.history_count as usize;
    (count.saturating_sub(ROUND_HISTORY)..count).map(|i| rounds.history[i % ROUND_HISTORY]).collect()
}

fn stats(cluster: &mut Cluster, node: usize) -> ballast_sdk::program::state::OracleStats {
    let key = cluster.oracle_keys[node].pubkey();
    *rounds(cluster).stats.iter().find(|s| s.oracle == key).expect("the node's stats")
}

fn stop(processes: &mut [Process]) {
    for process in processes {
        process.terminate(Duration::from_secs(30));
    }
}

/// Seed 000's trigger over RPC: with sigma_threshold below any sigma_p the
/// nodes post, each scheduled round is followed by one opened early, which
/// every node records on the scheduled round's market window.
#[test]
fn on_the_trigger_node_processes_open_a_round_early_after_each_scheduled_one() {
    let mut cluster = Cluster::start_with(std::path::Path::new(env!("CARGO_BIN_EXE_ballast")), NODES, QUORUM, &[], |text| {
        text.replace("sigma_threshold = 0.8", "sigma_threshold = 0.0001")
            .replace("sigma_reset = 0.5", "sigma_reset = 0.00005")
    });
    let url = cluster.url();
    let mut nodes: Vec<Process> = (0..NODES).map(|i| cluster.start_oracle(i, &url, None)).collect();
    cluster.wait_rounds(6, TIMEOUT);
    stop(&mut nodes);
    let recorded = history(&rounds(&mut cluster));
    let triggers: Vec<(u64, u8)> = recorded.iter().map(|r| (r.round, r.trigger)).collect();
    let early: Vec<&RoundSummary> = recorded.iter().filter(|r| r.trigger == RebalanceTrigger::Volatile as u8).collect();
    assert!(early.len() >= 2, "rounds and triggers: {triggers:?}");
    for pair in recorded.windows(2) {
        assert!(!(pair[0].trigger != 0 && pair[1].trigger != 0), "two early rounds in a row: {triggers:?}");
    }
    let round_slots = ballast_tests::cluster::ROUND_SLOTS;
    for round in &early {
        let before = recorded.iter().find(|r| r.round + 1 == round.round).expect("its scheduled round is kept");
        assert!(round.opened_slot >= before.opened_slot + round_slots / 4, "{round:?} after {before:?}");
        assert!(round.opened_slot < before.opened_slot + round_slots, "opened before the scheduled time");
    }
    // Each node re-described the scheduled round's window in the early round.
    let mut compared = 0;
    for node in 0..NODES {
        let records = AuditLog::open(&cluster.audit_path(node)).unwrap().windows().unwrap();
        for round in &early {
            let window_of = |r: u64| records.iter().find(|w| w.round == r && w.status == WindowStatus::Confirmed).map(|w| w.window);
            if let (Some(early_window), Some(scheduled_window)) = (window_of(round.round), window_of(round.round - 1)) {
                assert_eq!(early_window, scheduled_window, "node {node}, round {}", round.round);
                compared += 1;
            }
        }
    }
    assert!(compared >= early.len(), "too few nodes were in both rounds: {compared}");
    assert_no_window_lost_or_sent_twice(&mut cluster, NODES);
}

/// Seed 001 over RPC: a deployment with a loan asset, node processes given
/// its term sheet (`--config`), and a loan book whose gamma is past the
/// governed bound: the nodes post the book's Greeks, the chain keeps their
/// median, and rounds open early on it.
#[test]
fn node_processes_value_the_loan_book_and_its_gamma_past_the_bound_opens_rounds_early() {
    use ballast_sdk::{instructions, token, Chain};
    use ballast_tests::cluster::key_file;

    const LOAN: &str = "
[[assets]]
symbol = \"LOAN\"
kind = \"loan\"
decimals = 6
risk_weight = 0.2
risk_score = 0.3
target_weight = 0.1
weight_cap = 0.2
max_staleness_slots = 300
max_confidence = 0.01
price = 1.0
";
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_ballast"));
    let mut cluster = Cluster::start_with(binary, 3, 2, &[("LOAN", 6)], |text| text + LOAN);
    // Senior debt with its face at about the loan's forward value: short gamma.
    let config = cluster.dir.path().join("pipeline.toml");
    let terms = "[[loans]]\nsymbol = \"LOAN\"\nbase_interest_rate_pct = 8.0\nduration_days = 180.0\nface = 1.04\ndiscount_rate = 0.04\n";
    std::fs::write(&config, terms).unwrap();

    // Cash and bills first, so the loans keep MCR over its floor of 1.
    const UNIT: u64 = 1_000_000;
    let deployer = cluster.deployer.insecure_clone();
    let (alice, alice_file) = key_file(cluster.dir.path(), "alice");
    cluster.chain.client().request_airdrop(&alice.pubkey(), 10 * 1_000_000_000).unwrap();
    let chain = &mut cluster.chain;
    let treasury = token::associated_account(chain, &deployer, &deployer.pubkey(), &cluster.mints[0]).unwrap();
    token::mint_to(chain, &deployer, &cluster.mints[0], &deployer, &treasury, 20_000 * UNIT).unwrap();
    chain.send(&[instructions::contribute(&deployer.pubkey(), &cluster.mints[0], &treasury, 20_000 * UNIT)], &deployer, &[]).unwrap();
    for (mint, amount) in [(0, 10_000 * UNIT), (1, 20_000 * UNIT), (3, 5_000 * UNIT)] {
        let account = token::associated_account(chain, &deployer, &alice.pubkey(), &cluster.mints[mint]).unwrap();
        token::mint_to(chain, &deployer, &cluster.mints[mint], &deployer, &account, amount).unwrap();
    }
    let url = cluster.url();
    let config_arg = ["--config", config.to_str().unwrap()];
    let mut nodes: Vec<Process> = (0..3).map(|i| cluster.start_oracle_with(i, &url, None, &config_arg)).collect();
    cluster.wait_rounds(1, TIMEOUT);
    let deployment = cluster.deployment.clone();
    for (symbol, amount) in [("USDC", "10000"), ("TBILL", "20000"), ("LOAN", "5000")] {
        let minted = cluster.cli(&alice_file, &["mint", "--asset", symbol, amount, "--deployment", deployment.to_str().unwrap()]);
        assert!(minted["signature"].is_string(), "{symbol}: {minted}");
    }
    let early = |cluster: &mut Cluster| history(&rounds(cluster)).iter().any(|r| r.trigger == RebalanceTrigger::LoanGreeks as u8);
    wait_until("a round opened early on the loan book's gamma", TIMEOUT, || early(&mut cluster));
    stop(&mut nodes);

    let risk = accounts::protocol(&mut cluster.chain).unwrap().raw.risk;
    let gamma = risk.loan_gamma.get().to_num::<f64>();
    assert!(gamma < -0.5, "gamma {gamma}");
    let records = AuditLog::open(&cluster.audit_path(0)).unwrap().windows().unwrap();
    let book = records
        .iter()
        .rev()
        .filter_map(|r| serde_json::from_str::<serde_json::Value>(r.outputs_json.as_deref()?).ok())
        .find_map(|d| d["loan_book"]["loans"][0].as_object().cloned())
        .expect("node 0 recorded a loan book");
    assert_eq!(book["symbol"], "LOAN");
    assert!((book["amount"].as_f64().unwrap() - 5_000.0).abs() < 1e-6, "{book:?}");
}

#[test]
fn all_live_every_round_finalizes() {
    let mut cluster = start();
    let url = cluster.url();
    let mut nodes: Vec<Process> = (0..NODES).map(|i| cluster.start_oracle(i, &url, None)).collect();
    cluster.wait_rounds(5, TIMEOUT);
    stop(&mut nodes);
    let recorded = history(&rounds(&mut cluster));
    let ids: Vec<u64> = recorded.iter().map(|r| r.round).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>(), "consecutive rounds");
    assert!(recorded.iter().all(|r| r.status == round_status::FINALIZED), "no round lapsed: {recorded:?}");
    assert!(recorded.iter().all(|r| r.submitted_mask.count_ones() >= QUORUM as u32 && r.outlier_mask == 0));
    assert_no_window_lost_or_sent_twice(&mut cluster, NODES);
}

#[test]
fn two_crashed_nodes_leave_a_quorum_and_rejoin_without_submitting_twice() {
    let mut cluster = start();
    let url = cluster.url();
    let mut nodes: Vec<Process> = (0..NODES).map(|i| cluster.start_oracle(i, &url, None)).collect();
    cluster.wait_rounds(2, TIMEOUT);
    // SIGKILL nodes 3 and 4 mid-round: each the moment it has planned.
    let planned = |process: &Process| process.output().matches("planned").count();
    for node in [3, 4] {
        let plans = planned(&nodes[node]);
        wait_until(&format!("node {node}'s next plan"), TIMEOUT, || planned(&nodes[node]) > plans);
        nodes[node].kill9();
    }
    // Rounds opened after both died cannot hold their observations (the
    // one open at the kill may: a node can send just before SIGKILL lands).
    let down_from = rounds(&mut cluster).round;
    cluster.wait_rounds(3, TIMEOUT);
    // Back: each rejoins, settles what it left and lands in new rounds
    // (those finalized before the restart cannot hold its observations).
    let back_from = cluster.last_round();
    for node in [3, 4] {
        nodes[node] = cluster.start_oracle(node, &url, None);
    }
    for node in [3, 4] {
        wait_until(&format!("node {node} in a round after its restart"), TIMEOUT, || {
            stats(&mut cluster, node).last_round > back_from
        });
    }
    stop(&mut nodes);
    let recorded = history(&rounds(&mut cluster));
    let while_down: Vec<&RoundSummary> = recorded.iter().filter(|r| r.round > down_from && r.round <= back_from).collect();
    assert!(!while_down.is_empty() && while_down.iter().all(|r| r.status == round_status::FINALIZED), "{recorded:?}");
    assert!(while_down.iter().all(|r| r.submitted_mask & 0b11000 == 0), "the crashed nodes were not in those rounds");
    assert_no_window_lost_or_sent_twice(&mut cluster, NODES);
}

#[test]
fn a_lying_node_is_kept_out_and_counted() {
    let mut cluster = start();
    let url = cluster.url();
    let liar = NODES - 1;
    let mut nodes: Vec<Process> = (0..NODES)
        .map(|i| {
            let source = (i == liar).then_some("synthetic:seed=4,noise=0.0005,bias=9");
            cluster.start_oracle(i, &url, source)
        })
        .collect();
    // Until the liar has been kept out of at least two rounds.
    wait_until("the liar counted as an outlier twice", TIMEOUT, || stats(&mut cluster, liar).outliers >= 2);
    cluster.wait_rounds(1, TIMEOUT);
    stop(&mut nodes);
    let liar_stats = stats(&mut cluster, liar);
    assert_eq!(liar_stats.included, 0, "{liar_stats:?}");
    // Every finalized price lies within the honest nodes' observations of
    // that round (from their audit logs), nowhere near ten times them.
    let honest: Vec<AuditLog> = (0..liar).map(|i| AuditLog::open(&cluster.audit_path(i)).unwrap()).collect();
    let recorded = history(&rounds(&mut cluster));
    let mut checked = 0;
    for summary in recorded.iter().filter(|r| r.status == round_status::FINALIZED) {
        if summary.outlier_mask != 0 {
            assert_eq!(summary.outlier_mask, 1 << liar, "only the liar is kept out");
        }
        for asset in 0..summary.asset_count as usize {
            let observed: Vec<f64> = honest
                .iter()
                .flat_map(|log| log.windows().unwrap())
                .filter(|w| w.round == summary.round && w.status == WindowStatus::Confirmed)
                .map(|w| {
                    let decision: serde_json::Value = serde_json::from_str(w.outputs_json.as_ref().unwrap()).unwrap();
                    decision["prices"][asset].as_f64().unwrap()
                })
                .collect();
            if observed.len() < QUORUM as usize {
                continue;
            }
            let price = summary.prices[asset].get().to_num::<f64>();
            let (low, high) = observed.iter().fold((f64::MAX, f64::MIN), |(l, h), p| (l.min(*p), h.max(*p)));
            assert!(price >= low - 1e-6 && price <= high + 1e-6, "round {}: {price} outside [{low}, {high}]", summary.round);
            checked += 1;
        }
    }
    assert!(checked > 0, "no round was checked");
}

#[test]
fn a_partitioned_node_misses_rounds_the_others_finalize_and_catches_up() {
    let mut cluster = start();
    let url = cluster.url();
    let upstream = url.trim_start_matches("http://").parse().unwrap();
    let proxy = TcpProxy::start(upstream);
    let proxy_url = proxy.url();
    let cut_off = NODES - 1;
    let mut nodes: Vec<Process> = (0..NODES)
        .map(|i| cluster.start_oracle(i, if i == cut_off { &proxy_url } else { &url }, None))
        .collect();
    wait_until("the node behind the proxy in a round", TIMEOUT, || stats(&mut cluster, cut_off).last_round > 0);
    proxy.cut();
    let cut_at = cluster.last_round();
    let seen_at_cut = stats(&mut cluster, cut_off).last_round;
    cluster.wait_rounds(3, TIMEOUT);
    assert!(stats(&mut cluster, cut_off).last_round <= seen_at_cut + 1, "it could not have submitted while cut off");
    let healed_at = cluster.last_round();
    // Read now: the chain keeps only the latest rounds, and a slow heal
    // could push the partition's rounds out of its history.
    let recorded = history(&rounds(&mut cluster));
    proxy.heal();
    wait_until("the healed node back in a round", TIMEOUT, || stats(&mut cluster, cut_off).last_round > healed_at);
    stop(&mut nodes);
    let during: Vec<&RoundSummary> = recorded.iter().filter(|r| r.round > cut_at + 1 && r.round <= healed_at).collect();
    assert!(!during.is_empty() && during.iter().all(|r| r.status == round_status::FINALIZED), "{recorded:?}");
    assert_no_window_lost_or_sent_twice(&mut cluster, NODES);
}

#[test]
fn after_a_restart_of_the_local_node_the_network_goes_on_and_finalizes_no_round_twice() {
    let mut cluster = start();
    let url = cluster.url();
    let mut nodes: Vec<Process> = (0..NODES).map(|i| cluster.start_oracle(i, &url, None)).collect();
    cluster.wait_rounds(3, TIMEOUT);
    let before = cluster.last_round();
    cluster.restart_localnet();
    assert!(cluster.last_round() >= before, "the ledger kept the rounds");
    cluster.wait_rounds(3, TIMEOUT);
    stop(&mut nodes);
    let recorded = history(&rounds(&mut cluster));
    let ids: Vec<u64> = recorded.iter().map(|r| r.round).collect();
    assert!(ids.windows(2).all(|pair| pair[1] == pair[0] + 1), "each round once, in order: {ids:?}");
    let finalized: Vec<u64> = recorded.iter().filter(|r| r.status == round_status::FINALIZED).map(|r| r.round).collect();
    assert!(finalized.len() >= 6, "{recorded:?}");
    assert_no_window_lost_or_sent_twice(&mut cluster, NODES);
}
