//! A real cluster over JSON-RPC.

use solana_client::client_error::{ClientError, ClientErrorKind};
use solana_client::rpc_client::RpcClient;
use solana_client::rpc_request::{RpcError, RpcResponseErrorData};
use solana_sdk::account::Account;
use solana_sdk::clock::Clock;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::hash::Hash;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::sysvar;
use solana_sdk::transaction::Transaction;

use crate::chain::{unique_signers, Chain, ChainError};

pub struct RpcChain {
    client: RpcClient,
}

impl RpcChain {
    /// A client for `url` (for example `http://127.0.0.1:8899`), confirming
    /// at the `confirmed` commitment.
    pub fn new(url: &str) -> Self {
        Self {
            client: RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed()),
        }
    }

    pub fn client(&self) -> &RpcClient {
        &self.client
    }
}

/// Keeps the runtime's verdict and logs when the node simulated the
/// transaction before refusing it; everything else is a transport failure.
fn chain_error(error: ClientError) -> ChainError {
    let logs = match error.kind() {
        ClientErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::SendTransactionPreflightFailure(simulation),
            ..
        }) => simulation.logs.clone().unwrap_or_default(),
        _ => Vec::new(),
    };
    match error.get_transaction_error() {
        Some(error) => ChainError::Transaction { error, logs },
        None => ChainError::Transport(error.to_string()),
    }
}

impl Chain for RpcChain {
    fn account(&mut self, address: &Pubkey) -> Result<Option<Account>, ChainError> {
        let response = self
            .client
            .get_account_with_commitment(address, self.client.commitment())
            .map_err(chain_error)?;
        Ok(response.value)
    }

    fn send(
        &mut self,
        instructions: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> Result<Signature, ChainError> {
        let blockhash = self.client.get_latest_blockhash().map_err(chain_error)?;
        let transaction = Transaction::new_signed_with_payer(
            instructions,
            Some(&payer.pubkey()),
            &unique_signers(payer, signers),
            blockhash,
        );
        self.client
            .send_and_confirm_transaction(&transaction)
            .map_err(chain_error)
    }

    fn latest_blockhash(&mut self) -> Result<Hash, ChainError> {
        self.client.get_latest_blockhash().map_err(chain_error)
    }

    fn send_transaction(&mut self, transaction: &Transaction) -> Result<Signature, ChainError> {
        self.client.send_and_confirm_transaction(transaction).map_err(chain_error)
    }

    fn clock(&mut self) -> Result<Clock, ChainError> {
        let account = self
            .account(&sysvar::clock::ID)?
            .ok_or_else(|| ChainError::Transport("the cluster has no clock sysvar".into()))?;
        bincode::deserialize(&account.data).map_err(|e| ChainError::Decode {
            address: sysvar::clock::ID,
            reason: e.to_string(),
        })
    }

    fn warp_to_slot(&mut self, _slot: u64) -> Result<(), ChainError> {
        Err(ChainError::Unsupported("warping the clock"))
    }

    fn rent_exempt_minimum(&mut self, data_len: usize) -> Result<u64, ChainError> {
        self.client
            .get_minimum_balance_for_rent_exemption(data_len)
            .map_err(chain_error)
    }
}
