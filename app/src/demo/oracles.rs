//! The demo's oracle network: three nodes in this process, each with its own
//! key, its own view of the market (its own noise on the crash market) and
//! its own audit log, meeting only in the program's rounds as separate
//! `ballast-oracle node` processes do. Any two of them finalize a round; the
//! order they arrive in rotates, so every node is sometimes the one left out.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use ballast_oracle_node::worker::audit::AuditLog;
use ballast_oracle_node::worker::loans::LoanBook;
use ballast_oracle_node::worker::metrics::Metrics;
use ballast_oracle_node::worker::pipeline::TreasuryPlan;
use ballast_oracle_node::worker::source::NodeView;
use ballast_oracle_node::{RoundOutcome, Worker, WorkerConfig};
use ballast_sdk::program::state::RebalanceTrigger;
use ballast_sdk::{accounts, Chain, Keypair};

use super::market::CrashMarket;

pub struct OracleNetwork {
    nodes: Vec<Worker<NodeView<CrashMarket>>>,
    rounds: u64,
}

/// What one round came to on the chain.
pub struct RoundReport {
    pub round: u64,
    /// The market window it describes.
    pub window: u64,
    /// Seed 000's trigger, when it opened before its predecessor's time was up.
    pub trigger: Option<RebalanceTrigger>,
    pub finalized: bool,
    /// Nodes whose observation is in the round.
    pub submitted: usize,
    /// Why nodes that should have submitted did not.
    pub problems: Vec<String>,
}

/// Node `index`'s audit log in the demo's output folder.
pub fn audit_path(out: &Path, index: usize) -> std::path::PathBuf {
    out.join(format!("oracle-{index}.sqlite"))
}

impl OracleNetwork {
    /// One node per key in `oracles`, on its own copy of `market`, with a
    /// fresh audit log `oracle-<i>.sqlite` in `out`.
    pub fn start(
        chain: &mut dyn Chain,
        oracles: &[Keypair],
        market: impl Fn() -> Result<CrashMarket>,
        config: &WorkerConfig,
        out: &Path,
    ) -> Result<Self> {
        for index in 0..oracles.len() {
            let audit_path = audit_path(out, index);
            if audit_path.exists() {
                std::fs::remove_file(&audit_path).with_context(|| format!("cannot replace {}", audit_path.display()))?;
            }
        }
        Ok(Self {
            nodes: open_nodes(chain, oracles, market, config, out)?,
            rounds: 0,
        })
    }

    /// Restarts every node on `market` with `config`, each keeping its key,
    /// its audit log and its place in the rotation: what the operators do
    /// when governance lists an asset (a node stops on a reserve it does
    /// not fully know).
    pub fn restart(
        &mut self,
        chain: &mut dyn Chain,
        oracles: &[Keypair],
        market: impl Fn() -> Result<CrashMarket>,
        config: &WorkerConfig,
        out: &Path,
    ) -> Result<()> {
        self.nodes = open_nodes(chain, oracles, market, config, out)?;
        Ok(())
    }

    /// Every node looks at the chain once, starting from a different node
    /// each round; the first observations open the round and the quorum's
    /// finalize it.
    pub fn round(&mut self, chain: &mut dyn Chain) -> Result<RoundReport> {
        let count = self.nodes.len();
        let first = self.rounds as usize % count;
        self.rounds += 1;
        let mut problems = Vec::new();
        for offset in 0..count {
            let node = &mut self.nodes[(first + offset) % count];
            match node.step(chain)? {
                RoundOutcome::Submitted { .. } | RoundOutcome::Waiting { .. } => {}
                RoundOutcome::Missed { .. } => {}
                RoundOutcome::Refused { error, .. } => problems.push(format!("refused: {error}")),
                RoundOutcome::DataRejected { error, .. } => problems.push(format!("market data refused: {error}")),
                RoundOutcome::DecisionFailed { error, .. } => problems.push(format!("no decision: {error}")),
            }
        }
        let protocol = accounts::protocol(chain)?;
        let rounds = accounts::oracle_rounds(chain)?;
        Ok(RoundReport {
            round: rounds.round,
            window: self.nodes[0].window_of(&rounds),
            trigger: RebalanceTrigger::from_code(rounds.trigger),
            finalized: protocol.raw.last_oracle_round == rounds.round,
            submitted: rounds.submitted(),
            problems,
        })
    }

    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    /// A loan book with loans in it, as any node last valued it.
    pub fn loan_book(&self) -> Option<&LoanBook> {
        self.nodes
            .iter()
            .filter_map(|node| node.last_decision()?.loan_book.as_ref())
            .find(|book| book.value > 0.0)
    }

    /// The treasury controller's last decision, as the first node made it.
    pub fn treasury(&self) -> Option<&TreasuryPlan> {
        self.nodes[0].last_decision().map(|decision| &decision.treasury)
    }
}

/// One node per key, each on its own view of `market` (its own noise) and
/// its audit log in `out`.
fn open_nodes(
    chain: &mut dyn Chain,
    oracles: &[Keypair],
    market: impl Fn() -> Result<CrashMarket>,
    config: &WorkerConfig,
    out: &Path,
) -> Result<Vec<Worker<NodeView<CrashMarket>>>> {
    let mut nodes = Vec::new();
    for (index, oracle) in oracles.iter().enumerate() {
        let view = NodeView {
            inner: market()?,
            seed: 1_000 + index as u64,
            noise: 0.0005,
            bias: 0.0,
        };
        let audit = AuditLog::open(&audit_path(out, index))?;
        let metrics = Arc::new(Metrics::default());
        nodes.push(Worker::new(chain, view, audit, oracle.insecure_clone(), config.clone(), metrics)?);
    }
    Ok(nodes)
}
