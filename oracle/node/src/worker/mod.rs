//! The oracle worker: at each settlement window it reads market data and the
//! chain, decides (estimation → Monte Carlo → QP → MPC), has the oracle
//! nodes co-sign the update, submits it and records everything in the audit
//! log. Restart-safe: a window is recorded as planned before it is sent, and
//! on restart the on-chain nonce says whether it landed.

pub mod audit;
pub mod cosign;
pub mod metrics;
pub mod pipeline;
pub mod source;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ballast_sdk::{accounts, Chain, ChainError, Keypair, Pubkey, Signature, Signer};

use audit::{AuditError, AuditLog, WindowRecord, WindowStatus};
use cosign::{assemble, update_message, CosignError, OracleNode};
use metrics::Metrics;
use pipeline::{decide, sha256_hex, AssetState, Decision, DecisionInputs, PipelineConfig, ReserveState};
use source::{MarketSource, MarketWindow};

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Reserve asset symbols in reserve order, as the market source names them.
    pub symbols: Vec<String>,
    pub pipeline: PipelineConfig,
    /// The first window a fresh audit log decides; earlier ones are history.
    pub first_window: u64,
    /// How many slots an update stays valid.
    pub expiry_slots: u64,
    /// Tries per chain request before the cycle gives up (the window stays
    /// unfinished and is reconciled on the next run).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl WorkerConfig {
    pub fn new(symbols: Vec<String>) -> Self {
        let pipeline = PipelineConfig::default();
        Self {
            symbols,
            first_window: pipeline.lookback as u64 - 1,
            pipeline,
            expiry_slots: 150,
            max_attempts: 6,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("the chain stayed unreachable after {attempts} tries: {last}")]
    ChainUnavailable { attempts: u32, last: ChainError },
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Cosign(#[from] CosignError),
    #[error("the reserve has {on_chain} assets but the worker knows {configured} symbols")]
    ReserveMismatch { on_chain: usize, configured: usize },
    #[error("{have} oracle keys, the quorum is {quorum}")]
    TooFewOracles { have: usize, quorum: usize },
    #[error("oracle key {0} is not in the registered oracle set")]
    UnknownOracle(Pubkey),
    #[error("cannot encode the decision: {0}")]
    Encode(#[from] serde_json::Error),
}

/// A decided window, recorded and ready to send.
#[derive(Clone, Debug)]
pub struct PlannedUpdate {
    pub window: u64,
    pub nonce: u64,
    pub expiry_slot: u64,
    pub decision: Decision,
}

/// How a window ended.
#[derive(Clone, Debug, PartialEq)]
pub enum WindowOutcome {
    Confirmed {
        window: u64,
        nonce: u64,
        signature: Option<Signature>,
    },
    UpdateRejected {
        window: u64,
        error: String,
    },
    DataRejected {
        window: u64,
        error: String,
    },
    DecisionFailed {
        window: u64,
        error: String,
    },
}

/// What planning a window produced.
pub enum Step {
    Planned(PlannedUpdate),
    Finished(WindowOutcome),
}

pub struct Worker<C: Chain, S: MarketSource> {
    chain: C,
    source: S,
    audit: AuditLog,
    nodes: Vec<OracleNode>,
    relayer: Keypair,
    config: WorkerConfig,
    metrics: Arc<Metrics>,
    /// Good windows among the last `lookback` indices.
    history: VecDeque<MarketWindow>,
    next_window: u64,
    last_decision: Option<Decision>,
}

impl<C: Chain, S: MarketSource> Worker<C, S> {
    /// A worker for the oracle keys `nodes` (at least the quorum, all
    /// registered), paying fees from `relayer`, resuming from `audit`.
    pub fn new(
        chain: C,
        source: S,
        audit: AuditLog,
        nodes: Vec<OracleNode>,
        relayer: Keypair,
        config: WorkerConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Self, WorkerError> {
        let mut worker = Self {
            chain,
            source,
            audit,
            nodes,
            relayer,
            config,
            metrics,
            history: VecDeque::new(),
            next_window: 0,
            last_decision: None,
        };
        let protocol = worker.retrying(|chain| accounts::protocol(chain))?;
        let (on_chain, configured) = (protocol.assets.len(), worker.config.symbols.len());
        if on_chain != configured {
            return Err(WorkerError::ReserveMismatch { on_chain, configured });
        }
        let registered = &protocol.raw.oracles[..protocol.raw.oracle_count as usize];
        if let Some(unknown) = worker
            .nodes
            .iter()
            .map(OracleNode::pubkey)
            .find(|k| !registered.contains(k))
        {
            return Err(WorkerError::UnknownOracle(unknown));
        }
        let quorum = protocol.raw.oracle_quorum as usize;
        if worker.nodes.len() < quorum {
            return Err(WorkerError::TooFewOracles {
                have: worker.nodes.len(),
                quorum,
            });
        }
        worker.nodes.truncate(quorum);
        worker.next_window = worker.audit.next_window()?.unwrap_or(worker.config.first_window);
        worker.last_decision = worker.last_recorded_decision()?;
        worker.refill_history();
        Ok(worker)
    }

    pub fn chain(&mut self) -> &mut C {
        &mut self.chain
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    pub fn next_window(&self) -> u64 {
        self.next_window
    }

    /// The last decision the worker acted on (kept through bad windows).
    pub fn last_decision(&self) -> Option<&Decision> {
        self.last_decision.as_ref()
    }

    /// Finishes any interrupted window, then runs `windows` more.
    pub fn run(&mut self, windows: u64) -> Result<Vec<WindowOutcome>, WorkerError> {
        let mut outcomes = Vec::new();
        if let Some(outcome) = self.resume()? {
            outcomes.push(outcome);
        }
        for _ in 0..windows {
            outcomes.push(self.run_window()?);
        }
        Ok(outcomes)
    }

    /// One full cycle: plan, co-sign, submit, record.
    pub fn run_window(&mut self) -> Result<WindowOutcome, WorkerError> {
        let started = Instant::now();
        let outcome = match self.plan()? {
            Step::Planned(planned) => self.submit(&planned)?,
            Step::Finished(outcome) => outcome,
        };
        self.metrics.cycle_seconds.set(started.elapsed().as_secs_f64());
        Ok(outcome)
    }

    /// Reconciles a window left planned or sent by a crash: if the on-chain
    /// nonce shows it landed it is confirmed, otherwise the same update
    /// (same nonce, same outputs) is sent again.
    pub fn resume(&mut self) -> Result<Option<WindowOutcome>, WorkerError> {
        let Some(record) = self.audit.unfinished()? else {
            return Ok(None);
        };
        let planned = planned_from(&record)?;
        tracing::info!(
            window = planned.window,
            nonce = planned.nonce,
            "resuming an interrupted window"
        );
        self.submit(&planned).map(Some)
    }

    /// Reads the window's data and the chain, decides and records the plan.
    pub fn plan(&mut self) -> Result<Step, WorkerError> {
        let window = self.next_window;
        let span = tracing::info_span!("window", window);
        let _entered = span.enter();
        let market = match self.source.window(window) {
            Ok(market) => market,
            Err(error) => {
                // The last good history and decision stay as they were.
                let error = error.to_string();
                tracing::warn!(%error, "market data rejected");
                self.audit
                    .record_skipped(window, WindowStatus::DataRejected, &error, None)?;
                self.metrics.data_rejected.inc();
                return Ok(Step::Finished(
                    self.finished(WindowOutcome::DataRejected { window, error }),
                ));
            }
        };
        self.push_history(market);
        let reserve = self.read_reserve()?;
        let inputs = DecisionInputs {
            window,
            history: self.history.iter().cloned().collect(),
            reserve,
            config: self.config.pipeline.clone(),
        };
        // Decide from the stored JSON itself, so a replay sees exactly these inputs.
        let inputs_json = inputs.canonical_json()?;
        let inputs: DecisionInputs = serde_json::from_str(&inputs_json)?;
        let decision = match decide(&inputs) {
            Ok(decision) => decision,
            Err(error) => {
                let error = error.to_string();
                tracing::warn!(%error, "no decision this window");
                self.audit
                    .record_skipped(window, WindowStatus::DecisionFailed, &error, Some(&inputs_json))?;
                return Ok(Step::Finished(
                    self.finished(WindowOutcome::DecisionFailed { window, error }),
                ));
            }
        };
        let nonce = inputs.reserve.oracle_nonce + 1;
        let expiry_slot = inputs.reserve.slot + self.config.expiry_slots;
        let outputs_json = serde_json::to_string(&decision)?;
        self.audit.record_plan(
            window,
            nonce,
            expiry_slot,
            &sha256_hex(&inputs_json),
            &inputs_json,
            &outputs_json,
        )?;
        if let Some(risk) = &decision.risk {
            self.metrics.collateral_ratio.set(risk.collateral_ratio);
            self.metrics.breach_probability.set(risk.breach_probability);
        }
        tracing::info!(nonce, sigma_p = decision.sigma_p, fee = decision.fee_mint, "planned");
        Ok(Step::Planned(PlannedUpdate {
            window,
            nonce,
            expiry_slot,
            decision,
        }))
    }

    /// Has the nodes co-sign the update on a fresh blockhash and sends it
    /// once, recording the signature before the send. Nothing else is
    /// recorded: [`Worker::submit`] turns this into a finished window.
    pub fn send(&mut self, planned: &PlannedUpdate) -> Result<Signature, WorkerError> {
        let protocol_assets = self.retrying(|chain| accounts::protocol(chain))?.assets;
        let update = planned.decision.to_update(planned.nonce, planned.expiry_slot);
        let oracles: Vec<Pubkey> = self.nodes.iter().map(OracleNode::pubkey).collect();
        let blockhash = self.retrying(|chain| chain.latest_blockhash())?;
        let message = update_message(
            update.clone(),
            &protocol_assets,
            &oracles,
            &self.relayer.pubkey(),
            blockhash,
        );
        let signatures = self
            .nodes
            .iter()
            .map(|node| Ok((node.pubkey(), node.cosign(&message, &update)?)))
            .collect::<Result<Vec<_>, CosignError>>()?;
        let transaction = assemble(message, &self.relayer, &signatures)?;
        let signature = transaction.signatures[0];
        self.audit
            .record_attempt(planned.window, planned.nonce, &signature.to_string())?;
        self.chain.send_transaction(&transaction)?;
        Ok(signature)
    }

    /// Sends until the update lands, the program refuses it or it expires,
    /// re-reading the on-chain nonce before every resend so that an update
    /// whose confirmation was lost is never sent twice.
    pub fn submit(&mut self, planned: &PlannedUpdate) -> Result<WindowOutcome, WorkerError> {
        let window = planned.window;
        let mut backoff = self.config.initial_backoff;
        for attempt in 1..=self.config.max_attempts {
            let (nonce, slot) =
                self.retrying(|chain| Ok((accounts::protocol(chain)?.raw.oracle_nonce, chain.slot()?)))?;
            if nonce >= planned.nonce {
                // It landed: this run's send or one before a crash.
                return self.confirm(planned, None);
            }
            if slot > planned.expiry_slot {
                return self.reject(planned, "the update expired before it landed".into());
            }
            match self.send(planned) {
                Ok(signature) => {
                    self.audit.record_attempt_outcome(&signature.to_string(), "confirmed")?;
                    return self.confirm(planned, Some(signature));
                }
                Err(WorkerError::Chain(error @ ChainError::Transaction { .. })) => {
                    // Refused as a replay (or as already processed) means an
                    // earlier send landed; the nonce tells.
                    if self.on_chain_nonce()? >= planned.nonce {
                        return self.confirm(planned, None);
                    }
                    let error = error.to_string();
                    tracing::warn!(window, %error, "the program refused the update");
                    return self.reject(planned, error);
                }
                // A timeout: the send may or may not have landed.
                Err(WorkerError::Chain(error)) => {
                    tracing::warn!(window, attempt, %error, "send failed; checking the nonce before resending");
                    self.metrics.submit_retries.inc();
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
                Err(other) => return Err(other),
            }
        }
        if self.on_chain_nonce()? >= planned.nonce {
            return self.confirm(planned, None);
        }
        Err(WorkerError::ChainUnavailable {
            attempts: self.config.max_attempts,
            last: ChainError::Transport(format!("window {window}: no send confirmed")),
        })
    }

    fn on_chain_nonce(&mut self) -> Result<u64, WorkerError> {
        self.retrying(|chain| Ok(accounts::protocol(chain)?.raw.oracle_nonce))
    }

    fn confirm(&mut self, planned: &PlannedUpdate, signature: Option<Signature>) -> Result<WindowOutcome, WorkerError> {
        self.audit.finish(planned.window, WindowStatus::Confirmed, None)?;
        self.metrics.updates_confirmed.inc();
        self.metrics.last_nonce.set(i64::try_from(planned.nonce).unwrap_or(i64::MAX));
        self.last_decision = Some(planned.decision.clone());
        tracing::info!(window = planned.window, nonce = planned.nonce, "update confirmed");
        let (window, nonce) = (planned.window, planned.nonce);
        Ok(self.finished(WindowOutcome::Confirmed {
            window,
            nonce,
            signature,
        }))
    }

    fn reject(&mut self, planned: &PlannedUpdate, error: String) -> Result<WindowOutcome, WorkerError> {
        self.audit
            .finish(planned.window, WindowStatus::UpdateRejected, Some(&error))?;
        self.metrics.updates_rejected.inc();
        Ok(self.finished(WindowOutcome::UpdateRejected {
            window: planned.window,
            error,
        }))
    }

    fn finished(&mut self, outcome: WindowOutcome) -> WindowOutcome {
        let window = match &outcome {
            WindowOutcome::Confirmed { window, .. }
            | WindowOutcome::UpdateRejected { window, .. }
            | WindowOutcome::DataRejected { window, .. }
            | WindowOutcome::DecisionFailed { window, .. } => *window,
        };
        self.next_window = self.next_window.max(window + 1);
        self.metrics.windows_processed.inc();
        outcome
    }

    /// Runs a chain request, retrying transport failures with bounded backoff.
    fn retrying<T>(
        &mut self,
        mut request: impl FnMut(&mut dyn Chain) -> Result<T, ChainError>,
    ) -> Result<T, WorkerError> {
        let mut backoff = self.config.initial_backoff;
        let mut attempt = 1;
        loop {
            match request(&mut self.chain) {
                Err(ChainError::Transport(reason)) if attempt < self.config.max_attempts => {
                    tracing::warn!(attempt, %reason, "chain request failed; retrying");
                    self.metrics.submit_retries.inc();
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.config.max_backoff);
                    attempt += 1;
                }
                Err(last @ ChainError::Transport(_)) => {
                    return Err(WorkerError::ChainUnavailable {
                        attempts: attempt,
                        last,
                    })
                }
                other => return other.map_err(WorkerError::from),
            }
        }
    }

    fn read_reserve(&mut self) -> Result<ReserveState, WorkerError> {
        let (protocol, assets, slot) = self.retrying(|chain| {
            let protocol = accounts::protocol(chain)?;
            let assets = accounts::assets(chain, &protocol)?;
            Ok((protocol, assets, chain.slot()?))
        })?;
        let raw = &protocol.raw;
        let window = raw.window;
        let used = if slot < window.start_slot.saturating_add(raw.params.limit_window_slots) {
            ballast_sdk::to_f64(window.weight_turnover)
        } else {
            0.0
        };
        Ok(ReserveState {
            slot,
            oracle_nonce: raw.oracle_nonce,
            supply: protocol.supply as f64 / 1e6,
            total_minted: protocol.total_minted,
            total_redeemed: protocol.total_redeemed,
            redemption_rate: protocol.redemption_rate,
            cr_min: protocol.cr_min,
            cr_target: protocol.cr_target,
            fee_min: protocol.fee_min,
            fee_max: protocol.fee_max,
            fee_mint: protocol.fee_mint,
            fee_redeem: protocol.fee_redeem,
            turnover_budget: ballast_sdk::to_f64(raw.params.u_max) - used,
            assets: assets
                .iter()
                .zip(&self.config.symbols)
                .map(|(asset, symbol)| AssetState {
                    symbol: symbol.clone(),
                    kind: format!("{:?}", asset.kind).to_lowercase(),
                    amount: asset.vault_amount as f64 / 10f64.powi(i32::from(asset.decimals)),
                    target_weight: asset.target_weight,
                    weight_cap: asset.weight_cap,
                    risk_score: asset.risk_score,
                })
                .collect(),
        })
    }

    fn push_history(&mut self, market: MarketWindow) {
        let oldest = (market.index + 1).saturating_sub(self.config.pipeline.lookback as u64);
        self.history.push_back(market);
        while self.history.front().is_some_and(|w| w.index < oldest) {
            self.history.pop_front();
        }
    }

    /// Rebuilds the history window a run in progress would have had: the
    /// good windows among the `lookback - 1` before the next one.
    fn refill_history(&mut self) {
        let start = (self.next_window + 1).saturating_sub(self.config.pipeline.lookback as u64);
        for index in start..self.next_window {
            match self.source.window(index) {
                Ok(market) => self.push_history(market),
                Err(error) => tracing::debug!(index, %error, "history window skipped"),
            }
        }
    }

    fn last_recorded_decision(&self) -> Result<Option<Decision>, WorkerError> {
        let records = self.audit.windows()?;
        let last = records.iter().rev().find(|r| r.status == WindowStatus::Confirmed);
        Ok(match last {
            Some(record) => Some(planned_from(record)?.decision),
            None => None,
        })
    }
}

/// The planned update a record describes.
fn planned_from(record: &WindowRecord) -> Result<PlannedUpdate, WorkerError> {
    let window = record.window;
    let missing = |what: &str| AuditError::Mismatch {
        window,
        what: format!("a planned window without {what}"),
    };
    let outputs = record.outputs_json.as_deref().ok_or_else(|| missing("outputs"))?;
    let decision = serde_json::from_str(outputs).map_err(|source| AuditError::Corrupt {
        window,
        what: "outputs",
        source,
    })?;
    Ok(PlannedUpdate {
        window,
        nonce: record.nonce.ok_or_else(|| missing("a nonce"))?,
        expiry_slot: record.expiry_slot.ok_or_else(|| missing("an expiry slot"))?,
        decision,
    })
}
