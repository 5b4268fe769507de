//! `ballast demo`: weeks of a reserve's life on an embedded bank, through a
//! crypto crash. Three oracle nodes, each with its own key, view of the
//! market and audit log, run the quant pipeline and submit their own
//! observations; any two finalize a window's round on chain. Simulated holders mint and redeem as Hawkes flows;
//! the keeper trips the breaker, runs the liquidation auctions and resets
//! the breaker; stakers vote a parameter change. It ends with a report and
//! plots of CR, weights, fees and the insurance pool.

mod crisis;
mod holders;
mod loans;
mod market;
mod oracles;
pub mod quiet;
mod stress;
pub mod study;
mod timeline;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use ballast_migrations::{deploy, Deployment, Kind};
use ballast_oracle::rng::stream;
use ballast_oracle_node::worker::source::{Synthetic, SyntheticSpec};
use ballast_oracle_node::worker::pipeline::TreasuryPlan;
use ballast_oracle_node::WorkerConfig;
use ballast_sdk::program::math::I80F48;
use ballast_sdk::program::state::{AssetKind, Ballot, ParamKey, ProposalKind, RebalanceTrigger};
use ballast_sdk::{
    accounts, fixed, instructions, pda, status, token, AssetStatus, BankChain, Chain, Keypair, Pubkey, ReserveStatus,
    RpcChain, Signer,
};
use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use serde::Serialize;

use crate::governance;
use crate::holder;
use crate::keeper::{Keeper, KeeperAction, KeeperConfig, Policy};
use holders::{Flow, FlowModel, Flows};
use market::{Crash, CrashMarket};
pub use crisis::CrisisSummary;
pub use stress::Stress;
use oracles::{OracleNetwork, RoundReport};
use timeline::{Timeline, WindowRecord};

/// Slots between settlement windows, so that the deployment's 9,000-slot
/// limit window (mint, redeem and rebalancing budgets) spans three of them.
pub const SLOTS_PER_WINDOW: u64 = 3_000;
/// The keeper works the first 100 slots after each update, inside WBTC's
/// 150-slot staleness bound, in passes 10 slots apart: a take must not lower
/// CR, so below CR_target the Dutch price is worth taking only in a narrow
/// band that it crosses in a few slots.
const KEEPER_TICKS_PER_WINDOW: u64 = 10;
const SLOTS_PER_KEEPER_TICK: u64 = 10;
/// Days of synthetic history behind the first estimate.
const LOOKBACK: usize = 60;

#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub days: u64,
    pub seed: u64,
    pub out: PathBuf,
    pub json: bool,
    /// The stress of the stress day: the crypto crash, or a redemption
    /// scenario with prices left alone.
    pub stress: Stress,
    /// The day the operator lists a loan token (seed 001's loan book), if any.
    pub list_loan: Option<u64>,
    /// Where to publish the assets' symbols once their mints exist (the
    /// dashboard of `--serve`).
    pub symbols: Option<ballast_dashboard::Symbols>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            days: 42,
            seed: 7,
            out: PathBuf::from("out/demo"),
            json: false,
            stress: Stress::default(),
            list_loan: None,
            symbols: None,
        }
    }
}

/// The whole run, as `report.json` holds it.
#[derive(Serialize)]
pub struct DemoReport {
    pub days: u64,
    pub seed: u64,
    pub crash: Crash,
    pub flows: FlowModel,
    /// Oracle rounds finalized (one a day, the first, and the early ones).
    pub oracle_rounds: usize,
    /// Rounds among them that opened early on a trigger (seed 000's, here).
    pub early_rounds: usize,
    pub keeper_actions: usize,
    pub lowest_collateral_ratio: f64,
    pub final_collateral_ratio: f64,
    /// What the crash did to holders and stakers.
    pub crisis: CrisisSummary,
    pub timeline: Timeline,
    pub plots: Vec<PathBuf>,
}

struct Participant {
    keypair: Keypair,
}

/// The demo on an embedded bank (the default: no node to start).
pub fn run(options: &DemoOptions) -> Result<()> {
    let quiet = quiet::QuietStdout::new().context("cannot silence the bank's program logs")?;
    let chain = BankChain::new()?;
    let operator = chain.payer();
    run_on(chain, &operator, options, Some(quiet))
}

/// The demo on an in-process local node with the dashboard at `address`
/// reading it over JSON-RPC, while the story runs and after, until ctrl-c.
pub fn run_served(mut options: DemoOptions, address: std::net::SocketAddr) -> Result<()> {
    // The node's bank runs in this process: its program logs stay quiet.
    let quiet = quiet::QuietStdout::new().context("cannot silence the bank's program logs")?;
    let localnet = ballast_localnet::start(&ballast_localnet::LocalnetArgs {
        rpc_addr: "127.0.0.1:0".parse().expect("a literal address"),
        ledger: options.out.join("ledger"),
        reset: true,
        slot_ms: 100,
        checkpoint_secs: 60,
        deployer: None,
    })?;
    std::fs::create_dir_all(&options.out).with_context(|| format!("cannot create {}", options.out.display()))?;
    let symbols = ballast_dashboard::Symbols::default();
    options.symbols = Some(symbols.clone());
    let dashboard = ballast_dashboard::start(
        Box::new(RpcChain::new(&localnet.url)),
        ballast_dashboard::DashboardOptions {
            addr: address,
            history: options.out.join("dashboard.sqlite"),
            poll: std::time::Duration::from_millis(500),
            symbols,
            audits: (0..ORACLE_NODES).map(|i| oracles::audit_path(&options.out, i)).collect(),
        },
    )?;
    eprintln!("dashboard: {} (the demo runs on a local node at {})", dashboard.url(), localnet.url);
    run_on(RpcChain::new(&localnet.url), &localnet.deployer.insecure_clone(), &options, Some(quiet))?;
    eprintln!("the dashboard stays up at {}; ctrl-c ends it", dashboard.url());
    let served = dashboard.wait();
    localnet.stop()?;
    served
}

/// The assets of `deployment` that name their mint, by mint.
pub fn symbols_by_mint(deployment: &Deployment) -> std::collections::HashMap<Pubkey, String> {
    deployment
        .assets
        .iter()
        .filter_map(|asset| Some((asset.mint.as_ref()?.parse().ok()?, asset.symbol.clone())))
        .collect()
}

/// The demo on `chain`, whose clock it must be able to warp (the embedded
/// bank, or a `ballast localnet` node over `--url`), with `operator` as the
/// deployer: the program's upgrade authority, funded, and the authority of
/// the asset mints it creates. `quiet` is given back before the report.
pub fn run_on<C: Chain>(
    chain: C,
    operator: &Keypair,
    options: &DemoOptions,
    quiet: Option<quiet::QuietStdout>,
) -> Result<()> {
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create {}", options.out.display()))?;
    let progress = progress_bar(options.days, options.json);
    let (mut report, deployment) = simulate(chain, operator, options, &progress)?;
    progress.finish_and_clear();
    drop(quiet);

    let thresholds = [
        ("CR_crit", deployment.protocol.cr_crit),
        ("CR_min", deployment.protocol.cr_min),
        ("CR_target", deployment.protocol.cr_target),
    ];
    report.plots = report.timeline.write_plots(&options.out, &thresholds)?;
    let path = options.out.join("report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    if options.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_report(&report, &path);
    }
    Ok(())
}

/// Agents that act in the demo's world each window beside its holders,
/// keeper and oracle nodes: the agent simulation's market, for one.
pub trait WindowAgents {
    /// Once the reserve is open, before the first window.
    fn open(&mut self, chain: &mut dyn Chain, world: &World) -> Result<()>;
    /// In window `day`, after the holders' mints and redemptions.
    fn window(&mut self, chain: &mut dyn Chain, world: &World, day: u64) -> Result<()>;
    /// Whether the agents run governance: then the demo's own scripted
    /// vote stays out of their epochs.
    fn govern(&self) -> bool {
        false
    }
}

/// No agents: the demo as it is.
struct NoAgents;

impl WindowAgents for NoAgents {
    fn open(&mut self, _: &mut dyn Chain, _: &World) -> Result<()> {
        Ok(())
    }

    fn window(&mut self, _: &mut dyn Chain, _: &World, _: u64) -> Result<()> {
        Ok(())
    }
}

/// What agents may use of the demo's world.
pub struct World<'a> {
    setup: &'a Setup<'a>,
    /// The day the crash comes.
    pub crash_day: u64,
    /// The first oracle node's audit log, public like every node's: the
    /// inputs and outputs of each of its decisions.
    pub oracle_audit: PathBuf,
}

impl World<'_> {
    pub fn deployment(&self) -> &Deployment {
        self.setup.deployment
    }

    /// A new account with SOL for fees and `tokens` (whole units) of the
    /// deployment's assets, minted by the operator.
    pub fn fund(&self, chain: &mut dyn Chain, tokens: &[(&str, f64)]) -> Result<Keypair> {
        Ok(self.setup.participant(chain, tokens)?.keypair)
    }

    /// Mints `tokens` (whole units) to `owner`'s associated accounts.
    pub fn give(&self, chain: &mut dyn Chain, owner: &Pubkey, tokens: &[(&str, f64)]) -> Result<()> {
        self.setup.give(chain, owner, tokens)
    }
}

/// Runs the demo's days on `chain` and returns its report (without plots)
/// and the deployment it made; oracle audit logs go to `options.out`.
pub fn simulate<C: Chain>(
    chain: C,
    operator: &Keypair,
    options: &DemoOptions,
    progress: &ProgressBar,
) -> Result<(DemoReport, Deployment)> {
    simulate_with(chain, operator, options, progress, &mut NoAgents)
}

/// [`simulate`] with `agents` acting in every window.
pub fn simulate_with<C: Chain>(
    mut chain: C,
    operator: &Keypair,
    options: &DemoOptions,
    progress: &ProgressBar,
    agents: &mut dyn WindowAgents,
) -> Result<(DemoReport, Deployment)> {
    let operator = operator.insecure_clone();
    let (deployment, oracles) = deploy_reserve(&mut chain, &operator)?;
    if let Some(symbols) = &options.symbols {
        *symbols.write().expect("symbols lock") = symbols_by_mint(&deployment);
    }
    let crash = Crash {
        day: LOOKBACK as u64 - 1 + options.days / 2,
        depth: if options.stress == Stress::CryptoCrash { 0.45 } else { 0.0 },
        recovered: 0.5,
        recovery_days: 14,
    };
    let mut network = start_oracle_nodes(&mut chain, &oracles, &deployment, options, crash)?;
    let mut timeline = Timeline {
        symbols: deployment.assets.iter().map(|a| a.symbol.clone()).collect(),
        ..Timeline::default()
    };
    let first = network.round(&mut chain)?;
    timeline.event(
        0,
        format!(
            "{} oracle nodes, each with its own key, market view and audit log, submit round {}: {}",
            network.nodes(),
            first.round,
            round_text(&first)
        ),
    );
    let people = Setup {
        operator: &operator,
        deployment: &deployment,
    };
    let day_zero = chain.slot()?;
    let holders = open_reserve(&mut chain, &people, &mut timeline)?;
    let mut keeper = hire_keeper(&mut chain, &people)?;
    // The market's crash window, as a demo day.
    let world = World {
        setup: &people,
        crash_day: crash.day + 1 - LOOKBACK as u64,
        oracle_audit: oracles::audit_path(&options.out, 0),
    };
    agents.open(&mut chain, &world)?;
    // Day 0 takes its window too, so day d is the market's window d.
    chain.warp_to_slot(day_zero + SLOTS_PER_WINDOW)?;

    let mut flows = Flows::new(FlowModel::default());
    let mut rng = stream(options.seed, u64::MAX);
    let mut vote: Option<u64> = None;
    let mut oracle_rounds = 1;
    let (mut early_rounds, mut early_streak) = (0, 0);
    let mut breaker_lapse_told = false;
    let mut wave_told = false;
    // With a listed loan token: the reserve's assets, and whether the
    // nodes' valuation of the book has been told.
    let mut listed: Option<Vec<ballast_migrations::AssetSpec>> = None;
    let mut loan_book_told = false;
    for day in 1..=options.days {
        let report = network.round(&mut chain)?;
        if report.finalized {
            oracle_rounds += 1;
        } else {
            timeline.event(day, format!("oracle round {} not finalized: {}", report.round, round_text(&report)));
        }
        if let Some(story) = network.treasury().and_then(|plan| treasury_story(plan, &mut wave_told)) {
            timeline.event(day, story);
        }
        if report.window == crash.day {
            let story = match options.stress.flow_scenario() {
                None => format!("crash: crypto prices fall {:.0}%", crash.depth * 100.0),
                Some(scenario) => format!("stress: the holders' flows turn to the treasury study's {}", scenario.label()),
            };
            timeline.event(day, story);
        }
        let (mint, redeem) = options.stress.flows(&FlowModel::default(), day, world.crash_day);
        flows.set_processes(mint, redeem);
        let chain = &mut chain;
        let window_start = chain.slot()?;
        let protocol = accounts::protocol(chain)?;
        let sigma_p = ballast_sdk::to_f64(protocol.raw.risk.sigma_p);
        let paused_for_holders = protocol.raw.paused_at(window_start);
        if protocol.raw.breaker_lapsed_at(window_start) && !breaker_lapse_told {
            timeline.event(
                day,
                "the breaker has paused holders as long as governance allows: they can redeem (at min(r, CR)) and mint again, though sigma_p has not come down",
            );
        }
        breaker_lapse_told = protocol.raw.breaker_lapsed_at(window_start);
        let trades = holders_trade(chain, &people, &holders, &mut flows, &mut rng)?;
        agents.window(chain, &world, day)?;
        if let (Some(assets), Some(listing)) = (&listed, options.list_loan) {
            if day == listing + 1 {
                let lender = people.participant(chain, &[])?;
                timeline.event(day, loans::lend(chain, &operator, &lender.keypair, assets)?);
            }
        }
        if !agents.govern() {
            vote = governance_step(chain, day, options, &holders, &operator, vote, &mut timeline)?;
        }
        let mut actions = keeper_window(chain, &mut keeper, &people, day, &mut timeline)?;
        if let Some(book) = network.loan_book().filter(|_| !loan_book_told) {
            let policy = accounts::protocol(chain)?.raw.params.policy;
            let bound = |x| ballast_sdk::to_f64(x);
            timeline.event(day, loans::valuation_story(book, bound(policy.max_loan_gamma), bound(policy.max_loan_theta)));
            loan_book_told = true;
        }
        match triggered_round(chain, &mut network)? {
            Some((early, trigger)) => {
                if early.finalized {
                    oracle_rounds += 1;
                    early_rounds += 1;
                }
                if early_streak == 0 {
                    timeline.event(day, early_round_story(chain, &people, &early, trigger)?);
                }
                early_streak += 1;
                actions.extend(keeper_window(chain, &mut keeper, &people, day, &mut timeline)?);
            }
            None if early_streak > 0 => {
                timeline.event(
                    day,
                    format!("the trigger no longer holds: no early round today, after {early_streak} days with one"),
                );
                early_streak = 0;
            }
            None => {}
        }
        if options.list_loan == Some(day) {
            listed = Some(list_loan(chain, &mut network, &oracles, &people, options, crash)?);
            timeline.event(day, loans::listing_story());
        }
        let below_par = cash_sold_below_par(chain, &people, &actions)?;
        let mut window = record(chain, day, trades, &actions, sigma_p, paused_for_holders)?;
        window.cash_sold_below_par = below_par;
        timeline.windows.push(window);
        chain.warp_to_slot(window_start + SLOTS_PER_WINDOW)?;
        progress.inc(1);
    }
    let crisis = CrisisSummary::of(&timeline.windows);
    if early_streak > 0 {
        timeline.event(
            options.days,
            format!("the story ends with the trigger still holding: an early round on each of the last {early_streak} days"),
        );
    }
    if let Some(days) = crisis.redeem_paused_at_end_days {
        timeline.event(
            options.days,
            format!("the story ends with redeeming still paused, for {days} days by now"),
        );
    }
    let report = DemoReport {
        days: options.days,
        seed: options.seed,
        crash,
        flows: FlowModel::default(),
        oracle_rounds,
        early_rounds,
        keeper_actions: timeline
            .windows
            .iter()
            .map(|w| w.keeper_actions.len())
            .sum(),
        lowest_collateral_ratio: crisis.lowest_collateral_ratio,
        final_collateral_ratio: crisis.final_collateral_ratio,
        crisis,
        timeline,
        plots: Vec::new(),
    };
    Ok((report, deployment))
}

/// The demo's oracle nodes (the embedded deployment's quorum is two).
const ORACLE_NODES: usize = 3;

/// Creates a mint per asset and deploys the embedded deployment, with a
/// fresh guardian and a fresh 2-of-3 oracle set.
fn deploy_reserve(chain: &mut dyn Chain, operator: &Keypair) -> Result<(Deployment, Vec<Keypair>)> {
    let mut deployment = Deployment::embedded_default();
    deployment.protocol.guardian = Some(Keypair::new().pubkey().to_string());
    let oracles: Vec<Keypair> = (0..ORACLE_NODES).map(|_| Keypair::new()).collect();
    deployment.protocol.oracles = Some(oracles.iter().map(|k| k.pubkey().to_string()).collect());
    // Each node pays for its own observations.
    let funding: Vec<_> = oracles
        .iter()
        .map(|k| solana_system_interface::instruction::transfer(&operator.pubkey(), &k.pubkey(), 10_000_000_000))
        .collect();
    chain.send(&funding, operator, &[])?;
    for spec in deployment.assets.iter_mut() {
        let mint = Keypair::new();
        token::create_mint(chain, operator, &mint, &operator.pubkey(), spec.decimals)
            .with_context(|| format!("creating the {} mint", spec.symbol))?;
        spec.mint = Some(mint.pubkey().to_string());
    }
    deploy(chain, operator, &deployment)?;
    Ok((deployment, oracles))
}

/// The three oracle nodes on the crash market, each with its own audit log
/// in the output directory.
fn start_oracle_nodes(
    chain: &mut dyn Chain,
    oracles: &[Keypair],
    deployment: &Deployment,
    options: &DemoOptions,
    crash: Crash,
) -> Result<OracleNetwork> {
    let market = || crash_market(deployment, options, crash);
    OracleNetwork::start(chain, oracles, market, &node_config(deployment), &options.out)
}

fn node_config(deployment: &Deployment) -> WorkerConfig {
    let mut config = WorkerConfig::new(deployment.assets.iter().map(|a| a.symbol.clone()).collect());
    config.pipeline.lookback = LOOKBACK;
    config.pipeline.monte_carlo_paths = 4_000;
    config.first_window = LOOKBACK as u64 - 1;
    config
}

/// Lists the loan token and restarts the oracle nodes knowing it: its
/// symbol, its term sheet and its market. Returns the reserve's assets
/// with it, as holders name them.
fn list_loan(
    chain: &mut dyn Chain,
    network: &mut OracleNetwork,
    oracles: &[Keypair],
    people: &Setup,
    options: &DemoOptions,
    crash: Crash,
) -> Result<Vec<ballast_migrations::AssetSpec>> {
    let spec = loans::list(chain, people.operator)?;
    let mut config = node_config(people.deployment);
    config.symbols.push(spec.symbol.clone());
    config.pipeline.loans = vec![loans::terms()];
    let days = LOOKBACK + options.days as usize + 1;
    let market = || Ok(crash_market(people.deployment, options, crash)?.with_listed(loans::market(options.seed, days)?));
    network.restart(chain, oracles, market, &config, &options.out)?;
    let mut assets = people.deployment.assets.clone();
    assets.push(spec);
    Ok(assets)
}

/// Capital from the treasury, then the first mints; returns the four holders
/// (alice, bob, carol and dave), funded for weeks of trading.
fn open_reserve(
    chain: &mut dyn Chain,
    people: &Setup,
    timeline: &mut Timeline,
) -> Result<Vec<Participant>> {
    let treasury = people.participant(chain, &[("USDC", 80_000.0)])?;
    let source = people.account(chain, &treasury, "USDC")?;
    let contribute = instructions::contribute(
        &treasury.keypair.pubkey(),
        &people.mint("USDC"),
        &source,
        80_000_000_000,
    );
    chain.send(&[contribute], &treasury.keypair, &[])?;
    timeline.event(0, "the treasury contributes 80,000 USDC of capital");
    let holders: Vec<Participant> = (0..4)
        .map(|_| {
            people.participant(
                chain,
                &[
                    ("USDC", 2_000_000.0),
                    ("TBILL", 1_000_000.0),
                    ("WBTC", 20.0),
                ],
            )
        })
        .collect::<Result<_>>()?;
    for (holder, symbol, worth) in [
        (&holders[0], "USDC", 100_000.0),
        (&holders[0], "TBILL", 80_000.0),
        (&holders[1], "WBTC", 110_000.0),
    ] {
        mint_value(chain, people, holder, symbol, worth)?;
    }
    timeline.event(
        0,
        "alice mints with $100,000 of USDC and $80,000 of TBILL, bob with $110,000 of WBTC",
    );
    Ok(holders)
}

/// The keeper holds stablecoins for auctions and an inventory for
/// rebalancing swaps, enough for every swap u_max allows over the run
/// (about 0.1 S per three days). It defends the peg: it takes auctions
/// early, up to 5% above the collateral's value, which lifts CR the most
/// per stablecoin.
fn hire_keeper(chain: &mut dyn Chain, people: &Setup) -> Result<Keeper> {
    let account = people.participant(
        chain,
        &[("USDC", 700_000.0), ("TBILL", 600_000.0), ("WBTC", 10.0)],
    )?;
    holder::mint(
        chain,
        &account.keypair,
        &people.deployment.assets,
        "USDC",
        "100000",
    )?;
    let policy = Policy {
        min_take_profit: I80F48::from_num(-0.05),
        ..Policy::default()
    };
    Ok(Keeper::new(
        account.keypair,
        KeeperConfig {
            policy,
            interval: Duration::ZERO,
            ..KeeperConfig::default()
        },
    ))
}

/// What the holders did in a window.
#[derive(Clone, Copy, Debug, Default)]
struct Trades {
    mints: usize,
    redemptions: usize,
    refused: usize,
    /// Stablecoins redeemed but not paid back: amount × (1 − min(r, CR)).
    haircut: f64,
}

/// One window of Hawkes flows, each by a random holder; the redemption
/// baseline rises with CR's shortfall from target.
fn holders_trade(
    chain: &mut dyn Chain,
    people: &Setup,
    holders: &[Participant],
    flows: &mut Flows,
    rng: &mut impl Rng,
) -> Result<Trades> {
    let cr_target = people.deployment.protocol.cr_target;
    let shortfall = status::reserve_status(chain)?
        .collateral_ratio
        .map_or(0.0, |cr| (cr_target - cr).max(0.0));
    let mut trades = Trades::default();
    for flow in flows.window(shortfall, rng) {
        let holder_index = rng.random_range(0..holders.len());
        let holder = &holders[holder_index];
        let done = match flow {
            Flow::Mint(stablecoins) => {
                mint_worth(chain, people, holder, stablecoins, rng).map(|_| trades.mints += 1)
            }
            Flow::Redeem(stablecoins) if !can_spend(chain, holder, holder_index, stablecoins)? => continue,
            Flow::Redeem(stablecoins) => {
                let reserve = status::reserve_status(chain)?;
                let rate = reserve.redemption_rate.min(reserve.collateral_ratio.unwrap_or(1.0)).min(1.0);
                redeem(chain, people, holder, stablecoins, rng).map(|_| {
                    trades.redemptions += 1;
                    trades.haircut += stablecoins * (1.0 - rate);
                })
            }
        };
        trades.refused += usize::from(done.is_err());
    }
    Ok(trades)
}

/// What alice and bob stake after the crash (base units); their trading
/// leaves it aside.
const STAKES: [u64; 2] = [20_000_000_000, 10_000_000_000];

/// Whether holder `index` can redeem `stablecoins` and keep her stake.
fn can_spend(chain: &mut dyn Chain, holder: &Participant, index: usize, stablecoins: f64) -> Result<bool> {
    let Some(&kept) = STAKES.get(index) else { return Ok(true) };
    let held = token::associated_balance(chain, &holder.keypair.pubkey(), &pda::stable_mint())?.unwrap_or(0);
    Ok(held as f64 / 1e6 >= stablecoins + kept as f64 / 1e6)
}

/// The keeper's passes over the first slots of a window, with their story.
fn keeper_window(
    chain: &mut dyn Chain,
    keeper: &mut Keeper,
    people: &Setup,
    day: u64,
    timeline: &mut Timeline,
) -> Result<Vec<KeeperAction>> {
    let mut actions = Vec::new();
    for _ in 0..KEEPER_TICKS_PER_WINDOW {
        for action in keeper.tick(chain)? {
            if let Some(what) = story_of(&action) {
                timeline.event(day, what);
            }
            actions.push(action);
        }
        let slot = chain.slot()?;
        chain.warp_to_slot(slot + SLOTS_PER_KEEPER_TICK)?;
    }
    let story = auction_story(&actions, people);
    let auctioned = !story.is_empty();
    for what in story {
        timeline.event(day, what);
    }
    if auctioned {
        // Seed 000's post-liquidation weights w_i' = w_i (V_i − V_liq,i) / (V − V_liq).
        let reserve = status::reserve_status(chain)?;
        let weights = shares_text(people, &reserve, |asset| asset.weight);
        timeline.event(day, format!("weights after liquidation, w': {weights}"));
    }
    Ok(actions)
}

/// "USDC 12%, TBILL 64%, ...": each asset's `share` of the reserve.
fn shares_text(people: &Setup, reserve: &ReserveStatus, share: impl Fn(&AssetStatus) -> f64) -> String {
    let shares: Vec<String> = people
        .deployment
        .assets
        .iter()
        .zip(&reserve.assets)
        .map(|(spec, asset)| format!("{} {:.0}%", spec.symbol, 100.0 * share(asset)))
        .collect();
    shares.join(", ")
}

/// Gives the nodes a second look after the keeper's window: on seed 000's
/// trigger (CR < CR_crit or sigma_p > sigma_threshold) they open the next
/// round early with a new decision on the same day's market, which the
/// keeper then works toward. The report of that round, if one opened.
fn triggered_round(chain: &mut dyn Chain, network: &mut OracleNetwork) -> Result<Option<(RoundReport, RebalanceTrigger)>> {
    let before = accounts::oracle_rounds(chain)?.round;
    let report = network.round(chain)?;
    Ok(report.trigger.filter(|_| report.round > before).map(|trigger| (report, trigger)))
}

fn early_round_story(chain: &mut dyn Chain, people: &Setup, report: &RoundReport, trigger: RebalanceTrigger) -> Result<String> {
    let targets = shares_text(people, &status::reserve_status(chain)?, |asset| asset.target_weight);
    Ok(format!(
        "{}: oracle round {} opens early and re-decides the day on the reserve the keeper left ({}); targets now {}. \
         While the trigger holds, a round opens early every day",
        trigger.describe(),
        report.round,
        round_text(report),
        targets
    ))
}

/// Stablecoins' worth of cash the window's auction takes gave away below
/// par: what the cash was worth at its price beyond what was paid for it.
fn cash_sold_below_par(chain: &mut dyn Chain, people: &Setup, actions: &[KeeperAction]) -> Result<f64> {
    let reserve = status::reserve_status(chain)?;
    let mut given_away = 0.0;
    for action in actions {
        let KeeperAction::TakeAuction { mint, pay, collateral, .. } = action else { continue };
        let Some(spec) = people.deployment.assets.iter().find(|a| people.mint(&a.symbol) == *mint) else { continue };
        if !matches!(spec.kind, Kind::Cash) {
            continue;
        }
        let price = reserve.assets.iter().find(|a| a.mint == mint.to_string()).map_or(1.0, |a| a.price);
        let worth = *collateral as f64 / 10f64.powi(i32::from(spec.decimals)) * price;
        given_away += (worth - *pay as f64 / 1e6).max(0.0);
    }
    Ok(given_away)
}

/// The synthetic market of the deployment's assets with the crash laid over it.
fn crash_market(
    deployment: &Deployment,
    options: &DemoOptions,
    crash: Crash,
) -> Result<CrashMarket> {
    let specs: Vec<SyntheticSpec> = deployment
        .assets
        .iter()
        .map(|a| SyntheticSpec {
            symbol: &a.symbol,
            kind: asset_kind(&a.kind),
            price: a.price.unwrap_or(1.0),
        })
        .collect();
    let days = LOOKBACK + options.days as usize + 1;
    let synthetic = Synthetic::for_reserve(options.seed, days, &specs)?;
    let crypto = deployment
        .assets
        .iter()
        .map(|a| matches!(a.kind, Kind::Crypto))
        .collect();
    Ok(CrashMarket::new(synthetic, crypto, crash))
}

fn asset_kind(kind: &Kind) -> AssetKind {
    match kind {
        Kind::Cash => AssetKind::Cash,
        Kind::Bill => AssetKind::Bill,
        Kind::Loan => AssetKind::Loan,
        Kind::Crypto => AssetKind::Crypto,
    }
}

/// Funds participants from the deployment's mints.
struct Setup<'a> {
    operator: &'a Keypair,
    deployment: &'a Deployment,
}

impl Setup<'_> {
    fn spec(&self, symbol: &str) -> &ballast_migrations::AssetSpec {
        self.deployment
            .assets
            .iter()
            .find(|a| a.symbol == symbol)
            .expect("a deployed symbol")
    }

    fn mint(&self, symbol: &str) -> Pubkey {
        self.spec(symbol)
            .mint
            .as_deref()
            .and_then(|m| m.parse().ok())
            .expect("the demo created the mint")
    }

    fn account(&self, chain: &mut dyn Chain, who: &Participant, symbol: &str) -> Result<Pubkey> {
        Ok(token::associated_account(chain, self.operator, &who.keypair.pubkey(), &self.mint(symbol))?)
    }

    /// Mints `tokens` (whole units) to `owner`'s associated accounts.
    fn give(&self, chain: &mut dyn Chain, owner: &Pubkey, tokens: &[(&str, f64)]) -> Result<()> {
        for &(symbol, whole) in tokens {
            let account = token::associated_account(chain, self.operator, owner, &self.mint(symbol))?;
            let units = (whole * 10f64.powi(self.spec(symbol).decimals as i32)) as u64;
            token::mint_to(chain, self.operator, &self.mint(symbol), self.operator, &account, units)?;
        }
        Ok(())
    }

    /// A new participant with SOL for fees and rent, and `tokens` (whole units).
    fn participant(&self, chain: &mut dyn Chain, tokens: &[(&str, f64)]) -> Result<Participant> {
        let who = Participant {
            keypair: Keypair::new(),
        };
        let sol = solana_system_interface::instruction::transfer(
            &self.operator.pubkey(),
            &who.keypair.pubkey(),
            10_000_000_000,
        );
        chain.send(&[sol], self.operator, &[])?;
        self.give(chain, &who.keypair.pubkey(), tokens)?;
        Ok(who)
    }
}

/// A mint worth `stablecoins`, in an asset drawn with the holders' preferences.
fn mint_worth(
    chain: &mut dyn Chain,
    setup: &Setup,
    holder: &Participant,
    stablecoins: f64,
    rng: &mut impl Rng,
) -> Result<()> {
    let symbol = pick(rng, &[("USDC", 0.35), ("TBILL", 0.25), ("WBTC", 0.40)]);
    mint_value(chain, setup, holder, symbol, stablecoins)
}

/// A mint of `symbol` worth `stablecoins` at the posted price.
fn mint_value(
    chain: &mut dyn Chain,
    setup: &Setup,
    holder: &Participant,
    symbol: &str,
    stablecoins: f64,
) -> Result<()> {
    let price = status::reserve_status(chain)?
        .assets
        .iter()
        .find(|a| a.mint == setup.mint(symbol).to_string())
        .map_or(1.0, |a| a.price);
    let amount = format!("{:.6}", stablecoins / price);
    holder::mint(
        chain,
        &holder.keypair,
        &setup.deployment.assets,
        symbol,
        &amount,
    )?;
    Ok(())
}

fn redeem(
    chain: &mut dyn Chain,
    setup: &Setup,
    holder: &Participant,
    stablecoins: f64,
    rng: &mut impl Rng,
) -> Result<()> {
    let symbol = pick(rng, &[("USDC", 0.6), ("TBILL", 0.3), ("WBTC", 0.1)]);
    holder::redeem(
        chain,
        &holder.keypair,
        &setup.deployment.assets,
        symbol,
        &format!("{stablecoins:.6}"),
    )?;
    Ok(())
}

fn pick<'a>(rng: &mut impl Rng, choices: &[(&'a str, f64)]) -> &'a str {
    let mut draw = rng.random::<f64>() * choices.iter().map(|c| c.1).sum::<f64>();
    for &(choice, weight) in choices {
        if draw < weight {
            return choice;
        }
        draw -= weight;
    }
    choices[choices.len() - 1].0
}

/// Alice and bob stake after the stress and vote a higher CR_min; it is
/// executed once voting and the timelock are over.
fn governance_step(
    chain: &mut dyn Chain,
    day: u64,
    options: &DemoOptions,
    holders: &[Participant],
    operator: &Keypair,
    vote: Option<u64>,
    timeline: &mut Timeline,
) -> Result<Option<u64>> {
    let after = if options.stress.flow_scenario().is_some() { "after the redemption wave" } else { "after the crash" };
    let (alice, bob) = (&holders[0], &holders[1]);
    match vote {
        None if day == options.days / 2 + 3 => {
            for (staker, stake) in [(alice, STAKES[0]), (bob, STAKES[1])] {
                governance::stake(chain, &staker.keypair, stake)?;
            }
            let id =
                governance::propose(chain, &alice.keypair, ProposalKind::Param(ParamKey::CrMin))?;
            governance::vote(chain, &alice.keypair, id, Ballot::Value(fixed(1.12)))?;
            governance::vote(chain, &bob.keypair, id, Ballot::Value(fixed(1.15)))?;
            timeline.event(day, format!("{after}, alice (20,000 staked) proposes CR_min 1.12 and bob (10,000) votes 1.15"));
            Ok(Some(id))
        }
        Some(id) => {
            let proposal = accounts::proposal(chain, id)?;
            let config = accounts::governance(chain)?;
            if proposal.executed || chain.slot()? < proposal.voting_end_slot + config.timelock_slots
            {
                return Ok(vote);
            }
            let before = accounts::protocol(chain)?.cr_min;
            governance::execute(chain, operator, id)?;
            let after = accounts::protocol(chain)?.cr_min;
            timeline.event(day, format!("the vote is executed: CR_min moves from {before:.4} to {after:.4}, the stake-weighted mean"));
            Ok(Some(id))
        }
        None => Ok(None),
    }
}

fn record(
    chain: &mut dyn Chain,
    day: u64,
    trades: Trades,
    actions: &[KeeperAction],
    sigma_p: f64,
    paused_for_holders: u8,
) -> Result<WindowRecord> {
    let reserve = status::reserve_status(chain)?;
    let protocol = accounts::protocol(chain)?;
    let insurance = token::balance(chain, &pda::insurance_vault())? as f64 / 1e6;
    let staked = accounts::governance(chain)?.total_staked as f64 / 1e6;
    Ok(WindowRecord {
        day,
        slot: chain.slot()?,
        collateral_ratio: reserve.collateral_ratio,
        value: reserve.value,
        supply: reserve.supply,
        redemption_rate: reserve.redemption_rate,
        weights: reserve.assets.iter().map(|a| a.weight).collect(),
        target_weights: reserve.assets.iter().map(|a| a.target_weight).collect(),
        fee_mint: protocol.fee_mint,
        fee_redeem: protocol.fee_redeem,
        cr_min: protocol.cr_min,
        insurance,
        sigma_p,
        breaker_paused: protocol.raw.breaker_paused_at(chain.slot()?),
        paused_for_holders,
        staked,
        insurance_paid_out: protocol.raw.insurance.paid_out as f64 / 1e6,
        backstop_burned: protocol.raw.insurance.backstop_burned as f64 / 1e6,
        redemption_haircut: trades.haircut,
        cash_sold_below_par: 0.0,
        mints: trades.mints,
        redemptions: trades.redemptions,
        refused: trades.refused,
        keeper_actions: actions.iter().map(|a| a.name().to_owned()).collect(),
    })
}

/// The keeper actions worth a line in the story, auctions aside.
fn story_of(action: &KeeperAction) -> Option<String> {
    match action {
        KeeperAction::TripBreaker { cause } => Some(format!("the keeper trips the circuit breaker ({cause:?}): minting, redeeming and rebalancing pause")),
        KeeperAction::ResetBreaker => Some("the keeper resets the breaker: volatility is back under sigma_reset".into()),
        KeeperAction::AbsorbShortfall { shortfall } if *shortfall > 0 => Some(format!("the loss waterfall absorbs a {:.2} stablecoin shortfall", *shortfall as f64 / 1e6)),
        _ => None,
    }
}

/// One line per asset auctioned in a window, riskiest first as they are
/// sold: rounds started, takes, and the stablecoins paid and burned.
fn auction_story(actions: &[KeeperAction], setup: &Setup) -> Vec<String> {
    let mut lines = Vec::new();
    let mut specs: Vec<&ballast_migrations::AssetSpec> = setup.deployment.assets.iter().collect();
    specs.sort_by(|a, b| b.risk_score.total_cmp(&a.risk_score));
    for spec in specs {
        let mint = setup.mint(&spec.symbol);
        let started = actions
            .iter()
            .filter(|a| matches!(a, KeeperAction::StartAuction { mint: m, .. } if *m == mint))
            .count();
        let paid: Vec<u64> = actions
            .iter()
            .filter_map(|a| match a {
                KeeperAction::TakeAuction { mint: m, pay, .. } if *m == mint => Some(*pay),
                _ => None,
            })
            .collect();
        if started + paid.len() > 0 {
            lines.push(format!(
                "liquidation auctions of {}: {started} started, {} taken by the keeper for {:.0} stablecoins, burned",
                spec.symbol,
                paid.len(),
                paid.iter().sum::<u64>() as f64 / 1e6
            ));
        }
    }
    lines
}

/// A line when the treasury controller starts or stops expecting a
/// redemption wave: its re-estimated redemption baseline crosses 1.5 times
/// the nominal going up, or 1.2 times coming down.
fn treasury_story(plan: &TreasuryPlan, wave_told: &mut bool) -> Option<String> {
    let pressure = plan.redemption_pressure;
    if !*wave_told && pressure > 1.5 {
        *wave_told = true;
        return Some(format!(
            "the treasury controller reads redemptions clustering in the chain's flows (baseline x{pressure:.1}) and keeps {:.0}% of the liquidity tier in cash (${:.0})",
            100.0 * plan.cash_share,
            plan.cash_target.max(0.0)
        ));
    }
    if *wave_told && pressure < 1.2 {
        *wave_told = false;
        return Some(format!(
            "redemptions are back near their baseline (x{pressure:.1}): the treasury controller puts the buffer back into bills ({:.0}% cash)",
            100.0 * plan.cash_share
        ));
    }
    None
}

fn round_text(report: &RoundReport) -> String {
    let state = if report.finalized { "finalized" } else { "open" };
    let mut text = format!("{state} with {} observations", report.submitted);
    for problem in &report.problems {
        text.push_str("; ");
        text.push_str(problem);
    }
    text
}

fn progress_bar(days: u64, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(days);
    bar.set_style(
        ProgressStyle::with_template("day {pos}/{len} [{bar:40}] {elapsed}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar
}

fn print_report(report: &DemoReport, path: &Path) {
    println!("Ballast demo: {} days, seed {}", report.days, report.seed);
    for event in &report.timeline.events {
        println!("  day {:>2}  {}", event.day, event.what);
    }
    println!(
        "\n{} oracle rounds finalized (any 2 of 3 nodes; {} opened early on the trigger), {} keeper transactions; CR lowest {:.4}, final {:.4}",
        report.oracle_rounds, report.early_rounds, report.keeper_actions, report.lowest_collateral_ratio, report.final_collateral_ratio
    );
    println!("report: {}", path.display());
    for plot in &report.plots {
        println!("plot:   {}", plot.display());
    }
}
