//! The oracle network's speed and footprint, measured (a benchmark, not a
//! test):
//!
//! ```sh
//! cargo build --bins && cargo run -p ballast-app --example oracle_network_bench   # writes bench/oracle_network.json
//! cargo build --bins && cargo run -p ballast-app --example oracle_network_bench -- --quick
//! ```
//!
//! For N = 5 (M = 3) and N = 7 (M = 5) it runs a `ballast localnet` process
//! and N `ballast-oracle node` processes, exactly as the network tests do
//! (100 ms slots, 2 s rounds, nodes polling every 100 ms), and reads the
//! rounds account every 10 ms. A round's latency runs from the moment the
//! chain's slot reaches the previous round's deadline (the round is due)
//! to the moment the reader sees it finalized: it covers the nodes'
//! polling, each node's own pipeline and the M transactions. Transactions
//! per round count what landed (fees paid by the oracle keys) and what the
//! nodes sent (their audit logs). Sizes are those of the signed
//! transaction a node sends, for every asset count, as a legacy message
//! and as a v0 message whose accounts come from a lookup table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ballast_oracle_node::worker::audit::AuditLog;
use ballast_sdk::program::constants::{MAX_ASSETS, MAX_ORACLES};
use ballast_sdk::program::instructions::{Observation, PriceInput};
use ballast_sdk::program::state::{round_status, OracleRounds};
use ballast_sdk::{accounts, fixed, instructions, Chain, Keypair, Pubkey, Signer};
use ballast_tests::cluster::{Cluster, ROUND_SLOTS, SLOT_MS};
use ballast_tests::process::Process;
use serde::Serialize;
use solana_sdk::hash::Hash;
use solana_sdk::message::{v0, AddressLookupTableAccount, VersionedMessage};
use solana_sdk::transaction::{Transaction, VersionedTransaction};

/// The most a transaction may serialize to (an IPv6 packet's payload).
const PACKET_DATA_SIZE: usize = 1232;
const READ_EVERY: Duration = Duration::from_millis(10);
/// Rounds left out at the start, while every node fills its history.
const WARMUP_ROUNDS: u64 = 2;

#[derive(Serialize)]
struct Network {
    oracles: usize,
    quorum: u8,
    rounds: usize,
    lapsed: usize,
    due_to_finalized_p50_ms: f64,
    due_to_finalized_p99_ms: f64,
    due_to_finalized_max_ms: f64,
    transactions_landed_per_round: f64,
    transactions_sent_per_round: f64,
    transaction_bytes: usize,
    bytes_landed_per_round: f64,
}

#[derive(Serialize)]
struct Size {
    assets: usize,
    legacy_bytes: usize,
    with_lookup_table_bytes: usize,
}

#[derive(Serialize)]
struct Results {
    build: &'static str,
    slot_ms: u64,
    round_slots: u64,
    networks: Vec<Network>,
    sizes: Vec<Size>,
    packet_limit_bytes: usize,
    largest_asset_count_legacy: usize,
    largest_asset_count_with_lookup_table: usize,
    program_max_assets: usize,
    program_max_oracles: usize,
    signatures_per_observation: usize,
    oracle_rounds_account_bytes: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The `ballast` binary beside this example's directory (`target/<profile>/`).
fn ballast_binary() -> PathBuf {
    let example = std::env::current_exe().expect("this example's path");
    let binary = example.parent().and_then(Path::parent).expect("target/<profile>").join("ballast");
    assert!(binary.is_file(), "{} is missing: run `cargo build --bins` first", binary.display());
    binary
}

/// Runs N nodes until `rounds` rounds past the warm-up are over.
fn measure(binary: &Path, oracles: usize, quorum: u8, rounds: u64) -> Network {
    let mut cluster = Cluster::start(binary, oracles, quorum);
    let url = cluster.url();
    let mut nodes: Vec<Process> = (0..oracles).map(|i| cluster.start_oracle(i, &url, None)).collect();
    cluster.wait_rounds(WARMUP_ROUNDS, Duration::from_secs(120));
    let first = read(&mut cluster).0.round + 2;
    let last = first + rounds - 1;
    let balances = |cluster: &mut Cluster| -> u64 {
        let keys: Vec<Pubkey> = cluster.oracle_keys.iter().map(|k| k.pubkey()).collect();
        keys.iter().map(|k| cluster.chain.client().get_balance(k).expect("balance")).sum()
    };
    let mut paid_from = None;
    let mut due = BTreeMap::new();
    let mut finalized = BTreeMap::new();
    let started = Instant::now();
    loop {
        let (view, slot) = read(&mut cluster);
        let now = Instant::now();
        assert!(started.elapsed() < Duration::from_secs(60 + 5 * rounds), "the network stalled at round {}", view.round);
        let closed = view.status != round_status::OPEN;
        if view.round > 0 && slot >= view.opened_slot + ROUND_SLOTS {
            due.entry(view.round + 1).or_insert(now);
        }
        if view.status == round_status::FINALIZED {
            finalized.entry(view.round).or_insert(now);
        }
        if view.round + 1 == first && closed && paid_from.is_none() {
            paid_from = Some(balances(&mut cluster));
        }
        if view.round > last || (view.round == last && closed) {
            break;
        }
        std::thread::sleep(READ_EVERY);
    }
    let mut latencies: Vec<f64> = (first..=last)
        .filter_map(|round| Some(finalized.get(&round)?.duration_since(*due.get(&round)?).as_secs_f64() * 1000.0))
        .collect();
    let lapsed = (first..=last).filter(|round| !finalized.contains_key(round)).count();
    // Let late senders of the last round finish before counting.
    std::thread::sleep(Duration::from_millis(500));
    let paid = paid_from.expect("balances before the first measured round") - balances(&mut cluster);
    for node in &mut nodes {
        node.terminate(Duration::from_secs(30));
    }
    let fee = fee_per_signature(&mut cluster);
    let sent: usize = (0..oracles)
        .map(|i| {
            let audit = AuditLog::open(&cluster.audit_path(i)).expect("audit log");
            let windows = audit.windows().expect("windows");
            windows
                .iter()
                .filter(|w| (first..=last).contains(&w.round))
                .map(|w| audit.submissions(w.window, w.round).expect("submissions").len())
                .sum::<usize>()
        })
        .sum();
    let bytes = observation_transaction(3, false).len();
    latencies.sort_by(f64::total_cmp);
    assert!(!latencies.is_empty(), "no round finalized");
    cluster.localnet.process.terminate(Duration::from_secs(30));
    let landed = paid as f64 / fee as f64 / rounds as f64;
    Network {
        oracles,
        quorum,
        rounds: latencies.len(),
        lapsed,
        due_to_finalized_p50_ms: percentile(&latencies, 0.5),
        due_to_finalized_p99_ms: percentile(&latencies, 0.99),
        due_to_finalized_max_ms: *latencies.last().unwrap(),
        transactions_landed_per_round: landed,
        transactions_sent_per_round: sent as f64 / rounds as f64,
        transaction_bytes: bytes,
        bytes_landed_per_round: landed * bytes as f64,
    }
}

fn read(cluster: &mut Cluster) -> (OracleRounds, u64) {
    let rounds = accounts::oracle_rounds(&mut cluster.chain).expect("rounds account");
    let slot = cluster.chain.slot().expect("slot");
    (rounds, slot)
}

fn fee_per_signature(cluster: &mut Cluster) -> u64 {
    let payer = cluster.oracle_keys[0].pubkey();
    let blockhash = cluster.chain.latest_blockhash().expect("blockhash");
    let message = solana_sdk::message::Message::new_with_blockhash(&[], Some(&payer), &blockhash);
    cluster.chain.client().get_fee_for_message(&message).expect("fee")
}

/// The signed transaction a node sends with `assets` reserve assets, as a
/// legacy message or as a v0 message with every account but the signer and
/// the program in one lookup table.
fn observation_transaction(assets: usize, lookup_table: bool) -> Vec<u8> {
    let oracle = Keypair::new();
    let observation = Observation {
        round: u64::MAX,
        prices: vec![
            PriceInput {
                price: fixed(1.0),
                confidence: fixed(0.001)
            };
            assets
        ],
        target_weights: vec![fixed(1.0 / assets as f64); assets],
        sigma_p: fixed(0.02),
        breach_probability: fixed(0.01),
        breach_upper: fixed(0.02),
        lambda: fixed(2.0),
        reference_value: fixed(1.0e6),
        fee_mint: fixed(0.003),
        fee_redeem: fixed(0.002),
        risk_scores: vec![fixed(0.5); assets],
        stable: true,
        allocation_certified: true,
        loan_gamma: fixed(-2.0),
        loan_theta: fixed(0.05),
    };
    let reserve: Vec<Pubkey> = (0..assets).map(|_| Pubkey::new_unique()).collect();
    let instruction = instructions::submit_observation(&oracle.pubkey(), observation, &reserve);
    let blockhash = Hash::new_unique();
    if !lookup_table {
        let transaction = Transaction::new_signed_with_payer(&[instruction], Some(&oracle.pubkey()), &[&oracle], blockhash);
        return bincode::serialize(&transaction).expect("serialize");
    }
    let table = AddressLookupTableAccount {
        key: Pubkey::new_unique(),
        addresses: instruction.accounts.iter().filter(|a| !a.is_signer).map(|a| a.pubkey).collect(),
    };
    let message = v0::Message::try_compile(&oracle.pubkey(), &[instruction], &[table], blockhash).expect("compile");
    let transaction = VersionedTransaction::try_new(VersionedMessage::V0(message), &[&oracle]).expect("sign");
    bincode::serialize(&transaction).expect("serialize")
}

fn sizes() -> (Vec<Size>, usize, usize) {
    let sizes: Vec<Size> = (1..=32)
        .map(|assets| Size {
            assets,
            legacy_bytes: observation_transaction(assets, false).len(),
            with_lookup_table_bytes: observation_transaction(assets, true).len(),
        })
        .collect();
    let largest = |bytes: fn(&Size) -> usize| {
        sizes.iter().filter(|s| bytes(s) <= PACKET_DATA_SIZE).map(|s| s.assets).max().unwrap_or(0)
    };
    let legacy = largest(|s| s.legacy_bytes);
    let with_table = largest(|s| s.with_lookup_table_bytes);
    (sizes, legacy, with_table)
}

fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let out = std::env::args()
        .skip_while(|a| a != "--out")
        .nth(1)
        .unwrap_or_else(|| "bench/oracle_network.json".to_string());
    let rounds = if quick { 4 } else { 30 };
    let binary = ballast_binary();
    let (sizes, largest_legacy, largest_with_table) = sizes();
    let mut networks = Vec::new();
    for (oracles, quorum) in [(5, 3), (7, 5)] {
        eprintln!("N = {oracles}, M = {quorum}: {rounds} rounds of {} ms ...", ROUND_SLOTS * SLOT_MS);
        let network = measure(&binary, oracles, quorum, rounds);
        eprintln!(
            "  due to finalized p50 {:.0} ms, p99 {:.0} ms; {:.2} transactions landed and {:.2} sent per round, {} bytes each",
            network.due_to_finalized_p50_ms,
            network.due_to_finalized_p99_ms,
            network.transactions_landed_per_round,
            network.transactions_sent_per_round,
            network.transaction_bytes
        );
        networks.push(network);
    }
    let at_max = &sizes[MAX_ASSETS - 1];
    eprintln!(
        "observation transaction at {MAX_ASSETS} assets: {} bytes legacy, {} with a lookup table (limit {PACKET_DATA_SIZE}); \
         largest asset count: {largest_legacy} legacy, {largest_with_table} with a lookup table",
        at_max.legacy_bytes, at_max.with_lookup_table_bytes
    );
    let results = Results {
        build: if cfg!(debug_assertions) { "dev" } else { "release" },
        slot_ms: SLOT_MS,
        round_slots: ROUND_SLOTS,
        networks,
        sizes,
        packet_limit_bytes: PACKET_DATA_SIZE,
        largest_asset_count_legacy: largest_legacy,
        largest_asset_count_with_lookup_table: largest_with_table,
        program_max_assets: MAX_ASSETS,
        program_max_oracles: MAX_ORACLES,
        signatures_per_observation: 1,
        oracle_rounds_account_bytes: 8 + std::mem::size_of::<OracleRounds>(),
    };
    std::fs::write(&out, serde_json::to_string_pretty(&results)? + "\n")?;
    eprintln!("wrote {out}");
    Ok(())
}
