//! An in-process bank: the program runs natively inside a real Solana bank,
//! next to the real SPL Token program that solana-program-test ships as SBF.

use std::collections::HashSet;

use anchor_lang::solana_program::bpf_loader_upgradeable::{self, UpgradeableLoaderState};
use anchor_lang::solana_program::system_program;
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::account::Account;
use solana_sdk::account_info::AccountInfo;
use solana_sdk::clock::Clock;
use solana_sdk::hash::Hash;
use solana_sdk::entrypoint::ProgramResult;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::Transaction;

use crate::chain::{unique_signers, Chain, ChainError};

/// Anchor's `entry` ties every argument to one lifetime; `processor!` hands
/// the program independent ones. Nothing the program is given outlives the
/// call, so narrowing them all to the call is sound.
fn process_instruction(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    // SAFETY: the narrowed slice is used only for the duration of this call.
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    ballast::entry(program_id, accounts, data)
}

pub struct BankChain {
    runtime: tokio::runtime::Runtime,
    context: ProgramTestContext,
    /// The deployer: funded at genesis and, unless the bank was made
    /// without one, the upgrade authority its ProgramData account records.
    deployer: Keypair,
    /// Signatures sent under `sent_blockhash`: resending an identical
    /// transaction needs a new blockhash, or the bank rejects it as a replay.
    sent: HashSet<Signature>,
    sent_blockhash: Hash,
}

impl BankChain {
    /// A fresh bank at genesis with the Ballast program and SPL Token, and a
    /// ProgramData account that names the deployer ([`BankChain::payer`]) as
    /// the program's upgrade authority, as a deployment by the upgradeable
    /// loader would. With `SBF_OUT_DIR` set to a directory holding
    /// `ballast.so`, the SBF build runs instead of the native one.
    pub fn new() -> Result<Self, ChainError> {
        Self::start(true)
    }

    /// A bank whose program has no ProgramData account, as a native builtin
    /// really has none: `initialize` then belongs to the build's
    /// `NATIVE_BOOTSTRAP_AUTHORITY`.
    pub fn without_program_data() -> Result<Self, ChainError> {
        Self::start(false)
    }

    fn start(with_program_data: bool) -> Result<Self, ChainError> {
        let mut program_test = ProgramTest::new("ballast", ballast::ID, processor!(process_instruction));
        let deployer = Keypair::new();
        program_test.add_account(deployer.pubkey(), Account::new(DEPLOYER_LAMPORTS, 0, &system_program::ID));
        if with_program_data {
            program_test.add_account(crate::pda::program_data(), program_data_account(&deployer.pubkey())?);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ChainError::Transport(e.to_string()))?;
        let context = runtime.block_on(program_test.start_with_context());
        Ok(Self {
            runtime,
            context,
            deployer,
            sent: HashSet::new(),
            sent_blockhash: Hash::default(),
        })
    }

    /// The deployer, funded with enough SOL for any test or demo.
    pub fn payer(&self) -> Keypair {
        self.deployer.insecure_clone()
    }

    /// Moves to a later slot, which brings a new blockhash. The bank's own
    /// ticking may already have passed the clock's slot, so try a few.
    fn advance_blockhash(&mut self) -> Result<(), ChainError> {
        let slot = self.clock()?.slot;
        let mut last_error = None;
        for step in 1..=16 {
            match self.warp_to_slot(slot + step) {
                Ok(()) => return Ok(()),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| transport("could not advance the bank")))
    }
}

impl BankChain {
    fn process(&mut self, transaction: Transaction) -> Result<Signature, ChainError> {
        let signature = transaction.signatures[0];
        let outcome = self
            .runtime
            .block_on(self.context.banks_client.process_transaction_with_metadata(transaction))
            .map_err(transport)?;
        match outcome.result {
            Ok(()) => Ok(signature),
            Err(error) => Err(ChainError::Transaction {
                error,
                logs: outcome.metadata.map(|m| m.log_messages).unwrap_or_default(),
            }),
        }
    }
}

/// A million SOL: more than any test or demo spends.
const DEPLOYER_LAMPORTS: u64 = 1_000_000 * 1_000_000_000;

/// The upgradeable loader's ProgramData record (without program bytes, which
/// a native builtin does not have) naming `upgrade_authority`.
pub fn program_data_account(upgrade_authority: &Pubkey) -> Result<Account, ChainError> {
    let state = UpgradeableLoaderState::ProgramData {
        slot: 0,
        upgrade_authority_address: Some(*upgrade_authority),
    };
    let data = bincode::serialize(&state).map_err(transport)?;
    Ok(Account {
        lamports: 1_000_000_000,
        data,
        owner: bpf_loader_upgradeable::ID,
        executable: false,
        rent_epoch: 0,
    })
}

fn transport(error: impl std::fmt::Display) -> ChainError {
    ChainError::Transport(error.to_string())
}

impl Chain for BankChain {
    fn account(&mut self, address: &Pubkey) -> Result<Option<Account>, ChainError> {
        let request = self.context.banks_client.get_account(*address);
        self.runtime.block_on(request).map_err(transport)
    }

    fn send(
        &mut self,
        instructions: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> Result<Signature, ChainError> {
        let signers = unique_signers(payer, signers);
        let sign = |blockhash| {
            Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &signers, blockhash)
        };
        let blockhash = self
            .runtime
            .block_on(self.context.banks_client.get_latest_blockhash())
            .map_err(transport)?;
        if blockhash != self.sent_blockhash {
            self.sent.clear();
            self.sent_blockhash = blockhash;
        }
        let mut transaction = sign(blockhash);
        if self.sent.contains(&transaction.signatures[0]) {
            self.advance_blockhash()?;
            self.sent.clear();
            self.sent_blockhash = self.context.last_blockhash;
            transaction = sign(self.sent_blockhash);
        }
        let signature = transaction.signatures[0];
        let outcome = self.process(transaction);
        self.sent.insert(signature);
        outcome
    }

    fn latest_blockhash(&mut self) -> Result<Hash, ChainError> {
        let request = self.context.banks_client.get_latest_blockhash();
        self.runtime.block_on(request).map_err(transport)
    }

    fn send_transaction(&mut self, transaction: &Transaction) -> Result<Signature, ChainError> {
        self.process(transaction.clone())
    }

    fn clock(&mut self) -> Result<Clock, ChainError> {
        let request = self.context.banks_client.get_sysvar::<Clock>();
        self.runtime.block_on(request).map_err(transport)
    }

    fn warp_to_slot(&mut self, slot: u64) -> Result<(), ChainError> {
        self.context.warp_to_slot(slot).map_err(transport)
    }

    fn rent_exempt_minimum(&mut self, data_len: usize) -> Result<u64, ChainError> {
        let rent = self.runtime.block_on(self.context.banks_client.get_rent()).map_err(transport)?;
        Ok(rent.minimum_balance(data_len))
    }
}
