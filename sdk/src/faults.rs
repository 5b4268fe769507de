//! A [`Chain`] that fails on cue, for fault tests of the keeper and the oracle
//! worker: requests that never reach the chain, and transactions that land
//! but whose confirmation is lost (the case that tempts a client to send twice).

use std::collections::VecDeque;

use solana_sdk::account::Account;
use solana_sdk::clock::Clock;
use solana_sdk::hash::Hash;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature};
use solana_sdk::transaction::Transaction;

use crate::chain::{Chain, ChainError};

/// What goes wrong with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request times out before reaching the chain; nothing happens.
    Unreachable,
    /// The transaction is processed, but the client hears only a timeout.
    LostConfirmation,
}

/// Wraps a chain and injects scripted faults into its sends and reads.
pub struct FaultyChain<C> {
    inner: C,
    /// One entry per coming send: `None` lets it through.
    send_faults: VecDeque<Option<Fault>>,
    /// Reads that fail before the next one succeeds.
    failing_reads: usize,
    /// Faults injected so far.
    pub injected: usize,
}

impl<C: Chain> FaultyChain<C> {
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            send_faults: VecDeque::new(),
            failing_reads: 0,
            injected: 0,
        }
    }

    /// Scripts the coming sends, in order; later sends pass.
    pub fn script_sends(&mut self, faults: impl IntoIterator<Item = Option<Fault>>) {
        self.send_faults.extend(faults);
    }

    /// Makes the next `count` account reads time out.
    pub fn fail_reads(&mut self, count: usize) {
        self.failing_reads += count;
    }

    /// Whether every scripted fault has fired.
    pub fn script_done(&self) -> bool {
        self.send_faults.is_empty() && self.failing_reads == 0
    }

    pub fn inner(&mut self) -> &mut C {
        &mut self.inner
    }

    /// Applies the next scripted send fault around `send`.
    fn send_with_faults(
        &mut self,
        send: impl FnOnce(&mut C) -> Result<Signature, ChainError>,
    ) -> Result<Signature, ChainError> {
        match self.send_faults.pop_front().flatten() {
            None => send(&mut self.inner),
            Some(Fault::Unreachable) => Err(self.timeout("send")),
            Some(Fault::LostConfirmation) => {
                send(&mut self.inner)?;
                Err(self.timeout("confirmation"))
            }
        }
    }

    fn timeout(&mut self, what: &str) -> ChainError {
        self.injected += 1;
        ChainError::Transport(format!("injected fault: {what} timed out"))
    }
}

impl<C: Chain> Chain for FaultyChain<C> {
    fn account(&mut self, address: &Pubkey) -> Result<Option<Account>, ChainError> {
        if self.failing_reads > 0 {
            self.failing_reads -= 1;
            return Err(self.timeout("account read"));
        }
        self.inner.account(address)
    }

    fn send(
        &mut self,
        instructions: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> Result<Signature, ChainError> {
        self.send_with_faults(|inner| inner.send(instructions, payer, signers))
    }

    fn latest_blockhash(&mut self) -> Result<Hash, ChainError> {
        self.inner.latest_blockhash()
    }

    fn send_transaction(&mut self, transaction: &Transaction) -> Result<Signature, ChainError> {
        self.send_with_faults(|inner| inner.send_transaction(transaction))
    }

    fn clock(&mut self) -> Result<Clock, ChainError> {
        self.inner.clock()
    }

    fn warp_to_slot(&mut self, slot: u64) -> Result<(), ChainError> {
        self.inner.warp_to_slot(slot)
    }

    fn rent_exempt_minimum(&mut self, data_len: usize) -> Result<u64, ChainError> {
        self.inner.rent_exempt_minimum(data_len)
    }
}
