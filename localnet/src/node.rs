//! The node: one thread owns the bank and does everything to it in turn,
//! advancing the slot every `slot_duration` and checkpointing every
//! `checkpoint_interval`. The RPC server sends it jobs and awaits replies.

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use ballast_sdk::bank::{Genesis, DEPLOYER_LAMPORTS};
use ballast_sdk::{Account, BankChain, Chain, ChainError, Hash, Keypair, Pubkey, Signature, Signer};
use solana_sdk::message::{Message, VersionedMessage};
use solana_sdk::transaction::{TransactionError, VersionedTransaction};

use crate::history::{History, StoredTransaction};
use crate::ledger::Ledger;

/// Lamports the faucet holds at genesis: far more than any test airdrops.
const FAUCET_LAMPORTS: u64 = 500_000_000 * 1_000_000_000;
/// The address lookup table program, whose tables hold further account keys.
const LOOKUP_TABLE_PROGRAM: Pubkey = solana_sdk::pubkey!("AddressLookupTab1e1111111111111111111111111");
/// A lookup table's addresses follow its 56-byte header.
const LOOKUP_TABLE_HEADER: usize = 56;

pub struct Node {
    pub bank: BankChain,
    pub faucet: Keypair,
    /// Every address a transaction has listed, and the genesis accounts:
    /// no account can change without being listed, so this is every account
    /// there is to scan or to checkpoint.
    known: BTreeSet<Pubkey>,
    pub history: History,
    ledger: Ledger,
    stopping: bool,
}

/// Work for the node's thread.
pub type Job = Box<dyn FnOnce(&mut Node) + Send>;

/// How the RPC server reaches the node.
#[derive(Clone)]
pub struct NodeHandle {
    jobs: mpsc::Sender<Job>,
}

#[derive(Debug, thiserror::Error)]
#[error("the node could not answer: it has stopped, or the request failed inside it (see its log)")]
pub struct NodeStopped;

impl NodeHandle {
    /// Runs `work` on the node's thread and returns its result.
    pub async fn call<R: Send + 'static>(&self, work: impl FnOnce(&mut Node) -> R + Send + 'static) -> Result<R, NodeStopped> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |node| {
            let _ = reply.send(work(node));
        });
        self.jobs.send(job).map_err(|_| NodeStopped)?;
        answer.await.map_err(|_| NodeStopped)
    }

    /// Asks the node to checkpoint and stop; returns once it has.
    pub async fn stop(&self) {
        let _ = self.call(|node| node.stopping = true).await;
    }
}

/// What the node's thread is told at start.
pub struct Timing {
    pub slot_duration: Duration,
    pub checkpoint_interval: Duration,
}

impl Node {
    /// Opens the ledger: resumes from its checkpoint if it has one, else
    /// starts a fresh bank whose program names `deployer` as its upgrade
    /// authority and funds the deployer and the faucet.
    pub fn open(ledger: Ledger, deployer: &Pubkey) -> Result<Self> {
        let faucet = ledger.keypair("faucet.json")?;
        let checkpoint = ledger.load()?;
        let mut genesis = Genesis {
            upgrade_authority: Some(*deployer),
            accounts: Vec::new(),
        };
        genesis.fund(&faucet.pubkey(), FAUCET_LAMPORTS);
        genesis.fund(deployer, DEPLOYER_LAMPORTS);
        let (slot, history) = match checkpoint {
            Some(checkpoint) => {
                // The checkpoint's accounts replace the genesis ones.
                genesis.accounts.extend(checkpoint.accounts);
                (Some(checkpoint.slot), History::restore(checkpoint.transactions))
            }
            None => (None, History::default()),
        };
        let mut known: BTreeSet<Pubkey> = genesis.accounts.iter().map(|(address, _)| *address).collect();
        known.insert(ballast_sdk::pda::program_data());
        let mut bank = BankChain::from_genesis(genesis, faucet.insecure_clone()).context("the bank did not start")?;
        if let Some(slot) = slot {
            bank.warp_to_slot(slot + 1).context("could not resume at the checkpoint's slot")?;
        }
        Ok(Self {
            bank,
            faucet,
            known,
            history,
            ledger,
            stopping: false,
        })
    }

    pub fn slot(&mut self) -> Result<u64, ChainError> {
        self.bank.slot()
    }

    /// Moves to the next slot, which brings a new blockhash.
    fn advance_slot(&mut self) -> Result<(), ChainError> {
        let slot = self.bank.slot()?;
        self.bank.warp_to_slot(slot + 1)
    }

    /// Writes every known account but programs and sysvars, which the
    /// bank rebuilds itself.
    pub fn checkpoint(&mut self) -> Result<()> {
        let slot = self.bank.slot()?;
        let mut accounts = Vec::with_capacity(self.known.len());
        for address in self.known.clone() {
            if let Some(account) = self.bank.account(&address)? {
                if !account.executable && account.owner != solana_sdk::sysvar::ID {
                    accounts.push((address, account));
                }
            }
        }
        self.ledger.save(slot, accounts, self.history.to_vec())?;
        tracing::debug!(slot, accounts = self.known.len(), "checkpoint written");
        Ok(())
    }

    /// The accounts owned by `program`, from every known address.
    pub fn program_accounts(&mut self, program: &Pubkey) -> Result<Vec<(Pubkey, Account)>, ChainError> {
        let mut found = Vec::new();
        for address in self.known.clone() {
            if let Some(account) = self.bank.account(&address)? {
                if account.owner == *program {
                    found.push((address, account));
                }
            }
        }
        Ok(found)
    }

    /// Every account key `transaction` may touch: its static keys and those
    /// its address lookup tables hold.
    fn account_keys(&mut self, transaction: &VersionedTransaction) -> Result<Vec<Pubkey>, ChainError> {
        let mut keys = transaction.message.static_account_keys().to_vec();
        if let VersionedMessage::V0(message) = &transaction.message {
            for lookup in &message.address_table_lookups {
                let Some(table) = self.bank.account(&lookup.account_key)? else { continue };
                if table.owner != LOOKUP_TABLE_PROGRAM {
                    continue;
                }
                let addresses = table.data.get(LOOKUP_TABLE_HEADER..).unwrap_or_default();
                for index in lookup.writable_indexes.iter().chain(&lookup.readonly_indexes) {
                    let start = *index as usize * 32;
                    if let Some(bytes) = addresses.get(start..start + 32) {
                        keys.push(Pubkey::try_from(bytes).expect("32 bytes"));
                    }
                }
            }
        }
        Ok(keys)
    }

    fn lamports(&mut self, keys: &[Pubkey]) -> Result<Vec<u64>, ChainError> {
        keys.iter()
            .map(|key| Ok(self.bank.account(key)?.map_or(0, |a| a.lamports)))
            .collect()
    }

    /// The fee `message` pays, or `None` if its blockhash is not valid.
    pub fn fee(&mut self, message: &VersionedMessage) -> Result<Option<u64>, ChainError> {
        let signatures = message.header().num_required_signatures as u64;
        let probe = Message::new_with_blockhash(&[], Some(&self.faucet.pubkey()), message.recent_blockhash());
        // The bank quotes legacy messages only; a signature costs the same in both.
        Ok(self.bank.fee_for_message(probe)?.map(|per_signature| per_signature * signatures))
    }

    pub fn is_blockhash_valid(&mut self, blockhash: &Hash) -> Result<bool, ChainError> {
        let probe = Message::new_with_blockhash(&[], Some(&self.faucet.pubkey()), blockhash);
        Ok(self.bank.fee_for_message(probe)?.is_some())
    }

    /// Processes a transaction whose signatures the caller has verified,
    /// records it, and returns its outcome. A transaction the runtime did
    /// not commit at all (an unknown blockhash, a replay) is not recorded.
    pub fn process(&mut self, transaction: VersionedTransaction) -> Result<Result<(), TransactionError>, ChainError> {
        let keys = self.account_keys(&transaction)?;
        self.known.extend(keys.iter().copied());
        let static_keys = transaction.message.static_account_keys().to_vec();
        let pre_balances = self.lamports(&static_keys)?;
        let fee = self.fee(&transaction.message)?.unwrap_or(0);
        let slot = self.bank.slot()?;
        let outcome = self.bank.process_versioned(transaction.clone())?;
        let Some(metadata) = outcome.metadata else {
            return Ok(outcome.result);
        };
        let post_balances = self.lamports(&static_keys)?;
        self.history.record(StoredTransaction {
            slot,
            block_time: unix_now(),
            transaction,
            status: outcome.result.clone(),
            fee,
            pre_balances,
            post_balances,
            log_messages: metadata.log_messages,
            compute_units_consumed: metadata.compute_units_consumed,
            return_data: metadata.return_data.map(|data| (data.program_id, data.data)),
        });
        Ok(outcome.result)
    }

    /// Sends `lamports` from the faucet to `to`.
    pub fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<Signature, ChainError> {
        let blockhash = self.bank.latest_blockhash()?;
        let transfer = solana_system_interface::instruction::transfer(&self.faucet.pubkey(), to, lamports);
        let transaction = solana_sdk::transaction::Transaction::new_signed_with_payer(
            &[transfer],
            Some(&self.faucet.pubkey()),
            &[&self.faucet],
            blockhash,
        );
        let signature = transaction.signatures[0];
        match self.process(transaction.into())? {
            Ok(()) => Ok(signature),
            Err(error) => Err(ChainError::Transaction { error, logs: vec![] }),
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Starts the node's thread. The receiver resolves when the thread has
/// ended, for whatever reason; the handle stops working then.
pub fn spawn(
    mut node: Node,
    timing: Timing,
) -> (NodeHandle, std::thread::JoinHandle<Result<()>>, tokio::sync::oneshot::Receiver<()>) {
    let (jobs, inbox) = mpsc::channel::<Job>();
    let (ended, ended_signal) = tokio::sync::oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("bank".into())
        .spawn(move || {
            let result = run_bank(&mut node, &inbox, &timing);
            if let Err(error) = &result {
                tracing::error!("{error:#}");
            }
            let _ = ended.send(());
            result
        })
        .expect("the bank thread starts");
    (NodeHandle { jobs }, thread, ended_signal)
}

fn run_bank(node: &mut Node, inbox: &mpsc::Receiver<Job>, timing: &Timing) -> Result<()> {
    let mut next_slot = Instant::now() + timing.slot_duration;
    let mut next_checkpoint = Instant::now() + timing.checkpoint_interval;
    loop {
        let now = Instant::now();
        if now >= next_slot {
            node.advance_slot().context("the bank could not advance a slot")?;
            // Behind by more than a slot (a long job): go on from now rather
            // than burst through the missed ones.
            next_slot = (next_slot + timing.slot_duration).max(now);
        }
        if now >= next_checkpoint {
            node.checkpoint().context("checkpoint")?;
            next_checkpoint = now + timing.checkpoint_interval;
        }
        let wait = next_slot.min(next_checkpoint).saturating_duration_since(Instant::now());
        match inbox.recv_timeout(wait) {
            // A job that panics (a bug) loses its own reply, not the node.
            Ok(job) => {
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(node))).is_err() {
                    tracing::error!("a request panicked inside the node; it goes on serving");
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => node.stopping = true,
        }
        if node.stopping {
            node.checkpoint().context("the final checkpoint")?;
            tracing::info!(slot = node.slot().unwrap_or(0), "stopped after a final checkpoint");
            return Ok(());
        }
    }
}
