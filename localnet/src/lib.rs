//! `ballast localnet`: the `solana-test-validator` of this project. One
//! process holds a real Agave bank, with the Ballast program as a native
//! builtin beside the real SPL Token and Associated Token Account programs,
//! advances its slot in real time, serves the Solana JSON-RPC API over HTTP
//! and checkpoints its accounts to a ledger directory it resumes from.
//!
//! The bank lives on one thread (`node`), which every request reaches
//! through a queue of jobs; the HTTP server (`rpc`) is axum on tokio.

pub mod history;
pub mod ledger;
pub mod node;
pub mod rpc;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use ballast_sdk::keypair::read_keypair_file;
use ballast_sdk::Signer;

use crate::ledger::Ledger;
use crate::node::{Node, Timing};

#[derive(clap::Args, Debug, Clone)]
pub struct LocalnetArgs {
    /// Where to serve JSON-RPC; port 0 takes a free port (the address is printed).
    #[arg(long, default_value = "127.0.0.1:8899")]
    pub rpc_addr: SocketAddr,
    /// The ledger directory: the node's keys and its checkpoint.
    #[arg(long, default_value = "ballast-ledger")]
    pub ledger: PathBuf,
    /// Start from a fresh bank, discarding the ledger's checkpoint.
    #[arg(long)]
    pub reset: bool,
    /// Milliseconds per slot.
    #[arg(long, default_value_t = 400)]
    pub slot_ms: u64,
    /// Seconds between checkpoints (one is also written on SIGTERM and SIGINT).
    #[arg(long, default_value_t = 5)]
    pub checkpoint_secs: u64,
    /// The deployer's keypair file: funded at genesis and the program's
    /// upgrade authority, so the only key that may `initialize`. Default:
    /// LEDGER/deployer.json, made on first start.
    #[arg(long)]
    pub deployer: Option<PathBuf>,
}

/// A node serving on `url`, until [`Running::stop`] or [`Running::wait`].
pub struct Running {
    pub url: String,
    pub deployer: ballast_sdk::Keypair,
    runtime: tokio::runtime::Runtime,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    stop_serving: tokio::sync::oneshot::Sender<()>,
    bank_stopped: Option<tokio::sync::oneshot::Receiver<()>>,
    handle: node::NodeHandle,
    bank_thread: std::thread::JoinHandle<Result<()>>,
}

/// Opens the ledger, starts the bank and begins serving JSON-RPC.
pub fn start(args: &LocalnetArgs) -> Result<Running> {
    let ledger = Ledger::open(&args.ledger, args.reset)?;
    let deployer = match &args.deployer {
        Some(path) => read_keypair_file(path).with_context(|| format!("--deployer {} is not a keypair file", path.display()))?,
        None => ledger.keypair("deployer.json")?,
    };
    let node = Node::open(ledger, &deployer.pubkey())?;
    let timing = Timing {
        slot_duration: Duration::from_millis(args.slot_ms.max(1)),
        checkpoint_interval: Duration::from_secs(args.checkpoint_secs.max(1)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.rpc_addr))
        .with_context(|| format!("could not listen on {}", args.rpc_addr))?;
    let address = listener.local_addr()?;
    let (handle, bank_thread, bank_stopped) = node::spawn(node, timing);
    let (stop_serving, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = rpc::router(handle.clone());
    let server = runtime.spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Running {
        url: format!("http://{address}"),
        deployer,
        runtime,
        server,
        stop_serving,
        bank_stopped: Some(bank_stopped),
        handle,
        bank_thread,
    })
}

impl Running {
    /// Stops serving, writes a last checkpoint and stops the bank.
    pub fn stop(self) -> Result<()> {
        let _ = self.stop_serving.send(());
        let handle = self.handle.clone();
        self.runtime.block_on(async move {
            let _ = self.server.await;
            handle.stop().await;
        });
        self.bank_thread.join().map_err(|_| anyhow::anyhow!("the bank thread panicked"))?
    }

    /// Serves until SIGTERM or SIGINT (or until the bank fails), then stops.
    pub fn wait(mut self) -> Result<()> {
        let bank_stopped = self.bank_stopped.take().expect("waited once");
        self.runtime.block_on(async move {
            tokio::select! {
                _ = shutdown_signal() => tracing::info!("signal received: checkpointing and stopping"),
                _ = bank_stopped => tracing::error!("the bank stopped"),
            }
        });
        self.stop()
    }

    pub fn slot(&self) -> Result<u64> {
        Ok(self.runtime.block_on(self.handle.call(|node| node.slot()))??)
    }
}

/// Runs the node until SIGTERM or SIGINT (or until its bank fails),
/// printing where it serves first.
pub fn run(args: LocalnetArgs) -> Result<()> {
    let node = start(&args)?;
    let deployer_file = args.deployer.clone().unwrap_or_else(|| args.ledger.join("deployer.json"));
    println!("ballast localnet");
    println!("  rpc       {}", node.url);
    println!("  ledger    {}", args.ledger.display());
    println!("  deployer  {} ({})", node.deployer.pubkey(), deployer_file.display());
    println!("  slot      {}", node.slot()?);
    use std::io::Write;
    std::io::stdout().flush()?;
    node.wait()
}

/// Logs to stderr at `RUST_LOG` (default: info for this node, warnings for
/// the runtime, whose per-instruction lines would drown everything else).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,tarpc=error,ballast_localnet=info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
