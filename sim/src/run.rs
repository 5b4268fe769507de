//! Seeded runs: each is the demo's world on a fresh embedded bank with the
//! market's agents in it, summarised as a holder of the coin would judge
//! the peg: how far the pool's price strays from one dollar, how long the
//! panic's gap takes to close, and what the arbitrageur could not do.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ballast_app::demo::quiet::QuietStdout;
use ballast_app::demo::study::{percentile, spread, Spread};
use ballast_app::demo::{simulate_with, DemoOptions};
use ballast_sdk::BankChain;
use ballast_oracle::plot::{line_chart, Labels, Series};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::agents::manipulator::ManipulatorBook;
use crate::agents::market_maker::MakerBook;
use crate::agents::{Market, MarketConfig, MarketWindow};

/// Within this of one dollar the pool counts as at the peg.
pub const PEG_TOLERANCE: f64 = 0.01;

/// Agents acting in each window of a run: the demo's four holders, its
/// keeper and three oracle nodes, and the market's liquidity provider,
/// noise traders and arbitrageur.
pub const AGENTS_PER_RUN: u64 = 11;

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub runs: u64,
    pub first_seed: u64,
    pub days: u64,
    pub market: MarketConfig,
    pub out: PathBuf,
    pub progress: bool,
}

/// One seeded run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub seed: u64,
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
    pub lowest_collateral_ratio: f64,
    pub final_collateral_ratio: f64,
    /// The market maker's fills, profit and inventory risk, if there was one.
    pub maker: Option<MakerBook>,
    /// The TWAP manipulator's sales to the maker and profit, if there was one.
    pub manipulator: Option<ManipulatorBook>,
    pub windows: Vec<MarketWindow>,
}

impl RunReport {
    fn new(market: &Market, seed: u64, lowest: f64, last: f64) -> Self {
        let (crash_day, windows) = (market.crash_day(), market.windows.clone());
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
            lowest_collateral_ratio: lowest,
            final_collateral_ratio: last,
            maker: market.maker_book().cloned(),
            manipulator: market.manipulator_book().cloned(),
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
    pub market: MarketConfig,
    /// |price - 1| after arbitrage over every window of every run.
    pub peg_deviation: Pooled,
    /// Each run's largest, after arbitrage and before it.
    pub peg_deviation_max: Spread,
    pub shock_deviation_max: Spread,
    /// Over the runs in which the pool came back.
    pub windows_to_restore: Option<Spread>,
    pub runs_never_restored: usize,
    pub arbitrage_refused: Spread,
    pub lowest_collateral_ratio: Spread,
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


/// One run of the demo's world with the market's agents.
pub fn run_one(seed: u64, days: u64, market: &MarketConfig, scratch: &Path) -> Result<RunReport> {
    std::fs::create_dir_all(scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    let chain = BankChain::new()?;
    let operator = chain.payer();
    let demo = DemoOptions {
        days,
        seed,
        out: scratch.to_path_buf(),
        json: true,
        symbols: None,
    };
    let mut agents = Market::new(MarketConfig { seed, ..market.clone() });
    let (report, _) = simulate_with(chain, &operator, &demo, &ProgressBar::hidden(), &mut agents)
        .with_context(|| format!("seed {seed}"))?;
    let crisis = report.crisis;
    Ok(RunReport::new(&agents, seed, crisis.lowest_collateral_ratio, crisis.final_collateral_ratio))
}

/// Every run, then `runs.csv`, `windows.csv` and `summary.json` in `out`.
pub fn run(options: &RunOptions) -> Result<(Vec<RunReport>, Summary)> {
    anyhow::ensure!(options.runs > 0, "--runs must be at least 1");
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
        runs.push(run_one(seed, options.days, &options.market, &scratch)?);
        progress.inc(1);
    }
    progress.finish_and_clear();
    drop(quiet);
    std::fs::remove_dir_all(&scratch).with_context(|| format!("cannot remove {}", scratch.display()))?;
    let summary = summarise(options, &runs, started.elapsed().as_secs_f64());
    write_outputs(&options.out, &runs, &summary)?;
    plot_peg(&options.out.join("peg.svg"), &runs)?;
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
        market: options.market.clone(),
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
        lowest_collateral_ratio: spread(metric(|r| r.lowest_collateral_ratio), true),
        maker_profit: maker_metric(runs, |book| book.profit, true),
        maker_inventory_risk: maker_metric(runs, |book| book.inventory_risk, false),
        manipulator_profit: {
            let profits: Vec<f64> = runs.iter().filter_map(|r| r.manipulator.as_ref().map(|m| m.profit)).collect();
            (!profits.is_empty()).then(|| spread(profits, true))
        },
        seconds,
        agent_days_per_second: (AGENTS_PER_RUN * options.days * runs.len() as u64) as f64 / seconds,
    }
}

fn maker_metric(runs: &[RunReport], value: fn(&MakerBook) -> f64, low_is_worse: bool) -> Option<Spread> {
    let values: Vec<f64> = runs.iter().filter_map(|r| r.maker.as_ref().map(value)).collect();
    (!values.is_empty()).then(|| spread(values, low_is_worse))
}

/// The pool's price by day: the median over the runs with its 5-95% band,
/// after arbitrage and before it.
fn plot_peg(path: &Path, runs: &[RunReport]) -> Result<()> {
    let days = runs.iter().map(|r| r.windows.len()).min().unwrap_or(0);
    let band = |price: fn(&MarketWindow) -> f64| -> Vec<(f64, f64, f64, f64)> {
        (0..days)
            .map(|i| {
                let mut prices: Vec<f64> = runs.iter().map(|r| price(&r.windows[i])).collect();
                prices.sort_by(f64::total_cmp);
                let day = runs[0].windows[i].day as f64;
                (day, percentile(&prices, 0.5), percentile(&prices, 0.05), percentile(&prices, 0.95))
            })
            .collect()
    };
    let series = |name: &str, points: Vec<(f64, f64, f64, f64)>| {
        Series::line(name, points.iter().map(|p| (p.0, p.1)).collect()).with_band(points.iter().map(|p| (p.0, p.2, p.3)).collect())
    };
    let after = series("after arbitrage (median, 5-95%)", band(|w| w.price));
    let before = series("before arbitrage", band(|w| w.price_before_arbitrage));
    let labels = Labels {
        title: "The coin on the secondary market",
        x: "day",
        y: "pool price ($)",
    };
    line_chart(path, labels, &[after, before])?;
    Ok(())
}

fn write_outputs(out: &Path, runs: &[RunReport], summary: &Summary) -> Result<()> {
    let mut csv = String::from(
        "seed,peg_deviation_p50,peg_deviation_p99,peg_deviation_max,shock_deviation_max,windows_to_restore,arbitrage_refused,minted_and_sold,bought_and_redeemed,lowest_collateral_ratio,final_collateral_ratio,maker_fills,maker_profit,maker_inventory_risk,manipulator_profit\n",
    );
    let mut windows = String::from("seed,day,price_before_arbitrage,price,minted_and_sold,bought_and_redeemed,refused\n");
    for run in runs {
        csv.push_str(&format!(
            "{},{:.6},{:.6},{:.6},{:.6},{},{},{:.2},{:.2},{:.6},{:.6},{},{}\n",
            run.seed,
            run.peg_deviation_p50,
            run.peg_deviation_p99,
            run.peg_deviation_max,
            run.shock_deviation_max,
            run.windows_to_restore.map(|w| w.to_string()).unwrap_or_default(),
            run.arbitrage_refused,
            run.minted_and_sold,
            run.bought_and_redeemed,
            run.lowest_collateral_ratio,
            run.final_collateral_ratio,
            run.maker
                .as_ref()
                .map(|m| format!("{},{:.2},{:.2}", m.fills, m.profit, m.inventory_risk))
                .unwrap_or_else(|| ",,".into()),
            run.manipulator.as_ref().map(|m| format!("{:.2}", m.profit)).unwrap_or_default(),
        ));
        for w in &run.windows {
            let refused = w.arbitrage.refused.as_deref().unwrap_or("").replace([',', '\n'], ";");
            windows.push_str(&format!(
                "{},{},{:.6},{:.6},{:.2},{:.2},{}\n",
                run.seed, w.day, w.price_before_arbitrage, w.price, w.arbitrage.minted_and_sold, w.arbitrage.bought_and_redeemed, refused
            ));
        }
    }
    for (name, text) in [
        ("runs.csv", csv),
        ("windows.csv", windows),
        ("summary.json", serde_json::to_string_pretty(summary)? + "\n"),
    ] {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
