//! The keeper: watches the chain and sends the permissionless cranks when
//! they are due (breakers, auctions, the waterfall, rebalancing swaps, the
//! insurance premium).
//!
//! One [`Keeper::tick`] reads a [`Snapshot`], [`decide`]s, and sends the most
//! urgent action, then reads again, until nothing is due. A send that fails
//! in transport may or may not have landed, so the keeper never resends
//! blindly: after a backoff it reads the state again and decides again. An
//! action that landed is then no longer due, and one that did not is still
//! due, so none is lost and none is sent twice.

pub mod decide;
pub mod snapshot;

use std::fmt;
use std::time::Duration;

use ballast_sdk::instructions::{self, HolderAccounts, SwapAccounts};
use ballast_sdk::{pda, token, Chain, ChainError, Instruction, Keypair, Pubkey, Signer};
use serde_json::json;

pub use decide::{decide, KeeperAction, Policy, TripCause};
pub use snapshot::{KeeperBalances, Snapshot};

/// Bounded exponential backoff for transport failures.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Consecutive transport failures of one read or one action after
    /// which a tick gives up.
    pub max_failures: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// The wait after the `failures`-th consecutive failure: doubling from
    /// `initial_backoff`, at most `max_backoff`.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        self.initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_failures: 6,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct KeeperConfig {
    pub policy: Policy,
    pub retry: RetryPolicy,
    /// The pause between ticks in [`Keeper::run`].
    pub interval: Duration,
    /// A bound on the actions of one tick, so that a tick always ends.
    pub max_actions_per_tick: usize,
}

impl Default for KeeperConfig {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            retry: RetryPolicy::default(),
            interval: Duration::from_secs(2),
            max_actions_per_tick: 32,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    /// Reads or sends kept failing in transport.
    #[error("the chain did not answer after {failures} attempts: {last}")]
    Unavailable { failures: u32, last: ChainError },
    /// The program refused an action the keeper had checked: the state
    /// moved between the read and the send (another keeper was faster).
    #[error("the program refused `{action}`: {source}")]
    Refused {
        action: KeeperAction,
        source: ChainError,
    },
    /// The state could not be read for a reason other than transport.
    #[error("cannot read the protocol's state: {0}")]
    Read(ChainError),
}

/// What a [`Keeper::run`] loop hands its observer after each tick.
pub struct TickReport<'a> {
    pub tick: u64,
    pub result: &'a Result<Vec<KeeperAction>, KeeperError>,
}

pub struct Keeper {
    keypair: Keypair,
    config: KeeperConfig,
    /// Every action whose transaction was confirmed, in order.
    pub history: Vec<KeeperAction>,
    /// Transport failures seen so far, of reads and sends.
    pub transport_failures: u64,
}

impl Keeper {
    /// A keeper that signs and pays with `keypair`; takes and swaps use its
    /// associated token accounts.
    pub fn new(keypair: Keypair, config: KeeperConfig) -> Self {
        Self {
            keypair,
            config,
            history: Vec::new(),
            transport_failures: 0,
        }
    }

    pub fn pubkey(&self) -> Pubkey {
        self.keypair.pubkey()
    }

    /// What is due now, without sending anything.
    pub fn plan(&mut self, chain: &mut dyn Chain) -> Result<Vec<KeeperAction>, KeeperError> {
        let snapshot = self.read(chain)?;
        Ok(decide(&snapshot, &self.config.policy))
    }

    /// One pass: read, decide, send the most urgent action, and again until
    /// nothing is due. Returns the actions confirmed in this tick.
    pub fn tick(&mut self, chain: &mut dyn Chain) -> Result<Vec<KeeperAction>, KeeperError> {
        let mut sent = Vec::new();
        // The last action whose send failed in transport, and how many times
        // in a row. Deciding a different action next means it landed.
        let mut failing: Option<(KeeperAction, u32)> = None;
        while sent.len() < self.config.max_actions_per_tick {
            let snapshot = self.read(chain)?;
            let Some(action) = decide(&snapshot, &self.config.policy).into_iter().next() else {
                break;
            };
            let transaction = self.transaction(&snapshot, &action);
            match chain.send(&transaction, &self.keypair, &[]) {
                Ok(_) => {
                    failing = None;
                    self.history.push(action.clone());
                    sent.push(action);
                }
                // It may have landed: back off, then read and decide afresh.
                Err(error @ ChainError::Transport(_)) => {
                    let failures = match failing {
                        Some((failed, failures)) if failed == action => failures + 1,
                        _ => 1,
                    };
                    self.back_off(failures, error)?;
                    failing = Some((action, failures));
                }
                Err(source) => return Err(KeeperError::Refused { action, source }),
            }
        }
        Ok(sent)
    }

    /// Ticks every `interval` until `stop` says so after a tick. A failed
    /// tick does not end the loop: the observer sees it, and the next tick
    /// starts from a fresh read.
    pub fn run(&mut self, chain: &mut dyn Chain, mut stop: impl FnMut(TickReport) -> bool) {
        for tick in 0.. {
            let result = self.tick(chain);
            if stop(TickReport {
                tick,
                result: &result,
            }) {
                return;
            }
            std::thread::sleep(self.config.interval);
        }
    }

    /// A snapshot, retrying reads that fail in transport.
    fn read(&mut self, chain: &mut dyn Chain) -> Result<Snapshot, KeeperError> {
        for failures in 1.. {
            match Snapshot::read(chain, &self.keypair.pubkey()) {
                Ok(snapshot) => return Ok(snapshot),
                Err(error @ ChainError::Transport(_)) => self.back_off(failures, error)?,
                Err(error) => return Err(KeeperError::Read(error)),
            }
        }
        unreachable!("back_off gives up after max_failures")
    }

    /// Waits after the `failures`-th consecutive transport failure of one
    /// step, or gives up with `error` once there have been too many.
    fn back_off(&mut self, failures: u32, error: ChainError) -> Result<(), KeeperError> {
        self.transport_failures += 1;
        if failures >= self.config.retry.max_failures {
            return Err(KeeperError::Unavailable {
                failures,
                last: error,
            });
        }
        std::thread::sleep(self.config.retry.backoff(failures));
        Ok(())
    }

    /// The instructions of one action, opening the keeper's account for an
    /// asset it is about to receive if it has none (idempotently, so that a
    /// resent transaction cannot fail on it).
    fn transaction(&self, snapshot: &Snapshot, action: &KeeperAction) -> Vec<Instruction> {
        let reserve = snapshot.reserve_assets();
        let keeper = self.keypair.pubkey();
        let receive = |mint: &Pubkey| -> (Pubkey, Option<Instruction>) {
            let index = snapshot
                .asset_index(mint)
                .expect("actions name reserve assets");
            let open = snapshot.keeper.assets[index]
                .is_none()
                .then(|| token::create_associated_account(&keeper, &keeper, mint));
            (token::associated_address(&keeper, mint), open)
        };
        let (open, instruction) = match action {
            KeeperAction::TripBreaker { .. } => (None, instructions::trip_breaker(&reserve)),
            KeeperAction::ResetBreaker => (None, instructions::reset_breaker()),
            KeeperAction::CloseAuction { mint } => {
                (None, instructions::close_auction(mint, &reserve))
            }
            KeeperAction::AbsorbShortfall { .. } => {
                (None, instructions::absorb_shortfall(&reserve))
            }
            KeeperAction::StartAuction { mint, .. } => {
                (None, instructions::start_auction(mint, &reserve))
            }
            KeeperAction::AccruePremium { .. } => (None, instructions::accrue_premium(&reserve)),
            KeeperAction::TakeAuction {
                mint,
                pay,
                max_price,
                ..
            } => {
                let (destination, open) = receive(mint);
                let accounts = HolderAccounts {
                    user: keeper,
                    asset_mint: *mint,
                    source: token::associated_address(&keeper, &pda::stable_mint()),
                    destination,
                };
                (
                    open,
                    instructions::take_auction(&accounts, *pay, *max_price, &reserve),
                )
            }
            KeeperAction::RebalanceSwap {
                mint_in,
                amount_in,
                mint_out,
                ..
            } => {
                let (destination, open) = receive(mint_out);
                let accounts = SwapAccounts {
                    keeper,
                    mint_in: *mint_in,
                    mint_out: *mint_out,
                    source: token::associated_address(&keeper, mint_in),
                    destination,
                };
                (
                    open,
                    instructions::rebalance_swap(&accounts, *amount_in, &reserve),
                )
            }
        };
        open.into_iter().chain([instruction]).collect()
    }
}

impl KeeperAction {
    /// The action's name, as JSON output and logs give it.
    pub fn name(&self) -> &'static str {
        match self {
            KeeperAction::TripBreaker { .. } => "trip_breaker",
            KeeperAction::ResetBreaker => "reset_breaker",
            KeeperAction::CloseAuction { .. } => "close_auction",
            KeeperAction::AbsorbShortfall { .. } => "absorb_shortfall",
            KeeperAction::StartAuction { .. } => "start_auction",
            KeeperAction::TakeAuction { .. } => "take_auction",
            KeeperAction::RebalanceSwap { .. } => "rebalance_swap",
            KeeperAction::AccruePremium { .. } => "accrue_premium",
        }
    }

    /// The action as one JSON object: its name and its amounts in base units.
    pub fn to_json(&self) -> serde_json::Value {
        let name = self.name();
        match self {
            KeeperAction::TripBreaker { cause } => json!({ "action": name, "cause": cause }),
            KeeperAction::ResetBreaker => json!({ "action": name }),
            KeeperAction::CloseAuction { mint } => {
                json!({ "action": name, "mint": mint.to_string() })
            }
            KeeperAction::AbsorbShortfall { shortfall } => {
                json!({ "action": name, "shortfall": shortfall })
            }
            KeeperAction::StartAuction { mint, to_raise } => {
                json!({ "action": name, "mint": mint.to_string(), "to_raise": to_raise })
            }
            KeeperAction::TakeAuction {
                mint,
                pay,
                max_price,
                collateral,
            } => json!({
                "action": name,
                "mint": mint.to_string(),
                "pay": pay,
                "price": max_price.get().to_num::<f64>(),
                "collateral": collateral,
            }),
            KeeperAction::RebalanceSwap {
                mint_in,
                amount_in,
                mint_out,
                amount_out,
            } => json!({
                "action": name,
                "mint_in": mint_in.to_string(),
                "amount_in": amount_in,
                "mint_out": mint_out.to_string(),
                "amount_out": amount_out,
            }),
            KeeperAction::AccruePremium { premium } => {
                json!({ "action": name, "premium": premium })
            }
        }
    }
}

impl fmt::Display for KeeperAction {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            KeeperAction::TripBreaker {
                cause: TripCause::Volatility,
            } => write!(f, "trip the breaker (sigma_p above its threshold)"),
            KeeperAction::TripBreaker {
                cause: TripCause::Drawdown,
            } => write!(f, "trip the breaker (reserve value drawdown)"),
            KeeperAction::ResetBreaker => write!(f, "reset the breaker"),
            KeeperAction::CloseAuction { mint } => write!(f, "close the auction of {mint}"),
            KeeperAction::AbsorbShortfall { shortfall: 0 } => {
                write!(f, "raise the redemption rate after a recovery")
            }
            KeeperAction::AbsorbShortfall { shortfall } => {
                write!(f, "absorb a shortfall of {shortfall} units")
            }
            KeeperAction::StartAuction { mint, to_raise } => {
                write!(f, "start an auction of {mint} to raise {to_raise} units")
            }
            KeeperAction::TakeAuction {
                mint,
                pay,
                max_price,
                collateral,
            } => write!(
                f,
                "take {collateral} base units of {mint} for {pay} stablecoin units at {:.6}",
                max_price.get().to_num::<f64>()
            ),
            KeeperAction::RebalanceSwap {
                mint_in,
                amount_in,
                mint_out,
                amount_out,
            } => {
                write!(
                    f,
                    "swap {amount_in} of {mint_in} for {amount_out} of {mint_out}"
                )
            }
            KeeperAction::AccruePremium { premium } => {
                write!(f, "accrue a premium of {premium} units")
            }
        }
    }
}
