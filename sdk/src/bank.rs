//! An in-process bank: the program runs natively inside a real Solana bank,
//! next to the real SPL Token program that solana-program-test ships as SBF.

use std::collections::HashSet;

use anchor_lang::solana_program::bpf_loader_upgradeable::{self, UpgradeableLoaderState};
use anchor_lang::solana_program::system_program;
use solana_commitment_config::CommitmentLevel;
pub use solana_banks_interface::{
    BanksTransactionResultWithMetadata, BanksTransactionResultWithSimulation, TransactionSimulationDetails,
};
use solana_program_test::{processor, ProgramTest, ProgramTestContext};
use solana_sdk::message::Message;
use solana_sdk::transaction::VersionedTransaction;
use solana_sdk::account::Account;
use solana_sdk::account_info::AccountInfo;
use solana_sdk::clock::Clock;
use solana_sdk::epoch_schedule::EpochSchedule;
use solana_sdk::hash::Hash;
use solana_sdk::entrypoint::ProgramResult;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::Transaction;

use crate::chain::{unique_signers, Chain, ChainError};
use crate::native_logs::restore_event_lines;

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
    /// Messages (without their blockhash) sent at `sent_slot`: sending one
    /// again moves the bank a slot on, so that it is not refused as a replay.
    sent: HashSet<Vec<u8>>,
    sent_slot: u64,
}

/// What a bank holds at its first slot, beside the program and SPL Token.
#[derive(Default)]
pub struct Genesis {
    /// The upgrade authority that the program's ProgramData account names;
    /// `None` for no ProgramData account, as a native builtin really has.
    pub upgrade_authority: Option<Pubkey>,
    /// Further accounts: funded keys, or the accounts of a checkpoint.
    pub accounts: Vec<(Pubkey, Account)>,
}

impl Genesis {
    /// A system account holding `lamports`.
    pub fn fund(&mut self, key: &Pubkey, lamports: u64) {
        self.accounts.push((*key, Account::new(lamports, 0, &system_program::ID)));
    }
}

impl BankChain {
    /// A fresh bank at genesis with the Ballast program and SPL Token, and a
    /// ProgramData account that names the deployer ([`BankChain::payer`]) as
    /// the program's upgrade authority, as a deployment by the upgradeable
    /// loader would. With `SBF_OUT_DIR` set to a directory holding
    /// `ballast.so`, the SBF build runs instead of the native one.
    pub fn new() -> Result<Self, ChainError> {
        let deployer = Keypair::new();
        let mut genesis = Genesis {
            upgrade_authority: Some(deployer.pubkey()),
            ..Genesis::default()
        };
        genesis.fund(&deployer.pubkey(), DEPLOYER_LAMPORTS);
        Self::from_genesis(genesis, deployer)
    }

    /// A bank whose program has no ProgramData account, as a native builtin
    /// really has none: `initialize` then belongs to the build's
    /// `NATIVE_BOOTSTRAP_AUTHORITY`.
    pub fn without_program_data() -> Result<Self, ChainError> {
        let deployer = Keypair::new();
        let mut genesis = Genesis::default();
        genesis.fund(&deployer.pubkey(), DEPLOYER_LAMPORTS);
        Self::from_genesis(genesis, deployer)
    }

    /// A bank that starts from `genesis`; `payer` must be funded there.
    pub fn from_genesis(genesis: Genesis, payer: Keypair) -> Result<Self, ChainError> {
        let mut program_test = ProgramTest::new("ballast", ballast::ID, processor!(process_instruction));
        if let Some(authority) = genesis.upgrade_authority {
            program_test.add_account(crate::pda::program_data(), program_data_account(&authority)?);
        }
        for (address, account) in genesis.accounts {
            program_test.add_account(address, account);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ChainError::Transport(e.to_string()))?;
        let context = runtime.block_on(program_test.start_with_context());
        crate::native_logs::install();
        Ok(Self {
            runtime,
            context,
            deployer: payer,
            sent: HashSet::new(),
            sent_slot: 0,
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

/// What the bank does with transactions as they arrive over the wire: the
/// local RPC node's view, where a transaction may be versioned, unsigned
/// in places, or refused, and every detail of the outcome is wanted.
impl BankChain {
    /// Processes `transaction` as it is (signatures are the caller's to
    /// verify), returning the runtime's verdict with logs and units.
    pub fn process_versioned(&mut self, transaction: VersionedTransaction) -> Result<BanksTransactionResultWithMetadata, ChainError> {
        let request = self.context.banks_client.process_transaction_with_metadata(transaction);
        let mut outcome = self.runtime.block_on(request).map_err(transport)?;
        if let Some(metadata) = &mut outcome.metadata {
            metadata.log_messages = restore_event_lines(std::mem::take(&mut metadata.log_messages));
        }
        Ok(outcome)
    }

    /// Runs `transaction` against the current state without committing it.
    pub fn simulate_versioned(&mut self, transaction: VersionedTransaction) -> Result<BanksTransactionResultWithSimulation, ChainError> {
        let request = self.context.banks_client.simulate_transaction(transaction);
        let mut outcome = self.runtime.block_on(request).map_err(transport)?;
        if let Some(details) = &mut outcome.simulation_details {
            details.logs = restore_event_lines(std::mem::take(&mut details.logs));
        }
        Ok(outcome)
    }

    /// The fee `message` would pay; `None` when its blockhash is unknown.
    pub fn fee_for_message(&mut self, message: Message) -> Result<Option<u64>, ChainError> {
        let request = self.context.banks_client.get_fee_for_message(message);
        self.runtime.block_on(request).map_err(transport)
    }

    /// The latest blockhash and the last block height at which a
    /// transaction using it can land.
    pub fn latest_blockhash_with_height(&mut self) -> Result<(Hash, u64), ChainError> {
        let request = self
            .context
            .banks_client
            .get_latest_blockhash_with_commitment(CommitmentLevel::Processed);
        self.runtime
            .block_on(request)
            .map_err(transport)?
            .ok_or_else(|| transport("the bank has no blockhash"))
    }

    pub fn epoch_schedule(&mut self) -> Result<EpochSchedule, ChainError> {
        let request = self.context.banks_client.get_sysvar::<EpochSchedule>();
        self.runtime.block_on(request).map_err(transport)
    }

    pub fn block_height(&mut self) -> Result<u64, ChainError> {
        let request = self.context.banks_client.get_root_block_height();
        self.runtime.block_on(request).map_err(transport)
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
                logs: restore_event_lines(outcome.metadata.map(|m| m.log_messages).unwrap_or_default()),
            }),
        }
    }
}

/// A million SOL: more than any test or demo spends.
pub const DEPLOYER_LAMPORTS: u64 = 1_000_000 * 1_000_000_000;

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
        // Keyed by slot, not blockhash: program-test registers new blockhashes
        // on a wall-clock timer, and the slots a run sees (an auction's price)
        // must depend on what it sends, never on how fast it ran.
        let slot = self.clock()?.slot;
        if slot != self.sent_slot {
            self.sent.clear();
            self.sent_slot = slot;
        }
        let message = Message::new(instructions, Some(&payer.pubkey())).serialize();
        if self.sent.contains(&message) {
            self.advance_blockhash()?;
            self.sent.clear();
            self.sent_slot = self.clock()?.slot;
        }
        self.sent.insert(message);
        let blockhash = self
            .runtime
            .block_on(self.context.banks_client.get_latest_blockhash())
            .map_err(transport)?;
        let transaction =
            Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &signers, blockhash);
        self.process(transaction)
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
