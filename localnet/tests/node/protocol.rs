//! Agave's request and response shapes, read back by `solana-client` itself,
//! and Agave's error codes for what a client gets wrong.

use base64::prelude::{Engine, BASE64_STANDARD};
use ballast_sdk::program::errors::BallastError;
use ballast_sdk::{pda, token, Keypair, Signer};
use serde_json::{json, Value};
use solana_client::rpc_client::RpcClient;
use solana_client::rpc_config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig, RpcSimulateTransactionConfig,
    RpcTransactionConfig,
};
use solana_client::rpc_filter::{Memcmp, RpcFilterType};
use solana_sdk::message::Message;
use solana_sdk::transaction::Transaction;
use solana_transaction_status_client_types::UiTransactionEncoding;

use crate::support::{self, client, error, post_raw, result, token_fixture, TokenFixture as Fixture};

fn rpc(f: &Fixture) -> &RpcClient {
    f.chain.client()
}

fn transfer(f: &Fixture, lamports: u64) -> Transaction {
    let blockhash = rpc(f).get_latest_blockhash().unwrap();
    let ix = solana_system_interface::instruction::transfer(&f.payer.pubkey(), &Keypair::new().pubkey(), lamports);
    Transaction::new_signed_with_payer(&[ix], Some(&f.payer.pubkey()), &[&f.payer], blockhash)
}

#[test]
fn solana_client_reads_every_method_back() {
    let f = token_fixture(1_000_000_000);
    let client = rpc(&f);
    assert_eq!(client.get_version().unwrap().solana_core, "3.1.12");
    client.get_health().unwrap();
    let slot = client.get_slot().unwrap();
    assert!(client.get_block_height().unwrap() <= slot);
    let epoch = client.get_epoch_info().unwrap();
    assert!(epoch.slot_index < epoch.slots_in_epoch && epoch.absolute_slot >= slot);
    let blockhash = client.get_latest_blockhash().unwrap();
    assert!(client.is_blockhash_valid(&blockhash, client.commitment()).unwrap());
    assert!(!client.is_blockhash_valid(&solana_sdk::hash::Hash::new_unique(), client.commitment()).unwrap());
    let message = Message::new_with_blockhash(
        &[solana_system_interface::instruction::transfer(&f.payer.pubkey(), &f.mint.pubkey(), 1)],
        Some(&f.payer.pubkey()),
        &blockhash,
    );
    assert_eq!(client.get_fee_for_message(&message).unwrap(), 5_000);
    assert_eq!(client.get_minimum_balance_for_rent_exemption(165).unwrap(), 2_039_280);
    assert!(client.get_balance(&f.payer.pubkey()).unwrap() > 0);

    // Accounts in every encoding solana-client asks for.
    let account = client.get_account(&f.account).unwrap();
    assert_eq!(account.owner, token::spl_token::ID);
    for encoding in [
        solana_account_decoder::UiAccountEncoding::Base64,
        solana_account_decoder::UiAccountEncoding::Base64Zstd,
        solana_account_decoder::UiAccountEncoding::JsonParsed,
    ] {
        let config = RpcAccountInfoConfig {
            encoding: Some(encoding),
            ..RpcAccountInfoConfig::default()
        };
        let read = client.get_ui_account_with_config(&f.account, config).unwrap().value.unwrap();
        let read: ballast_sdk::Account = read.decode().expect("decodes");
        assert_eq!(read.data, account.data, "{encoding:?}");
    }
    let several = client.get_multiple_accounts(&[f.account, Keypair::new().pubkey(), f.mint.pubkey()]).unwrap();
    assert!(several[0].is_some() && several[1].is_none() && several[2].is_some());

    // Program accounts, by data size and by the mint at offset 0.
    let config = RpcProgramAccountsConfig {
        filters: Some(vec![
            RpcFilterType::DataSize(165),
            RpcFilterType::Memcmp(Memcmp::new_base58_encoded(0, f.mint.pubkey().as_ref())),
        ]),
        account_config: RpcAccountInfoConfig {
            encoding: Some(solana_account_decoder::UiAccountEncoding::Base64),
            ..RpcAccountInfoConfig::default()
        },
        ..RpcProgramAccountsConfig::default()
    };
    let holders = client.get_program_ui_accounts_with_config(&token::spl_token::ID, config).unwrap();
    assert_eq!(holders.iter().map(|(address, _)| *address).collect::<Vec<_>>(), vec![f.account]);
    let balance = client.get_token_account_balance(&f.account).unwrap();
    assert_eq!((balance.amount.as_str(), balance.decimals, balance.ui_amount), ("1000000000", 6, Some(1000.0)));

    // A transaction: simulated, sent in base58 and base64, its status and record.
    let simulated = client.simulate_transaction(&transfer(&f, 1_000_000)).unwrap().value;
    assert!(simulated.err.is_none() && simulated.logs.unwrap().iter().any(|l| l.contains("success")));
    let base58 = RpcSendTransactionConfig {
        encoding: Some(UiTransactionEncoding::Base58),
        ..RpcSendTransactionConfig::default()
    };
    let sent = client.send_transaction_with_config(&transfer(&f, 2_000_000), base58).unwrap();
    let statuses = client.get_signature_statuses(&[sent]).unwrap().value;
    assert!(statuses[0].as_ref().unwrap().err.is_none());
    let signature = client.send_and_confirm_transaction(&transfer(&f, 3_000_000)).unwrap();
    let record = client.get_transaction(&signature, UiTransactionEncoding::Base64).unwrap();
    let meta = record.transaction.meta.unwrap();
    assert_eq!(meta.fee, 5_000);
    assert_eq!(meta.pre_balances[0] - meta.post_balances[0], 3_000_000 + 5_000);
    let decoded = record.transaction.transaction.decode().unwrap();
    assert_eq!(decoded.signatures[0], signature);

    let airdropped = Keypair::new().pubkey();
    let airdrop = client.request_airdrop(&airdropped, 5_000_000_000).unwrap();
    assert!(client.get_signature_status(&airdrop).unwrap().unwrap().is_ok());
    assert_eq!(client.get_balance(&airdropped).unwrap(), 5_000_000_000);
}

#[test]
fn a_failed_transaction_keeps_its_logs_and_the_programs_error() {
    let mut f = token_fixture(1_000_000_000);
    // A stranger's initialize is refused by the program: with preflight off
    // it lands, fails, and getTransaction reports the error and the logs.
    let stranger = ballast_tests::chain_behaviour::funded_key(&mut f.chain, &f.payer, 100_000_000);
    let initialize = ballast_sdk::instructions::initialize(&stranger.pubkey(), ballast_tests::default_args());
    let blockhash = rpc(&f).get_latest_blockhash().unwrap();
    let transaction = Transaction::new_signed_with_payer(&[initialize], Some(&stranger.pubkey()), &[&stranger], blockhash);
    let skip = RpcSendTransactionConfig {
        skip_preflight: true,
        ..RpcSendTransactionConfig::default()
    };
    let signature = rpc(&f).send_transaction_with_config(&transaction, skip).unwrap();
    let config = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Base64),
        ..RpcTransactionConfig::default()
    };
    let record = rpc(&f).get_transaction_with_config(&signature, config).unwrap();
    let meta = record.transaction.meta.unwrap();
    let code = u32::from(BallastError::NotUpgradeAuthority);
    assert_eq!(
        meta.err.map(Into::into),
        Some(solana_sdk::transaction::TransactionError::InstructionError(
            0,
            solana_sdk::instruction::InstructionError::Custom(code)
        ))
    );
    let logs: Vec<String> = Option::from(meta.log_messages).unwrap();
    assert!(logs.iter().any(|l| l.contains(&format!("custom program error: {code:#x}"))), "{logs:?}");

    // With preflight on, the same refusal comes back at once as -32002
    // with the simulation's logs.
    let again = Transaction::new_signed_with_payer(
        &[ballast_sdk::instructions::initialize(&stranger.pubkey(), ballast_tests::default_args())],
        Some(&stranger.pubkey()),
        &[&stranger],
        rpc(&f).get_latest_blockhash().unwrap(),
    );
    let wire = BASE64_STANDARD.encode(bincode::serialize(&again).unwrap());
    let reply = support::call(&client(), &f.node.url, "sendTransaction", json!([wire, { "encoding": "base64" }]));
    assert_eq!(reply["error"]["code"], -32002, "{reply}");
    assert!(reply["error"]["message"].as_str().unwrap().starts_with("Transaction simulation failed"));
    assert!(reply["error"]["data"]["logs"].to_string().contains(&format!("{code:#x}")), "{reply}");
    assert!(f.chain.client().get_account(&pda::protocol()).is_err(), "nothing was initialised");
}

#[test]
fn bad_input_gets_agaves_errors_and_the_node_keeps_serving() {
    let f = token_fixture(1_000_000_000);
    let (http, url) = (client(), f.node.url.clone());
    let (_, reply) = post_raw(&http, &url, "{\"jsonrpc\": \"2.0\", \"method\": ");
    assert_eq!(reply["error"]["code"], -32700, "malformed JSON: {reply}");
    assert_eq!(error(&http, &url, "getSlots", json!([])).0, -32601, "unknown method");
    let (code, message) = error(&http, &url, "getBalance", json!([12345]));
    assert_eq!(code, -32602);
    assert!(message.contains("parameter 0 (address)"), "{message}");
    let (code, message) = error(&http, &url, "getBalance", json!(["not-a-key"]));
    assert!(code == -32602 && message.contains("not-a-key"), "{message}");
    let (_, reply) = post_raw(&http, &url, json!({ "jsonrpc": "1.0", "id": 3, "method": "getSlot" }).to_string());
    assert_eq!(reply["error"]["code"], -32600, "wrong version: {reply}");

    // An oversized body is refused before it is read whole.
    let big = format!("{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getSlot\",\"params\":[\"{}\"]}}", "x".repeat(60_000));
    let (status, reply) = post_raw(&http, &url, big);
    assert_eq!((status, reply["error"]["code"].as_i64()), (413, Some(-32600)), "{reply}");

    // Transactions that do not decode, carry a bad signature, or use a stale blockhash.
    let (code, message) = error(&http, &url, "sendTransaction", json!(["0OIl"]));
    assert!(code == -32602 && message.contains("invalid base58"), "{message}");
    let (code, message) = error(&http, &url, "sendTransaction", json!([BASE64_STANDARD.encode([1u8, 2, 3]), { "encoding": "base64" }]));
    assert!(code == -32602 && message.contains("failed to deserialize"), "{message}");
    let (code, message) = error(&http, &url, "sendTransaction", json!(["abc", { "encoding": "json" }]));
    assert!(code == -32602 && message.contains("unsupported encoding"), "{message}");
    let mut forged = transfer(&f, 1_000);
    forged.signatures[0] = solana_sdk::signature::Signature::from([7u8; 64]);
    let (code, _) = error(&http, &url, "sendTransaction", json!([bs58::encode(bincode::serialize(&forged).unwrap()).into_string()]));
    assert_eq!(code, -32003, "bad signature");
    let ix = solana_system_interface::instruction::transfer(&f.payer.pubkey(), &Keypair::new().pubkey(), 1_000);
    let stale = Transaction::new_signed_with_payer(&[ix], Some(&f.payer.pubkey()), &[&f.payer], solana_sdk::hash::Hash::new_unique());
    let reply = support::call(&http, &url, "sendTransaction", json!([bs58::encode(bincode::serialize(&stale).unwrap()).into_string()]));
    assert_eq!(reply["error"]["code"], -32002, "stale blockhash: {reply}");
    assert_eq!(reply["error"]["data"]["err"], "BlockhashNotFound", "{reply}");

    // Batches and notifications.
    let batch = json!([
        { "jsonrpc": "2.0", "id": 1, "method": "getHealth" },
        { "jsonrpc": "2.0", "id": 2, "method": "nope" },
        { "jsonrpc": "2.0", "method": "getSlot" },
    ]);
    let (_, replies) = post_raw(&http, &url, batch.to_string());
    let replies = replies.as_array().unwrap();
    assert_eq!(replies.len(), 2, "the notification gets no reply: {replies:?}");
    assert_eq!((replies[0]["result"].clone(), replies[1]["error"]["code"].clone()), (json!("ok"), json!(-32601)));
    let (status, _) = post_raw(&http, &url, json!({ "jsonrpc": "2.0", "method": "getSlot" }).to_string());
    assert_eq!(status, 204);
    assert_eq!(result(&http, &url, "getHealth", Value::Null), json!("ok"), "still serving");
    assert_eq!(error(&http, &url, "getMultipleAccounts", json!([vec![f.mint.pubkey().to_string(); 101]])).0, -32602);
    assert_eq!(
        error(&http, &url, "getSlot", json!([{ "minContextSlot": u64::MAX }])).0,
        -32016,
        "a slot the node has not reached"
    );
    let config = RpcSimulateTransactionConfig {
        sig_verify: true,
        replace_recent_blockhash: true,
        ..RpcSimulateTransactionConfig::default()
    };
    assert!(rpc(&f).simulate_transaction_with_config(&transfer(&f, 1), config).is_err());
}

#[test]
fn the_programs_events_are_in_its_transactions_logs() {
    let mut f = token_fixture(1_000_000_000);
    let deployed = ballast_tests::chain_behaviour::deploy_fresh(&mut f.chain, &f.payer);
    let usdc = deployed.mints[0];
    let treasury = token::associated_account(&mut f.chain, &f.payer, &f.payer.pubkey(), &usdc).unwrap();
    token::mint_to(&mut f.chain, &f.payer, &usdc, &f.payer, &treasury, 1_000).unwrap();
    let contribute = ballast_sdk::instructions::contribute(&f.payer.pubkey(), &usdc, &treasury, 1_000);
    let blockhash = rpc(&f).get_latest_blockhash().unwrap();
    let transaction = Transaction::new_signed_with_payer(&[contribute], Some(&f.payer.pubkey()), &[&f.payer], blockhash);
    let signature = rpc(&f).send_and_confirm_transaction(&transaction).unwrap();
    let record = rpc(&f).get_transaction(&signature, UiTransactionEncoding::Base58).unwrap();
    let logs: Vec<String> = Option::from(record.transaction.meta.unwrap().log_messages).unwrap();
    let events: Vec<&String> = logs.iter().filter(|l| l.starts_with("Program data: ")).collect();
    assert_eq!(events.len(), 1, "one CapitalContributed event: {logs:?}");
    let bytes = BASE64_STANDARD.decode(events[0].trim_start_matches("Program data: ")).unwrap();
    use anchor_lang::Discriminator;
    assert_eq!(&bytes[..8], ballast_sdk::program::events::CapitalContributed::DISCRIMINATOR);
}
