//! A bounded fuzz of the RPC surface: 10,000 requests, random and mutated
//! from valid ones, each of which must get a well-formed JSON-RPC answer
//! (or 204 for a notification, 413 past the body limit), while the node's
//! state stays as it was.

use base64::prelude::{Engine, BASE64_STANDARD};
use ballast_sdk::{token, Chain, Signer};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use solana_sdk::transaction::Transaction;

use crate::support::{self, client};

const REQUESTS: usize = 10_000;

const METHODS: [&str; 19] = [
    "getVersion",
    "getHealth",
    "getSlot",
    "getBlockHeight",
    "getEpochInfo",
    "getLatestBlockhash",
    "isBlockhashValid",
    "getFeeForMessage",
    "getMinimumBalanceForRentExemption",
    "getBalance",
    "getAccountInfo",
    "getMultipleAccounts",
    "getProgramAccounts",
    "getTokenAccountBalance",
    "getSignatureStatuses",
    "getTransaction",
    "simulateTransaction",
    "sendTransaction",
    "requestAirdrop",
];

fn random_string(rng: &mut StdRng) -> String {
    let length = rng.random_range(0..60);
    (0..length).map(|_| rng.random_range(0x20u8..0x7f) as char).collect()
}

fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.random_range(0..if depth > 3 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.random::<bool>()),
        2 => json!(rng.random::<i64>()),
        3 => json!(rng.random::<f64>() * 1e20),
        4 => json!(random_string(rng)),
        5 => json!(u64::MAX),
        6 => Value::Array((0..rng.random_range(0..4)).map(|_| random_value(rng, depth + 1)).collect()),
        _ => {
            let keys = ["encoding", "commitment", "filters", "dataSlice", "skipPreflight", "sigVerify", "minContextSlot", "withContext"];
            let mut object = serde_json::Map::new();
            for _ in 0..rng.random_range(0..4) {
                object.insert(keys[rng.random_range(0..keys.len())].to_string(), random_value(rng, depth + 1));
            }
            Value::Object(object)
        }
    }
}

/// One request: a valid one, a valid one with its parameters disturbed,
/// random JSON, or valid text with bytes flipped, cut or repeated.
fn request(rng: &mut StdRng, valid: &[Value]) -> String {
    let template = valid[rng.random_range(0..valid.len())].clone();
    match rng.random_range(0..6) {
        0 => template.to_string(),
        1 => {
            let mut call = template;
            let params = call["params"].as_array_mut().unwrap();
            if params.is_empty() || rng.random() {
                params.push(random_value(rng, 0));
            } else {
                let index = rng.random_range(0..params.len());
                params[index] = random_value(rng, 0);
            }
            call.to_string()
        }
        2 => {
            let method = if rng.random() { METHODS[rng.random_range(0..METHODS.len())].to_string() } else { random_string(rng) };
            json!({ "jsonrpc": "2.0", "id": rng.random::<u32>(), "method": method, "params": random_value(rng, 0) }).to_string()
        }
        3 => {
            let mut bytes = template.to_string().into_bytes();
            for _ in 0..rng.random_range(1..6) {
                let index = rng.random_range(0..bytes.len());
                bytes[index] = rng.random();
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        4 => {
            let text = template.to_string();
            text[..rng.random_range(0..text.len())].to_string()
        }
        _ => {
            let batch: Vec<Value> = (0..rng.random_range(1..5)).map(|_| valid[rng.random_range(0..valid.len())].clone()).collect();
            Value::Array(batch).to_string()
        }
    }
}

/// Whether `reply` is one well-formed JSON-RPC response.
fn well_formed(reply: &Value) -> bool {
    let object = match reply.as_object() {
        Some(object) => object,
        None => return false,
    };
    let answer = object.get("result").is_some() != object.get("error").is_some();
    let error_ok = object.get("error").is_none_or(|e| e["code"].is_i64() && e["message"].is_string());
    object.get("jsonrpc") == Some(&json!("2.0")) && object.contains_key("id") && answer && error_ok
}

#[test]
fn ten_thousand_random_and_mutated_requests_get_well_formed_answers_and_change_nothing() {
    // Fields moved out one by one: the ledger directory stays with `fixture`.
    let fixture = support::token_fixture(1_000);
    let (node, mut chain, payer, mint, account) = (fixture.node, fixture.chain, fixture.payer, fixture.mint, fixture.account);
    // A transaction that has landed already: sent again, in any form, it
    // can only be refused.
    let blockhash = chain.latest_blockhash().unwrap();
    let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), &mint.pubkey(), 1);
    let landed = Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer], blockhash);
    chain.send_transaction(&landed).unwrap();
    let wire = bincode::serialize(&landed).unwrap();
    let (base58, base64) = (bs58::encode(&wire).into_string(), BASE64_STANDARD.encode(&wire));
    let message = BASE64_STANDARD.encode(landed.message_data());

    let (key, token_account, mint_key) = (payer.pubkey().to_string(), account.to_string(), mint.pubkey().to_string());
    let signature = landed.signatures[0].to_string();
    let calls = [
        ("getVersion", json!([])),
        ("getSlot", json!([{ "commitment": "confirmed" }])),
        ("getEpochInfo", json!([])),
        ("getLatestBlockhash", json!([])),
        ("isBlockhashValid", json!([blockhash.to_string()])),
        ("getFeeForMessage", json!([message])),
        ("getMinimumBalanceForRentExemption", json!([165])),
        ("getBalance", json!([key])),
        ("getAccountInfo", json!([token_account, { "encoding": "base64+zstd" }])),
        ("getMultipleAccounts", json!([[token_account, mint_key], { "encoding": "base64" }])),
        ("getProgramAccounts", json!([token::spl_token::ID.to_string(), { "filters": [{ "dataSize": 165 }] }])),
        ("getTokenAccountBalance", json!([token_account])),
        ("getSignatureStatuses", json!([[signature]])),
        ("getTransaction", json!([signature, "base64"])),
        ("simulateTransaction", json!([base64, { "encoding": "base64" }])),
        ("sendTransaction", json!([base58])),
        ("requestAirdrop", json!([key, 0])),
    ];
    let valid: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(id, (method, params))| json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
        .collect();

    let watched = [payer.pubkey(), account, mint.pubkey()];
    let before: Vec<_> = watched.iter().map(|a| chain.account(a).unwrap()).collect();
    let http = client();
    let mut rng = StdRng::seed_from_u64(20_261_204);
    let (mut answered, mut errors) = (0, 0);
    for _ in 0..REQUESTS {
        let body = request(&mut rng, &valid);
        let (status, reply) = support::try_post(&http, &node.url, body.clone())
            .unwrap_or_else(|error| panic!("{error} after {body}\nthe node printed:\n{}", node.process.output()));
        match status {
            204 => assert!(reply.is_null()),
            413 => assert!(well_formed(&reply), "{reply}"),
            200 => {
                let replies = match &reply {
                    Value::Array(replies) => replies.clone(),
                    single => vec![single.clone()],
                };
                for reply in &replies {
                    assert!(well_formed(reply), "request {body}\nreply {reply}");
                    errors += usize::from(reply.get("error").is_some());
                }
                answered += replies.len();
            }
            other => panic!("HTTP {other} for {body}: {reply}"),
        }
    }
    let after: Vec<_> = watched.iter().map(|a| chain.account(a).unwrap()).collect();
    assert_eq!(before, after, "a request changed the state");
    assert!(answered > REQUESTS / 2 && errors > REQUESTS / 4, "{answered} answers, {errors} errors");
    assert_eq!(chain.client().get_health().ok(), Some(()), "the node still serves");
}
