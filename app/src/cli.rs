//! Command-line parsing and dispatch, with solana-style `--url` and `--keypair`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use ballast_migrations::Deployment;
use ballast_sdk::keypair::read_keypair_file;
use ballast_sdk::program::state::{Action, AssetConfig, AssetKind, Ballot, ProposalKind};
use ballast_sdk::program::constants::MAX_ORACLES;
use ballast_sdk::{status, Chain, Keypair, Pubkey, RpcChain};
use clap::{Args, Parser, Subcommand};

use crate::amount::parse_amount;
use crate::governance::{self, param_key, parse_value};
use crate::holder;
use crate::keeper::{Keeper, KeeperConfig, Policy, RetryPolicy};
use crate::report::print_status;

#[derive(Parser)]
#[command(name = "ballast", version, about = "Ballast: a reserve-backed stablecoin on Solana")]
pub struct Cli {
    /// JSON-RPC URL, or localhost, devnet, testnet or mainnet-beta
    /// [default: localhost; the demo runs on an embedded bank unless given].
    #[arg(long, short = 'u', global = true)]
    pub url: Option<String>,
    /// Keypair file in the solana-keygen format [default: ~/.config/solana/id.json].
    #[arg(long, short = 'k', global = true)]
    pub keypair: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Simulated days, one settlement window each; the crash comes halfway.
    #[arg(long, default_value_t = 42)]
    pub days: u64,
    /// Seed of the market and the holders' flows.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Where the report, the plots and the oracle's audit log go.
    #[arg(long, default_value = "out/demo")]
    pub out: PathBuf,
    /// Serve the dashboard at this address while and after the story runs:
    /// the demo then runs on an in-process local node (ledger in OUT/ledger)
    /// that the dashboard reads over JSON-RPC; ctrl-c ends both.
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<std::net::SocketAddr>,
    /// What comes halfway: the crypto crash, or one of the treasury study's
    /// redemption scenarios with prices left alone.
    #[arg(long, value_enum, default_value_t = crate::demo::Stress::CryptoCrash)]
    pub stress: crate::demo::Stress,
    /// List a loan token on this day (seed 001's loan book): the oracle
    /// nodes restart with its term sheet, a lender mints with loans the
    /// next day, and the story tells the book's valuation.
    #[arg(long, value_name = "DAY")]
    pub list_loan: Option<u64>,
}

#[derive(Args)]
pub struct CrashStudyArgs {
    /// Seeded runs of the demo's crash, each on a fresh embedded bank.
    #[arg(long, default_value_t = 50)]
    pub runs: u64,
    /// The first run's seed; the others follow.
    #[arg(long, default_value_t = 1)]
    pub first_seed: u64,
    /// Simulated days per run; the crash comes halfway.
    #[arg(long, default_value_t = 42)]
    pub days: u64,
    /// Where runs.csv, summary.json and the plots go.
    #[arg(long, default_value = "out/crash-study")]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct DashboardArgs {
    /// The deployment file whose asset symbols the page shows (assets
    /// without a mint there are shown by address).
    #[arg(long)]
    pub deployment: Option<PathBuf>,
    /// Where the page and the API listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// The dashboard's history file (SQLite), kept across restarts.
    #[arg(long, default_value = "out/dashboard/history.sqlite")]
    pub history: PathBuf,
    /// Milliseconds between reads of the chain.
    #[arg(long, default_value_t = 1000)]
    pub poll_ms: u64,
    /// An oracle node's audit log (SQLite) to show its latest decisions;
    /// repeat for each node.
    #[arg(long = "audit", value_name = "FILE")]
    pub audits: Vec<PathBuf>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Weeks of a reserve on an embedded bank through a crypto crash: oracle
    /// nodes, a keeper, Hawkes-driven holders and a governance vote; writes a
    /// report and plots. With --url, on a `ballast localnet` node instead
    /// (--keypair: its deployer, LEDGER/deployer.json).
    Demo(DemoArgs),
    /// The demo's crash over many seeds on embedded banks: days holders were
    /// locked out, the lowest CR, weights against targets at the end, and
    /// holders' and stakers' losses, per run (runs.csv) and summarised.
    CrashStudy(CrashStudyArgs),
    /// A local Solana JSON-RPC node on the real runtime with the program
    /// built in, checkpointed to a ledger directory (`solana-test-validator`
    /// for this project).
    Localnet(ballast_localnet::LocalnetArgs),
    /// The transparency page and its JSON API (/api/v1/...) over the chain
    /// at --url, keeping its own SQLite history; serves until ctrl-c.
    Dashboard(DashboardArgs),
    /// Show the reserve: each asset's amount, value and weight, and V, S and CR.
    Status,
    /// Initialise a deployment from a TOML file (parameters, oracle set and
    /// quorum, governance, assets); what already exists is left alone, so a
    /// second run changes nothing. The keypair becomes the bootstrap authority.
    Deploy {
        /// The deployment file (see migrations/default.toml).
        deployment: PathBuf,
    },
    /// Stake stablecoins into the backstop (voting power).
    Stake {
        /// Whole stablecoins, e.g. 250 or 12.5.
        amount: String,
    },
    /// Withdraw stake once the votes it joined have ended.
    Unstake { amount: String },
    /// Open a proposal (needs the minimum stake).
    Propose {
        #[command(subcommand)]
        proposal: ProposalArgs,
    },
    /// Vote on a proposal with your whole stake, which locks until voting ends.
    Vote(VoteArgs),
    /// Execute a proposal whose timelock has passed (anyone may).
    Execute { id: u64 },
    /// List proposals with their status and tallies.
    Proposals,
    /// Deposit a reserve asset from your associated token account and mint
    /// stablecoins into your associated stablecoin account.
    Mint(HolderArgs),
    /// Burn stablecoins from your associated account for a reserve asset.
    Redeem(HolderArgs),
    /// The keeper bot, which sends the protocol's permissionless cranks.
    Keeper {
        #[command(subcommand)]
        command: KeeperCommand,
    },
}

#[derive(Args)]
pub struct HolderArgs {
    /// The asset: its mint address, or its symbol in the deployment file.
    #[arg(long)]
    pub asset: String,
    /// Mint: whole tokens of the asset to deposit. Redeem: whole stablecoins to burn.
    pub amount: String,
    /// The deployment file whose asset symbols `--asset` may use
    /// [default: the embedded default deployment].
    #[arg(long)]
    pub deployment: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum KeeperCommand {
    /// Watch the chain and send breaker, auction, waterfall, rebalancing and
    /// premium transactions when they are due, paid and signed by --keypair.
    Run(KeeperRunArgs),
}

#[derive(Args)]
pub struct KeeperRunArgs {
    /// One pass, then exit (non-zero if it failed).
    #[arg(long)]
    pub once: bool,
    /// Stop after this many passes [default: run until interrupted].
    #[arg(long, conflicts_with = "once")]
    pub ticks: Option<u64>,
    /// Milliseconds between passes.
    #[arg(long, default_value_t = 2_000)]
    pub interval_ms: u64,
    /// The least gain on an auction take, as a fraction of what it pays;
    /// negative (above -1) to accept a loss that restores CR faster.
    #[arg(long, default_value = "0", allow_negative_numbers = true)]
    pub min_take_profit: String,
    /// The least value, in stablecoins, a rebalancing swap must move.
    #[arg(long, default_value = "1")]
    pub min_swap_value: String,
    /// The least insurance premium, in stablecoins, worth a transaction.
    #[arg(long, default_value = "1")]
    pub min_premium: String,
    /// Consecutive transport failures before a pass gives up.
    #[arg(long, default_value_t = 6)]
    pub max_failures: u32,
}

#[derive(Subcommand)]
pub enum ProposalArgs {
    /// A new value for one parameter; voters submit values and the
    /// stake-weighted mean wins.
    Param {
        /// cr_crit, cr_min, cr_target, fee_min, fee_max, limit_window_slots,
        /// mint_limit_per_window, redeem_limit_per_window, price_ema_slots,
        /// u_max, max_price_jump, guardian_pause_slots, or
        /// (with --asset) weight_cap, risk_weight, max_staleness_slots, max_confidence.
        name: String,
        /// The asset's index, for asset parameters.
        #[arg(long)]
        asset: Option<u8>,
    },
    /// Add a reserve asset.
    AddAsset(AddAssetArgs),
    EnableAsset { index: u8 },
    DisableAsset { index: u8 },
    /// Replace the oracle set and its quorum.
    SetOracles {
        #[arg(long)]
        quorum: u8,
        keys: Vec<String>,
    },
    SetGuardian { guardian: String },
    /// Set the standing pause bits (and end the guardian's pause): name the
    /// operations to pause (mint, redeem, rebalance, liquidate); none
    /// unpauses everything.
    SetPause { operations: Vec<String> },
}

#[derive(Args)]
pub struct AddAssetArgs {
    pub mint: String,
    /// cash, bill, loan or crypto.
    #[arg(long)]
    pub kind: String,
    #[arg(long)]
    pub weight_cap: String,
    #[arg(long)]
    pub target_weight: String,
    #[arg(long, default_value = "1")]
    pub risk_weight: String,
    #[arg(long, default_value = "0")]
    pub risk_score: String,
    #[arg(long, default_value_t = 150)]
    pub max_staleness_slots: u64,
    #[arg(long, default_value = "0.01")]
    pub max_confidence: String,
}

/// Exactly one ballot: a value, or yes, or no.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("ballot").required(true).multiple(false)))]
pub struct VoteArgs {
    pub id: u64,
    /// A value, for a parameter proposal.
    #[arg(long, group = "ballot")]
    pub value: Option<String>,
    /// Approve an action proposal.
    #[arg(long, group = "ballot")]
    pub yes: bool,
    /// Reject an action proposal.
    #[arg(long, group = "ballot")]
    pub no: bool,
}

/// The URL for a solana-style moniker, or the URL itself.
pub fn cluster_url(url: &str) -> String {
    match url {
        "localhost" | "l" => "http://127.0.0.1:8899",
        "devnet" | "d" => "https://api.devnet.solana.com",
        "testnet" | "t" => "https://api.testnet.solana.com",
        "mainnet-beta" | "m" => "https://api.mainnet-beta.solana.com",
        other => other,
    }
    .to_string()
}

fn load_keypair(path: Option<PathBuf>) -> Result<Keypair> {
    let path = match path {
        Some(path) => path,
        None => PathBuf::from(std::env::var("HOME").context("HOME is not set; pass --keypair")?)
            .join(".config/solana/id.json"),
    };
    Ok(read_keypair_file(path)?)
}

fn pubkey(text: &str, what: &str) -> Result<Pubkey> {
    text.parse().with_context(|| format!("{what} `{text}` is not a public key"))
}

pub fn proposal_kind(args: ProposalArgs) -> Result<ProposalKind> {
    let ratio = |text: &str| parse_value(text).map(Into::into);
    Ok(match args {
        ProposalArgs::Param { name, asset } => ProposalKind::Param(param_key(&name, asset)?),
        ProposalArgs::AddAsset(a) => ProposalKind::Action(Action::AddAsset {
            mint: pubkey(&a.mint, "mint")?,
            kind: match a.kind.as_str() {
                "cash" => AssetKind::Cash,
                "bill" => AssetKind::Bill,
                "loan" => AssetKind::Loan,
                "crypto" => AssetKind::Crypto,
                other => anyhow::bail!("--kind `{other}`: use cash, bill, loan or crypto"),
            },
            config: AssetConfig {
                risk_weight: ratio(&a.risk_weight)?,
                risk_score: ratio(&a.risk_score)?,
                target_weight: ratio(&a.target_weight)?,
                weight_cap: ratio(&a.weight_cap)?,
                max_staleness_slots: a.max_staleness_slots,
                max_confidence: ratio(&a.max_confidence)?,
            },
        }),
        ProposalArgs::EnableAsset { index } => ProposalKind::Action(Action::SetAssetEnabled { index, enabled: true }),
        ProposalArgs::DisableAsset { index } => ProposalKind::Action(Action::SetAssetEnabled { index, enabled: false }),
        ProposalArgs::SetOracles { quorum, keys } => {
            if keys.is_empty() || keys.len() > MAX_ORACLES {
                anyhow::bail!("give 1 to {MAX_ORACLES} oracle keys, not {}", keys.len());
            }
            let mut oracles = [Pubkey::default(); MAX_ORACLES];
            for (slot, key) in oracles.iter_mut().zip(&keys) {
                *slot = pubkey(key, "oracle key")?;
            }
            ProposalKind::Action(Action::SetOracles { oracles, count: keys.len() as u8, quorum })
        }
        ProposalArgs::SetGuardian { guardian } => {
            ProposalKind::Action(Action::SetGuardian { guardian: pubkey(&guardian, "guardian")? })
        }
        ProposalArgs::SetPause { operations } => ProposalKind::Action(Action::SetPause {
            paused: governance::pause_mask(&operations)?,
        }),
    })
}

fn ballot(args: &VoteArgs) -> Result<Ballot> {
    Ok(match (&args.value, args.yes, args.no) {
        (Some(value), _, _) => Ballot::Value(parse_value(value)?.into()),
        (None, true, _) => Ballot::Approve(true),
        _ => Ballot::Approve(false),
    })
}

fn print<T: serde::Serialize + std::fmt::Debug>(json: bool, value: &T, text: impl FnOnce(&T) -> String) {
    if json {
        println!("{}", serde_json::to_string(value).expect("serialisable output"));
    } else {
        println!("{}", text(value));
    }
}

fn deployment_assets(path: Option<&PathBuf>) -> Result<Vec<ballast_migrations::AssetSpec>> {
    Ok(match path {
        Some(path) => Deployment::from_file(path)?,
        None => Deployment::embedded_default(),
    }
    .assets)
}

fn write<T: serde::Serialize>(out: &mut dyn Write, json: bool, value: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string(value)?)?;
    } else {
        writeln!(out, "{}", text(value))?;
    }
    Ok(())
}

/// `ballast mint`.
pub fn run_mint(chain: &mut dyn Chain, holder: &Keypair, args: &HolderArgs, json: bool, out: &mut dyn Write) -> Result<()> {
    let assets = deployment_assets(args.deployment.as_ref())?;
    let receipt = holder::mint(chain, holder, &assets, &args.asset, &args.amount)?;
    write(out, json, &receipt, |r| {
        format!("deposited {} {} and minted {} stablecoins (balance {}): {}", r.deposited, r.asset, r.minted, r.stable_balance, r.signature)
    })
}

/// `ballast redeem`.
pub fn run_redeem(chain: &mut dyn Chain, holder: &Keypair, args: &HolderArgs, json: bool, out: &mut dyn Write) -> Result<()> {
    let assets = deployment_assets(args.deployment.as_ref())?;
    let receipt = holder::redeem(chain, holder, &assets, &args.asset, &args.amount)?;
    write(out, json, &receipt, |r| {
        format!("burned {} stablecoins and received {} {} (balance {}): {}", r.burned, r.received, r.asset, r.asset_balance, r.signature)
    })
}

pub fn keeper_config(args: &KeeperRunArgs) -> Result<KeeperConfig> {
    let stable = |text: &str, flag: &str| parse_amount(text, 6).with_context(|| format!("--{flag}"));
    Ok(KeeperConfig {
        policy: Policy {
            min_take_profit: parse_value(&args.min_take_profit).context("--min-take-profit")?,
            min_swap_value: stable(&args.min_swap_value, "min-swap-value")?,
            min_premium: stable(&args.min_premium, "min-premium")?,
        },
        retry: RetryPolicy { max_failures: args.max_failures, ..RetryPolicy::default() },
        interval: Duration::from_millis(args.interval_ms),
        ..KeeperConfig::default()
    })
}

/// `ballast keeper run`: one line per pass (JSON: `{"tick", "actions"}` or
/// `{"tick", "error"}`). With --once a failed pass is the command's error;
/// otherwise it is reported and the next pass starts afresh.
pub fn run_keeper(chain: &mut dyn Chain, keypair: Keypair, args: &KeeperRunArgs, json: bool, out: &mut dyn Write) -> Result<()> {
    let mut keeper = Keeper::new(keypair, keeper_config(args)?);
    let last = if args.once { Some(0) } else { args.ticks.map(|n| n.saturating_sub(1)) };
    let mut outcome = Ok(());
    keeper.run(chain, |report| {
        let printed = match report.result {
            Ok(actions) if json => {
                let actions: Vec<_> = actions.iter().map(|a| a.to_json()).collect();
                writeln!(out, "{}", serde_json::json!({ "tick": report.tick, "actions": actions }))
            }
            Ok(actions) if actions.is_empty() => writeln!(out, "tick {}: nothing due", report.tick),
            Ok(actions) => actions.iter().try_for_each(|a| writeln!(out, "tick {}: {a}", report.tick)),
            Err(error) if json => writeln!(out, "{}", serde_json::json!({ "tick": report.tick, "error": error.to_string() })),
            Err(error) => writeln!(out, "tick {}: error: {error}", report.tick),
        };
        if let Err(error) = printed {
            outcome = Err(error.into());
            return true;
        }
        if let (true, Err(error)) = (args.once, report.result) {
            outcome = Err(anyhow::anyhow!("keeper pass failed: {error}"));
        }
        last == Some(report.tick)
    });
    outcome
}

/// `ballast dashboard`: prints the address it listens on, then serves.
pub fn run_dashboard(chain: Box<dyn ballast_sdk::Chain + Send>, args: &DashboardArgs) -> Result<()> {
    let symbols = match &args.deployment {
        Some(path) => crate::demo::symbols_by_mint(&Deployment::from_file(path)?),
        None => Default::default(),
    };
    if let Some(dir) = args.history.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let options = ballast_dashboard::DashboardOptions {
        addr: args.addr,
        history: args.history.clone(),
        poll: std::time::Duration::from_millis(args.poll_ms.max(100)),
        symbols: std::sync::Arc::new(std::sync::RwLock::new(symbols)),
        audits: args.audits.clone(),
    };
    let running = ballast_dashboard::start(chain, options)?;
    println!("dashboard listening on {}", running.url());
    running.wait()
}

fn describe_deploy(report: &ballast_migrations::DeployReport) -> String {
    if !report.changed_anything() {
        return format!("nothing to do: the protocol, governance and {} assets already exist", report.assets_present.len());
    }
    let created = [(report.initialized, "protocol"), (report.governance_initialized, "governance")]
        .iter()
        .filter(|(done, _)| *done)
        .map(|(_, what)| what.to_string())
        .chain(report.assets_added.iter().map(|symbol| format!("asset {symbol}")))
        .collect::<Vec<_>>();
    format!("created {}; already there: {} assets", created.join(", "), report.assets_present.len())
}

pub fn run(cli: Cli) -> Result<()> {
    let json = cli.json;
    if let Command::Demo(args) = &cli.command {
        let options = crate::demo::DemoOptions {
            days: args.days,
            seed: args.seed,
            out: args.out.clone(),
            json,
            stress: args.stress,
            list_loan: args.list_loan,
            symbols: None,
        };
        if let Some(address) = args.serve {
            return crate::demo::run_served(options, address);
        }
        return match &cli.url {
            None => crate::demo::run(&options),
            Some(url) => {
                let operator = load_keypair(cli.keypair)?;
                crate::demo::run_on(RpcChain::new(&cluster_url(url)), &operator, &options, None)
            }
        };
    }
    if let Command::CrashStudy(args) = &cli.command {
        return crate::demo::study::run(&crate::demo::study::StudyOptions {
            runs: args.runs,
            first_seed: args.first_seed,
            days: args.days,
            out: args.out.clone(),
            json,
        });
    }
    if let Command::Localnet(args) = cli.command {
        ballast_localnet::init_logging();
        return ballast_localnet::run(args);
    }
    if let Command::Dashboard(args) = &cli.command {
        let chain = RpcChain::new(&cluster_url(cli.url.as_deref().unwrap_or("localhost")));
        return run_dashboard(Box::new(chain), args);
    }
    let mut chain = RpcChain::new(&cluster_url(cli.url.as_deref().unwrap_or("localhost")));
    let chain = &mut chain;
    match cli.command {
        Command::Demo(_) | Command::CrashStudy(_) | Command::Localnet(_) | Command::Dashboard(_) => unreachable!("handled above"),
        Command::Status => {
            let reserve = status::reserve_status(chain)?;
            print_status("status", &reserve, &Default::default(), json);
        }
        Command::Proposals => {
            let proposals = governance::list(chain)?;
            if json {
                println!("{}", serde_json::to_string(&proposals)?);
            } else {
                governance::print_proposals(&proposals);
            }
        }
        command => {
            let signer = load_keypair(cli.keypair)?;
            match command {
                Command::Stake { amount } => {
                    let receipt = governance::stake(chain, &signer, parse_amount(&amount, 6)?)?;
                    print(json, &receipt, |r| format!("staked {}; position {}, total {}", r.staked, r.position, r.total_staked));
                }
                Command::Unstake { amount } => {
                    let receipt = governance::unstake(chain, &signer, parse_amount(&amount, 6)?)?;
                    print(json, &receipt, |r| format!("unstaked {}; position {}, total {}", &r.staked[1..], r.position, r.total_staked));
                }
                Command::Propose { proposal } => {
                    let kind = proposal_kind(proposal)?;
                    let id = governance::propose(chain, &signer, kind)?;
                    print(json, &serde_json::json!({ "id": id }), |_| format!("opened proposal #{id}: {}", ballast_sdk::names::describe_proposal(&kind)));
                }
                Command::Vote(args) => {
                    let signature = governance::vote(chain, &signer, args.id, ballot(&args)?)?;
                    print(json, &serde_json::json!({ "signature": signature }), |_| format!("voted on #{}: {signature}", args.id));
                }
                Command::Execute { id } => {
                    let signature = governance::execute(chain, &signer, id)?;
                    print(json, &serde_json::json!({ "signature": signature }), |_| format!("executed #{id}: {signature}"));
                }
                Command::Deploy { deployment } => {
                    let deployment = ballast_migrations::Deployment::from_file(&deployment)?;
                    let report = ballast_migrations::deploy(chain, &signer, &deployment)?;
                    print(json, &report, describe_deploy);
                }
                Command::Mint(args) => run_mint(chain, &signer, &args, json, &mut std::io::stdout())?,
                Command::Redeem(args) => run_redeem(chain, &signer, &args, json, &mut std::io::stdout())?,
                Command::Keeper { command: KeeperCommand::Run(args) } => {
                    run_keeper(chain, signer, &args, json, &mut std::io::stdout())?
                }
                Command::Demo(_) | Command::CrashStudy(_) | Command::Localnet(_) | Command::Dashboard(_) | Command::Status | Command::Proposals => {
                    unreachable!("handled above")
                }
            }
        }
    }
    Ok(())
}
