//! The methods, with Agave's request and response shapes: every response
//! type is the one `solana-client` deserialises. Commitment arguments are
//! accepted and mean the same here, where every processed slot is final.

use ballast_sdk::{Account, Chain, ChainError, Pubkey};
use jsonrpc_core::{Error, ErrorCode};
use serde::Serialize;
use serde_json::Value;
use solana_account_decoder::parse_account_data::SplTokenAdditionalDataV2;
use solana_account_decoder::parse_token::token_amount_to_ui_amount_v3;
use solana_account_decoder::{encode_ui_account, UiAccount, UiAccountEncoding};
use solana_epoch_info::EpochInfo;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcContextConfig, RpcEncodingConfigWrapper, RpcProgramAccountsConfig, RpcSendTransactionConfig,
    RpcSignatureStatusConfig, RpcSimulateTransactionConfig, RpcTransactionConfig,
};
use solana_rpc_client_api::custom_error::RpcCustomError;
use solana_rpc_client_api::filter::RpcFilterType;
use solana_rpc_client_api::response::{
    OptionalContext, Response, RpcBlockhash, RpcKeyedAccount, RpcResponseContext, RpcSimulateTransactionResult,
    RpcVersionInfo,
};
use solana_sdk::message::VersionedMessage;
use solana_sdk::transaction::{TransactionError, VersionedTransaction};
use solana_transaction_status_client_types::{
    EncodedConfirmedTransactionWithStatusMeta, EncodedTransaction, EncodedTransactionWithStatusMeta, InnerInstruction,
    InnerInstructions, TransactionBinaryEncoding, UiInnerInstructions, TransactionConfirmationStatus, TransactionStatus, TransactionStatusMeta,
    UiTransactionEncoding, UiTransactionReturnData,
};

use super::params::{self, Params};
use crate::history::StoredTransaction;
use crate::node::{Node, NodeHandle};

/// Not Agave's: moves the node's clock forward at once, as a local test
/// node may (Anvil's `evm_increaseTime`, Hardhat's `evm_mine`), so that a
/// client can run weeks of windows and timelocks in seconds.
pub const WARP_METHOD: &str = "localnet_warpToSlot";

/// The Agave release whose runtime this node embeds.
const AGAVE_VERSION: &str = "3.1.12";
/// Keys one getMultipleAccounts may ask for, as on a validator.
const MAX_MULTIPLE_ACCOUNTS: usize = 100;
/// Signatures one getSignatureStatuses may ask for.
const MAX_SIGNATURE_STATUSES: usize = 256;
/// Filters one getProgramAccounts may carry.
const MAX_FILTERS: usize = 4;
/// Base58 is refused for account data longer than this, as on a validator.
const MAX_BASE58_BYTES: usize = 128;
/// The most one airdrop may ask for: 1,000 SOL.
const MAX_AIRDROP_LAMPORTS: u64 = 1_000 * 1_000_000_000;
/// The most data an account may hold: 10 MiB.
const MAX_ACCOUNT_DATA_LENGTH: usize = 10 * 1024 * 1024;
/// SPL Token account layout: 165 bytes, the mint first, the amount at 64,
/// the state at 108; a mint's decimals at 44.
const TOKEN_ACCOUNT_LEN: usize = 165;

pub async fn call(node: &NodeHandle, method: &str, params: Params) -> Result<Value, Error> {
    match method {
        "getVersion" => {
            params.at_most(0)?;
            to_value(RpcVersionInfo {
                solana_core: AGAVE_VERSION.to_string(),
                feature_set: None,
            })
        }
        "getHealth" => {
            params.at_most(0)?;
            Ok(Value::String("ok".into()))
        }
        "getSlot" => get_slot(node, params).await,
        "getBlockHeight" => get_block_height(node, params).await,
        "getEpochInfo" => get_epoch_info(node, params).await,
        "getLatestBlockhash" => get_latest_blockhash(node, params).await,
        "isBlockhashValid" => is_blockhash_valid(node, params).await,
        "getFeeForMessage" => get_fee_for_message(node, params).await,
        "getMinimumBalanceForRentExemption" => get_minimum_balance(node, params).await,
        "getBalance" => get_balance(node, params).await,
        "getAccountInfo" => get_account_info(node, params).await,
        "getMultipleAccounts" => get_multiple_accounts(node, params).await,
        "getProgramAccounts" => get_program_accounts(node, params).await,
        "getTokenAccountBalance" => get_token_account_balance(node, params).await,
        "getSignatureStatuses" => get_signature_statuses(node, params).await,
        "getTransaction" => get_transaction(node, params).await,
        "simulateTransaction" => simulate_transaction(node, params).await,
        "sendTransaction" => send_transaction(node, params).await,
        "requestAirdrop" => request_airdrop(node, params).await,
        WARP_METHOD => warp_to_slot(node, params).await,
        _ => Err(Error::method_not_found()),
    }
}

fn to_value(value: impl Serialize) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(|error| internal(format!("could not encode the response: {error}")))
}

fn internal(message: String) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message,
        data: None,
    }
}

fn chain_error(error: ChainError) -> Error {
    internal(format!("the bank failed: {error}"))
}

/// Runs `work` on the node, turning its failures into JSON-RPC errors.
async fn on_node<R: Send + 'static>(
    node: &NodeHandle,
    work: impl FnOnce(&mut Node) -> Result<R, Error> + Send + 'static,
) -> Result<R, Error> {
    node.call(work).await.map_err(|stopped| internal(stopped.to_string()))?
}

fn with_context<T: Serialize>(slot: u64, value: T) -> Result<Value, Error> {
    to_value(Response {
        context: RpcResponseContext::new(slot),
        value,
    })
}

/// Refuses a read for a slot the node has not reached.
fn check_min_context_slot(slot: u64, min_context_slot: Option<u64>) -> Result<(), Error> {
    match min_context_slot {
        Some(context_slot) if context_slot > slot => Err(RpcCustomError::MinContextSlotNotReached { context_slot }.into()),
        _ => Ok(()),
    }
}

async fn current_slot(node: &NodeHandle, min_context_slot: Option<u64>) -> Result<u64, Error> {
    let slot = on_node(node, |n| n.slot().map_err(chain_error)).await?;
    check_min_context_slot(slot, min_context_slot)?;
    Ok(slot)
}

async fn get_slot(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(1)?;
    let config: RpcContextConfig = params.config(0)?;
    to_value(current_slot(node, config.min_context_slot).await?)
}

async fn get_block_height(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(1)?;
    let config: RpcContextConfig = params.config(0)?;
    current_slot(node, config.min_context_slot).await?;
    to_value(on_node(node, |n| n.bank.block_height().map_err(chain_error)).await?)
}

async fn get_epoch_info(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(1)?;
    let config: RpcContextConfig = params.config(0)?;
    let info = on_node(node, |n| {
        let clock = n.bank.clock().map_err(chain_error)?;
        let schedule = n
            .bank
            .epoch_schedule()
            .map_err(chain_error)?;
        let block_height = n.bank.block_height().map_err(chain_error)?;
        let first = schedule.get_first_slot_in_epoch(clock.epoch);
        Ok(EpochInfo {
            epoch: clock.epoch,
            slot_index: clock.slot - first,
            slots_in_epoch: schedule.get_slots_in_epoch(clock.epoch),
            absolute_slot: clock.slot,
            block_height,
            transaction_count: Some(n.history.len() as u64),
        })
    })
    .await?;
    check_min_context_slot(info.absolute_slot, config.min_context_slot)?;
    to_value(info)
}

async fn get_latest_blockhash(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(1)?;
    let config: RpcContextConfig = params.config(0)?;
    let (slot, (blockhash, last_valid_block_height)) = on_node(node, |n| {
        let slot = n.slot().map_err(chain_error)?;
        Ok((slot, n.bank.latest_blockhash_with_height().map_err(chain_error)?))
    })
    .await?;
    check_min_context_slot(slot, config.min_context_slot)?;
    with_context(
        slot,
        RpcBlockhash {
            blockhash: blockhash.to_string(),
            last_valid_block_height,
        },
    )
}

async fn is_blockhash_valid(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(2)?;
    let blockhash = params::blockhash(&params.required::<String>(0, "blockhash")?)?;
    let config: RpcContextConfig = params.config(1)?;
    let (slot, valid) = on_node(node, move |n| {
        let slot = n.slot().map_err(chain_error)?;
        Ok((slot, n.is_blockhash_valid(&blockhash).map_err(chain_error)?))
    })
    .await?;
    check_min_context_slot(slot, config.min_context_slot)?;
    with_context(slot, valid)
}

async fn get_fee_for_message(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    use base64::prelude::{Engine, BASE64_STANDARD};
    params.at_most(2)?;
    let text: String = params.required(0, "message")?;
    let config: RpcContextConfig = params.config(1)?;
    let bytes = BASE64_STANDARD
        .decode(&text)
        .map_err(|error| Error::invalid_params(format!("invalid base64 encoding: {error}")))?;
    let message: VersionedMessage = bincode::deserialize(&bytes)
        .map_err(|error| Error::invalid_params(format!("failed to deserialize solana_message::versions::VersionedMessage: {error}")))?;
    message
        .sanitize()
        .map_err(|error| Error::invalid_params(format!("invalid transaction message: {error}")))?;
    let (slot, fee) = on_node(node, move |n| {
        let slot = n.slot().map_err(chain_error)?;
        Ok((slot, n.fee(&message).map_err(chain_error)?))
    })
    .await?;
    check_min_context_slot(slot, config.min_context_slot)?;
    with_context(slot, fee)
}

async fn get_minimum_balance(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(2)?;
    let length: usize = params.required(0, "data length")?;
    if length > MAX_ACCOUNT_DATA_LENGTH {
        return Err(Error::invalid_params(format!(
            "data length {length} is more than an account may hold ({MAX_ACCOUNT_DATA_LENGTH} bytes)"
        )));
    }
    let config: RpcContextConfig = params.config(1)?;
    current_slot(node, config.min_context_slot).await?;
    let lamports = on_node(node, move |n| {
        n.bank.rent_exempt_minimum(length).map_err(chain_error)
    })
    .await?;
    to_value(lamports)
}

/// Reads `addresses` and the slot, in one job so they agree.
async fn read_accounts(node: &NodeHandle, addresses: Vec<Pubkey>) -> Result<(u64, Vec<Option<Account>>), Error> {
    on_node(node, move |n| {
        let slot = n.slot().map_err(chain_error)?;
        let accounts = addresses
            .iter()
            .map(|address| n.bank.account(address))
            .collect::<Result<Vec<_>, _>>()
            .map_err(chain_error)?;
        Ok((slot, accounts))
    })
    .await
}

async fn get_balance(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(2)?;
    let address = params::pubkey(&params.required::<String>(0, "address")?)?;
    let config: RpcContextConfig = params.config(1)?;
    let (slot, accounts) = read_accounts(node, vec![address]).await?;
    check_min_context_slot(slot, config.min_context_slot)?;
    with_context(slot, accounts[0].as_ref().map_or(0, |a| a.lamports))
}

/// An account as the configuration asks: base58 (refused past 128 bytes),
/// base64, base64+zstd or jsonParsed (which falls back to base64 where
/// the data has no parser), with an optional data slice.
fn encode_account(address: &Pubkey, account: &Account, config: &RpcAccountInfoConfig) -> Result<UiAccount, Error> {
    let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
    if matches!(encoding, UiAccountEncoding::Binary | UiAccountEncoding::Base58) {
        let length = config.data_slice.map_or(account.data.len(), |s| s.length.min(account.data.len().saturating_sub(s.offset)));
        if length > MAX_BASE58_BYTES {
            return Err(Error::invalid_params(format!(
                "Encoded binary (base 58) data should be less than {MAX_BASE58_BYTES} bytes, please use Base64 encoding."
            )));
        }
    }
    Ok(encode_ui_account(address, account, encoding, None, config.data_slice))
}

async fn get_account_info(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(2)?;
    let address = params::pubkey(&params.required::<String>(0, "address")?)?;
    let config: RpcAccountInfoConfig = params.config(1)?;
    let (slot, accounts) = read_accounts(node, vec![address]).await?;
    check_min_context_slot(slot, config.min_context_slot)?;
    let account = accounts[0].as_ref().map(|a| encode_account(&address, a, &config)).transpose()?;
    with_context(slot, account)
}

async fn get_multiple_accounts(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(2)?;
    let texts: Vec<String> = params.required(0, "addresses")?;
    if texts.len() > MAX_MULTIPLE_ACCOUNTS {
        return Err(Error::invalid_params(format!("Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}")));
    }
    let addresses = texts.iter().map(|t| params::pubkey(t)).collect::<Result<Vec<_>, _>>()?;
    let config: RpcAccountInfoConfig = params.config(1)?;
    let (slot, accounts) = read_accounts(node, addresses.clone()).await?;
    check_min_context_slot(slot, config.min_context_slot)?;
    let encoded = addresses
        .iter()
        .zip(&accounts)
        .map(|(address, account)| account.as_ref().map(|a| encode_account(address, a, &config)).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    with_context(slot, encoded)
}

fn passes(filter: &RpcFilterType, account: &Account) -> bool {
    match filter {
        RpcFilterType::DataSize(size) => account.data.len() as u64 == *size,
        RpcFilterType::Memcmp(compare) => compare.bytes_match(&account.data),
        // Initialized or frozen: a token account that holds a state.
        RpcFilterType::TokenAccountState => account.data.len() == TOKEN_ACCOUNT_LEN && account.data[108] != 0,
    }
}

async fn get_program_accounts(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(2)?;
    let program = params::pubkey(&params.required::<String>(0, "program id")?)?;
    let config: RpcProgramAccountsConfig = params.config(1)?;
    let filters = config.filters.clone().unwrap_or_default();
    if filters.len() > MAX_FILTERS {
        return Err(Error::invalid_params(format!("Too many filters provided; max {MAX_FILTERS}")));
    }
    for filter in &filters {
        filter
            .verify()
            .map_err(|error| Error::invalid_params(format!("Invalid param: {error:?}")))?;
    }
    let (slot, mut accounts) = on_node(node, move |n| {
        let slot = n.slot().map_err(chain_error)?;
        Ok((slot, n.program_accounts(&program).map_err(chain_error)?))
    })
    .await?;
    check_min_context_slot(slot, config.account_config.min_context_slot)?;
    accounts.retain(|(_, account)| filters.iter().all(|f| passes(f, account)));
    let keyed = accounts
        .iter()
        .map(|(address, account)| {
            Ok(RpcKeyedAccount {
                pubkey: address.to_string(),
                account: encode_account(address, account, &config.account_config)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    to_value(match config.with_context {
        Some(true) => OptionalContext::Context(Response {
            context: RpcResponseContext::new(slot),
            value: keyed,
        }),
        _ => OptionalContext::NoContext(keyed),
    })
}

async fn get_token_account_balance(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(2)?;
    let address = params::pubkey(&params.required::<String>(0, "token account")?)?;
    let config: RpcContextConfig = params.config(1)?;
    let (slot, accounts) = read_accounts(node, vec![address]).await?;
    check_min_context_slot(slot, config.min_context_slot)?;
    let not_token = || Error::invalid_params("Invalid param: not a Token account".to_string());
    let account = accounts[0].as_ref().ok_or_else(|| Error::invalid_params("Invalid param: could not find account".to_string()))?;
    if account.owner != anchor_spl_token_id() || account.data.len() != TOKEN_ACCOUNT_LEN {
        return Err(not_token());
    }
    let mint = Pubkey::try_from(&account.data[..32]).map_err(|_| not_token())?;
    let amount = u64::from_le_bytes(account.data[64..72].try_into().map_err(|_| not_token())?);
    let (_, mints) = read_accounts(node, vec![mint]).await?;
    let decimals = mints[0]
        .as_ref()
        .and_then(|m| m.data.get(44).copied())
        .ok_or_else(|| Error::invalid_params("Invalid param: the token account's mint is missing".to_string()))?;
    let ui_amount = token_amount_to_ui_amount_v3(amount, &SplTokenAdditionalDataV2::with_decimals(decimals));
    with_context(slot, ui_amount)
}

fn anchor_spl_token_id() -> Pubkey {
    solana_sdk::pubkey!("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
}

fn status_of(stored: &StoredTransaction) -> TransactionStatus {
    TransactionStatus {
        slot: stored.slot,
        // One node, no forks: what it processed is final.
        confirmations: None,
        status: stored.status.clone(),
        err: stored.status.clone().err(),
        confirmation_status: Some(TransactionConfirmationStatus::Finalized),
    }
}

async fn get_signature_statuses(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(2)?;
    let texts: Vec<String> = params.required(0, "signatures")?;
    if texts.len() > MAX_SIGNATURE_STATUSES {
        return Err(Error::invalid_params(format!("Too many inputs provided; max {MAX_SIGNATURE_STATUSES}")));
    }
    let signatures = texts.iter().map(|t| params::signature(t)).collect::<Result<Vec<_>, _>>()?;
    // Every status is kept as long as the history holds it, so
    // searchTransactionHistory changes nothing.
    let _config: Option<RpcSignatureStatusConfig> = params.optional(1, "configuration")?;
    let (slot, statuses) = on_node(node, move |n| {
        let slot = n.slot().map_err(chain_error)?;
        Ok((slot, signatures.iter().map(|s| n.history.get(s).map(status_of)).collect::<Vec<_>>()))
    })
    .await?;
    with_context(slot, statuses)
}

async fn get_transaction(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(2)?;
    let signature = params::signature(&params.required::<String>(0, "signature")?)?;
    let config = params
        .optional::<RpcEncodingConfigWrapper<RpcTransactionConfig>>(1, "configuration")?
        .map(|wrapper| wrapper.convert_to_current())
        .unwrap_or_default();
    let encoding = config.encoding.unwrap_or(UiTransactionEncoding::Json);
    let Some(binary) = encoding.into_binary_encoding() else {
        return Err(Error::invalid_params(format!(
            "unsupported encoding: {encoding}. This node encodes transactions as base58 or base64"
        )));
    };
    let stored = on_node(node, move |n| Ok(n.history.get(&signature).cloned())).await?;
    let Some(stored) = stored else {
        return Ok(Value::Null);
    };
    let version = stored.transaction.version();
    if let (VersionedMessage::V0(_), None) = (&stored.transaction.message, config.max_supported_transaction_version) {
        return Err(RpcCustomError::UnsupportedTransactionVersion(0).into());
    }
    let meta = TransactionStatusMeta {
        status: stored.status.clone(),
        fee: stored.fee,
        pre_balances: stored.pre_balances.clone(),
        post_balances: stored.post_balances.clone(),
        log_messages: Some(stored.log_messages.clone()),
        compute_units_consumed: Some(stored.compute_units_consumed),
        return_data: stored.return_data.clone().map(|(program_id, data)| {
            solana_transaction_context::TransactionReturnData { program_id, data }
        }),
        ..TransactionStatusMeta::default()
    };
    let bytes = bincode::serialize(&stored.transaction).map_err(|e| internal(e.to_string()))?;
    let blob = match binary {
        TransactionBinaryEncoding::Base58 => bs58::encode(bytes).into_string(),
        TransactionBinaryEncoding::Base64 => {
            use base64::prelude::{Engine, BASE64_STANDARD};
            BASE64_STANDARD.encode(bytes)
        }
    };
    to_value(EncodedConfirmedTransactionWithStatusMeta {
        slot: stored.slot,
        transaction: EncodedTransactionWithStatusMeta {
            transaction: EncodedTransaction::Binary(blob, binary),
            meta: Some(meta.into()),
            version: config.max_supported_transaction_version.map(|_| version),
        },
        block_time: Some(stored.block_time),
    })
}

/// What a simulation reports, as `simulateTransaction` and a failed
/// preflight both return it.
fn simulation_result(
    result: Result<(), TransactionError>,
    details: Option<ballast_sdk::bank::TransactionSimulationDetails>,
    with_inner_instructions: bool,
) -> RpcSimulateTransactionResult {
    let details = details.unwrap_or(ballast_sdk::bank::TransactionSimulationDetails {
        logs: vec![],
        units_consumed: 0,
        loaded_accounts_data_size: 0,
        return_data: None,
        inner_instructions: None,
    });
    RpcSimulateTransactionResult {
        err: result.err().map(Into::into),
        logs: Some(details.logs),
        accounts: None,
        units_consumed: Some(details.units_consumed),
        loaded_accounts_data_size: Some(details.loaded_accounts_data_size),
        return_data: details.return_data.map(UiTransactionReturnData::from),
        inner_instructions: details
            .inner_instructions
            .filter(|_| with_inner_instructions)
            .map(ui_inner_instructions),
        replacement_blockhash: None,
        fee: None,
        pre_balances: None,
        post_balances: None,
        pre_token_balances: None,
        post_token_balances: None,
        loaded_addresses: None,
    }
}

/// The runtime's inner instructions, per top-level instruction, as RPC shows them.
fn ui_inner_instructions(all: Vec<Vec<solana_sdk::inner_instruction::InnerInstruction>>) -> Vec<UiInnerInstructions> {
    all.into_iter()
        .enumerate()
        .filter(|(_, inner)| !inner.is_empty())
        .map(|(index, inner)| {
            InnerInstructions {
                index: index as u8,
                instructions: inner
                    .into_iter()
                    .map(|i| InnerInstruction {
                        instruction: i.instruction,
                        stack_height: Some(u32::from(i.stack_height)),
                    })
                    .collect(),
            }
            .into()
        })
        .collect()
}

fn verify_signatures(transaction: &VersionedTransaction) -> Result<(), Error> {
    if transaction.verify_with_results().iter().all(|ok| *ok) {
        Ok(())
    } else {
        Err(RpcCustomError::TransactionSignatureVerificationFailure.into())
    }
}

async fn simulate_transaction(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(2)?;
    let text: String = params.required(0, "transaction")?;
    let config: RpcSimulateTransactionConfig = params.config(1)?;
    let mut transaction = params::transaction(&text, params::binary_encoding(config.encoding)?)?;
    if config.sig_verify {
        if config.replace_recent_blockhash {
            return Err(Error::invalid_params("sigVerify may not be used with replaceRecentBlockhash"));
        }
        verify_signatures(&transaction)?;
    }
    if config.accounts.is_some() {
        return Err(Error::invalid_params(
            "accounts: this node does not return simulated account states".to_string(),
        ));
    }
    let replace = config.replace_recent_blockhash;
    let inner = config.inner_instructions;
    let (slot, mut result, replacement) = on_node(node, move |n| {
        let slot = n.slot().map_err(chain_error)?;
        let replacement = if replace {
            let (blockhash, last_valid_block_height) = n.bank.latest_blockhash_with_height().map_err(chain_error)?;
            transaction.message.set_recent_blockhash(blockhash);
            Some(RpcBlockhash {
                blockhash: blockhash.to_string(),
                last_valid_block_height,
            })
        } else {
            None
        };
        let simulation = n.bank.simulate_versioned(transaction).map_err(chain_error)?;
        let outcome = simulation.result.unwrap_or(Err(TransactionError::BlockhashNotFound));
        Ok((slot, simulation_result(outcome, simulation.simulation_details, inner), replacement))
    })
    .await?;
    check_min_context_slot(slot, config.min_context_slot)?;
    result.replacement_blockhash = replacement;
    with_context(slot, result)
}

async fn send_transaction(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(2)?;
    let text: String = params.required(0, "transaction")?;
    let config: RpcSendTransactionConfig = params.config(1)?;
    let transaction = params::transaction(&text, params::binary_encoding(config.encoding)?)?;
    verify_signatures(&transaction)?;
    let signature = transaction.signatures[0];
    let skip_preflight = config.skip_preflight;
    let min_context_slot = config.min_context_slot;
    on_node(node, move |n| {
        let slot = n.slot().map_err(chain_error)?;
        check_min_context_slot(slot, min_context_slot)?;
        if !skip_preflight {
            let simulation = n.bank.simulate_versioned(transaction.clone()).map_err(chain_error)?;
            let outcome = simulation.result.unwrap_or(Err(TransactionError::BlockhashNotFound));
            if let Err(error) = &outcome {
                let message = format!("Transaction simulation failed: {error}");
                let result = simulation_result(outcome.clone(), simulation.simulation_details, false);
                return Err(RpcCustomError::SendTransactionPreflightFailure { message, result }.into());
            }
        }
        match n.process(transaction).map_err(chain_error)? {
            // Landed, even if it failed: its status says how.
            Ok(()) => Ok(()),
            Err(error) if n.history.get(&signature).is_some() => {
                tracing::debug!(%signature, %error, "processed with an error");
                Ok(())
            }
            // Never committed (an unknown blockhash, a replay): nothing to confirm.
            Err(error) => {
                let message = format!("Transaction failed before it could land: {error}");
                let result = simulation_result(Err(error), None, false);
                Err(RpcCustomError::SendTransactionPreflightFailure { message, result }.into())
            }
        }
    })
    .await?;
    to_value(signature.to_string())
}

async fn request_airdrop(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(3)?;
    let to = params::pubkey(&params.required::<String>(0, "address")?)?;
    let lamports: u64 = params.required(1, "lamports")?;
    if lamports == 0 || lamports > MAX_AIRDROP_LAMPORTS {
        return Err(Error::invalid_params(format!(
            "lamports must be between 1 and {MAX_AIRDROP_LAMPORTS} (1,000 SOL)"
        )));
    }
    let signature = on_node(node, move |n| n.airdrop(&to, lamports).map_err(chain_error)).await?;
    to_value(signature.to_string())
}

async fn warp_to_slot(node: &NodeHandle, params: Params) -> Result<Value, Error> {
    params.at_most(1)?;
    let target: u64 = params.required(0, "slot")?;
    let slot = on_node(node, move |n| {
        let slot = n.slot().map_err(chain_error)?;
        if target <= slot {
            return Err(Error::invalid_params(format!("slot {target} is not after the current slot {slot}")));
        }
        n.bank.warp_to_slot(target).map_err(chain_error)?;
        n.slot().map_err(chain_error)
    })
    .await?;
    to_value(slot)
}
