//! The oracle worker on the real bank: faults injected into the chain,
//! crashes mid-cycle, malformed market data, co-signing, metrics and replay.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use ballast_oracle_node::worker::audit::{self, AuditError, AuditLog, WindowStatus};
use ballast_oracle_node::worker::cosign::{assemble, update_message, CosignError, OracleNode};
use ballast_oracle_node::worker::metrics::{self, Metrics};
use ballast_oracle_node::worker::pipeline::Allocation;
use ballast_oracle_node::worker::source::{CsvReplay, MarketSource};
use ballast_oracle_node::worker::Step;
use ballast_oracle_node::WindowOutcome;
use ballast_sdk::program::errors::BallastError;
use ballast_sdk::{accounts, fixed, Chain, Fault, FaultyChain, Signer};
use common::{reserve, synthetic, worker, LOOKBACK};

/// Every recorded window is confirmed, the windows are consecutive from the
/// first, and the nonces run on from `first_nonce` without a gap.
fn assert_consistent_log(log: &AuditLog, first_nonce: u64, count: usize) {
    let records = log.windows().expect("audit records");
    assert_eq!(records.len(), count, "{records:?}");
    for (offset, record) in records.iter().enumerate() {
        assert_eq!(record.status, WindowStatus::Confirmed, "{record:?}");
        assert_eq!(record.window, LOOKBACK as u64 - 1 + offset as u64);
        assert_eq!(record.nonce, Some(first_nonce + offset as u64));
    }
    assert_eq!(audit::verify(log).expect("replay verifies"), count);
}

fn scrape(address: std::net::SocketAddr) -> String {
    let mut stream = TcpStream::connect(address).expect("connect to metrics");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
}

#[test]
fn faults_during_cycles_lose_and_duplicate_no_update() {
    let mut h = reserve();
    let start_nonce = h.protocol().raw.oracle_nonce;
    let dir = tempfile::tempdir().expect("temp dir");
    let metrics = Arc::new(Metrics::default());
    let address = metrics::serve("127.0.0.1:0", metrics.clone()).expect("metrics endpoint");
    let mut chain = FaultyChain::new(&mut h.chain);
    // The first window's send times out and is sent again; the next two
    // land but their confirmations are lost, which the worker must settle
    // from the nonce without sending them again. Its first reads time out.
    chain.script_sends([
        Some(Fault::Unreachable),
        None,
        Some(Fault::LostConfirmation),
        Some(Fault::LostConfirmation),
    ]);
    chain.fail_reads(3);
    let windows = 5;
    let mut worker = worker(
        &h.oracles,
        &h.admin,
        chain,
        synthetic(LOOKBACK + windows),
        &dir.path().join("audit.db"),
        metrics.clone(),
    );
    let outcomes = worker.run(windows as u64).expect("the worker recovers");
    assert!(
        outcomes.iter().all(|o| matches!(o, WindowOutcome::Confirmed { .. })),
        "{outcomes:?}"
    );
    assert!(worker.chain().script_done(), "every scripted fault fired");
    assert_eq!(worker.chain().injected, 6);
    let last = worker.last_decision().expect("a decision").clone();
    assert!(last.risk.is_some(), "with a supply the Monte Carlo runs");
    assert!(
        matches!(last.allocation, Allocation::Solved { .. }),
        "{:?}",
        last.allocation
    );
    println!("last decision: {}", serde_json::to_string(&last).expect("json"));
    assert_consistent_log(worker.audit(), start_nonce + 1, windows);
    // Each lost confirmation was settled by the nonce, never by a second send.
    let first = LOOKBACK as u64 - 1;
    let sends: Vec<usize> = (first..first + windows as u64)
        .map(|w| worker.audit().submissions(w).expect("submissions").len())
        .collect();
    assert_eq!(sends, [2, 1, 1, 1, 1]);
    let text = scrape(address);
    drop(worker);

    assert_eq!(h.protocol().raw.oracle_nonce, start_nonce + windows as u64);
    let wbtc = h.asset(2);
    assert_eq!(
        wbtc.raw.price,
        fixed(last.prices[2]),
        "the last decision is what is on chain"
    );
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(
        text.contains(&format!("ballast_oracle_updates_confirmed_total {windows}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("ballast_oracle_windows_processed_total {windows}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("ballast_oracle_last_nonce {}", start_nonce + windows as u64)),
        "{text}"
    );
    assert!(text.contains("ballast_oracle_submit_retries_total 6"), "{text}");
}

#[test]
fn a_crash_mid_cycle_neither_skips_nor_repeats_a_window() {
    let mut h = reserve();
    let start_nonce = h.protocol().raw.oracle_nonce;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("audit.db");
    let metrics = || Arc::new(Metrics::default());
    let days = LOOKBACK + 4;

    let mut first = worker(&h.oracles, &h.admin, &mut h.chain, synthetic(days), &db, metrics());
    first.run(1).expect("a first window");
    // Crash after planning: recorded, never sent.
    let Step::Planned(planned) = first.plan().expect("plan") else {
        panic!("window should be planned")
    };
    drop(first);
    assert_eq!(
        accounts::protocol(&mut h.chain).expect("protocol").raw.oracle_nonce,
        start_nonce + 1
    );

    let mut second = worker(&h.oracles, &h.admin, &mut h.chain, synthetic(days), &db, metrics());
    let resumed = second.run(0).expect("resume");
    assert_eq!(
        resumed,
        vec![WindowOutcome::Confirmed {
            window: planned.window,
            nonce: planned.nonce,
            signature: resumed.first().and_then(|o| match o {
                WindowOutcome::Confirmed { signature, .. } => *signature,
                _ => None,
            }),
        }]
    );
    assert_eq!(
        second.last_decision(),
        Some(&planned.decision),
        "the planned outputs were sent, not new ones"
    );
    // Crash after sending, before recording the outcome.
    let Step::Planned(sent) = second.plan().expect("plan") else {
        panic!("window should be planned")
    };
    second.send(&sent).expect("the send lands");
    drop(second);
    assert_eq!(
        accounts::protocol(&mut h.chain).expect("protocol").raw.oracle_nonce,
        sent.nonce
    );

    let mut third = worker(&h.oracles, &h.admin, &mut h.chain, synthetic(days), &db, metrics());
    assert_eq!(third.next_window(), sent.window + 1);
    let outcomes = third.run(1).expect("resume and one more window");
    assert_eq!(outcomes.len(), 2);
    assert!(matches!(outcomes[0], WindowOutcome::Confirmed { window, signature: None, .. } if window == sent.window));
    assert_eq!(
        third.audit().submissions(sent.window).expect("submissions").len(),
        1,
        "not sent again"
    );
    assert_consistent_log(third.audit(), start_nonce + 1, 4);
    drop(third);
    assert_eq!(
        accounts::protocol(&mut h.chain).expect("protocol").raw.oracle_nonce,
        start_nonce + 4
    );

    // Replay catches a tampered record.
    let connection = rusqlite::Connection::open(&db).expect("open the log");
    connection
        .execute("UPDATE windows SET outputs_json = replace(outputs_json, '\"sigma_p\":', '\"sigma_p\":1') WHERE window = ?1", [sent.window as i64])
        .expect("tamper");
    let error = audit::verify(&AuditLog::open(&db).expect("log")).expect_err("tampering is found");
    assert!(
        matches!(error, AuditError::Mismatch { window, .. } if window == sent.window),
        "{error}"
    );
}

#[test]
fn malformed_market_data_is_rejected_and_the_last_good_state_kept() {
    let mut h = reserve();
    let dir = tempfile::tempdir().expect("temp dir");
    // A replay file of the synthetic market, one row per asset per day,
    // with a NaN price in one window and a negative one in the next.
    let mut market = synthetic(LOOKBACK + 4);
    let mut csv = String::from("date,asset,price\n");
    for index in 0..(LOOKBACK + 4) as u64 {
        let window = market.window(index).expect("synthetic window");
        for (symbol, price) in common::SYMBOLS.iter().zip(&window.prices) {
            let price = match (index, *symbol) {
                (i, "WBTC") if i == LOOKBACK as u64 => "NaN".to_owned(),
                (i, "TBILL") if i == LOOKBACK as u64 + 1 => "-0.98".to_owned(),
                _ => price.to_string(),
            };
            csv.push_str(&format!("{},{symbol},{price}\n", window.date));
        }
    }
    let path = dir.path().join("prices.csv");
    std::fs::write(&path, csv).expect("write prices");
    let symbols: Vec<String> = common::SYMBOLS.iter().map(|s| s.to_string()).collect();
    let source = CsvReplay::open(&path, &symbols).expect("open the replay");

    let mut worker = worker(
        &h.oracles,
        &h.admin,
        &mut h.chain,
        source,
        &dir.path().join("audit.db"),
        Arc::new(Metrics::default()),
    );
    let good = worker.run_window().expect("first window");
    assert!(matches!(good, WindowOutcome::Confirmed { .. }), "{good:?}");
    let decision = worker.last_decision().cloned();
    let before = ballast_sdk::status::reserve_status(worker.chain()).expect("status");
    let nonce = accounts::protocol(worker.chain()).expect("protocol").raw.oracle_nonce;

    // Line numbers: header, then three rows per window.
    let nan_line = 2 + 3 * LOOKBACK + 2;
    let negative_line = 2 + 3 * (LOOKBACK + 1) + 1;
    for (line, value) in [
        (nan_line, "`NaN` is not finite"),
        (negative_line, "`-0.98` is negative"),
    ] {
        let outcome = worker.run_window().expect("a bad window is not fatal");
        let WindowOutcome::DataRejected { error, .. } = outcome else {
            panic!("rejected: {outcome:?}")
        };
        let expected = format!("{}, line {line}, column `price`: value {value}", path.display());
        assert_eq!(error, expected);
        assert_eq!(
            worker.last_decision().cloned(),
            decision,
            "the last good decision stays"
        );
        assert_eq!(
            accounts::protocol(worker.chain()).expect("protocol").raw.oracle_nonce,
            nonce,
            "nothing sent"
        );
        let after = ballast_sdk::status::reserve_status(worker.chain()).expect("status");
        assert_eq!(format!("{after:?}"), format!("{before:?}"), "the chain is unchanged");
    }
    let recovered = worker.run_window().expect("good data again");
    assert!(
        matches!(recovered, WindowOutcome::Confirmed { nonce: n, .. } if n == nonce + 1),
        "{recovered:?}"
    );
    let statuses: Vec<WindowStatus> = worker
        .audit()
        .windows()
        .expect("records")
        .iter()
        .map(|r| r.status)
        .collect();
    use WindowStatus::*;
    assert_eq!(statuses, [Confirmed, DataRejected, DataRejected, Confirmed]);
    assert_eq!(audit::verify(worker.audit()).expect("replay"), 2);
}

#[test]
fn cosigning_needs_the_quorum_and_the_signed_message() {
    let mut h = reserve();
    let assets = h.reserve_assets();
    let nodes: Vec<OracleNode> = h.oracles.iter().map(|k| OracleNode::new(k.insecure_clone())).collect();
    let update = h.oracle_update(&[1.0, ballast_tests::TBILL_PRICE, ballast_tests::WBTC_PRICE]);
    let blockhash = h.chain.latest_blockhash().expect("blockhash");
    let relayer = h.admin.insecure_clone();

    // One oracle alone: a valid transaction the program refuses by name.
    let alone = update_message(
        update.clone(),
        &assets,
        &[nodes[0].pubkey()],
        &relayer.pubkey(),
        blockhash,
    );
    let signature = nodes[0].cosign(&alone, &update).expect("node signs");
    let transaction = assemble(alone, &relayer, &[(nodes[0].pubkey(), signature)]).expect("assembled");
    let before = h.snapshot(&[]);
    let result = h.chain.send_transaction(&transaction);
    h.assert_refused(result, BallastError::OracleQuorumNotMet, &before);

    // A signature over another message is caught before anything is sent.
    let pair = [nodes[0].pubkey(), nodes[1].pubkey()];
    let message = update_message(update.clone(), &assets, &pair, &relayer.pubkey(), blockhash);
    let mut other = update.clone();
    other.fee_mint = fixed(0.009);
    let other_message = update_message(other.clone(), &assets, &pair, &relayer.pubkey(), blockhash);
    let good = nodes[0].cosign(&message, &update).expect("node 0 signs");
    let stray = nodes[1]
        .cosign(&other_message, &other)
        .expect("node 1 signs the other update");
    let refused = assemble(message.clone(), &relayer, &[(pair[0], good), (pair[1], stray)]);
    assert_eq!(refused.unwrap_err(), CosignError::BadSignature { oracle: pair[1] });
    // A node will not sign an update other than the one it computed, nor one it is not part of.
    assert!(matches!(
        nodes[1].cosign(&other_message, &update),
        Err(CosignError::Refused { .. })
    ));
    assert_eq!(
        nodes[2].cosign(&message, &update),
        Err(CosignError::NotASigner {
            oracle: nodes[2].pubkey()
        })
    );
    // Missing a signature: refused before submission.
    let missing = assemble(message.clone(), &relayer, &[(pair[0], good)]);
    assert_eq!(missing.unwrap_err(), CosignError::MissingSignature { signer: pair[1] });

    // Both signatures over the same message: accepted.
    let second = nodes[1].cosign(&message, &update).expect("node 1 signs");
    let transaction = assemble(message, &relayer, &[(pair[0], good), (pair[1], second)]).expect("assembled");
    h.chain.send_transaction(&transaction).expect("the quorum is met");
    assert_eq!(h.protocol().raw.oracle_nonce, update.nonce);
    // The identical transaction again cannot apply twice.
    assert!(h.chain.send_transaction(&transaction).is_err());
    assert_eq!(h.protocol().raw.oracle_nonce, update.nonce);
}
