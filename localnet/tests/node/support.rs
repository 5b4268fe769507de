//! Starting a node for a test, and raw JSON-RPC calls to it.

use std::path::Path;

use ballast_sdk::{token, Keypair, Pubkey, RpcChain, Signer};
use ballast_tests::process::LocalnetProcess;
use serde_json::{json, Value};

pub const NODE: &str = env!("CARGO_BIN_EXE_ballast-localnet");

/// A fresh node on a free port with 100 ms slots, its ledger in `ledger`.
pub fn start(ledger: &Path) -> LocalnetProcess {
    start_with(ledger, &[])
}

pub fn start_with(ledger: &Path, extra: &[&str]) -> LocalnetProcess {
    let mut args = vec!["--ledger", ledger.to_str().unwrap(), "--rpc-addr", "127.0.0.1:0", "--slot-ms", "100"];
    args.extend_from_slice(extra);
    LocalnetProcess::start(Path::new(NODE), &args, ledger)
}

/// A fresh node with a token mint (6 decimals) and the deployer's account
/// holding `amount` base units of it.
pub struct TokenFixture {
    pub node: LocalnetProcess,
    pub chain: RpcChain,
    pub payer: Keypair,
    pub mint: Keypair,
    pub account: Pubkey,
    _ledger: tempfile::TempDir,
}

pub fn token_fixture(amount: u64) -> TokenFixture {
    let ledger = tempfile::tempdir().unwrap();
    let node = start(ledger.path());
    let mut chain = RpcChain::new(&node.url);
    let payer = node.deployer();
    let mint = Keypair::new();
    token::create_mint(&mut chain, &payer, &mint, &payer.pubkey(), 6).unwrap();
    let account = token::associated_account(&mut chain, &payer, &payer.pubkey(), &mint.pubkey()).unwrap();
    token::mint_to(&mut chain, &payer, &mint.pubkey(), &payer, &account, amount).unwrap();
    TokenFixture {
        node,
        chain,
        payer,
        mint,
        account,
        _ledger: ledger,
    }
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Posts `body` as it is and returns the HTTP status and the parsed reply.
pub fn post_raw(client: &reqwest::blocking::Client, url: &str, body: impl Into<reqwest::blocking::Body>) -> (u16, Value) {
    try_post(client, url, body).expect("the node answers")
}

/// `post_raw`, or the transport's error.
pub fn try_post(
    client: &reqwest::blocking::Client,
    url: &str,
    body: impl Into<reqwest::blocking::Body>,
) -> Result<(u16, Value), reqwest::Error> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()?;
    let status = response.status().as_u16();
    let text = response.text()?;
    let value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")) };
    Ok((status, value))
}

/// Calls `method` with `params` and returns the whole reply object.
pub fn call(client: &reqwest::blocking::Client, url: &str, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let (status, reply) = post_raw(client, url, body.to_string());
    assert_eq!(status, 200, "{method}: HTTP {status}: {reply}");
    reply
}

/// The `result` of a call that must succeed.
pub fn result(client: &reqwest::blocking::Client, url: &str, method: &str, params: Value) -> Value {
    let reply = call(client, url, method, params);
    assert!(reply.get("error").is_none(), "{method} failed: {reply}");
    reply["result"].clone()
}

/// The `error` of a call that must fail, as (code, message).
pub fn error(client: &reqwest::blocking::Client, url: &str, method: &str, params: Value) -> (i64, String) {
    let reply = call(client, url, method, params);
    let error = &reply["error"];
    assert!(error.is_object(), "{method} should have failed: {reply}");
    (error["code"].as_i64().unwrap(), error["message"].as_str().unwrap().to_string())
}
