//! A real cluster over JSON-RPC.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use solana_client::client_error::{ClientError, ClientErrorKind};
use solana_client::rpc_client::RpcClient;
use solana_client::rpc_request::{RpcError, RpcRequest, RpcResponseErrorData};

/// The local node's clock-warping method (not part of Agave's API).
const LOCALNET_WARP: &str = "localnet_warpToSlot";
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
    /// Signatures sent under `sent_blockhash`: an identical transaction in
    /// the same slot would be a replay, so it waits for the next blockhash.
    sent: HashSet<Signature>,
    sent_blockhash: Hash,
}

/// How long `send` waits for a new blockhash before resending an
/// identical transaction: a few slots.
const NEW_BLOCKHASH_WAIT: Duration = Duration::from_secs(5);
const BLOCKHASH_POLL: Duration = Duration::from_millis(50);

impl RpcChain {
    /// A client for `url` (for example `http://127.0.0.1:8899`), confirming
    /// at the `confirmed` commitment.
    pub fn new(url: &str) -> Self {
        Self {
            client: RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed()),
            sent: HashSet::new(),
            sent_blockhash: Hash::default(),
        }
    }

    /// The latest blockhash, newer than `stale`: bounded by `NEW_BLOCKHASH_WAIT`.
    fn blockhash_after(&self, stale: &Hash) -> Result<Hash, ChainError> {
        let deadline = Instant::now() + NEW_BLOCKHASH_WAIT;
        loop {
            let blockhash = self.client.get_latest_blockhash().map_err(chain_error)?;
            if blockhash != *stale {
                return Ok(blockhash);
            }
            if Instant::now() >= deadline {
                return Err(ChainError::Transport(format!(
                    "the node kept blockhash {stale} for {NEW_BLOCKHASH_WAIT:?}; an identical transaction would be a replay"
                )));
            }
            std::thread::sleep(BLOCKHASH_POLL);
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
        let signers = unique_signers(payer, signers);
        let sign = |blockhash| Transaction::new_signed_with_payer(instructions, Some(&payer.pubkey()), &signers, blockhash);
        let blockhash = self.client.get_latest_blockhash().map_err(chain_error)?;
        if blockhash != self.sent_blockhash {
            self.sent.clear();
            self.sent_blockhash = blockhash;
        }
        let mut transaction = sign(blockhash);
        if self.sent.contains(&transaction.signatures[0]) {
            let blockhash = self.blockhash_after(&blockhash)?;
            self.sent.clear();
            self.sent_blockhash = blockhash;
            transaction = sign(blockhash);
        }
        self.sent.insert(transaction.signatures[0]);
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

    /// Only a `ballast localnet` node can warp (its `localnet_warpToSlot`
    /// method); a cluster says the method is not found.
    fn warp_to_slot(&mut self, slot: u64) -> Result<(), ChainError> {
        let request = RpcRequest::Custom { method: LOCALNET_WARP };
        match self.client.send::<u64>(request, serde_json::json!([slot])) {
            Ok(_) => Ok(()),
            Err(error) => match error.kind() {
                ClientErrorKind::RpcError(RpcError::RpcResponseError { code: -32601, .. }) => {
                    Err(ChainError::Unsupported("warping the clock (only a ballast localnet node warps)"))
                }
                _ => Err(chain_error(error)),
            },
        }
    }

    fn rent_exempt_minimum(&mut self, data_len: usize) -> Result<u64, ChainError> {
        self.client
            .get_minimum_balance_for_rent_exemption(data_len)
            .map_err(chain_error)
    }
}
