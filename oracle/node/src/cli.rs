//! The `ballast-oracle` command line: the quant commands of the library, the
//! oracle node (`node`: one key, one source, one audit log, one process) and
//! the audit log check (`audit verify`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ballast_migrations::Deployment;
use ballast_sdk::keypair::read_keypair_file;
use ballast_sdk::RpcChain;
use clap::{Args, Parser, Subcommand};

use crate::worker::audit::{self, AuditLog};
use crate::worker::metrics::{self, Metrics};
use crate::worker::pyth::PythAccounts;
use crate::worker::source::{CsvReplay, MarketSource, NodeView, Synthetic, SyntheticSpec};
use crate::worker::{Worker, WorkerConfig, WorkerError};

#[derive(Parser)]
#[command(
    name = "ballast-oracle",
    version,
    about = "Ballast's oracle: the quant commands and the node that submits its own observation every round"
)]
pub struct NodeCli {
    /// Directory for reports and plots of the quant commands.
    #[arg(long, global = true, default_value = "out")]
    pub out: PathBuf,
    /// Print reports as JSON (quant commands); log as JSON lines (node).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: NodeCommand,
}

#[derive(Subcommand)]
pub enum NodeCommand {
    /// Run one oracle node: every round, its own observation from its own
    /// source, signed by its one key, in its own transaction.
    Node(NodeArgs),
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
pub struct NodeArgs {
    /// This node's oracle key (it also pays the node's fees). One key per
    /// process: nothing in the system holds two.
    #[arg(long, env = "BALLAST_ORACLE_KEYPAIR")]
    pub keypair: PathBuf,
    /// JSON-RPC endpoint of the cluster.
    #[arg(long, env = "BALLAST_URL", default_value = "http://127.0.0.1:8899")]
    pub url: String,
    /// The deployment TOML: asset symbols in reserve order.
    #[arg(long, env = "BALLAST_DEPLOYMENT")]
    pub deployment: PathBuf,
    /// Where prices come from: `synthetic[:seed=S,noise=N,bias=B,market=M]`
    /// (the embedded market M seen with this node's own noise N from seed S;
    /// bias B scales every price by 1 + B, for drills), `csv:FILE` (a
    /// date,asset,price file, one window per date), or
    /// `pyth:SYMBOL=ACCOUNT,...[;max_age=SECONDS,max_confidence=FRACTION]`
    /// (PriceUpdateV2 accounts on the same cluster).
    #[arg(long, env = "BALLAST_SOURCE", default_value = "synthetic")]
    pub source: String,
    /// The SQLite audit log; a restart resumes from it.
    #[arg(long, env = "BALLAST_AUDIT")]
    pub audit: PathBuf,
    /// Stop after this many rounds with an outcome [default: until SIGTERM or SIGINT].
    #[arg(long)]
    pub rounds: Option<usize>,
    /// Milliseconds between looks at the chain while waiting for a round.
    #[arg(long, default_value_t = 250)]
    pub poll_ms: u64,
    /// Pipeline settings (TOML); absent, the defaults.
    #[arg(long, env = "BALLAST_PIPELINE")]
    pub config: Option<PathBuf>,
    /// Serve Prometheus metrics on this address, e.g. 127.0.0.1:9464.
    #[arg(long, env = "BALLAST_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
}

/// Runs one parsed command line.
pub fn run(cli: NodeCli) -> Result<()> {
    match cli.command {
        NodeCommand::Node(args) => {
            init_logs(cli.json);
            run_node(args)
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

fn run_node(args: NodeArgs) -> Result<()> {
    let deployment = Deployment::from_file(&args.deployment)?;
    let symbols: Vec<String> = deployment.assets.iter().map(|a| a.symbol.clone()).collect();
    let mut config = WorkerConfig::new(symbols.clone());
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        config.pipeline =
            toml::from_str(&text).with_context(|| format!("{}: invalid pipeline config", path.display()))?;
        config.first_window = config.pipeline.lookback.saturating_sub(1) as u64;
    }
    let source = open_source(&args.source, &deployment)?;
    let oracle = read_keypair_file(&args.keypair).with_context(|| format!("{}: oracle key", args.keypair.display()))?;
    let metrics = Arc::new(Metrics::default());
    if let Some(address) = &args.metrics_addr {
        let bound = metrics::serve(address, metrics.clone()).with_context(|| format!("metrics on {address}"))?;
        tracing::info!(%bound, "serving metrics on /metrics");
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, stop.clone()).context("a signal handler")?;
    }
    let audit = AuditLog::open(&args.audit)?;
    let mut chain = RpcChain::new(&args.url);
    let mut worker = Worker::new(&mut chain, source, audit, oracle, config, metrics)?;
    tracing::info!(oracle = %worker.oracle(), url = %args.url, source = %args.source, "oracle node started");
    let poll = Duration::from_millis(args.poll_ms.max(10));
    let mut outcomes = 0;
    while !stop.load(Ordering::Relaxed) && args.rounds.is_none_or(|limit| outcomes < limit) {
        match worker.step(&mut chain) {
            Ok(outcome) if outcome.is_waiting() => std::thread::sleep(poll),
            Ok(outcome) => {
                tracing::info!(?outcome, "round step finished");
                outcomes += 1;
            }
            // An unreachable chain is not the end: the next look may reach it.
            Err(WorkerError::ChainUnavailable { attempts, last }) => {
                tracing::warn!(attempts, %last, "the chain is unreachable; trying again");
                std::thread::sleep(poll);
            }
            Err(error) => return Err(error.into()),
        }
    }
    tracing::info!(outcomes, "oracle node stopped");
    Ok(())
}

/// The market source a `--source` spec names.
pub fn open_source(spec: &str, deployment: &Deployment) -> Result<Box<dyn MarketSource>> {
    let symbols: Vec<String> = deployment.assets.iter().map(|a| a.symbol.clone()).collect();
    let (kind, options) = spec.split_once(':').unwrap_or((spec, ""));
    match kind {
        "synthetic" => {
            let mut settings = [("seed", 0.0), ("noise", 0.0), ("bias", 0.0), ("market", 7.0)];
            for pair in options.split(',').filter(|p| !p.is_empty()) {
                let (key, value) = pair
                    .split_once('=')
                    .with_context(|| format!("--source {spec}: `{pair}` is not KEY=VALUE"))?;
                let slot = settings
                    .iter_mut()
                    .find(|(k, _)| *k == key)
                    .with_context(|| format!("--source {spec}: unknown setting `{key}` (seed, noise, bias, market)"))?;
                slot.1 = value
                    .parse()
                    .with_context(|| format!("--source {spec}: {key} = `{value}` is not a number"))?;
            }
            let [(_, seed), (_, noise), (_, bias), (_, market)] = settings;
            let specs: Vec<SyntheticSpec> = deployment
                .assets
                .iter()
                .map(|a| SyntheticSpec {
                    symbol: &a.symbol,
                    kind: a.kind(),
                    price: a.price.unwrap_or(1.0),
                })
                .collect();
            let inner = Synthetic::for_reserve(market as u64, SYNTHETIC_DAYS, &specs)?;
            Ok(Box::new(NodeView {
                inner,
                seed: seed as u64,
                noise,
                bias,
            }))
        }
        "csv" => Ok(Box::new(CsvReplay::open(options.as_ref(), &symbols)?)),
        "pyth" => {
            let (feeds, limits) = options.split_once(';').unwrap_or((options, ""));
            let mut accounts = Vec::new();
            for symbol in &symbols {
                let account = feeds
                    .split(',')
                    .find_map(|pair| pair.strip_prefix(&format!("{symbol}=")))
                    .with_context(|| format!("--source {spec}: no account for {symbol}"))?;
                let account = account
                    .parse()
                    .with_context(|| format!("--source {spec}: {symbol}'s account `{account}` is not a public key"))?;
                accounts.push((symbol.clone(), account));
            }
            let mut source = PythAccounts {
                feeds: accounts,
                max_age_seconds: 60,
                max_confidence: 0.02,
            };
            for pair in limits.split(',').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some(("max_age", value)) => source.max_age_seconds = value.parse().with_context(|| format!("--source {spec}: max_age"))?,
                    Some(("max_confidence", value)) => {
                        source.max_confidence = value.parse().with_context(|| format!("--source {spec}: max_confidence"))?
                    }
                    _ => bail!("--source {spec}: unknown limit `{pair}` (max_age, max_confidence)"),
                }
            }
            Ok(Box::new(source))
        }
        other => bail!("--source {spec}: unknown source `{other}` (synthetic, csv:FILE, pyth:SYMBOL=ACCOUNT,...)"),
    }
}

/// Days of synthetic market a node can replay: years of rounds.
const SYNTHETIC_DAYS: usize = 3_650;
