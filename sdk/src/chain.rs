//! The one door to the chain.

use ballast::errors::BallastError;
use solana_sdk::account::Account;
use solana_sdk::clock::Clock;
use solana_sdk::hash::Hash;
use solana_sdk::instruction::{Instruction, InstructionError};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::{Transaction, TransactionError};

/// Reads accounts, sends transactions and tells the time. Every off-chain
/// component (CLI, keeper, oracle worker, tests) talks to the chain only
/// through this trait.
pub trait Chain {
    /// The account at `address`, or `None` if it does not exist.
    fn account(&mut self, address: &Pubkey) -> Result<Option<Account>, ChainError>;

    /// Signs `instructions` with `payer` and `signers` and processes them as
    /// one transaction, returning once it is confirmed.
    fn send(
        &mut self,
        instructions: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> Result<Signature, ChainError>;

    /// A recent blockhash, for a transaction signed before it is sent
    /// (an oracle node records its signature before sending).
    fn latest_blockhash(&mut self) -> Result<Hash, ChainError>;

    /// Processes a transaction that is already fully signed, returning once
    /// it is confirmed. Resending the same transaction cannot apply it twice:
    /// the runtime refuses a signature it has already processed.
    fn send_transaction(&mut self, transaction: &Transaction) -> Result<Signature, ChainError>;

    fn clock(&mut self) -> Result<Clock, ChainError>;

    fn slot(&mut self) -> Result<u64, ChainError> {
        Ok(self.clock()?.slot)
    }

    /// Moves the chain forward to `slot`; only test backends can.
    fn warp_to_slot(&mut self, slot: u64) -> Result<(), ChainError>;

    fn rent_exempt_minimum(&mut self, data_len: usize) -> Result<u64, ChainError>;
}

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The transaction reached the runtime and failed there.
    #[error("transaction failed: {error}{}", describe(.error))]
    Transaction {
        error: TransactionError,
        logs: Vec<String>,
    },
    /// The chain could not be reached or did not answer.
    #[error("chain unavailable: {0}")]
    Transport(String),
    #[error("{0} is not supported by this backend")]
    Unsupported(&'static str),
    #[error("account {address} could not be decoded: {reason}")]
    Decode { address: Pubkey, reason: String },
}

/// The program error's name and message, which is what a person wants to read.
fn describe(error: &TransactionError) -> String {
    match error {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => BallastError::from_code(*code)
            .map(|e| format!(" ({}: {e})", e.name()))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

impl ChainError {
    /// The custom error code of the failing instruction, if it failed with one.
    pub fn custom_code(&self) -> Option<u32> {
        match self {
            ChainError::Transaction {
                error: TransactionError::InstructionError(_, InstructionError::Custom(code)),
                ..
            } => Some(*code),
            _ => None,
        }
    }

    /// The Ballast error the transaction failed with, if any.
    pub fn ballast_error(&self) -> Option<BallastError> {
        self.custom_code().and_then(BallastError::from_code)
    }

    /// Whether the transaction failed with this program error.
    pub fn is(&self, error: BallastError) -> bool {
        self.custom_code() == Some(u32::from(error))
    }
}

/// Every distinct signer once, payer first, as a transaction wants them.
pub(crate) fn unique_signers<'a>(payer: &'a Keypair, signers: &[&'a Keypair]) -> Vec<&'a Keypair> {
    let mut all = vec![payer];
    for signer in signers {
        if all.iter().all(|s| s.pubkey() != signer.pubkey()) {
            all.push(signer);
        }
    }
    all
}

/// A borrowed chain is a chain, so a long-lived owner (a test harness, the
/// demo) can lend its chain to a worker and keep using it afterwards.
impl<T: Chain + ?Sized> Chain for &mut T {
    fn account(&mut self, address: &Pubkey) -> Result<Option<Account>, ChainError> {
        (**self).account(address)
    }

    fn send(&mut self, instructions: &[Instruction], payer: &Keypair, signers: &[&Keypair]) -> Result<Signature, ChainError> {
        (**self).send(instructions, payer, signers)
    }

    fn latest_blockhash(&mut self) -> Result<Hash, ChainError> {
        (**self).latest_blockhash()
    }

    fn send_transaction(&mut self, transaction: &Transaction) -> Result<Signature, ChainError> {
        (**self).send_transaction(transaction)
    }

    fn clock(&mut self) -> Result<Clock, ChainError> {
        (**self).clock()
    }

    fn slot(&mut self) -> Result<u64, ChainError> {
        (**self).slot()
    }

    fn warp_to_slot(&mut self, slot: u64) -> Result<(), ChainError> {
        (**self).warp_to_slot(slot)
    }

    fn rent_exempt_minimum(&mut self, data_len: usize) -> Result<u64, ChainError> {
        (**self).rent_exempt_minimum(data_len)
    }
}
