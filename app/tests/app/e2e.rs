//! Ballast as it is deployed: separate OS processes on loopback. A
//! `ballast localnet` node; `ballast deploy` over `--url`; three oracle
//! nodes (`ballast-oracle node`, one key each) and the keeper (`ballast
//! keeper run`) as their own processes; a holder and a staker using the CLI.
//! Then the keeper and an oracle node are killed with SIGKILL mid-round and
//! restarted, and the local node is restarted from its ledger. Every check
//! reads the chain over RPC.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ballast_migrations::DEFAULT_DEPLOYMENT;
use ballast_oracle_node::worker::audit::{AuditLog, WindowStatus};
use ballast_sdk::keypair::write_keypair_file;
use ballast_sdk::program::math::I80F48;
use ballast_sdk::{accounts, instructions, pda, token, Chain, Keypair, RpcChain, Signer};
use ballast_tests::process::{workspace_binary, LocalnetProcess, Process};

const BALLAST: &str = env!("CARGO_BIN_EXE_ballast");
const UNIT: u64 = 1_000_000;

fn oracle_binary() -> PathBuf {
    workspace_binary(BALLAST, "ballast-oracle")
}

fn key_file(dir: &Path, name: &str) -> (Keypair, PathBuf) {
    let keypair = Keypair::new();
    let path = dir.join(format!("{name}.json"));
    write_keypair_file(&keypair, &path).unwrap();
    (keypair, path)
}

/// The embedded deployment with this test's mints, oracles and guardian,
/// and governance periods short enough to vote and execute in seconds.
fn deployment_text(mints: &[ballast_sdk::Pubkey], oracles: &[Keypair], guardian: &Keypair) -> String {
    let oracle_list: Vec<String> = oracles.iter().map(|k| format!("\"{}\"", k.pubkey())).collect();
    let mut text = DEFAULT_DEPLOYMENT
        .replace(
            "oracle_quorum = 2",
            &format!("oracle_quorum = 2\nguardian = \"{}\"\noracles = [{}]", guardian.pubkey(), oracle_list.join(", ")),
        )
        .replace("voting_slots = 1000", "voting_slots = 40")
        .replace("timelock_slots = 500", "timelock_slots = 20")
        .replace("round_slots = 150", "round_slots = 20");
    for (symbol, mint) in ["USDC", "TBILL", "WBTC"].iter().zip(mints) {
        text = text.replace(&format!("symbol = \"{symbol}\""), &format!("symbol = \"{symbol}\"\nmint = \"{mint}\""));
    }
    text
}

/// Runs `ballast ARGS --url URL --json` to completion and returns its JSON.
fn ballast(url: &str, keypair: &Path, args: &[&str]) -> serde_json::Value {
    let output = Command::new(BALLAST)
        .args(args)
        .args(["--url", url, "--keypair", keypair.to_str().unwrap(), "--json"])
        .output()
        .expect("run ballast");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "ballast {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or("null")).unwrap_or(serde_json::Value::Null)
}

/// Waits until `done` holds, at most `timeout`.
fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what} did not happen within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn last_round(chain: &mut RpcChain) -> u64 {
    accounts::protocol(chain).map(|p| p.raw.last_oracle_round).unwrap_or(0)
}

/// Oracle node `index`: its own key, its own view of the synthetic market
/// and its own audit log.
fn start_oracle(url: &str, dir: &Path, index: usize) -> Process {
    let deployment = dir.join("deployment.toml");
    let key = dir.join(format!("oracle{index}.json"));
    let audit = dir.join(format!("node{index}.sqlite"));
    let source = format!("synthetic:seed={index},noise=0.0005");
    let args = [
        "node",
        "--keypair",
        key.to_str().unwrap(),
        "--url",
        url,
        "--deployment",
        deployment.to_str().unwrap(),
        "--source",
        &source,
        "--audit",
        audit.to_str().unwrap(),
        "--poll-ms",
        "100",
    ];
    Process::spawn_with_env(&format!("oracle node {index}"), &oracle_binary(), &args, &[("RUST_LOG", "info")])
}

fn start_keeper(url: &str, keeper_file: &Path) -> Process {
    let args = ["keeper", "run", "--url", url, "--keypair", keeper_file.to_str().unwrap(), "--interval-ms", "500"];
    Process::spawn("keeper", Path::new(BALLAST), &args)
}

#[test]
fn separate_processes_deploy_trade_govern_and_survive_kills_and_a_node_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    let node_args = |address: &str| {
        vec!["localnet".to_string(), "--ledger".into(), ledger.to_str().unwrap().into(), "--rpc-addr".into(), address.into(), "--slot-ms".into(), "100".into()]
    };
    let mut node = LocalnetProcess::start(Path::new(BALLAST), node_args("127.0.0.1:0").as_slice(), &ledger);
    let url = node.url.clone();
    let mut chain = RpcChain::new(&url);
    let deployer = node.deployer();
    let deployer_file = ledger.join("deployer.json");

    // Mints, keys and the deployment file; then `ballast deploy`.
    let mut mints = Vec::new();
    for decimals in [6, 6, 8] {
        let mint = Keypair::new();
        token::create_mint(&mut chain, &deployer, &mint, &deployer.pubkey(), decimals).unwrap();
        mints.push(mint.pubkey());
    }
    let oracle_keys: Vec<Keypair> = (0..3).map(|i| key_file(dir.path(), &format!("oracle{i}")).0).collect();
    let guardian = Keypair::new();
    std::fs::write(dir.path().join("deployment.toml"), deployment_text(&mints, &oracle_keys, &guardian)).unwrap();
    let deployment = dir.path().join("deployment.toml");
    let report = ballast(&url, &deployer_file, &["deploy", deployment.to_str().unwrap()]);
    assert_eq!(report["initialized"], true, "{report}");
    assert_eq!(report["assets_added"].as_array().unwrap().len(), 3);

    // SOL for each oracle node, the keeper and alice; capital and USDC.
    let (keeper, keeper_file) = key_file(dir.path(), "keeper");
    let (alice, alice_file) = key_file(dir.path(), "alice");
    let funded = oracle_keys.iter().map(Signer::pubkey).chain([keeper.pubkey(), alice.pubkey()]);
    for key in funded {
        chain.client().request_airdrop(&key, 100 * 1_000_000_000).unwrap();
    }
    let treasury = token::associated_account(&mut chain, &deployer, &deployer.pubkey(), &mints[0]).unwrap();
    token::mint_to(&mut chain, &deployer, &mints[0], &deployer, &treasury, 50_000 * UNIT).unwrap();
    let contribute = instructions::contribute(&deployer.pubkey(), &mints[0], &treasury, 50_000 * UNIT);
    chain.send(&[contribute], &deployer, &[]).unwrap();
    let alice_usdc = token::associated_account(&mut chain, &deployer, &alice.pubkey(), &mints[0]).unwrap();
    token::mint_to(&mut chain, &deployer, &mints[0], &deployer, &alice_usdc, 100_000 * UNIT).unwrap();

    // Three oracle nodes and the keeper, each its own process.
    let mut oracles: Vec<Process> = (0..3).map(|i| start_oracle(&url, dir.path(), i)).collect();
    wait_until("the first oracle round", Duration::from_secs(120), || last_round(&mut chain) >= 1);
    let mut keeper_process = start_keeper(&url, &keeper_file);

    // A holder and a staker through the CLI.
    let deployment_arg = deployment.to_str().unwrap();
    let minted = ballast(&url, &alice_file, &["mint", "--asset", "USDC", "10000", "--deployment", deployment_arg]);
    assert!(minted["signature"].is_string(), "{minted}");
    let stable = token::associated_address(&alice.pubkey(), &pda::stable_mint());
    let after_mint = token::balance(&mut chain, &stable).unwrap();
    assert!(after_mint > 9_900 * UNIT, "minted {after_mint}");
    ballast(&url, &alice_file, &["redeem", "--asset", "USDC", "100", "--deployment", deployment_arg]);
    assert_eq!(token::balance(&mut chain, &stable).unwrap(), after_mint - 100 * UNIT);
    ballast(&url, &alice_file, &["stake", "5000"]);
    assert_eq!(accounts::governance(&mut chain).unwrap().total_staked, 5_000 * UNIT);
    let opened = ballast(&url, &alice_file, &["propose", "param", "cr_min"]);
    let id = opened["id"].as_u64().unwrap();
    ballast(&url, &alice_file, &["vote", &id.to_string(), "--value", "1.12"]);
    let opens = accounts::proposal(&mut chain, id).unwrap().voting_end_slot + 20;
    wait_until("the end of the timelock", Duration::from_secs(60), || chain.slot().unwrap() >= opens);
    ballast(&url, &alice_file, &["execute", &id.to_string()]);
    let cr_min = accounts::protocol(&mut chain).unwrap().raw.params.cr_min.get();
    assert_eq!(cr_min, "1.12".parse::<I80F48>().unwrap());
    assert!(accounts::proposal(&mut chain, id).unwrap().executed);

    // SIGKILL the keeper and oracle node 0 mid-round, the moment the node
    // has recorded its next window's plan (sent or not), and start them again.
    let planned = |process: &Process| process.output().matches("planned").count();
    let plans = planned(&oracles[0]);
    wait_until("node 0's next plan", Duration::from_secs(60), || planned(&oracles[0]) > plans);
    oracles[0].kill9();
    keeper_process.kill9();
    oracles[0] = start_oracle(&url, dir.path(), 0);
    let mut keeper_process = start_keeper(&url, &keeper_file);
    let after_restart = last_round(&mut chain);
    wait_until("two rounds after the restart", Duration::from_secs(120), || last_round(&mut chain) >= after_restart + 2);
    wait_until("node 0 back in a round", Duration::from_secs(120), || planned(&oracles[0]) > 0);
    assert!(keeper_process.is_running(), "the keeper runs on:\n{}", keeper_process.output());
    for process in oracles.iter_mut().chain([&mut keeper_process]) {
        process.terminate(Duration::from_secs(30));
    }

    // No window lost or sent twice: each node's audit log has every window
    // finished, each round once, and every observation it says landed is on
    // the chain; the rounds finalized one after another.
    for node in 0..3 {
        let audit = AuditLog::open(&dir.path().join(format!("node{node}.sqlite"))).unwrap();
        let windows = audit.windows().unwrap();
        assert!(windows.iter().all(|w| w.status.is_finished()), "node {node} left a window unfinished: {windows:?}");
        let rounds: Vec<u64> = windows.iter().filter_map(|w| w.round).collect();
        assert!(rounds.windows(2).all(|pair| pair[0] < pair[1]), "node {node} rounds {rounds:?}");
        for window in windows.iter().filter(|w| w.status == WindowStatus::Confirmed) {
            let submissions = audit.submissions(window.window).unwrap();
            let landed = submissions.iter().filter(|(signature, _)| {
                let signature = signature.parse().unwrap();
                matches!(chain.client().get_signature_status(&signature).unwrap(), Some(Ok(())))
            });
            assert_eq!(landed.count(), 1, "node {node} window {}: one send landed", window.window);
        }
    }
    let rounds = accounts::oracle_rounds(&mut chain).unwrap();
    assert!(rounds.history_count >= after_restart + 2);

    // The node stops, restarts from its ledger on the same address, and
    // everything read before is there.
    let protocol_before = chain.account(&pda::protocol()).unwrap();
    let stable_before = token::balance(&mut chain, &stable).unwrap();
    let address = url.trim_start_matches("http://").to_string();
    let status = node.process.terminate(Duration::from_secs(60));
    assert!(status.success(), "{}", node.process.output());
    let node = LocalnetProcess::start(Path::new(BALLAST), node_args(&address).as_slice(), &ledger);
    let mut chain = RpcChain::new(&node.url);
    assert_eq!(chain.account(&pda::protocol()).unwrap(), protocol_before);
    assert_eq!(token::balance(&mut chain, &stable).unwrap(), stable_before);
    let result = ballast(&node.url, &alice_file, &["redeem", "--asset", "USDC", "1", "--deployment", deployment_arg]);
    assert!(result["signature"].is_string(), "trading goes on after the restart: {result}");
}
