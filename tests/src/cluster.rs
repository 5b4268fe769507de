//! A deployment on a `ballast localnet` process, for tests and benchmarks
//! that run every part as its own OS process on loopback: the node,
//! `ballast deploy`, the oracle nodes, the keeper and the CLI. Helpers start
//! each process and read the chain over RPC; every process ends with its
//! owner (by pid).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ballast_migrations::DEFAULT_DEPLOYMENT;
use ballast_sdk::keypair::write_keypair_file;
use ballast_sdk::{accounts, token, Keypair, Pubkey, RpcChain, Signer};
use crate::process::{workspace_binary, LocalnetProcess, Process};

/// Slot length and round length of the cluster's node: 2 s rounds.
pub const SLOT_MS: u64 = 100;
pub const ROUND_SLOTS: u64 = 20;

pub fn key_file(dir: &Path, name: &str) -> (Keypair, PathBuf) {
    let keypair = Keypair::new();
    let path = dir.join(format!("{name}.json"));
    write_keypair_file(&keypair, &path).unwrap();
    (keypair, path)
}

/// Runs `ballast ARGS --url URL --json` to completion and returns its JSON.
pub fn ballast(binary: &Path, url: &str, keypair: &Path, args: &[&str]) -> serde_json::Value {
    let output = Command::new(binary)
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
pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what} did not happen within {timeout:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub struct Cluster {
    /// The `ballast` binary; `ballast-oracle` is beside it.
    pub binary: PathBuf,
    pub dir: tempfile::TempDir,
    pub ledger: PathBuf,
    pub localnet: LocalnetProcess,
    pub chain: RpcChain,
    pub deployer: Keypair,
    pub deployment: PathBuf,
    pub oracle_keys: Vec<Keypair>,
    pub mints: Vec<Pubkey>,
}

impl Cluster {
    /// A local node; three mints; the embedded deployment with `oracles`
    /// keys of which `quorum` finalize a round, 2 s rounds and governance
    /// periods of seconds, deployed with `ballast deploy`; every oracle
    /// key funded to pay for its own observations.
    pub fn start(binary: &Path, oracles: usize, quorum: u8) -> Self {
        Self::start_with(binary, oracles, quorum, &[], |text| text)
    }

    /// [`Cluster::start`] with the deployment file's text edited first; a
    /// mint is made for each of `extra_assets` (symbol, decimals), whose
    /// `[[assets]]` entries `edit` adds.
    pub fn start_with(
        binary: &Path,
        oracles: usize,
        quorum: u8,
        extra_assets: &[(&str, u8)],
        edit: impl FnOnce(String) -> String,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger");
        let localnet = LocalnetProcess::start(binary, &localnet_args(&ledger, "127.0.0.1:0"), &ledger);
        let mut chain = RpcChain::new(&localnet.url);
        let deployer = localnet.deployer();
        let mut mints = Vec::new();
        let assets: Vec<(&str, u8)> = [("USDC", 6), ("TBILL", 6), ("WBTC", 8)].into_iter().chain(extra_assets.iter().copied()).collect();
        for (_, decimals) in &assets {
            let mint = Keypair::new();
            token::create_mint(&mut chain, &deployer, &mint, &deployer.pubkey(), *decimals).unwrap();
            mints.push(mint.pubkey());
        }
        let oracle_keys: Vec<Keypair> = (0..oracles).map(|i| key_file(dir.path(), &format!("oracle{i}")).0).collect();
        for key in &oracle_keys {
            chain.client().request_airdrop(&key.pubkey(), 100 * 1_000_000_000).unwrap();
        }
        let deployment = dir.path().join("deployment.toml");
        let symbols: Vec<&str> = assets.iter().map(|(symbol, _)| *symbol).collect();
        std::fs::write(&deployment, deployment_text(&symbols, &mints, &oracle_keys, quorum, edit)).unwrap();
        let report = ballast(binary, &localnet.url, &ledger.join("deployer.json"), &["deploy", deployment.to_str().unwrap()]);
        assert_eq!(report["initialized"], true, "{report}");
        Self {
            binary: binary.to_path_buf(),
            dir,
            ledger,
            localnet,
            chain,
            deployer,
            deployment,
            oracle_keys,
            mints,
        }
    }

    pub fn url(&self) -> String {
        self.localnet.url.clone()
    }

    /// `ballast ARGS` against this cluster's node, signed with `keypair`.
    pub fn cli(&self, keypair: &Path, args: &[&str]) -> serde_json::Value {
        ballast(&self.binary, &self.localnet.url, keypair, args)
    }

    pub fn oracle_binary(&self) -> PathBuf {
        workspace_binary(self.binary.to_str().unwrap(), "ballast-oracle")
    }

    /// Stops the local node (SIGTERM: a final checkpoint) and starts it
    /// again from its ledger on the same address.
    pub fn restart_localnet(&mut self) {
        let address = self.localnet.url.trim_start_matches("http://").to_string();
        let status = self.localnet.process.terminate(Duration::from_secs(60));
        assert!(status.success(), "{}", self.localnet.process.output());
        self.localnet = LocalnetProcess::start(&self.binary, &localnet_args(&self.ledger, &address), &self.ledger);
        self.chain = RpcChain::new(&self.localnet.url);
    }

    /// Oracle node `index` on `url`: its own key, `source` (by default its
    /// own view of the synthetic market) and its own audit log.
    pub fn start_oracle(&self, index: usize, url: &str, source: Option<&str>) -> Process {
        self.start_oracle_with(index, url, source, &[])
    }

    /// [`Cluster::start_oracle`] with more arguments (`--config FILE`).
    pub fn start_oracle_with(&self, index: usize, url: &str, source: Option<&str>, more: &[&str]) -> Process {
        let key = self.dir.path().join(format!("oracle{index}.json"));
        let audit = self.audit_path(index);
        let source = source.map_or_else(|| format!("synthetic:seed={index},noise=0.0005"), str::to_string);
        let args = [
            "node",
            "--keypair",
            key.to_str().unwrap(),
            "--url",
            url,
            "--deployment",
            self.deployment.to_str().unwrap(),
            "--source",
            &source,
            "--audit",
            audit.to_str().unwrap(),
            "--poll-ms",
            "100",
        ];
        let args: Vec<&str> = args.iter().chain(more).copied().collect();
        Process::spawn_with_env(&format!("oracle node {index}"), &self.oracle_binary(), &args, &[("RUST_LOG", "info")])
    }

    pub fn audit_path(&self, index: usize) -> PathBuf {
        self.dir.path().join(format!("node{index}.sqlite"))
    }

    pub fn last_round(&mut self) -> u64 {
        accounts::protocol(&mut self.chain).map(|p| p.raw.last_oracle_round).unwrap_or(0)
    }

    /// Waits until `rounds` more rounds than now have finalized.
    pub fn wait_rounds(&mut self, rounds: u64, timeout: Duration) {
        let target = self.last_round() + rounds;
        wait_until(&format!("round {target} finalized"), timeout, || self.last_round() >= target);
    }
}

fn localnet_args(ledger: &Path, address: &str) -> Vec<String> {
    let slot_ms = SLOT_MS.to_string();
    ["localnet", "--ledger", ledger.to_str().unwrap(), "--rpc-addr", address, "--slot-ms", &slot_ms]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The embedded deployment as `edit` leaves it, with these mints (of
/// `symbols`) and oracles, a fresh guardian, 2 s oracle rounds and
/// governance periods short enough for a test.
fn deployment_text(
    symbols: &[&str],
    mints: &[Pubkey],
    oracles: &[Keypair],
    quorum: u8,
    edit: impl FnOnce(String) -> String,
) -> String {
    let oracle_list: Vec<String> = oracles.iter().map(|k| format!("\"{}\"", k.pubkey())).collect();
    let guardian = Keypair::new().pubkey();
    let mut text = edit(DEFAULT_DEPLOYMENT.to_string())
        .replace(
            "oracle_quorum = 2",
            &format!("oracle_quorum = {quorum}\nguardian = \"{guardian}\"\noracles = [{}]", oracle_list.join(", ")),
        )
        .replace("voting_slots = 1000", "voting_slots = 40")
        .replace("timelock_slots = 500", "timelock_slots = 20")
        .replace("round_slots = 150", &format!("round_slots = {ROUND_SLOTS}"));
    for (symbol, mint) in symbols.iter().zip(mints) {
        text = text.replace(&format!("symbol = \"{symbol}\""), &format!("symbol = \"{symbol}\"\nmint = \"{mint}\""));
    }
    text
}
