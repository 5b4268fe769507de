//! `ballast-sim`: seeded runs of the demo's world with agents in it (a
//! secondary market, stakers who govern, a bank run); writes runs.csv,
//! windows.csv, summary.json and plots, and prints the summary.

use std::path::PathBuf;

use anyhow::Result;
use ballast_app::demo::Stress;
use ballast_sim::agents::bank_run::BankRunConfig;
use ballast_sim::agents::governance::GovernanceConfig;
use ballast_sim::agents::{AgentMix, MakerConfig, MarketConfig};
use ballast_sim::run::{run, Backend, RunOptions, Summary, PEG_TOLERANCE};
use ballast_sim::scenario::Scenario;
use clap::{Parser, ValueEnum};

#[derive(Parser, Debug)]
#[command(group(clap::ArgGroup::new("mix").multiple(true)))]
#[command(name = "ballast-sim", about = "Agents around the demo's reserve (a secondary market, stakers who govern, a bank run), over seeded runs")]
struct Args {
    /// Seeded runs, each on a fresh embedded bank.
    #[arg(long, default_value_t = 5)]
    runs: u64,
    #[arg(long, default_value_t = 1)]
    first_seed: u64,
    /// Simulated days per run; the crash (and the panic) come halfway.
    #[arg(long, default_value_t = 42)]
    days: u64,
    /// The stresses and the agent mix from a file (`sim/scenarios/*.toml`)
    /// instead of the flags below.
    #[arg(long, conflicts_with = "mix")]
    scenario: Option<PathBuf>,
    /// What comes halfway: crypto-crash, single-shock, prolonged-clustering
    /// or false-alarm; several, comma-separated, run each.
    #[arg(long, group = "mix", value_enum, default_value = "crypto-crash", value_delimiter = ',')]
    stress: Vec<Stress>,
    /// Stablecoins (and as many dollars) in the pool.
    #[arg(long, group = "mix", default_value_t = 50_000.0)]
    pool_depth: f64,
    /// The share of the pool's stablecoins dumped on it on the crash day.
    #[arg(long, group = "mix", default_value_t = 0.2)]
    panic_sell: f64,
    /// The arbitrageur's dollars; several, comma-separated, run the same
    /// seeds once for each and write sensitivity.csv.
    #[arg(long, group = "mix", default_value = "200000", value_delimiter = ',')]
    arbitrage_capital: Vec<f64>,
    /// The market maker's spread: `adaptive`, `fixed:SPREAD` (0.006 is
    /// 0.6% wide) or `none`.
    #[arg(long, group = "mix", default_value = "adaptive", value_parser = parse_maker)]
    maker: Maker,
    /// Add an adversary who buys this many dollars of stablecoins at each
    /// window's close to drag the market maker's TWAP up, and sells to it.
    #[arg(long, group = "mix")]
    manipulator_push: Option<f64>,
    /// Stakers who each epoch vote CR_min, lambda0, fee_max and u_max to
    /// maximise their own utility (0: the demo's scripted vote instead).
    #[arg(long, group = "mix", default_value_t = 0)]
    stakers: usize,
    /// Stablecoins staked by all stakers together.
    #[arg(long, group = "mix", default_value_t = 30_000.0)]
    total_stake: f64,
    /// The share of the stake a yield-seeking coalition holds; several,
    /// comma-separated, run the same seeds once for each (with every
    /// arbitrage capital) and write sensitivity.csv.
    #[arg(long, group = "mix", default_value = "0", value_delimiter = ',')]
    yield_seekers: Vec<f64>,
    /// Members of the coalition, sharing its stake.
    #[arg(long, group = "mix", default_value_t = 3)]
    coalition_members: usize,
    /// Stablecoins a buyer stakes just before the first CR_min vote after
    /// the crash, voting with the coalition.
    #[arg(long, group = "mix")]
    stake_buyer: Option<f64>,
    /// Stablecoins held by holders who all redeem from the crash day on.
    #[arg(long, group = "mix")]
    bank_run: Option<f64>,
    /// How many holders share them.
    #[arg(long, group = "mix", default_value_t = 20)]
    run_holders: usize,
    /// Run on this node over JSON-RPC instead of an embedded bank: one
    /// run, on a fresh ledger (`ballast localnet --reset`), which the
    /// agents' clock warps.
    #[arg(long, requires = "keypair")]
    url: Option<String>,
    /// The operator's keypair file on that node, funded (a local node's
    /// LEDGER/deployer.json).
    #[arg(long)]
    keypair: Option<PathBuf>,
    #[arg(long, default_value = "out/sim")]
    out: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Debug)]
struct Maker(Option<MakerConfig>);

fn parse_maker(text: &str) -> Result<Maker, String> {
    match text.split_once(':') {
        None if text == "adaptive" => Ok(Maker(Some(MakerConfig::adaptive()))),
        None if text == "none" => Ok(Maker(None)),
        Some(("fixed", spread)) => match spread.parse::<f64>() {
            Ok(spread) if (0.0..1.0).contains(&spread) => Ok(Maker(Some(MakerConfig::fixed(spread)))),
            _ => Err(format!("`{spread}`: a fixed spread is a fraction in [0, 1), for example fixed:0.006")),
        },
        _ => Err(format!("`{text}`: expected adaptive, fixed:SPREAD or none")),
    }
}

fn main() -> Result<()> {
    // The bank's program logs would bury the output.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let args = Args::parse();
    let points = match &args.scenario {
        Some(path) => {
            let scenario = Scenario::load(path)?;
            let mix = scenario.mix();
            scenario.stress.iter().map(|&stress| (stress, mix.clone())).collect()
        }
        None => mixes_from_flags(&args)?,
    };
    let sweep = points.len() > 1;
    let mut summaries = Vec::new();
    for (stress, mix) in points {
        let options = RunOptions {
            backend: match (&args.url, &args.keypair) {
                (Some(url), Some(keypair)) => Backend::Rpc { url: url.clone(), keypair: keypair.clone() },
                _ => Backend::Bank,
            },
            runs: args.runs,
            first_seed: args.first_seed,
            days: args.days,
            out: if sweep { args.out.join(point_name(stress, &mix)) } else { args.out.clone() },
            stress,
            mix,
            progress: !args.json,
        };
        let (_, summary) = run(&options)?;
        if !args.json {
            print_summary(&summary, &options.out);
        }
        summaries.push(summary);
    }
    if sweep {
        write_sensitivity(&args.out, &summaries, !args.json)?;
    }
    if args.json {
        let json = if sweep { serde_json::to_string(&summaries)? } else { serde_json::to_string(&summaries[0])? };
        println!("{json}");
    }
    Ok(())
}

/// A sweep point's folder: its stress, the arbitrage capital and the
/// yield-seekers' share.
fn point_name(stress: Stress, mix: &AgentMix) -> String {
    let stress = stress.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
    format!("{stress}-capital-{:.0}-yield-{:.0}", mix.market.arbitrage_capital, mix.yield_seeker_share() * 100.0)
}

/// Every (stress, mix) the flags ask for: each stress with each capital
/// and each yield-seeking share.
fn mixes_from_flags(args: &Args) -> Result<Vec<(Stress, AgentMix)>> {
    let governs = args.stakers > 0;
    anyhow::ensure!(
        governs || (args.yield_seekers.iter().all(|&s| s == 0.0) && args.stake_buyer.is_none()),
        "--yield-seekers and --stake-buyer need stakers to govern beside them: add --stakers N"
    );
    let points: Vec<(Stress, f64, f64)> = args
        .stress
        .iter()
        .flat_map(|&stress| args.arbitrage_capital.iter().map(move |&capital| (stress, capital)))
        .flat_map(|(stress, capital)| args.yield_seekers.iter().map(move |&share| (stress, capital, share)))
        .collect();
    let mut mixes = Vec::new();
    for &(stress, capital, share) in &points {
        anyhow::ensure!(capital >= 0.0, "--arbitrage-capital {capital}: an amount of dollars cannot be negative");
        anyhow::ensure!((0.0..1.0).contains(&share), "--yield-seekers {share}: a share of the stake is in [0, 1)");
        let governance = governs.then(|| GovernanceConfig {
            maximisers: args.stakers,
            total_stake: args.total_stake,
            yield_seekers: if share > 0.0 { args.coalition_members } else { 0 },
            yield_seeker_share: share,
            stake_buyer: args.stake_buyer,
        });
        let mix = AgentMix {
            market: MarketConfig {
                pool_depth: args.pool_depth,
                panic_sell: args.panic_sell,
                arbitrage_capital: capital,
                maker: args.maker.0,
                manipulator_push: args.manipulator_push,
                ..MarketConfig::default()
            },
            governance,
            bank_run: args.bank_run.map(|stablecoins| BankRunConfig { holders: args.run_holders, stablecoins }),
        };
        mixes.push((stress, mix));
    }
    Ok(mixes)
}

/// How the outcomes move with the stress, the arbitrageur's capital and
/// the yield-seekers' share of the stake: one row per point.
fn write_sensitivity(out: &std::path::Path, summaries: &[Summary], print: bool) -> Result<()> {
    let mut csv = String::from("stress,arbitrage_capital,yield_seeker_share,deviation_p50,deviation_p99,deviation_max,restore_windows_worst,runs_never_restored,refused_mean,lowest_cr_median,days_below_cr_min_mean,holders_loss_mean,final_cr_min_median,final_fee_max_median\n");
    let median = |spread: &Option<ballast_app::demo::study::Spread>| {
        spread.as_ref().map(|s| format!("{:.4}", s.median)).unwrap_or_default()
    };
    for s in summaries {
        csv.push_str(&format!(
            "{},{:.0},{:.2},{:.6},{:.6},{:.6},{},{},{:.2},{:.4},{:.2},{:.2},{},{}\n",
            s.stress.label(),
            s.mix.market.arbitrage_capital,
            s.mix.yield_seeker_share(),
            s.peg_deviation.p50,
            s.peg_deviation.p99,
            s.peg_deviation.max,
            s.windows_to_restore.as_ref().map(|w| format!("{:.0}", w.worst)).unwrap_or_default(),
            s.runs_never_restored,
            s.arbitrage_refused.mean,
            s.lowest_collateral_ratio.median,
            s.days_below_cr_min.mean,
            s.holders_loss.mean,
            median(&s.final_cr_min),
            median(&s.final_fee_max),
        ));
    }
    let path = out.join("sensitivity.csv");
    std::fs::write(&path, &csv).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    if print {
        println!("\nsensitivity ({}):\n{}", path.display(), csv.replace(',', "\t"));
    }
    Ok(())
}

fn print_summary(summary: &Summary, out: &std::path::Path) {
    println!(
        "ballast-sim: {} runs of {} days (seeds {}..), {} halfway, pool of {:.0}, panic {:.0}% of it that day",
        summary.runs,
        summary.days,
        summary.first_seed,
        summary.stress.label(),
        summary.mix.market.pool_depth,
        100.0 * summary.mix.market.panic_sell
    );
    println!("{:<44} {:>10} {:>10} {:>10} {:>10}", "", "mean", "median", "p90", "worst");
    let row = |name: &str, s: &ballast_app::demo::study::Spread| {
        println!("{name:<44} {:>10.4} {:>10.4} {:>10.4} {:>10.4}", s.mean, s.median, s.p90, s.worst);
    };
    let peg = &summary.peg_deviation;
    println!(
        "|price - 1| after arbitrage, every window: p50 {:.4}, p99 {:.4}, max {:.4}",
        peg.p50, peg.p99, peg.max
    );
    row("largest |price - 1| after arbitrage", &summary.peg_deviation_max);
    row("largest |price - 1| before arbitrage", &summary.shock_deviation_max);
    if let Some(windows) = &summary.windows_to_restore {
        row(&format!("windows to within {PEG_TOLERANCE} of par"), windows);
    }
    println!("runs whose pool never came back: {} of {}", summary.runs_never_restored, summary.runs);
    row("windows with arbitrage refused", &summary.arbitrage_refused);
    row("arbitrageur's profit ($)", &summary.arbitrage_profit);
    row("lowest CR", &summary.lowest_collateral_ratio);
    row("days ending with CR under CR_min", &summary.days_below_cr_min);
    row("breaker trips", &summary.breaker_trips);
    row("auctions", &summary.auctions);
    row("insurance paid into the reserve", &summary.insurance_paid);
    row("bail-in borne by stakers", &summary.backstop_loss);
    row("loss borne by holders", &summary.holders_loss);
    for (name, spread) in [
        ("CR_min at the end", &summary.final_cr_min),
        ("lambda0 at the end", &summary.final_lambda0),
        ("fee_max at the end", &summary.final_fee_max),
        ("u_max at the end", &summary.final_u_max),
        ("bank run: dollars per stablecoin", &summary.bank_run_rate),
    ] {
        if let Some(spread) = spread {
            row(name, spread);
        }
    }
    if let (Some(profit), Some(risk)) = (&summary.maker_profit, &summary.maker_inventory_risk) {
        row("market maker's profit ($)", profit);
        row("market maker's inventory risk (stablecoins)", risk);
    }
    if let Some(profit) = &summary.manipulator_profit {
        row("TWAP manipulator's profit ($)", profit);
    }
    println!(
        "{:.0} s in all: {:.0} agent-days a second ({} agents a run)",
        summary.seconds,
        summary.agent_days_per_second,
        summary.agents
    );
    let governed = if summary.mix.governance.is_some() { ", parameters.csv, votes.csv, parameters.svg" } else { "" };
    println!("wrote {}/runs.csv, runs.json, windows.csv, summary.json, peg.svg, collateral.svg{governed}", out.display());
}
