//! Reading a call's positional parameters, with Agave's messages for what
//! is missing, mistyped or undecodable.

use base64::prelude::{Engine, BASE64_STANDARD};
use ballast_sdk::{Hash, Pubkey, Signature};
use jsonrpc_core::Error;
use serde::de::DeserializeOwned;
use serde_json::Value;
use solana_sdk::transaction::VersionedTransaction;
use solana_transaction_status_client_types::{TransactionBinaryEncoding, UiTransactionEncoding};

/// The largest transaction a packet holds: 1280 bytes less IPv6 and UDP headers.
const PACKET_DATA_SIZE: usize = 1280 - 40 - 8;
/// The longest base58 text a packet-sized transaction encodes to.
const MAX_BASE58_SIZE: usize = 1683;
/// The longest base64 text a packet-sized transaction encodes to.
const MAX_BASE64_SIZE: usize = 1644;

pub struct Params {
    values: Vec<Value>,
}

impl Params {
    pub fn new(values: Vec<Value>) -> Self {
        Self { values }
    }

    /// Refuses more than `count` parameters.
    pub fn at_most(&self, count: usize) -> Result<(), Error> {
        if self.values.len() > count {
            return Err(Error::invalid_params(format!(
                "invalid length {}, expected at most {count} parameters",
                self.values.len()
            )));
        }
        Ok(())
    }

    pub fn required<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<T, Error> {
        match self.values.get(index) {
            None | Some(Value::Null) => Err(Error::invalid_params(format!("missing parameter {index} ({name})"))),
            Some(value) => parse(value, index, name),
        }
    }

    /// A parameter that may be missing or null.
    pub fn optional<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<Option<T>, Error> {
        match self.values.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => parse(value, index, name).map(Some),
        }
    }

    /// A configuration object, or its defaults when absent.
    pub fn config<T: DeserializeOwned + Default>(&self, index: usize) -> Result<T, Error> {
        Ok(self.optional(index, "configuration")?.unwrap_or_default())
    }
}

fn parse<T: DeserializeOwned>(value: &Value, index: usize, name: &str) -> Result<T, Error> {
    serde_json::from_value(value.clone())
        .map_err(|error| Error::invalid_params(format!("parameter {index} ({name}): {error}")))
}

pub fn pubkey(text: &str) -> Result<Pubkey, Error> {
    text.parse()
        .map_err(|_| Error::invalid_params(format!("Invalid param: `{text}` is not a base58 public key")))
}

pub fn signature(text: &str) -> Result<Signature, Error> {
    text.parse()
        .map_err(|_| Error::invalid_params(format!("Invalid param: `{text}` is not a base58 signature")))
}

pub fn blockhash(text: &str) -> Result<Hash, Error> {
    text.parse()
        .map_err(|_| Error::invalid_params(format!("Invalid param: `{text}` is not a base58 hash")))
}

/// The binary encoding a transaction parameter uses: base58 unless told.
pub fn binary_encoding(encoding: Option<UiTransactionEncoding>) -> Result<TransactionBinaryEncoding, Error> {
    let encoding = encoding.unwrap_or(UiTransactionEncoding::Base58);
    encoding.into_binary_encoding().ok_or_else(|| {
        Error::invalid_params(format!(
            "unsupported encoding: {encoding}. Supported encodings: base58, base64"
        ))
    })
}

/// Decodes a transaction as Agave does: bounded text, bounded bytes, then
/// bincode and sanitisation, each refusal naming what went wrong.
pub fn transaction(text: &str, encoding: TransactionBinaryEncoding) -> Result<VersionedTransaction, Error> {
    let bytes = match encoding {
        TransactionBinaryEncoding::Base58 => {
            if text.len() > MAX_BASE58_SIZE {
                return Err(too_large("base58", text.len(), MAX_BASE58_SIZE));
            }
            bs58::decode(text)
                .into_vec()
                .map_err(|error| Error::invalid_params(format!("invalid base58 encoding: {error}")))?
        }
        TransactionBinaryEncoding::Base64 => {
            if text.len() > MAX_BASE64_SIZE {
                return Err(too_large("base64", text.len(), MAX_BASE64_SIZE));
            }
            BASE64_STANDARD
                .decode(text)
                .map_err(|error| Error::invalid_params(format!("invalid base64 encoding: {error}")))?
        }
    };
    if bytes.len() > PACKET_DATA_SIZE {
        return Err(Error::invalid_params(format!(
            "decoded transaction too large: {} bytes (max: {PACKET_DATA_SIZE} bytes)",
            bytes.len()
        )));
    }
    let transaction: VersionedTransaction = bincode::deserialize(&bytes)
        .map_err(|error| Error::invalid_params(format!("failed to deserialize solana_transaction::versioned::VersionedTransaction: {error}")))?;
    transaction
        .sanitize()
        .map_err(|error| Error::invalid_params(format!("invalid transaction: {error}")))?;
    Ok(transaction)
}

fn too_large(encoding: &str, length: usize, max: usize) -> Error {
    Error::invalid_params(format!(
        "{encoding} encoded solana_transaction::versioned::VersionedTransaction too large: {length} bytes (max: encoded/raw {max}/{PACKET_DATA_SIZE})"
    ))
}
