//! The client library for Ballast.
//!
//! Everything off-chain reaches the chain through the [`Chain`] trait, which
//! has two backends: [`BankChain`], an in-process bank running the program
//! next to the real SPL Token program, and [`RpcChain`], a JSON-RPC client
//! for a real cluster. On top of it sit the PDAs, the instruction builders,
//! account decoding with f64 views, SPL Token helpers and keypair files.

pub mod accounts;
pub mod bank;
pub mod chain;
pub mod faults;
pub mod instructions;
pub mod keypair;
pub mod names;
pub mod native_logs;
pub mod pda;
pub mod rpc;
pub mod status;
pub mod token;

pub use accounts::{AssetView, ProtocolView};
pub use bank::BankChain;
pub use chain::{Chain, ChainError};
pub use faults::{Fault, FaultyChain};
pub use rpc::RpcChain;
pub use status::{AssetStatus, CapitalStatus, ReserveStatus};

/// The program crate, for its account types, errors and constants.
pub use ballast as program;
pub use ballast::ID as PROGRAM_ID;

pub use solana_sdk::{
    account::Account, clock::Clock, hash::Hash, instruction::Instruction, message::Message, pubkey::Pubkey,
    signature::{Keypair, Signature, Signer},
    transaction::Transaction,
};

/// A fixed-point value as the program stores it, from an f64 (for building
/// instruction arguments; the program never sees floats).
pub fn fixed(value: f64) -> ballast::math::FixedBits {
    ballast::math::I80F48::from_num(value).into()
}

/// The f64 view of a stored fixed-point value.
pub fn to_f64(value: ballast::math::FixedBits) -> f64 {
    value.get().to_num()
}
