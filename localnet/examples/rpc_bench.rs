//! The local node's speed, measured (a benchmark, not a test):
//!
//! ```sh
//! cargo run -p ballast-localnet --example rpc_bench            # writes bench/localnet.json
//! cargo run -p ballast-localnet --example rpc_bench -- --quick
//! ```
//!
//! It starts a node in this process on a free loopback port, then measures
//! over JSON-RPC, as a client sees it: the time from `sendTransaction`
//! (preflight on, as `solana-client` sends) until `getSignatureStatuses`
//! reports it confirmed, for an SPL Token transfer and for a Ballast `mint`;
//! and the transactions per second that 8 concurrent clients sustain, each
//! sending a transfer and waiting for it before the next.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ballast_localnet::LocalnetArgs;
use ballast_sdk::instructions::{self, HolderAccounts};
use ballast_sdk::{accounts, pda, token, Chain, Keypair, Pubkey, RpcChain, Signer};
use ballast_tests::chain_behaviour::{deploy_fresh, funded_key};
use serde::Serialize;
use solana_client::rpc_client::RpcClient;
use solana_sdk::instruction::Instruction;
use solana_sdk::transaction::Transaction;

const CLIENTS: usize = 8;

#[derive(Serialize)]
struct Latency {
    transactions: usize,
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
}

#[derive(Serialize)]
struct Results {
    build: &'static str,
    slot_ms: u64,
    transfer: Latency,
    mint: Latency,
    clients: usize,
    seconds: f64,
    confirmed: u64,
    transactions_per_second: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn summarise(mut samples: Vec<f64>) -> Latency {
    samples.sort_by(f64::total_cmp);
    Latency {
        transactions: samples.len(),
        p50_ms: percentile(&samples, 0.5),
        p99_ms: percentile(&samples, 0.99),
        mean_ms: samples.iter().sum::<f64>() / samples.len() as f64,
    }
}

/// Sends `instruction` signed by `signers` and waits until it is confirmed;
/// returns the milliseconds that took.
fn send_and_time(client: &RpcClient, instruction: Instruction, payer: &Keypair, signers: &[&Keypair]) -> f64 {
    let blockhash = client.get_latest_blockhash().expect("a blockhash");
    let mut all = vec![payer];
    all.extend(signers.iter().filter(|s| s.pubkey() != payer.pubkey()));
    let transaction = Transaction::new_signed_with_payer(&[instruction], Some(&payer.pubkey()), &all, blockhash);
    let start = Instant::now();
    let signature = client.send_transaction(&transaction).expect("sent");
    let deadline = start + Duration::from_secs(30);
    loop {
        if let Some(result) = client.get_signature_status(&signature).expect("a status") {
            result.expect("the transaction succeeds");
            return start.elapsed().as_secs_f64() * 1e3;
        }
        assert!(Instant::now() < deadline, "not confirmed within 30 s");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn main() -> anyhow::Result<()> {
    ballast_localnet::init_logging();
    let quick = std::env::args().any(|a| a == "--quick");
    let out = std::env::args()
        .skip_while(|a| a != "--out")
        .nth(1)
        .unwrap_or_else(|| "bench/localnet.json".to_string());
    let (latency_samples, seconds) = if quick { (50, 3.0) } else { (400, 20.0) };
    let ledger = tempfile::tempdir()?;
    let args = LocalnetArgs {
        rpc_addr: "127.0.0.1:0".parse()?,
        ledger: ledger.path().to_path_buf(),
        reset: true,
        slot_ms: 400,
        checkpoint_secs: 5,
        deployer: None,
    };
    let node = ballast_localnet::start(&args)?;
    let mut chain = RpcChain::new(&node.url);
    let deployer = node.deployer.insecure_clone();
    eprintln!("node at {}; measuring ({latency_samples} sequential transactions each, then {CLIENTS} clients for {seconds} s)", node.url);

    // Token transfers.
    let mint = Keypair::new();
    token::create_mint(&mut chain, &deployer, &mint, &deployer.pubkey(), 6)?;
    let source = token::associated_account(&mut chain, &deployer, &deployer.pubkey(), &mint.pubkey())?;
    token::mint_to(&mut chain, &deployer, &mint.pubkey(), &deployer, &source, u64::MAX / 2)?;
    let sink = token::associated_account(&mut chain, &deployer, &Keypair::new().pubkey(), &mint.pubkey())?;
    let transfer_samples: Vec<f64> = (0..latency_samples)
        .map(|i| {
            let ix = token::transfer_instruction(&source, &sink, &deployer.pubkey(), 1 + i as u64);
            send_and_time(chain.client(), ix, &deployer, &[])
        })
        .collect();

    // Ballast mints: a deployment, capital, fresh prices every 50 mints.
    let deployed = deploy_fresh(&mut chain, &deployer);
    let usdc = deployed.mints[0];
    let treasury = token::associated_account(&mut chain, &deployer, &deployer.pubkey(), &usdc)?;
    token::mint_to(&mut chain, &deployer, &usdc, &deployer, &treasury, 1_000_000_000_000)?;
    chain.send(&[instructions::contribute(&deployer.pubkey(), &usdc, &treasury, 1_000_000_000_000)], &deployer, &[])?;
    let holder = funded_key(&mut chain, &deployer, 1_000_000_000);
    let holder_usdc = token::associated_account(&mut chain, &deployer, &holder.pubkey(), &usdc)?;
    token::mint_to(&mut chain, &deployer, &usdc, &deployer, &holder_usdc, 1_000_000_000_000)?;
    let holder_stable = token::associated_account(&mut chain, &deployer, &holder.pubkey(), &pda::stable_mint())?;
    let reserve = accounts::protocol(&mut chain)?.assets;
    let accounts = HolderAccounts {
        user: holder.pubkey(),
        asset_mint: usdc,
        source: holder_usdc,
        destination: holder_stable,
    };
    let mut mint_samples = Vec::with_capacity(latency_samples);
    for i in 0..latency_samples {
        if i % 50 == 0 {
            deployed.post_prices(&mut chain, &deployer);
        }
        let ix = instructions::mint(&accounts, 1_000_000 + i as u64, &reserve);
        mint_samples.push(send_and_time(chain.client(), ix, &holder, &[&holder]));
    }

    // Eight clients, each with its own payer and token account.
    let payers: Vec<(Keypair, Pubkey)> = (0..CLIENTS)
        .map(|_| {
            let payer = funded_key(&mut chain, &deployer, 10_000_000_000);
            let account = token::associated_account(&mut chain, &deployer, &payer.pubkey(), &mint.pubkey()).unwrap();
            token::mint_to(&mut chain, &deployer, &mint.pubkey(), &deployer, &account, u64::MAX / 64).unwrap();
            (payer, account)
        })
        .collect();
    let confirmed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let stop_at = start + Duration::from_secs_f64(seconds);
    std::thread::scope(|scope| {
        for (payer, account) in &payers {
            let (url, confirmed) = (node.url.clone(), confirmed.clone());
            scope.spawn(move || {
                let client = RpcClient::new_with_commitment(url, solana_commitment_config::CommitmentConfig::confirmed());
                let mut amount = 1;
                while Instant::now() < stop_at {
                    let ix = token::transfer_instruction(account, &sink, &payer.pubkey(), amount);
                    send_and_time(&client, ix, payer, &[]);
                    confirmed.fetch_add(1, Ordering::Relaxed);
                    amount += 1;
                }
            });
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    let total = confirmed.load(Ordering::Relaxed);
    node.stop()?;

    let results = Results {
        build: if cfg!(debug_assertions) { "dev profile (as cargo run and the tests build it)" } else { "release" },
        slot_ms: args.slot_ms,
        transfer: summarise(transfer_samples),
        mint: summarise(mint_samples),
        clients: CLIENTS,
        seconds: elapsed,
        confirmed: total,
        transactions_per_second: total as f64 / elapsed,
    };
    println!("local node over JSON-RPC, {}:", results.build);
    for (name, latency) in [("SPL Token transfer", &results.transfer), ("Ballast mint", &results.mint)] {
        println!(
            "  {name:<20} sendTransaction to confirmed: p50 {:.2} ms, p99 {:.2} ms ({} transactions)",
            latency.p50_ms, latency.p99_ms, latency.transactions
        );
    }
    println!(
        "  {CLIENTS} clients, closed loop: {total} transfers confirmed in {elapsed:.1} s = {:.0} per second",
        results.transactions_per_second
    );
    if let Some(parent) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(&results)?)?;
    println!("results: {out}");
    Ok(())
}
