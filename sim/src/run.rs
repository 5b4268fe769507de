//! Seeded runs: each is the demo's world on a fresh embedded bank with the
//! mix's agents in it, summarised as the people who live with it would
//! judge it: how far the pool's price strays from one dollar and how long
//! the panic's gap takes to close; how low CR goes and for how long it
//! stays under CR_min; what the breaker, the auctions and the loss waterfall
//! did and who bore the loss; where governance took its parameters; what a
//! bank run got back.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ballast_app::demo::quiet::QuietStdout;
use ballast_app::demo::study::{percentile, spread, Spread};
use ballast_app::demo::{simulate_with, DemoOptions, DemoReport, Stress};
use ballast_sdk::keypair::read_keypair_file;
use ballast_sdk::{BankChain, RpcChain};
use ballast_oracle::plot::{line_chart, Labels, Series};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::agents::bank_run::BankRunBook;
use crate::agents::governance::{ParamPath, ParamVote, StakeBuyerBook};
use crate::agents::manipulator::ManipulatorBook;
use crate::agents::market_maker::MakerBook;
use crate::agents::{AgentMix, MarketWindow, Simulation};

/// Within this of one dollar the pool counts as at the peg.
pub const PEG_TOLERANCE: f64 = 0.01;

/// Where runs happen: each on a fresh embedded bank, or on a node over
/// JSON-RPC (one run: the sim deploys its own reserve there).
#[derive(Clone, Debug, Default)]
pub enum Backend {
    #[default]
    Bank,
    Rpc { url: String, keypair: PathBuf },
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub backend: Backend,
    pub runs: u64,
    pub first_seed: u64,
    pub days: u64,
    pub stress: Stress,
    pub mix: AgentMix,
    pub out: PathBuf,
    pub progress: bool,
}

/// One seeded run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub seed: u64,
    /// The stress day: the crash's, or a redemption scenario's onset.
    pub crash_day: u64,
    /// |price - 1| after each window's arbitrage: median, 99th percentile, largest.
    pub peg_deviation_p50: f64,
    pub peg_deviation_p99: f64,
    pub peg_deviation_max: f64,
    /// The largest before arbitrage (the panic's own gap).
    pub shock_deviation_max: f64,
    /// Windows from the crash day until the pool is back within
    /// `PEG_TOLERANCE` of par after arbitrage (0: it never left); `None`
    /// when it never came back.
    pub windows_to_restore: Option<u64>,
    /// Windows in which the program refused the arbitrage a gap called for.
    pub arbitrage_refused: usize,
    pub minted_and_sold: f64,
    pub bought_and_redeemed: f64,
    /// The arbitrageur's profit at the end, its coins marked at the pool's price.
    pub arbitrage_profit: f64,
    pub lowest_collateral_ratio: f64,
    pub final_collateral_ratio: f64,
    /// Windows that ended with CR under the CR_min then in force.
    pub days_below_cr_min: usize,
    pub breaker_trips: usize,
    pub auctions: usize,
    /// What the insurance pool paid into the reserve, and the loss the
    /// bail-in put on stakers and on holders (the demo's crisis accounting).
    pub insurance_paid: f64,
    pub backstop_loss: f64,
    pub holders_loss: f64,
    pub collateral: Vec<CollateralDay>,
    /// The market maker's fills, profit and inventory risk, if there was one.
    pub maker: Option<MakerBook>,
    /// The TWAP manipulator's sales to the maker and profit, if there was one.
    pub manipulator: Option<ManipulatorBook>,
    pub governance: Option<GovernanceRecord>,
    pub bank_run: Option<BankRunBook>,
    pub windows: Vec<MarketWindow>,
}

/// CR and the CR_min in force at a window's end.
#[derive(Clone, Debug, Serialize)]
pub struct CollateralDay {
    pub day: u64,
    pub collateral_ratio: Option<f64>,
    pub cr_min: f64,
}

/// What the stakers voted and where the parameters went.
#[derive(Clone, Debug, Serialize)]
pub struct GovernanceRecord {
    pub votes: Vec<ParamVote>,
    pub paths: Vec<ParamPath>,
    pub stake_buyer: Option<StakeBuyerBook>,
}

impl RunReport {
    fn new(simulation: &Simulation, seed: u64, demo: &DemoReport) -> Self {
        let market = &simulation.market;
        let (crash_day, windows) = (market.crash_day(), market.windows.clone());
        let days = &demo.timeline.windows;
        let actions = |name: &str| days.iter().flat_map(|w| &w.keeper_actions).filter(|a| *a == name).count();
        let mut deviations: Vec<f64> = windows.iter().map(|w| (w.price - 1.0).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        let at = |p: f64| percentile(&deviations, p);
        let windows_to_restore = windows
            .iter()
            .filter(|w| w.day >= crash_day)
            .find(|w| (w.price - 1.0).abs() <= PEG_TOLERANCE)
            .map(|w| w.day - crash_day);
        Self {
            seed,
            crash_day,
            peg_deviation_p50: at(0.5),
            peg_deviation_p99: at(0.99),
            peg_deviation_max: at(1.0),
            shock_deviation_max: windows.iter().map(|w| (w.price_before_arbitrage - 1.0).abs()).fold(0.0, f64::max),
            windows_to_restore,
            arbitrage_refused: windows.iter().filter(|w| w.arbitrage.refused.is_some()).count(),
            minted_and_sold: windows.iter().map(|w| w.arbitrage.minted_and_sold).sum(),
            bought_and_redeemed: windows.iter().map(|w| w.arbitrage.bought_and_redeemed).sum(),
            arbitrage_profit: windows.last().map_or(0.0, |w| w.arbitrage_profit),
            lowest_collateral_ratio: demo.crisis.lowest_collateral_ratio,
            final_collateral_ratio: demo.crisis.final_collateral_ratio,
            days_below_cr_min: days.iter().filter(|w| w.collateral_ratio.is_some_and(|cr| cr < w.cr_min)).count(),
            breaker_trips: actions("trip_breaker"),
            auctions: actions("start_auction"),
            insurance_paid: days.last().map_or(0.0, |w| w.insurance_paid_out),
            backstop_loss: demo.crisis.backstop_loss,
            holders_loss: demo.crisis.holders_loss,
            collateral: days
                .iter()
                .map(|w| CollateralDay { day: w.day, collateral_ratio: w.collateral_ratio, cr_min: w.cr_min })
                .collect(),
            maker: market.maker_book().cloned(),
            manipulator: market.manipulator_book().cloned(),
            governance: simulation.governance.as_ref().map(|stakers| GovernanceRecord {
                votes: stakers.votes.clone(),
                paths: stakers.paths.clone(),
                stake_buyer: stakers.buyer_book.clone(),
            }),
            bank_run: simulation.bank_run.as_ref().map(|run| run.book.clone()),
            windows,
        }
    }
}

/// The runs summarised: each metric's mean, median, 90th percentile and worst.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub runs: usize,
    pub first_seed: u64,
    pub days: u64,
    pub stress: Stress,
    pub mix: AgentMix,
    /// Agents acting in each window of a run.
    pub agents: usize,
    /// |price - 1| after arbitrage over every window of every run.
    pub peg_deviation: Pooled,
    /// Each run's largest, after arbitrage and before it.
    pub peg_deviation_max: Spread,
    pub shock_deviation_max: Spread,
    /// Over the runs in which the pool came back.
    pub windows_to_restore: Option<Spread>,
    pub runs_never_restored: usize,
    pub arbitrage_refused: Spread,
    pub arbitrage_profit: Spread,
    pub lowest_collateral_ratio: Spread,
    pub days_below_cr_min: Spread,
    pub breaker_trips: Spread,
    pub auctions: Spread,
    pub insurance_paid: Spread,
    pub backstop_loss: Spread,
    pub holders_loss: Spread,
    /// The governed parameters at the end, when stakers governed.
    pub final_cr_min: Option<Spread>,
    pub final_lambda0: Option<Spread>,
    pub final_fee_max: Option<Spread>,
    pub final_u_max: Option<Spread>,
    /// Dollars a bank run got per stablecoin, when there was one.
    pub bank_run_rate: Option<Spread>,
    /// The market maker's profit and the standard deviation of its
    /// stablecoin inventory, per run, if there was one.
    pub maker_profit: Option<Spread>,
    pub maker_inventory_risk: Option<Spread>,
    pub manipulator_profit: Option<Spread>,
    /// Wall-clock time of all runs, and agents × days simulated per second.
    pub seconds: f64,
    pub agent_days_per_second: f64,
}

/// Percentiles over all windows of all runs.
#[derive(Debug, Serialize)]
pub struct Pooled {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}


/// One run of the demo's world with the mix's agents, on a fresh embedded bank.
pub fn run_one(seed: u64, days: u64, stress: Stress, mix: &AgentMix, scratch: &Path) -> Result<RunReport> {
    run_one_on(&Backend::Bank, seed, days, stress, mix, scratch)
}

fn run_one_on(backend: &Backend, seed: u64, days: u64, stress: Stress, mix: &AgentMix, scratch: &Path) -> Result<RunReport> {
    std::fs::create_dir_all(scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    let demo = DemoOptions {
        days,
        seed,
        out: scratch.to_path_buf(),
        json: true,
        stress,
        ..DemoOptions::default()
    };
    let mut simulation = Simulation::new(mix, seed);
    let progress = ProgressBar::hidden();
    let (report, _) = match backend {
        Backend::Bank => {
            let chain = BankChain::new()?;
            let operator = chain.payer();
            simulate_with(chain, &operator, &demo, &progress, &mut simulation)
        }
        Backend::Rpc { url, keypair } => {
            let operator = read_keypair_file(keypair).with_context(|| format!("--keypair {}", keypair.display()))?;
            simulate_with(RpcChain::new(url), &operator, &demo, &progress, &mut simulation)
                .with_context(|| format!("on the node at {url} (it needs a fresh ledger: the sim deploys its own reserve)"))
        }
    }
    .with_context(|| format!("seed {seed}"))?;
    Ok(RunReport::new(&simulation, seed, &report))
}

/// Every run, then `runs.csv`, `windows.csv` and `summary.json` in `out`.
pub fn run(options: &RunOptions) -> Result<(Vec<RunReport>, Summary)> {
    anyhow::ensure!(options.runs > 0, "--runs must be at least 1");
    anyhow::ensure!(
        options.runs == 1 || matches!(options.backend, Backend::Bank),
        "--url runs one run: each deploys its own reserve, and a node holds one"
    );
    std::fs::create_dir_all(&options.out).with_context(|| format!("cannot create {}", options.out.display()))?;
    let scratch = options.out.join("scratch");
    let progress = if options.progress { ProgressBar::new(options.runs) } else { ProgressBar::hidden() };
    progress.set_style(
        ProgressStyle::with_template("run {pos}/{len} [{bar:40}] {elapsed} (eta {eta})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let quiet = QuietStdout::new().context("cannot silence the bank's program logs")?;
    let started = std::time::Instant::now();
    let mut runs = Vec::new();
    for seed in options.first_seed..options.first_seed + options.runs {
        runs.push(run_one_on(&options.backend, seed, options.days, options.stress, &options.mix, &scratch)?);
        progress.inc(1);
    }
    progress.finish_and_clear();
    drop(quiet);
    std::fs::remove_dir_all(&scratch).with_context(|| format!("cannot remove {}", scratch.display()))?;
    let summary = summarise(options, &runs, started.elapsed().as_secs_f64());
    write_outputs(&options.out, &runs, &summary)?;
    plot_peg(&options.out.join("peg.svg"), &runs)?;
    plot_collateral(&options.out.join("collateral.svg"), &runs)?;
    if options.mix.governance.is_some() {
        plot_parameters(&options.out.join("parameters.svg"), &runs)?;
    }
    Ok((runs, summary))
}

fn summarise(options: &RunOptions, runs: &[RunReport], seconds: f64) -> Summary {
    let metric = |f: fn(&RunReport) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
    let restored: Vec<f64> = runs.iter().filter_map(|r| r.windows_to_restore).map(|w| w as f64).collect();
    let mut pooled: Vec<f64> = runs.iter().flat_map(|r| r.windows.iter().map(|w| (w.price - 1.0).abs())).collect();
    pooled.sort_by(f64::total_cmp);
    Summary {
        runs: runs.len(),
        first_seed: options.first_seed,
        days: options.days,
        stress: options.stress,
        mix: options.mix.clone(),
        agents: options.mix.agents(),
        peg_deviation: Pooled {
            p50: percentile(&pooled, 0.5),
            p99: percentile(&pooled, 0.99),
            max: percentile(&pooled, 1.0),
        },
        peg_deviation_max: spread(metric(|r| r.peg_deviation_max), false),
        shock_deviation_max: spread(metric(|r| r.shock_deviation_max), false),
        runs_never_restored: runs.len() - restored.len(),
        windows_to_restore: (!restored.is_empty()).then(|| spread(restored, false)),
        arbitrage_refused: spread(metric(|r| r.arbitrage_refused as f64), false),
        arbitrage_profit: spread(metric(|r| r.arbitrage_profit), true),
        lowest_collateral_ratio: spread(metric(|r| r.lowest_collateral_ratio), true),
        days_below_cr_min: spread(metric(|r| r.days_below_cr_min as f64), false),
        breaker_trips: spread(metric(|r| r.breaker_trips as f64), false),
        auctions: spread(metric(|r| r.auctions as f64), false),
        insurance_paid: spread(metric(|r| r.insurance_paid), false),
        backstop_loss: spread(metric(|r| r.backstop_loss), false),
        holders_loss: spread(metric(|r| r.holders_loss), false),
        final_cr_min: final_parameter(runs, |p| p.cr_min, true),
        final_lambda0: final_parameter(runs, |p| p.lambda0, true),
        final_fee_max: final_parameter(runs, |p| p.fee_max, true),
        final_u_max: final_parameter(runs, |p| p.u_max, false),
        bank_run_rate: {
            let rates: Vec<f64> = runs.iter().filter_map(|r| r.bank_run.as_ref()?.rate()).collect();
            (!rates.is_empty()).then(|| spread(rates, true))
        },
        maker_profit: maker_metric(runs, |book| book.profit, true),
        maker_inventory_risk: maker_metric(runs, |book| book.inventory_risk, false),
        manipulator_profit: {
            let profits: Vec<f64> = runs.iter().filter_map(|r| r.manipulator.as_ref().map(|m| m.profit)).collect();
            (!profits.is_empty()).then(|| spread(profits, true))
        },
        seconds,
        agent_days_per_second: (options.mix.agents() as u64 * options.days * runs.len() as u64) as f64 / seconds,
    }
}

/// A governed parameter's value at the end of each run, when stakers governed.
fn final_parameter(runs: &[RunReport], value: fn(&ParamPath) -> f64, low_is_worse: bool) -> Option<Spread> {
    let values: Vec<f64> = runs.iter().filter_map(|r| r.governance.as_ref()?.paths.last().map(value)).collect();
    (!values.is_empty()).then(|| spread(values, low_is_worse))
}

fn maker_metric(runs: &[RunReport], value: fn(&MakerBook) -> f64, low_is_worse: bool) -> Option<Spread> {
    let values: Vec<f64> = runs.iter().filter_map(|r| r.maker.as_ref().map(value)).collect();
    (!values.is_empty()).then(|| spread(values, low_is_worse))
}

/// Each day's median over the runs and its 5-95% band, from one series of
/// (day, value) per run (the runs share their days).
fn daily_band(runs: &[Vec<(f64, f64)>]) -> Vec<(f64, f64, f64, f64)> {
    let days = runs.iter().map(Vec::len).min().unwrap_or(0);
    (0..days)
        .map(|i| {
            let mut values: Vec<f64> = runs.iter().map(|run| run[i].1).collect();
            values.sort_by(f64::total_cmp);
            (runs[0][i].0, percentile(&values, 0.5), percentile(&values, 0.05), percentile(&values, 0.95))
        })
        .collect()
}

fn band_series(name: &str, runs: &[Vec<(f64, f64)>]) -> Series {
    let points = daily_band(runs);
    Series::line(name, points.iter().map(|p| (p.0, p.1)).collect())
        .with_band(points.iter().map(|p| (p.0, p.2, p.3)).collect())
}

/// The pool's price by day, after arbitrage and before it.
fn plot_peg(path: &Path, runs: &[RunReport]) -> Result<()> {
    let by_day = |price: fn(&MarketWindow) -> f64| -> Vec<Vec<(f64, f64)>> {
        runs.iter().map(|r| r.windows.iter().map(|w| (w.day as f64, price(w))).collect()).collect()
    };
    let labels = Labels {
        title: "The coin on the secondary market",
        x: "day",
        y: "pool price ($)",
    };
    let series = [
        band_series("after arbitrage (median, 5-95%)", &by_day(|w| w.price)),
        band_series("before arbitrage", &by_day(|w| w.price_before_arbitrage)),
    ];
    line_chart(path, labels, &series)?;
    Ok(())
}

/// CR by day against the CR_min in force.
fn plot_collateral(path: &Path, runs: &[RunReport]) -> Result<()> {
    let by_day = |value: fn(&CollateralDay) -> f64| -> Vec<Vec<(f64, f64)>> {
        runs.iter().map(|r| r.collateral.iter().map(|c| (c.day as f64, value(c))).collect()).collect()
    };
    let labels = Labels {
        title: "The reserve's collateral ratio",
        x: "day",
        y: "CR",
    };
    let series = [
        band_series("CR (median, 5-95%)", &by_day(|c| c.collateral_ratio.unwrap_or(f64::NAN))),
        band_series("CR_min in force", &by_day(|c| c.cr_min)),
    ];
    line_chart(path, labels, &series)?;
    Ok(())
}

/// Each governed parameter by day, as a multiple of its first value.
fn plot_parameters(path: &Path, runs: &[RunReport]) -> Result<()> {
    let relative = |value: fn(&ParamPath) -> f64| -> Vec<Vec<(f64, f64)>> {
        runs.iter()
            .filter_map(|r| r.governance.as_ref())
            .map(|g| {
                let first = g.paths.first().map_or(1.0, value);
                g.paths.iter().map(|p| (p.day as f64, value(p) / first)).collect()
            })
            .collect()
    };
    let labels = Labels {
        title: "Governed parameters (multiple of their first value)",
        x: "day",
        y: "value / first value",
    };
    let series = [
        band_series("CR_min", &relative(|p| p.cr_min)),
        band_series("lambda0", &relative(|p| p.lambda0)),
        band_series("fee_max", &relative(|p| p.fee_max)),
        band_series("u_max", &relative(|p| p.u_max)),
    ];
    line_chart(path, labels, &series)?;
    Ok(())
}

fn write_outputs(out: &Path, runs: &[RunReport], summary: &Summary) -> Result<()> {
    let mut csv = String::from(
        "seed,peg_deviation_p50,peg_deviation_p99,peg_deviation_max,shock_deviation_max,windows_to_restore,arbitrage_refused,minted_and_sold,bought_and_redeemed,arbitrage_profit,lowest_collateral_ratio,final_collateral_ratio,days_below_cr_min,breaker_trips,auctions,insurance_paid,backstop_loss,holders_loss,maker_fills,maker_profit,maker_inventory_risk,manipulator_profit,bank_run_rate\n",
    );
    let mut windows = String::from(
        "seed,day,price_before_arbitrage,price,minted_and_sold,bought_and_redeemed,refused,collateral_ratio,cr_min\n",
    );
    let mut parameters = String::from("seed,day,cr_min,lambda0,fee_max,u_max\n");
    let mut votes = String::from("seed,day,param,proposal,reference,mean,executed,refused\n");
    let optional = |value: Option<f64>| value.map(|v| format!("{v:.6}")).unwrap_or_default();
    for run in runs {
        csv.push_str(&format!(
            "{},{:.6},{:.6},{:.6},{:.6},{},{},{:.2},{:.2},{:.2},{:.6},{:.6},{},{},{},{:.2},{:.2},{:.2},{},{},{}\n",
            run.seed,
            run.peg_deviation_p50,
            run.peg_deviation_p99,
            run.peg_deviation_max,
            run.shock_deviation_max,
            run.windows_to_restore.map(|w| w.to_string()).unwrap_or_default(),
            run.arbitrage_refused,
            run.minted_and_sold,
            run.bought_and_redeemed,
            run.arbitrage_profit,
            run.lowest_collateral_ratio,
            run.final_collateral_ratio,
            run.days_below_cr_min,
            run.breaker_trips,
            run.auctions,
            run.insurance_paid,
            run.backstop_loss,
            run.holders_loss,
            run.maker
                .as_ref()
                .map(|m| format!("{},{:.2},{:.2}", m.fills, m.profit, m.inventory_risk))
                .unwrap_or_else(|| ",,".into()),
            run.manipulator.as_ref().map(|m| format!("{:.2}", m.profit)).unwrap_or_default(),
            optional(run.bank_run.as_ref().and_then(BankRunBook::rate)),
        ));
        for (w, collateral) in run.windows.iter().zip(&run.collateral) {
            let refused = w.arbitrage.refused.as_deref().unwrap_or("").replace([',', '\n'], ";");
            windows.push_str(&format!(
                "{},{},{:.6},{:.6},{:.2},{:.2},{},{},{:.6}\n",
                run.seed,
                w.day,
                w.price_before_arbitrage,
                w.price,
                w.arbitrage.minted_and_sold,
                w.arbitrage.bought_and_redeemed,
                refused,
                optional(collateral.collateral_ratio),
                collateral.cr_min,
            ));
        }
        let Some(governance) = &run.governance else { continue };
        for p in &governance.paths {
            parameters.push_str(&format!(
                "{},{},{:.6},{:.6},{:.6},{:.6}\n",
                run.seed, p.day, p.cr_min, p.lambda0, p.fee_max, p.u_max
            ));
        }
        for v in &governance.votes {
            votes.push_str(&format!(
                "{},{},{},{},{:.6},{},{},{}\n",
                run.seed,
                v.day,
                v.param,
                v.id,
                v.reference,
                optional(v.mean),
                optional(v.executed),
                v.refused.as_deref().unwrap_or("").replace([',', '\n'], ";"),
            ));
        }
    }
    let mut files = vec![
        ("runs.csv", csv),
        ("windows.csv", windows),
        ("summary.json", serde_json::to_string_pretty(summary)? + "\n"),
        ("runs.json", serde_json::to_string(runs)? + "\n"),
    ];
    if runs.iter().any(|r| r.governance.is_some()) {
        files.extend([("parameters.csv", parameters), ("votes.csv", votes)]);
    }
    for (name, text) in files {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
