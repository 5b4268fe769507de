//! One oracle node: for every round the chain opens, it reads its own market
//! source and the chain, decides (estimation → Monte Carlo → QP → MPC),
//! submits its own observation signed by its one key, and records
//! everything in its audit log. Nodes never talk to each other: the
//! program's round is where they meet, and any quorum of them finalizes it.
//!
//! Restart-safe: a window is recorded as planned before it is sent; on
//! restart the chain says whether its observation landed (the node's
//! `last_round` in the round's stats), and an unlanded one goes again with
//! the same content while its round is open. The program refuses a second
//! observation from the same oracle in any case.
//!
//! Rounds follow the schedule (one per `round_slots`, each describing the
//! next market window), and on a trigger for a new target (seed 000: CR <
//! CR_crit or sigma_p > sigma_threshold; seed 001: the loan book's gamma or
//! theta past its bound) a node opens one round early, a quarter of the way
//! through, with a new decision on the same window: the reserve it reads
//! has changed (auctions, the waterfall, swaps), and so has the target.

pub mod audit;
pub mod loans;
pub mod metrics;
pub mod pipeline;
pub mod pyth;
pub mod source;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ballast_sdk::program::errors::BallastError;
use ballast_sdk::program::state::{round_status, OracleRounds, RebalanceTrigger};
use ballast_sdk::{accounts, instructions, status, Chain, ChainError, Keypair, Pubkey, Signature, Signer, Transaction};

use audit::{AuditError, AuditLog, WindowRecord, WindowStatus};
use metrics::Metrics;
use pipeline::{decide, sha256_hex, AssetState, Decision, DecisionInputs, FlowTotals, GovernedPolicy, PipelineConfig, ReserveState};
use source::{MarketSource, MarketWindow};

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Reserve asset symbols in reserve order, as the market source names them.
    pub symbols: Vec<String>,
    pub pipeline: PipelineConfig,
    /// The market window round 1 describes; the n-th scheduled round
    /// describes `first_window + n - 1`, and a triggered round the same
    /// window as the scheduled round before it.
    pub first_window: u64,
    /// Tries per chain request before a step gives up (the window stays
    /// unfinished and is settled by the next step or run).
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
    #[error(
        "the reserve has {on_chain} assets but the node knows {configured} symbols: when governance lists an asset, \
         add it to the deployment file (and the market source's series for it) and restart the node"
    )]
    ReserveMismatch { on_chain: usize, configured: usize },
    #[error("oracle key {0} is neither in the registered oracle set nor in the one waiting to take over")]
    UnknownOracle(Pubkey),
    #[error("cannot encode the decision: {0}")]
    Encode(#[from] serde_json::Error),
}

/// A decided window, recorded and ready to submit to `round`.
#[derive(Clone, Debug)]
pub struct PlannedObservation {
    pub window: u64,
    pub round: u64,
    pub deadline_slot: u64,
    pub decision: Decision,
}

/// What one step of the node came to.
#[derive(Clone, Debug, PartialEq)]
pub enum RoundOutcome {
    /// The node's observation is in `round` (sent now, or by an earlier run).
    Submitted {
        round: u64,
        window: u64,
        signature: Option<Signature>,
    },
    /// Nothing to do before `until_slot`: the open round has this node's
    /// observation, or finalized, or this window is already done.
    Waiting { until_slot: u64 },
    /// The round closed (finalized without this node, or lapsed) before
    /// its observation landed.
    Missed { round: u64, window: u64, reason: String },
    /// The program refused the observation.
    Refused { round: u64, window: u64, error: String },
    /// The source's data for the window was malformed, stale or unsure.
    DataRejected { round: u64, window: u64, error: String },
    /// The pipeline could not decide (for example too little history).
    DecisionFailed { round: u64, window: u64, error: String },
}

impl RoundOutcome {
    pub fn is_waiting(&self) -> bool {
        matches!(self, RoundOutcome::Waiting { .. })
    }
}

/// What the node reads of the chain at each step.
struct RoundView {
    rounds: OracleRounds,
    round_slots: u64,
    slot: u64,
    /// This node's index in the set, if it is in it.
    index: Option<usize>,
    /// The trigger for a new target, when a round may open early now and it holds.
    trigger: Option<RebalanceTrigger>,
}

impl RoundView {
    fn deadline(&self) -> u64 {
        self.rounds.opened_slot.saturating_add(self.round_slots)
    }

    fn over(&self) -> bool {
        self.rounds.round == 0 || self.slot >= self.deadline()
    }

    /// The round this node should observe now, and whether it opens early
    /// on a trigger; `None` while there is nothing to do.
    fn next_round(&self) -> Option<(u64, bool)> {
        if self.over() {
            return Some((self.rounds.round + 1, false));
        }
        let open = self.rounds.status == round_status::OPEN;
        let mine = self.index.is_some_and(|i| self.rounds.submitted_mask & (1 << i) != 0);
        if open && !mine {
            return Some((self.rounds.round, false));
        }
        self.trigger.is_some().then_some((self.rounds.round + 1, true))
    }

    /// Whether `oracle`'s observation for `round` is on the chain.
    fn landed(&self, oracle: &Pubkey, round: u64) -> bool {
        self.rounds.stats.iter().any(|s| s.oracle == *oracle && s.last_round >= round)
    }
}

pub struct Worker<S: MarketSource> {
    source: S,
    audit: AuditLog,
    oracle: Keypair,
    config: WorkerConfig,
    metrics: Arc<Metrics>,
    /// Good windows among the last `lookback` indices.
    history: VecDeque<MarketWindow>,
    /// The chain's flow totals at the same windows, for the treasury controller.
    flows: VecDeque<FlowTotals>,
    last_decision: Option<Decision>,
}

impl<S: MarketSource> Worker<S> {
    /// A node for `oracle`, which must be registered (or waiting to take
    /// over with the next set), resuming from `audit`.
    pub fn new(
        chain: &mut dyn Chain,
        source: S,
        audit: AuditLog,
        oracle: Keypair,
        config: WorkerConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Self, WorkerError> {
        let mut worker = Self {
            source,
            audit,
            oracle,
            config,
            metrics,
            history: VecDeque::new(),
            flows: VecDeque::new(),
            last_decision: None,
        };
        let (protocol, rounds) = worker.retrying(chain, |chain| Ok((accounts::protocol(chain)?, accounts::oracle_rounds(chain)?)))?;
        worker.check_reserve_size(protocol.assets.len())?;
        let key = worker.oracle.pubkey();
        let registered = &protocol.raw.oracles[..protocol.raw.oracle_count as usize];
        let pending = &rounds.pending_oracles[..rounds.pending_count as usize];
        if !registered.contains(&key) && !pending.contains(&key) {
            return Err(WorkerError::UnknownOracle(key));
        }
        worker.last_decision = worker.last_recorded_decision()?;
        let next = worker.audit.next_window()?.unwrap_or(worker.config.first_window);
        worker.refill_history(chain, next);
        Ok(worker)
    }

    pub fn oracle(&self) -> Pubkey {
        self.oracle.pubkey()
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// The last decision the node submitted (kept through bad windows).
    pub fn last_decision(&self) -> Option<&Decision> {
        self.last_decision.as_ref()
    }

    /// The market window the current round of `rounds` describes.
    pub fn window_of(&self, rounds: &OracleRounds) -> u64 {
        self.scheduled_window(rounds.scheduled_rounds())
    }

    /// The market window the `n`-th scheduled round describes.
    fn scheduled_window(&self, n: u64) -> u64 {
        self.config.first_window + n.saturating_sub(1)
    }

    /// Steps until `rounds` steps have done something other than wait,
    /// polling every `poll` while waiting, for at most `timeout`.
    pub fn run(
        &mut self,
        chain: &mut dyn Chain,
        rounds: usize,
        poll: Duration,
        timeout: Duration,
    ) -> Result<Vec<RoundOutcome>, WorkerError> {
        let deadline = Instant::now() + timeout;
        let mut outcomes = Vec::new();
        while outcomes.len() < rounds && Instant::now() < deadline {
            let outcome = self.step(chain)?;
            if outcome.is_waiting() {
                std::thread::sleep(poll);
            } else {
                outcomes.push(outcome);
            }
        }
        Ok(outcomes)
    }

    /// One look at the chain: settles a window left unfinished by a crash,
    /// or observes the round open now (opening the next one when the last
    /// is over), or says how long to wait.
    pub fn step(&mut self, chain: &mut dyn Chain) -> Result<RoundOutcome, WorkerError> {
        let started = Instant::now();
        if let Some(record) = self.audit.unfinished()? {
            let planned = planned_from(&record)?;
            tracing::info!(window = planned.window, round = planned.round, "settling an interrupted window");
            return self.submit(chain, &planned);
        }
        let view = self.read_view(chain)?;
        let waiting = RoundOutcome::Waiting {
            until_slot: view.deadline(),
        };
        let Some((round, early)) = view.next_round() else {
            return Ok(waiting);
        };
        let scheduled = view.rounds.scheduled_rounds() + u64::from(round > view.rounds.round && !early);
        let window = self.scheduled_window(scheduled);
        if self.audit.entry(window, round)?.is_some() {
            return Ok(waiting);
        }
        if let Some(trigger) = view.trigger.filter(|_| early) {
            tracing::info!(round, window, trigger = trigger.describe(), "opening a round early on the trigger");
            self.metrics.early_rounds.inc();
        }
        let deadline = if round == view.rounds.round { view.deadline() } else { view.slot + view.round_slots };
        let outcome = match self.plan(chain, window, round, deadline)? {
            Ok(planned) => self.submit(chain, &planned)?,
            Err(finished) => finished,
        };
        self.metrics.cycle_seconds.set(started.elapsed().as_secs_f64());
        Ok(outcome)
    }

    fn read_view(&mut self, chain: &mut dyn Chain) -> Result<RoundView, WorkerError> {
        let key = self.oracle.pubkey();
        self.retrying(chain, |chain| {
            let protocol = accounts::protocol(chain)?;
            let rounds = accounts::oracle_rounds(chain)?;
            let slot = chain.slot()?;
            let round_slots = protocol.raw.params.round_slots;
            let registered = &protocol.raw.oracles[..protocol.raw.oracle_count as usize];
            let early_due = rounds.early_round_from(round_slots).is_some_and(|from| slot >= from);
            // Valued without the staleness check, so at least as high as the
            // program's valuation: a trigger seen here holds there too.
            let trigger = if early_due {
                let value = status::summarise(&protocol, &accounts::assets(chain, &protocol)?).value_fixed;
                protocol.raw.rebalance_trigger(value).ok().flatten()
            } else {
                None
            };
            Ok(RoundView {
                index: registered.iter().position(|k| *k == key),
                rounds,
                round_slots,
                slot,
                trigger,
            })
        })
    }

    /// Reads the window's data and the chain, decides and records the plan;
    /// a window that ends without an observation is recorded and returned
    /// as its outcome.
    fn plan(
        &mut self,
        chain: &mut dyn Chain,
        window: u64,
        round: u64,
        deadline_slot: u64,
    ) -> Result<Result<PlannedObservation, RoundOutcome>, WorkerError> {
        let span = tracing::info_span!("window", window, round);
        let _entered = span.enter();
        let market = match self.source.window(window, chain) {
            Ok(market) => market,
            Err(error) => {
                // The last good history and decision stay as they were.
                let error = error.to_string();
                tracing::warn!(%error, "market data refused: no observation this round");
                self.audit.record_skipped(window, round, WindowStatus::DataRejected, &error, None)?;
                self.metrics.data_rejected.inc();
                self.metrics.windows_processed.inc();
                return Ok(Err(RoundOutcome::DataRejected { round, window, error }));
            }
        };
        self.push_history(market);
        let reserve = self.read_reserve(chain)?;
        self.push_flows(FlowTotals {
            window,
            total_minted: reserve.total_minted,
            total_redeemed: reserve.total_redeemed,
            deviation: (1.0 - reserve.redemption_rate).max(0.0),
        });
        let inputs = DecisionInputs {
            window,
            history: self.history.iter().cloned().collect(),
            flows: self.flows.iter().copied().collect(),
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
                    .record_skipped(window, round, WindowStatus::DecisionFailed, &error, Some(&inputs_json))?;
                self.metrics.windows_processed.inc();
                return Ok(Err(RoundOutcome::DecisionFailed { round, window, error }));
            }
        };
        let outputs_json = serde_json::to_string(&decision)?;
        self.audit
            .record_plan(window, round, deadline_slot, &sha256_hex(&inputs_json), &inputs_json, &outputs_json)?;
        if let Some(risk) = &decision.risk {
            self.metrics.collateral_ratio.set(risk.collateral_ratio);
            self.metrics.breach_probability.set(risk.breach_probability);
        }
        tracing::info!(round, sigma_p = decision.sigma_p, fee = decision.fee_mint, "planned");
        Ok(Ok(PlannedObservation {
            window,
            round,
            deadline_slot,
            decision,
        }))
    }

    /// Signs the observation with this node's key on a fresh blockhash and
    /// sends it once, recording the signature before the send.
    fn send(&mut self, chain: &mut dyn Chain, planned: &PlannedObservation) -> Result<Signature, WorkerError> {
        let (reserve, caps) = self.retrying(chain, |chain| {
            let protocol = accounts::protocol(chain)?;
            let caps = accounts::assets(chain, &protocol)?.iter().map(|a| a.raw.config.weight_cap.get()).collect::<Vec<_>>();
            Ok((protocol.assets, caps))
        })?;
        let observation = planned.decision.to_observation(planned.round, &caps);
        let instruction = instructions::submit_observation(&self.oracle.pubkey(), observation, &reserve);
        let blockhash = self.retrying(chain, |chain| chain.latest_blockhash())?;
        let transaction =
            Transaction::new_signed_with_payer(&[instruction], Some(&self.oracle.pubkey()), &[&self.oracle], blockhash);
        let signature = transaction.signatures[0];
        self.audit
            .record_attempt(planned.window, planned.round, &signature.to_string())?;
        chain.send_transaction(&transaction)?;
        Ok(signature)
    }

    /// Sends until the observation is in its round, the program refuses it
    /// or the round closes, reading the chain before every send so that an
    /// observation whose confirmation was lost is never sent twice.
    fn submit(&mut self, chain: &mut dyn Chain, planned: &PlannedObservation) -> Result<RoundOutcome, WorkerError> {
        let (window, round) = (planned.window, planned.round);
        let key = self.oracle.pubkey();
        let mut backoff = self.config.initial_backoff;
        for attempt in 1..=self.config.max_attempts {
            let view = self.read_view(chain)?;
            if view.landed(&key, round) {
                return self.accepted(planned, None);
            }
            if view.rounds.round > round || (view.rounds.round == round && view.over()) {
                return self.missed(planned, "the round closed before the observation landed");
            }
            if view.rounds.round == round && view.rounds.status != round_status::OPEN {
                return self.missed(planned, "the round finalized without this observation");
            }
            if view.rounds.round == round && self.window_of(&view.rounds) != window {
                // Opened early on a trigger (or on schedule) as this node planned the other.
                let reason = format!("the round describes window {}", self.window_of(&view.rounds));
                return self.missed(planned, &reason);
            }
            match self.send(chain, planned) {
                Ok(signature) => {
                    self.audit.record_attempt_outcome(&signature.to_string(), "confirmed")?;
                    return self.accepted(planned, Some(signature));
                }
                Err(WorkerError::Chain(error @ ChainError::Transaction { .. })) => {
                    if self.read_view(chain)?.landed(&key, round) {
                        return self.accepted(planned, None);
                    }
                    // Lost a race: the round closed, or a trigger the node saw no longer holds.
                    let raced = [
                        BallastError::RoundAlreadyFinalized,
                        BallastError::RoundLate,
                        BallastError::EarlyRoundTooSoon,
                        BallastError::EarlyRoundNotTriggered,
                    ];
                    if raced.iter().any(|e| error.is(*e)) {
                        return self.missed(planned, &error.to_string());
                    }
                    let error = error.to_string();
                    tracing::warn!(window, round, %error, "the program refused the observation");
                    self.audit.finish(window, round, WindowStatus::UpdateRejected, Some(&error))?;
                    self.metrics.observations_refused.inc();
                    self.metrics.windows_processed.inc();
                    return Ok(RoundOutcome::Refused { round, window, error });
                }
                // A timeout: the send may or may not have landed.
                Err(WorkerError::Chain(error)) => {
                    tracing::warn!(window, attempt, %error, "send failed; reading the round before sending again");
                    self.metrics.submit_retries.inc();
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
                Err(other) => return Err(other),
            }
        }
        Err(WorkerError::ChainUnavailable {
            attempts: self.config.max_attempts,
            last: ChainError::Transport(format!("window {window}: no send confirmed")),
        })
    }

    fn accepted(&mut self, planned: &PlannedObservation, signature: Option<Signature>) -> Result<RoundOutcome, WorkerError> {
        self.audit.finish(planned.window, planned.round, WindowStatus::Confirmed, None)?;
        self.metrics.observations_landed.inc();
        self.metrics.windows_processed.inc();
        self.metrics.last_round.set(i64::try_from(planned.round).unwrap_or(i64::MAX));
        self.last_decision = Some(planned.decision.clone());
        tracing::info!(window = planned.window, round = planned.round, "observation in its round");
        Ok(RoundOutcome::Submitted {
            round: planned.round,
            window: planned.window,
            signature,
        })
    }

    fn missed(&mut self, planned: &PlannedObservation, reason: &str) -> Result<RoundOutcome, WorkerError> {
        self.audit.finish(planned.window, planned.round, WindowStatus::UpdateRejected, Some(reason))?;
        self.metrics.rounds_missed.inc();
        self.metrics.windows_processed.inc();
        tracing::info!(window = planned.window, round = planned.round, reason, "round missed");
        Ok(RoundOutcome::Missed {
            round: planned.round,
            window: planned.window,
            reason: reason.to_string(),
        })
    }

    /// Runs a chain request, retrying transport failures with bounded backoff.
    fn retrying<T>(
        &mut self,
        chain: &mut dyn Chain,
        mut request: impl FnMut(&mut dyn Chain) -> Result<T, ChainError>,
    ) -> Result<T, WorkerError> {
        let mut backoff = self.config.initial_backoff;
        let mut attempt = 1;
        loop {
            match request(chain) {
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

    /// A decision on fewer assets than the reserve holds would be refused
    /// round after round, or worse, read as the whole reserve: at start and
    /// whenever governance lists an asset, the node stops by name instead.
    fn check_reserve_size(&self, on_chain: usize) -> Result<(), WorkerError> {
        let configured = self.config.symbols.len();
        if on_chain != configured {
            return Err(WorkerError::ReserveMismatch { on_chain, configured });
        }
        Ok(())
    }

    fn read_reserve(&mut self, chain: &mut dyn Chain) -> Result<ReserveState, WorkerError> {
        let (protocol, assets, slot) = self.retrying(chain, |chain| {
            let protocol = accounts::protocol(chain)?;
            let assets = accounts::assets(chain, &protocol)?;
            Ok((protocol, assets, chain.slot()?))
        })?;
        self.check_reserve_size(assets.len())?;
        let raw = &protocol.raw;
        let window = raw.window;
        let used = if slot < window.start_slot.saturating_add(raw.params.limit_window_slots) {
            ballast_sdk::to_f64(window.weight_turnover)
        } else {
            0.0
        };
        Ok(ReserveState {
            slot,
            last_round: raw.last_oracle_round,
            supply: protocol.supply as f64 / 1e6,
            total_minted: protocol.total_minted,
            total_redeemed: protocol.total_redeemed,
            redemption_rate: protocol.redemption_rate,
            cr_min: protocol.cr_min,
            cr_target: protocol.cr_target,
            sigma_reset: ballast_sdk::to_f64(raw.params.risk.sigma_reset),
            fee_min: protocol.fee_min,
            fee_max: protocol.fee_max,
            fee_mint: protocol.fee_mint,
            fee_redeem: protocol.fee_redeem,
            turnover_budget: ballast_sdk::to_f64(raw.params.u_max) - used,
            policy: {
                let policy = raw.params.policy;
                let f = ballast_sdk::to_f64;
                GovernedPolicy {
                    lambda0: f(policy.lambda0),
                    lambda_eta: f(policy.lambda_eta),
                    lambda_zeta: f(policy.lambda_zeta),
                    psi: f(policy.psi),
                    risk_limit: f(policy.risk_limit),
                    breach_epsilon: f(policy.breach_epsilon),
                    min_cash_ratio: f(policy.min_cash_ratio),
                    min_capital_ratio: f(policy.min_capital_ratio),
                    min_countercyclical_buffer: f(policy.min_countercyclical_buffer),
                }
            },
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
                    risk_weight: asset.risk_weight,
                })
                .collect(),
        })
    }

    fn push_history(&mut self, market: MarketWindow) {
        let oldest = (market.index + 1).saturating_sub(self.config.pipeline.lookback as u64);
        self.history.retain(|w| w.index != market.index);
        self.history.push_back(market);
        self.history.make_contiguous().sort_by_key(|w| w.index);
        while self.history.front().is_some_and(|w| w.index < oldest) {
            self.history.pop_front();
        }
    }

    /// The flow totals of the windows in the history's span.
    fn push_flows(&mut self, totals: FlowTotals) {
        let oldest = (totals.window + 1).saturating_sub(self.config.pipeline.lookback as u64);
        self.flows.retain(|f| f.window < totals.window && f.window >= oldest);
        self.flows.push_back(totals);
    }

    /// Rebuilds the history a run in progress would have had: the good
    /// windows among the `lookback - 1` before `next`, from the audit log
    /// where it recorded them (a live feed has no past) and else the source,
    /// and the flow totals the last recorded window read.
    fn refill_history(&mut self, chain: &mut dyn Chain, next: u64) {
        let start = (next + 1).saturating_sub(self.config.pipeline.lookback as u64);
        for index in start..next {
            let inputs = self
                .audit
                .window(index)
                .ok()
                .flatten()
                .and_then(|record| record.inputs_json)
                .and_then(|json| serde_json::from_str::<DecisionInputs>(&json).ok());
            let assets = self.config.symbols.len();
            // A window recorded before governance listed an asset has too
            // few prices: the source is asked for it again.
            let recorded = inputs.and_then(|inputs| {
                self.flows = inputs.flows.into();
                inputs.history.into_iter().find(|w| w.index == index && w.prices.len() == assets)
            });
            match recorded.map(Ok).unwrap_or_else(|| self.source.window(index, chain)) {
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

/// The planned observation a record describes.
fn planned_from(record: &WindowRecord) -> Result<PlannedObservation, WorkerError> {
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
    Ok(PlannedObservation {
        window,
        round: record.round,
        deadline_slot: record.deadline_slot.ok_or_else(|| missing("a deadline"))?,
        decision,
    })
}
