//! Ballast as it is deployed: separate OS processes on loopback. A
//! `ballast localnet` node; `ballast deploy` over `--url`; three oracle
//! nodes (`ballast-oracle node`, one key each) and the keeper (`ballast
//! keeper run`) as their own processes; a holder and a staker using the CLI.
//! Then the keeper and an oracle node are killed with SIGKILL mid-round and
//! restarted, and the local node is restarted from its ledger. Every check
//! reads the chain over RPC.

use std::path::Path;
use std::time::Duration;

use ballast_oracle_node::worker::audit::{AuditLog, WindowStatus};
use ballast_sdk::program::math::I80F48;
use ballast_sdk::{accounts, instructions, pda, token, Chain, Signer};
use ballast_tests::process::Process;

use ballast_tests::cluster::{key_file, wait_until, Cluster};

const BALLAST: &str = env!("CARGO_BIN_EXE_ballast");
const UNIT: u64 = 1_000_000;

fn start_keeper(url: &str, keeper_file: &Path) -> Process {
    let args = ["keeper", "run", "--url", url, "--keypair", keeper_file.to_str().unwrap(), "--interval-ms", "500"];
    Process::spawn("keeper", Path::new(BALLAST), &args)
}

#[test]
fn separate_processes_deploy_trade_govern_and_survive_kills_and_a_node_restart() {
    let mut cluster = Cluster::start(Path::new(BALLAST), 3, 2);
    let url = cluster.url();
    let deployer = cluster.deployer.insecure_clone();
    let usdc = cluster.mints[0];
    let dir = cluster.dir.path().to_path_buf();
    let deployment = cluster.deployment.to_str().unwrap().to_string();

    // SOL for the keeper and alice; capital and USDC.
    let (keeper, keeper_file) = key_file(&dir, "keeper");
    let (alice, alice_file) = key_file(&dir, "alice");
    for key in [keeper.pubkey(), alice.pubkey()] {
        cluster.chain.client().request_airdrop(&key, 100 * 1_000_000_000).unwrap();
    }
    let chain = &mut cluster.chain;
    let treasury = token::associated_account(chain, &deployer, &deployer.pubkey(), &usdc).unwrap();
    token::mint_to(chain, &deployer, &usdc, &deployer, &treasury, 50_000 * UNIT).unwrap();
    let contribute = instructions::contribute(&deployer.pubkey(), &usdc, &treasury, 50_000 * UNIT);
    chain.send(&[contribute], &deployer, &[]).unwrap();
    let alice_usdc = token::associated_account(chain, &deployer, &alice.pubkey(), &usdc).unwrap();
    token::mint_to(chain, &deployer, &usdc, &deployer, &alice_usdc, 100_000 * UNIT).unwrap();

    // Three oracle nodes and the keeper, each its own process.
    let mut oracles: Vec<Process> = (0..3).map(|i| cluster.start_oracle(i, &url, None)).collect();
    wait_until("the first oracle round", Duration::from_secs(120), || cluster.last_round() >= 1);
    let mut keeper_process = start_keeper(&url, &keeper_file);

    // A holder and a staker through the CLI.
    let minted = cluster.cli(&alice_file, &["mint", "--asset", "USDC", "10000", "--deployment", &deployment]);
    assert!(minted["signature"].is_string(), "{minted}");
    let stable = token::associated_address(&alice.pubkey(), &pda::stable_mint());
    let after_mint = token::balance(&mut cluster.chain, &stable).unwrap();
    assert!(after_mint > 9_900 * UNIT, "minted {after_mint}");
    cluster.cli(&alice_file, &["redeem", "--asset", "USDC", "100", "--deployment", &deployment]);
    assert_eq!(token::balance(&mut cluster.chain, &stable).unwrap(), after_mint - 100 * UNIT);
    cluster.cli(&alice_file, &["stake", "5000"]);
    assert_eq!(accounts::governance(&mut cluster.chain).unwrap().total_staked, 5_000 * UNIT);
    let opened = cluster.cli(&alice_file, &["propose", "param", "cr_min"]);
    let id = opened["id"].as_u64().unwrap();
    cluster.cli(&alice_file, &["vote", &id.to_string(), "--value", "1.12"]);
    let opens = accounts::proposal(&mut cluster.chain, id).unwrap().voting_end_slot + 20;
    wait_until("the end of the timelock", Duration::from_secs(60), || cluster.chain.slot().unwrap() >= opens);
    cluster.cli(&alice_file, &["execute", &id.to_string()]);
    let cr_min = accounts::protocol(&mut cluster.chain).unwrap().raw.params.cr_min.get();
    assert_eq!(cr_min, "1.12".parse::<I80F48>().unwrap());
    assert!(accounts::proposal(&mut cluster.chain, id).unwrap().executed);

    // SIGKILL the keeper and oracle node 0 mid-round, the moment the node
    // has recorded its next window's plan (sent or not), and start them again.
    let planned = |process: &Process| process.output().matches("planned").count();
    let plans = planned(&oracles[0]);
    wait_until("node 0's next plan", Duration::from_secs(60), || planned(&oracles[0]) > plans);
    oracles[0].kill9();
    keeper_process.kill9();
    oracles[0] = cluster.start_oracle(0, &url, None);
    let mut keeper_process = start_keeper(&url, &keeper_file);
    cluster.wait_rounds(2, Duration::from_secs(120));
    wait_until("node 0 back in a round", Duration::from_secs(120), || planned(&oracles[0]) > 0);
    assert!(keeper_process.is_running(), "the keeper runs on:\n{}", keeper_process.output());
    for process in oracles.iter_mut().chain([&mut keeper_process]) {
        process.terminate(Duration::from_secs(30));
    }
    assert_no_window_lost_or_sent_twice(&mut cluster, 3);

    // The local node stops, restarts from its ledger on the same address,
    // and everything read before is there.
    let protocol_before = cluster.chain.account(&pda::protocol()).unwrap();
    let stable_before = token::balance(&mut cluster.chain, &stable).unwrap();
    cluster.restart_localnet();
    assert_eq!(cluster.chain.account(&pda::protocol()).unwrap(), protocol_before);
    assert_eq!(token::balance(&mut cluster.chain, &stable).unwrap(), stable_before);
    let result = cluster.cli(&alice_file, &["redeem", "--asset", "USDC", "1", "--deployment", &deployment]);
    assert!(result["signature"].is_string(), "trading goes on after the restart: {result}");
}

/// Each node's audit log has every window finished and each round at most
/// once; every observation it says landed is on the chain exactly once.
pub fn assert_no_window_lost_or_sent_twice(cluster: &mut Cluster, nodes: usize) {
    for node in 0..nodes {
        let audit = AuditLog::open(&cluster.audit_path(node)).unwrap();
        let windows = audit.windows().unwrap();
        assert!(windows.iter().all(|w| w.status.is_finished()), "node {node} left a window unfinished: {windows:?}");
        let rounds: Vec<u64> = windows.iter().map(|w| w.round).collect();
        assert!(rounds.windows(2).all(|pair| pair[0] < pair[1]), "node {node} rounds {rounds:?}");
        for window in windows.iter().filter(|w| w.status == WindowStatus::Confirmed) {
            let submissions = audit.submissions(window.window, window.round).unwrap();
            let landed = submissions.iter().filter(|(signature, _)| {
                let signature = signature.parse().unwrap();
                matches!(cluster.chain.client().get_signature_status(&signature).unwrap(), Some(Ok(())))
            });
            assert_eq!(landed.count(), 1, "node {node} window {}: one send landed", window.window);
        }
    }
}
