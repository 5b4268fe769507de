//! Transactions the node has processed, for getSignatureStatuses and
//! getTransaction: the most recent `CAPACITY`, oldest forgotten first.

use std::collections::{HashMap, VecDeque};

use ballast_sdk::{Pubkey, Signature};
use serde::{Deserialize, Serialize};
use solana_sdk::transaction::{TransactionError, VersionedTransaction};

/// Enough for hours of a busy local deployment.
const CAPACITY: usize = 200_000;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredTransaction {
    pub slot: u64,
    /// Unix seconds when it was processed.
    pub block_time: i64,
    pub transaction: VersionedTransaction,
    pub status: Result<(), TransactionError>,
    pub fee: u64,
    /// Lamports of each static account key before and after.
    pub pre_balances: Vec<u64>,
    pub post_balances: Vec<u64>,
    pub log_messages: Vec<String>,
    pub compute_units_consumed: u64,
    pub return_data: Option<(Pubkey, Vec<u8>)>,
}

impl StoredTransaction {
    pub fn signature(&self) -> Signature {
        self.transaction.signatures[0]
    }
}

#[derive(Default)]
pub struct History {
    by_signature: HashMap<Signature, StoredTransaction>,
    order: VecDeque<Signature>,
}

impl History {
    pub fn record(&mut self, stored: StoredTransaction) {
        let signature = stored.signature();
        if self.by_signature.insert(signature, stored).is_none() {
            self.order.push_back(signature);
        }
        while self.order.len() > CAPACITY {
            if let Some(oldest) = self.order.pop_front() {
                self.by_signature.remove(&oldest);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn get(&self, signature: &Signature) -> Option<&StoredTransaction> {
        self.by_signature.get(signature)
    }

    /// Every stored transaction, oldest first, for a checkpoint.
    pub fn to_vec(&self) -> Vec<StoredTransaction> {
        self.order.iter().filter_map(|s| self.by_signature.get(s).cloned()).collect()
    }

    pub fn restore(transactions: Vec<StoredTransaction>) -> Self {
        let mut history = Self::default();
        for stored in transactions {
            history.record(stored);
        }
        history
    }
}
