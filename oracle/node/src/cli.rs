//! The `ballast-oracle` command line: the quant commands of the library, the
//! oracle worker (`run`) and the audit log check (`audit verify`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ballast_migrations::Deployment;
use ballast_sdk::keypair::read_keypair_file;
use ballast_sdk::RpcChain;
use clap::{Args, Parser, Subcommand};

use crate::worker::audit::{self, AuditLog};
use crate::worker::cosign::OracleNode;
use crate::worker::metrics::{self, Metrics};
use crate::worker::source::{CsvReplay, MarketSource, Synthetic, SyntheticSpec};
use crate::worker::{Worker, WorkerConfig};

#[derive(Parser)]
#[command(
    name = "ballast-oracle",
    version,
    about = "Ballast's oracle: the quant commands and the worker that signs and submits updates"
)]
pub struct NodeCli {
    /// Directory for reports and plots of the quant commands.
    #[arg(long, global = true, default_value = "out")]
    pub out: PathBuf,
    /// Print reports as JSON (quant commands); log as JSON lines (run).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: NodeCommand,
}

#[derive(Subcommand)]
pub enum NodeCommand {
    /// Run the oracle worker: one co-signed update per settlement window.
    Run(RunArgs),
    /// Inspect the worker's audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    #[command(flatten)]
    Quant(ballast_oracle::cli::Command),
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Replays every recorded decision and checks its input hash and outputs.
    Verify {
        #[arg(long)]
        db: PathBuf,
    },
}

#[derive(Args)]
pub struct RunArgs {
    /// JSON-RPC endpoint of the cluster.
    #[arg(long, default_value = "http://127.0.0.1:8899")]
    pub url: String,
    /// The deployment TOML: asset symbols in reserve order.
    #[arg(long)]
    pub deployment: PathBuf,
    /// An oracle key file; repeat for each node this process signs for (at least the quorum).
    #[arg(long = "oracle-keypair", required = true)]
    pub oracle_keypairs: Vec<PathBuf>,
    /// The relayer that pays the fees; defaults to the first oracle key.
    #[arg(long)]
    pub payer: Option<PathBuf>,
    /// `synthetic`, or a long-format price CSV (date,asset,price) to replay.
    #[arg(long, default_value = "synthetic")]
    pub source: String,
    /// Seed of the synthetic market.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The SQLite audit log; a restart resumes from it.
    #[arg(long)]
    pub audit: PathBuf,
    /// Windows to run.
    #[arg(long)]
    pub windows: u64,
    /// Seconds between windows.
    #[arg(long, default_value_t = 0)]
    pub interval: u64,
    /// Pipeline settings (TOML); absent, the defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Serve Prometheus metrics on this address, e.g. 127.0.0.1:9464.
    #[arg(long)]
    pub metrics_addr: Option<String>,
}

/// Runs one parsed command line.
pub fn run(cli: NodeCli) -> Result<()> {
    match cli.command {
        NodeCommand::Run(args) => {
            init_logs(cli.json);
            run_worker(args)
        }
        NodeCommand::Audit {
            command: AuditCommand::Verify { db },
        } => {
            if !db.is_file() {
                bail!("{}: no such audit log", db.display());
            }
            let log = AuditLog::open(&db)?;
            let checked = audit::verify(&log)?;
            println!(
                "{}: {checked} decisions replayed, every input hash and output matches",
                db.display()
            );
            Ok(())
        }
        NodeCommand::Quant(command) => ballast_oracle::cli::run(ballast_oracle::cli::Cli {
            out: cli.out,
            json: cli.json,
            command,
        }),
    }
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn run_worker(args: RunArgs) -> Result<()> {
    let deployment = Deployment::from_file(&args.deployment)?;
    let symbols: Vec<String> = deployment.assets.iter().map(|a| a.symbol.clone()).collect();
    let mut config = WorkerConfig::new(symbols.clone());
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        config.pipeline =
            toml::from_str(&text).with_context(|| format!("{}: invalid pipeline config", path.display()))?;
        config.first_window = config.pipeline.lookback.saturating_sub(1) as u64;
    }
    let source: Box<dyn MarketSource> = if args.source == "synthetic" {
        let specs: Vec<SyntheticSpec> = deployment
            .assets
            .iter()
            .map(|a| SyntheticSpec {
                symbol: &a.symbol,
                kind: a.kind(),
                price: a.price.unwrap_or(1.0),
            })
            .collect();
        let days = usize::try_from(config.first_window + args.windows + 1)?;
        Box::new(Synthetic::for_reserve(args.seed, days, &specs)?)
    } else {
        Box::new(CsvReplay::open(args.source.as_ref(), &symbols)?)
    };
    let oracles = args
        .oracle_keypairs
        .iter()
        .map(|path| read_keypair_file(path).with_context(|| format!("{}: oracle key", path.display())))
        .collect::<Result<Vec<_>>>()?;
    let payer = match &args.payer {
        Some(path) => read_keypair_file(path).with_context(|| format!("{}: payer key", path.display()))?,
        None => oracles[0].insecure_clone(),
    };
    let metrics = Arc::new(Metrics::default());
    if let Some(address) = &args.metrics_addr {
        let bound = metrics::serve(address, metrics.clone()).with_context(|| format!("metrics on {address}"))?;
        tracing::info!(%bound, "serving metrics on /metrics");
    }
    let audit = AuditLog::open(&args.audit)?;
    let nodes = oracles.into_iter().map(OracleNode::new).collect();
    let chain = RpcChain::new(&args.url);
    let mut worker = Worker::new(chain, source, audit, nodes, payer, config, metrics)?;
    if worker.resume()?.is_some() {
        tracing::info!("the interrupted window is settled");
    }
    for remaining in (0..args.windows).rev() {
        let outcome = worker.run_window()?;
        tracing::info!(?outcome, "window finished");
        if remaining > 0 && args.interval > 0 {
            std::thread::sleep(Duration::from_secs(args.interval));
        }
    }
    if worker.last_decision().is_none() {
        bail!("no update was confirmed");
    }
    Ok(())
}
