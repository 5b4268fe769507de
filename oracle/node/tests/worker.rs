//! Oracle nodes on the real bank, one per key, each submitting its own
//! observation: rounds finalizing from independent nodes, faults and
//! crashes mid-round, malformed and unsure market data, metrics and replay.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use ballast_oracle_node::worker::audit::{self, AuditError, AuditLog, WindowStatus};
use ballast_oracle_node::worker::metrics::{self, Metrics};
use ballast_oracle_node::worker::pyth::{PriceFeedMessage, PriceUpdateV2, PythAccounts, VerificationLevel, RECEIVER_PROGRAM};
use ballast_oracle_node::worker::source::{CsvReplay, MarketSource, SourceError};
use ballast_oracle_node::RoundOutcome;
use ballast_sdk::bank::Genesis;
use ballast_sdk::{Account, BankChain, Chain, Fault, FaultyChain, Keypair, Pubkey, Signer};
use ballast_sdk::program::state::RebalanceTrigger;
use common::{next_round, node, node_view, reserve, reserve_with, LOOKBACK};

fn scrape(address: std::net::SocketAddr) -> String {
    let mut stream = TcpStream::connect(address).expect("connect to metrics");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
}

fn last_round(h: &mut ballast_tests::Harness) -> u64 {
    h.protocol().raw.last_oracle_round
}

#[test]
fn two_independent_nodes_finalize_every_round_through_faults() {
    let mut h = reserve();
    let start = last_round(&mut h);
    let dir = tempfile::tempdir().expect("temp dir");
    let metrics = Arc::new(Metrics::default());
    let address = metrics::serve("127.0.0.1:0", metrics.clone()).expect("metrics endpoint");
    let days = LOOKBACK + 8;
    let mut a = node(&mut h, 0, node_view(0, days), &dir.path().join("a.db"), metrics.clone());
    let mut b = node(&mut h, 1, node_view(1, days), &dir.path().join("b.db"), Arc::new(Metrics::default()));

    // Node a's first send times out and goes again; its next two land but
    // their confirmations are lost, which it must settle from the chain
    // without sending again. Its first reads time out.
    let mut chain = FaultyChain::new(&mut h.chain);
    chain.script_sends([Some(Fault::Unreachable), None, Some(Fault::LostConfirmation), Some(Fault::LostConfirmation)]);
    chain.fail_reads(3);
    let rounds = 5;
    for _ in 0..rounds {
        next_round(chain.inner());
        let outcome = a.step(&mut chain).expect("node a recovers");
        assert!(matches!(outcome, RoundOutcome::Submitted { .. }), "{outcome:?}");
        let outcome = b.step(chain.inner()).expect("node b");
        assert!(matches!(outcome, RoundOutcome::Submitted { .. }), "{outcome:?}");
        // Nothing more to do in this round for either.
        assert!(a.step(&mut chain).unwrap().is_waiting());
    }
    assert!(chain.script_done(), "every scripted fault fired");
    assert_eq!(chain.injected, 6);
    drop(chain);
    assert_eq!(last_round(&mut h), start + rounds);

    // Each lost confirmation was settled from the chain, never by a second send.
    let windows = a.audit().windows().expect("records");
    assert!(windows.iter().all(|w| w.status == WindowStatus::Confirmed), "{windows:?}");
    let rounds_sent: Vec<u64> = windows.iter().map(|w| w.round).collect();
    assert_eq!(rounds_sent, (start + 1..=start + rounds).collect::<Vec<_>>());
    let sends: Vec<usize> = windows.iter().map(|w| a.audit().submissions(w.window, w.round).unwrap().len()).collect();
    assert_eq!(sends, [2, 1, 1, 1, 1]);
    assert_eq!(audit::verify(a.audit()).expect("replay verifies"), rounds as usize);
    let last = a.last_decision().expect("a decision").clone();
    assert!(last.risk.is_some(), "with a supply the Monte Carlo runs");

    let text = scrape(address);
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    for line in [
        format!("ballast_oracle_observations_landed_total {rounds}"),
        format!("ballast_oracle_windows_processed_total {rounds}"),
        format!("ballast_oracle_last_round {}", start + rounds),
        "ballast_oracle_submit_retries_total 6".to_string(),
    ] {
        assert!(text.contains(&line), "{line} missing from\n{text}");
    }
}

/// Seed 000's trigger between scheduled rounds: with sigma_threshold set
/// below any sigma_p the pipeline posts, the nodes open one round early a
/// quarter of the way through, on the same market window, and the next
/// scheduled round describes the next window.
#[test]
fn on_the_trigger_nodes_open_one_round_early_on_the_same_window() {
    const SLOTS: u64 = 400;
    let mut h = reserve_with(|args| {
        args.params.round_slots = SLOTS;
        args.params.risk.sigma_reset = ballast_sdk::fixed(0.000_05);
        args.params.risk.sigma_threshold = ballast_sdk::fixed(0.000_1);
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let days = LOOKBACK + 4;
    let metrics = Arc::new(Metrics::default());
    let mut a = node(&mut h, 0, node_view(0, days), &dir.path().join("a.db"), metrics.clone());
    let mut b = node(&mut h, 1, node_view(1, days), &dir.path().join("b.db"), Arc::new(Metrics::default()));
    let submitted = |outcome: RoundOutcome| match outcome {
        RoundOutcome::Submitted { round, window, .. } => (round, window),
        other => panic!("expected a submission, got {other:?}"),
    };

    next_round(&mut h.chain);
    let (scheduled, window) = submitted(a.step(&mut h.chain).unwrap());
    assert_eq!(submitted(b.step(&mut h.chain).unwrap()), (scheduled, window));
    assert!(h.protocol().raw.risk.sigma_p.get() > 0.000_1, "the pipeline's sigma_p sets the trigger off");
    // Not before a quarter of the round's time.
    assert!(a.step(&mut h.chain).unwrap().is_waiting());
    let opened = ballast_sdk::accounts::oracle_rounds(&mut h.chain).unwrap().opened_slot;
    h.chain.warp_to_slot(opened + SLOTS / 4).unwrap();
    assert_eq!(submitted(a.step(&mut h.chain).unwrap()), (scheduled + 1, window), "early, on the same window");
    assert_eq!(submitted(b.step(&mut h.chain).unwrap()), (scheduled + 1, window));
    let rounds = ballast_sdk::accounts::oracle_rounds(&mut h.chain).unwrap();
    assert_eq!((rounds.trigger, last_round(&mut h)), (RebalanceTrigger::Volatile as u8, scheduled + 1));

    // One early round per scheduled round; then the schedule goes on.
    h.warp_slots(SLOTS / 4);
    assert!(a.step(&mut h.chain).unwrap().is_waiting());
    next_round(&mut h.chain);
    assert_eq!(submitted(a.step(&mut h.chain).unwrap()), (scheduled + 2, window + 1));
    let records: Vec<(u64, u64, WindowStatus)> =
        a.audit().windows().unwrap().iter().map(|r| (r.window, r.round, r.status)).collect();
    assert_eq!(
        records,
        [
            (window, scheduled, WindowStatus::Confirmed),
            (window, scheduled + 1, WindowStatus::Confirmed),
            (window + 1, scheduled + 2, WindowStatus::Confirmed)
        ]
    );
    assert_eq!(audit::verify(a.audit()).expect("every decision replays"), 3);
    assert!(metrics.render().contains("ballast_oracle_early_rounds_total 1\n"), "{}", metrics.render());
}

#[test]
fn a_crash_after_a_lost_confirmation_neither_skips_nor_repeats_an_observation() {
    let mut h = reserve();
    let start = last_round(&mut h);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("a.db");
    let days = LOOKBACK + 6;
    let metrics = || Arc::new(Metrics::default());
    let mut b = node(&mut h, 1, node_view(1, days), &dir.path().join("b.db"), metrics());
    let mut first = node(&mut h, 0, node_view(0, days), &db, metrics());

    // The send lands, its confirmation is lost, and every read after it
    // fails: the step gives up with the window unfinished, and the node
    // dies there.
    next_round(&mut h.chain);
    let mut chain = FaultyChain::new(&mut h.chain);
    chain.script_sends([Some(Fault::LostConfirmation)]);
    let failing = first.step(&mut FailAfterSend::new(&mut chain));
    assert!(failing.is_err(), "{failing:?}");
    drop((first, chain));
    let window = AuditLog::open(&db).unwrap().unfinished().unwrap().expect("an unfinished window");
    assert_eq!(window.status, WindowStatus::Submitted);

    // Restarted, it settles the window from the chain without sending again.
    let mut second = node(&mut h, 0, node_view(0, days), &db, metrics());
    let settled = second.step(&mut h.chain).expect("settles");
    assert!(matches!(settled, RoundOutcome::Submitted { signature: None, .. }), "{settled:?}");
    assert_eq!(second.audit().submissions(window.window, window.round).unwrap().len(), 1, "not sent again");
    b.step(&mut h.chain).expect("node b completes the round");
    assert_eq!(last_round(&mut h), start + 1);

    // Replay catches a tampered record.
    let connection = rusqlite::Connection::open(&db).expect("open the log");
    connection
        .execute(
            "UPDATE windows SET outputs_json = replace(outputs_json, '\"sigma_p\":', '\"sigma_p\":1') WHERE window = ?1",
            [window.window as i64],
        )
        .expect("tamper");
    let error = audit::verify(&AuditLog::open(&db).expect("log")).expect_err("tampering is found");
    assert!(matches!(error, AuditError::Mismatch { window: w, .. } if w == window.window), "{error}");
}

/// Fails every read once a send has gone through `inner`: the moment after
/// a send at which a process may die.
struct FailAfterSend<'a, C: Chain> {
    inner: &'a mut C,
    sent: bool,
}

impl<'a, C: Chain> FailAfterSend<'a, C> {
    fn new(inner: &'a mut C) -> Self {
        Self { inner, sent: false }
    }

    fn check(&self) -> Result<(), ballast_sdk::ChainError> {
        if self.sent {
            return Err(ballast_sdk::ChainError::Transport("the process died".into()));
        }
        Ok(())
    }
}

impl<C: Chain> Chain for FailAfterSend<'_, C> {
    fn account(&mut self, address: &Pubkey) -> Result<Option<Account>, ballast_sdk::ChainError> {
        self.check()?;
        self.inner.account(address)
    }
    fn send(&mut self, i: &[ballast_sdk::Instruction], p: &Keypair, s: &[&Keypair]) -> Result<ballast_sdk::Signature, ballast_sdk::ChainError> {
        self.check()?;
        self.inner.send(i, p, s)
    }
    fn latest_blockhash(&mut self) -> Result<ballast_sdk::Hash, ballast_sdk::ChainError> {
        self.check()?;
        self.inner.latest_blockhash()
    }
    fn send_transaction(&mut self, t: &ballast_sdk::Transaction) -> Result<ballast_sdk::Signature, ballast_sdk::ChainError> {
        self.check()?;
        let result = self.inner.send_transaction(t);
        self.sent = true;
        result
    }
    fn clock(&mut self) -> Result<ballast_sdk::Clock, ballast_sdk::ChainError> {
        self.check()?;
        self.inner.clock()
    }
    fn warp_to_slot(&mut self, slot: u64) -> Result<(), ballast_sdk::ChainError> {
        self.inner.warp_to_slot(slot)
    }
    fn rent_exempt_minimum(&mut self, data_len: usize) -> Result<u64, ballast_sdk::ChainError> {
        self.inner.rent_exempt_minimum(data_len)
    }
}

#[test]
fn malformed_market_data_is_refused_and_the_last_good_state_kept() {
    let mut h = reserve();
    let dir = tempfile::tempdir().expect("temp dir");
    // A replay file of the synthetic market, one row per asset per day,
    // with a NaN price in one window and a negative one in the next.
    let days = LOOKBACK + 6;
    let mut market = common::synthetic(days);
    let mut csv = String::from("date,asset,price\n");
    let first = common::config().first_window + last_round(&mut h);
    for index in 0..days as u64 {
        let window = market.window(index, &mut h.chain).expect("synthetic window");
        for (symbol, price) in common::SYMBOLS.iter().zip(&window.prices) {
            let price = match (index, *symbol) {
                (i, "WBTC") if i == first + 1 => "NaN".to_owned(),
                (i, "TBILL") if i == first + 2 => "-0.98".to_owned(),
                _ => price.to_string(),
            };
            csv.push_str(&format!("{},{symbol},{price}\n", window.date));
        }
    }
    let path = dir.path().join("prices.csv");
    std::fs::write(&path, csv).expect("write prices");
    let symbols: Vec<String> = common::SYMBOLS.iter().map(|s| s.to_string()).collect();
    let source = CsvReplay::open(&path, &symbols).expect("open the replay");
    let mut a = node(&mut h, 0, source, &dir.path().join("a.db"), Arc::new(Metrics::default()));
    let mut b = node(&mut h, 1, node_view(1, days), &dir.path().join("b.db"), Arc::new(Metrics::default()));

    next_round(&mut h.chain);
    let good = a.step(&mut h.chain).expect("first window");
    assert!(matches!(good, RoundOutcome::Submitted { .. }), "{good:?}");
    b.step(&mut h.chain).unwrap();
    let decision = a.last_decision().cloned();
    next_round(&mut h.chain);

    // Line numbers: header, then three rows per window.
    let nan_line = 2 + 3 * (first + 1) + 2;
    let negative_line = 2 + 3 * (first + 2) + 1;
    for (line, value) in [(nan_line, "`NaN` is not finite"), (negative_line, "`-0.98` is negative")] {
        let outcome = a.step(&mut h.chain).expect("a bad window is not fatal");
        let RoundOutcome::DataRejected { error, .. } = outcome else {
            panic!("refused: {outcome:?}")
        };
        let expected = format!("{}, line {line}, column `price`: value {value}", path.display());
        assert_eq!(error, expected);
        assert_eq!(a.last_decision().cloned(), decision, "the last good decision stays");
        // The other node's observation is alone in the round: no quorum.
        let round = last_round(&mut h);
        b.step(&mut h.chain).unwrap();
        assert_eq!(last_round(&mut h), round, "nothing finalized without a quorum");
        next_round(&mut h.chain);
    }
    let recovered = a.step(&mut h.chain).expect("good data again");
    assert!(matches!(recovered, RoundOutcome::Submitted { .. }), "{recovered:?}");
    let statuses: Vec<WindowStatus> = a.audit().windows().unwrap().iter().map(|r| r.status).collect();
    use WindowStatus::*;
    assert_eq!(statuses, [Confirmed, DataRejected, DataRejected, Confirmed]);
    assert_eq!(audit::verify(a.audit()).expect("replay"), 2);
}

#[test]
fn a_node_needs_a_registered_key() {
    let mut h = reserve();
    let dir = tempfile::tempdir().expect("temp dir");
    let log = AuditLog::open(&dir.path().join("x.db")).unwrap();
    let stranger = Keypair::new();
    let result = ballast_oracle_node::Worker::new(
        &mut h.chain,
        node_view(0, 20),
        log,
        stranger.insecure_clone(),
        common::config(),
        Arc::new(Metrics::default()),
    );
    let error = result.err().expect("refused").to_string();
    assert!(error.contains(&stranger.pubkey().to_string()), "{error}");
}

/// Governance lists an asset while a node runs: the node stops with an
/// error that says what to do, instead of deciding on part of the reserve.
#[test]
fn a_node_stops_by_name_when_the_reserve_lists_an_asset_it_does_not_know() {
    use ballast_sdk::program::state::AssetKind;
    let mut h = reserve();
    let dir = tempfile::tempdir().expect("temp dir");
    let log = AuditLog::open(&dir.path().join("x.db")).unwrap();
    let oracle = h.oracles[0].insecure_clone();
    let mut node = ballast_oracle_node::Worker::new(&mut h.chain, node_view(0, 20), log, oracle, common::config(), Arc::new(Metrics::default()))
        .expect("a node for the three-asset reserve");
    h.add_asset(6, AssetKind::Loan, ballast_tests::asset_config(0.3, 0.01));
    next_round(&mut h.chain);
    let error = node.step(&mut h.chain).err().expect("stopped").to_string();
    assert!(error.contains("the reserve has 4 assets but the node knows 3 symbols"), "{error}");
    assert!(error.contains("add it to the deployment file"), "{error}");
    assert!(node.audit().windows().unwrap().is_empty(), "nothing planned or sent");
}

fn price_account(price: f64, confidence: f64, publish_time: i64, level: VerificationLevel) -> Account {
    let update = PriceUpdateV2 {
        write_authority: [1; 32],
        verification_level: level,
        price_message: PriceFeedMessage {
            feed_id: [2; 32],
            price: (price * 1e8) as i64,
            conf: (confidence * 1e8) as u64,
            exponent: -8,
            publish_time,
            prev_publish_time: publish_time - 1,
            ema_price: (price * 1e8) as i64,
            ema_conf: (confidence * 1e8) as u64,
        },
        posted_slot: 1,
    };
    Account {
        lamports: 10_000_000,
        data: update.to_account_data(),
        owner: RECEIVER_PROGRAM,
        executable: false,
        rent_epoch: 0,
    }
}

#[test]
fn price_accounts_in_the_pyth_layout_are_read_and_refused_when_stale_or_unsure() {
    let payer = Keypair::new();
    let mut genesis = Genesis::default();
    genesis.fund(&payer.pubkey(), 1_000_000_000);
    let feeds: Vec<Pubkey> = (0..5).map(|_| Pubkey::new_unique()).collect();
    // The bank's clock starts near the genesis time; publish times relative to it.
    let mut chain = BankChain::from_genesis(Genesis::default(), payer.insecure_clone()).unwrap();
    let now = chain.clock().unwrap().unix_timestamp;
    drop(chain);
    let accounts_at = [
        price_account(1.0, 0.0005, now, VerificationLevel::Full),
        price_account(60_000.0, 30.0, now - 5, VerificationLevel::Full),
        price_account(60_000.0, 30.0, now - 3_600, VerificationLevel::Full),
        price_account(60_000.0, 6_000.0, now, VerificationLevel::Full),
        price_account(60_000.0, 30.0, now, VerificationLevel::Partial { num_signatures: 3 }),
    ];
    genesis.accounts.extend(feeds.iter().copied().zip(accounts_at));
    let mut chain = BankChain::from_genesis(genesis, payer).unwrap();
    let source = |wbtc: usize| PythAccounts {
        feeds: vec![("USDC".into(), feeds[0]), ("WBTC".into(), feeds[wbtc])],
        max_age_seconds: 60,
        max_confidence: 0.02,
    };
    let window = source(1).window(7, &mut chain).expect("fresh and confident");
    assert_eq!(window.index, 7);
    assert!((window.prices[0] - 1.0).abs() < 1e-9 && (window.prices[1] - 60_000.0).abs() < 1e-6);
    assert!(matches!(source(2).window(8, &mut chain), Err(SourceError::Stale { age, .. }) if age >= 3_600));
    assert!(matches!(source(3).window(8, &mut chain), Err(SourceError::Unconfident { .. })));
    let partial = source(4).window(8, &mut chain).unwrap_err().to_string();
    assert!(partial.contains("partially verified"), "{partial}");
    let mut foreign = PythAccounts {
        feeds: vec![("USDC".into(), Pubkey::new_unique())],
        max_age_seconds: 60,
        max_confidence: 0.02,
    };
    assert!(foreign.window(9, &mut chain).unwrap_err().to_string().contains("no such account"));
}

#[test]
fn an_audit_log_of_an_older_layout_is_refused_by_name_and_readers_never_write() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.db");
    // Version 1 kept one row per window, before triggered rounds.
    let connection = rusqlite::Connection::open(&old).unwrap();
    connection.execute_batch("CREATE TABLE windows (window INTEGER PRIMARY KEY, status TEXT NOT NULL)").unwrap();
    drop(connection);
    for error in [AuditLog::open(&old).err(), AuditLog::open_read_only(&old).err()] {
        let error = error.expect("refused").to_string();
        assert!(error.contains("old.db") && error.contains("schema version 1"), "{error}");
    }

    let missing = dir.path().join("missing.db");
    assert!(AuditLog::open_read_only(&missing).is_err());
    assert!(!missing.exists(), "a reader creates nothing");
    let fresh = dir.path().join("fresh.db");
    AuditLog::open(&fresh).unwrap().record_skipped(7, 1, WindowStatus::DataRejected, "no data", None).unwrap();
    let records = AuditLog::open_read_only(&fresh).unwrap().windows().unwrap();
    assert_eq!((records[0].window, records[0].round, records[0].status), (7, 1, WindowStatus::DataRejected));
}

/// Seed 001's loop on the bank: with a loan asset in the reserve each node
/// values the loan book (debt with its face at the loan's forward value, so
/// well short of gamma), posts its Greeks, the program keeps their median,
/// and past the governed gamma bound the next round opens early on the same
/// window.
#[test]
fn the_loan_books_greeks_past_their_bound_open_a_round_early() {
    use ballast_oracle_node::worker::loans::LoanTerms;
    use ballast_oracle_node::worker::source::{Synthetic, SyntheticSpec};
    use ballast_oracle_node::Worker;
    use ballast_sdk::program::state::AssetKind;

    const SLOTS: u64 = 400;
    const GAMMA_BOUND: f64 = 0.5;
    let mut h = reserve_with(|args| {
        args.params.round_slots = SLOTS;
        args.params.policy.max_loan_gamma = ballast_sdk::fixed(GAMMA_BOUND);
    });
    let loan = h.add_asset(6, AssetKind::Loan, ballast_tests::asset_config(0.3, 0.01));
    let mut listing = h.oracle_update(&[1.0, ballast_tests::TBILL_PRICE, ballast_tests::WBTC_PRICE, 1.0]);
    listing.target_weights = [0.35, 0.25, 0.2, 0.2].map(ballast_sdk::fixed).to_vec();
    h.submit_update(listing).unwrap();
    let carol = h.holder(loan, 20_000_000_000);
    h.mint(&carol, loan, 20_000_000_000).expect("mint with 20,000 loan tokens");

    let days = LOOKBACK + 4;
    let mut specs = common::ASSETS.to_vec();
    specs.push(SyntheticSpec { symbol: "LOAN", kind: AssetKind::Loan, price: 1.0 });
    let mut config = common::config();
    config.symbols.push("LOAN".into());
    config.pipeline.loans = vec![LoanTerms {
        symbol: "LOAN".into(),
        base_interest_rate_pct: 8.0,
        duration_days: 180.0,
        compounding_periods: 0,
        face: Some(1.04),
        discount_rate: 0.04,
    }];
    let dir = tempfile::tempdir().unwrap();
    let mut nodes: Vec<_> = (0..2)
        .map(|i| {
            let view = ballast_oracle_node::worker::source::NodeView {
                inner: Synthetic::for_reserve(11, days, &specs).unwrap(),
                seed: 100 + i as u64,
                noise: 0.0005,
                bias: 0.0,
            };
            let audit = AuditLog::open(&dir.path().join(format!("{i}.db"))).unwrap();
            let oracle = h.oracles[i].insecure_clone();
            Worker::new(&mut h.chain, view, audit, oracle, config.clone(), Arc::new(Metrics::default())).expect("node")
        })
        .collect();

    next_round(&mut h.chain);
    let mut gammas = Vec::new();
    for node in &mut nodes {
        let outcome = node.step(&mut h.chain).unwrap();
        assert!(matches!(outcome, RoundOutcome::Submitted { .. }), "{outcome:?}");
        let book = node.last_decision().unwrap().loan_book.clone().expect("a loan book");
        assert_eq!(book.loans.len(), 1);
        assert!((book.loans[0].weight - 1.0).abs() < 1e-12 && (book.value - 20_000.0).abs() < 1_000.0, "{book:?}");
        assert!(book.share_of_reserve > 0.05 && book.share_of_reserve < 0.5, "{book:?}");
        gammas.push(book.greeks_of_reserve().0);
    }
    let risk = h.protocol().raw.risk;
    let mean = (gammas[0] + gammas[1]) / 2.0;
    assert!((risk.loan_gamma.get().to_num::<f64>() - mean).abs() < 1e-6, "the chain keeps the median of {gammas:?}");
    assert!(mean < -GAMMA_BOUND, "debt at its forward value is short gamma: {mean}");

    let rounds = ballast_sdk::accounts::oracle_rounds(&mut h.chain).unwrap();
    h.chain.warp_to_slot(rounds.opened_slot + SLOTS / 4).unwrap();
    for node in &mut nodes {
        let outcome = node.step(&mut h.chain).unwrap();
        assert!(matches!(outcome, RoundOutcome::Submitted { round, .. } if round == rounds.round + 1), "{outcome:?}");
    }
    let early = ballast_sdk::accounts::oracle_rounds(&mut h.chain).unwrap();
    assert_eq!((early.trigger, early.scheduled_rounds()), (RebalanceTrigger::LoanGreeks as u8, rounds.scheduled_rounds()));
}
