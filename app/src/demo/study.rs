//! `ballast crash-study`: the demo's crash over many seeds (market paths and
//! holders' flows), each on a fresh embedded bank, summarised as holders and
//! stakers would judge it: days locked out, the lowest CR, where the weights
//! ended against their targets, and who lost what.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ballast_oracle::plot::{histogram, Labels};
use ballast_sdk::BankChain;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::{quiet, simulate, CrisisSummary, DemoOptions};

#[derive(Clone, Debug)]
pub struct StudyOptions {
    pub runs: u64,
    pub first_seed: u64,
    pub days: u64,
    pub out: PathBuf,
    pub json: bool,
}

/// One metric over the runs.
#[derive(Clone, Debug, Serialize)]
pub struct Spread {
    pub mean: f64,
    pub median: f64,
    pub p90: f64,
    pub worst: f64,
}

#[derive(Debug, Serialize)]
pub struct StudySummary {
    pub runs: usize,
    pub first_seed: u64,
    pub days: u64,
    pub days_redeem_paused: Spread,
    pub longest_redeem_pause_days: Spread,
    /// Runs that end with redeeming still paused.
    pub runs_paused_at_end: usize,
    /// Lower is worse: `worst` is the lowest.
    pub lowest_collateral_ratio: Spread,
    pub final_weight_gap: Spread,
    pub holders_loss: Spread,
    pub backstop_loss: Spread,
    pub plots: Vec<PathBuf>,
}

/// The value at fraction `p` of `sorted` (nearest rank); 0 when it is empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted.get(((sorted.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or(0.0)
}

/// Summarises `values`; `low_is_worse` picks which end is the worst.
pub fn spread(mut values: Vec<f64>, low_is_worse: bool) -> Spread {
    values.sort_by(f64::total_cmp);
    let at = |p: f64| percentile(&values, p);
    let (p90, worst) = if low_is_worse { (at(0.1), values[0]) } else { (at(0.9), values[values.len() - 1]) };
    Spread {
        mean: values.iter().sum::<f64>() / values.len() as f64,
        median: at(0.5),
        p90,
        worst,
    }
}

pub fn run(options: &StudyOptions) -> Result<()> {
    anyhow::ensure!(options.runs > 0, "--runs must be at least 1");
    std::fs::create_dir_all(&options.out).with_context(|| format!("cannot create {}", options.out.display()))?;
    let scratch = options.out.join("scratch");
    let progress = if options.json { ProgressBar::hidden() } else { ProgressBar::new(options.runs) };
    progress.set_style(
        ProgressStyle::with_template("run {pos}/{len} [{bar:40}] {elapsed} (eta {eta})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let quiet = quiet::QuietStdout::new().context("cannot silence the bank's program logs")?;
    let mut runs = Vec::new();
    for seed in options.first_seed..options.first_seed + options.runs {
        let chain = BankChain::new()?;
        let operator = chain.payer();
        let demo = DemoOptions {
            days: options.days,
            seed,
            out: scratch.clone(),
            json: true,
            ..DemoOptions::default()
        };
        std::fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
        let (report, _) = simulate(chain, &operator, &demo, &ProgressBar::hidden()).with_context(|| format!("seed {seed}"))?;
        runs.push((seed, report.crisis));
        progress.inc(1);
    }
    progress.finish_and_clear();
    drop(quiet);
    std::fs::remove_dir_all(&scratch).with_context(|| format!("cannot remove {}", scratch.display()))?;

    let csv = options.out.join("runs.csv");
    write_csv(&csv, &runs)?;
    let summary = summarise(options, &runs)?;
    let path = options.out.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)? + "\n").with_context(|| format!("cannot write {}", path.display()))?;
    if options.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print_summary(&summary, &[&csv, &path]);
    }
    Ok(())
}

fn summarise(options: &StudyOptions, runs: &[(u64, CrisisSummary)]) -> Result<StudySummary> {
    let metric = |f: fn(&CrisisSummary) -> f64| runs.iter().map(|(_, c)| f(c)).collect::<Vec<f64>>();
    let mut plots = Vec::new();
    for (file, title, x, values, marker) in [
        (
            "redeem_paused.svg",
            "Days with redeeming paused, per run",
            "days",
            metric(|c| c.days_redeem_paused as f64),
            None,
        ),
        ("lowest_cr.svg", "Lowest CR, per run", "CR", metric(|c| c.lowest_collateral_ratio), Some(1.0)),
    ] {
        let path = options.out.join(file);
        histogram(&path, Labels { title, x, y: "runs" }, &values, 20, marker)?;
        plots.push(path);
    }
    Ok(StudySummary {
        runs: runs.len(),
        first_seed: options.first_seed,
        days: options.days,
        days_redeem_paused: spread(metric(|c| c.days_redeem_paused as f64), false),
        longest_redeem_pause_days: spread(metric(|c| c.longest_redeem_pause_days as f64), false),
        runs_paused_at_end: runs.iter().filter(|(_, c)| c.redeem_paused_at_end_days.is_some()).count(),
        lowest_collateral_ratio: spread(metric(|c| c.lowest_collateral_ratio), true),
        final_weight_gap: spread(metric(|c| c.final_weight_gap), false),
        holders_loss: spread(metric(|c| c.holders_loss), false),
        backstop_loss: spread(metric(|c| c.backstop_loss), false),
        plots,
    })
}

fn write_csv(path: &Path, runs: &[(u64, CrisisSummary)]) -> Result<()> {
    let mut text = String::from(
        "seed,days_redeem_paused,days_mint_paused,longest_redeem_pause_days,redeem_paused_at_end_days,\
         lowest_collateral_ratio,final_collateral_ratio,final_weight_gap,holders_loss,backstop_loss,final_weights,final_targets\n",
    );
    let join = |values: &[f64]| values.iter().map(|v| format!("{v:.4}")).collect::<Vec<_>>().join(" ");
    for (seed, c) in runs {
        text.push_str(&format!(
            "{seed},{},{},{},{},{:.6},{:.6},{:.6},{:.2},{:.2},{},{}\n",
            c.days_redeem_paused,
            c.days_mint_paused,
            c.longest_redeem_pause_days,
            c.redeem_paused_at_end_days.map_or(String::new(), |d| d.to_string()),
            c.lowest_collateral_ratio,
            c.final_collateral_ratio,
            c.final_weight_gap,
            c.holders_loss,
            c.backstop_loss,
            join(&c.final_weights),
            join(&c.final_targets),
        ));
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn print_summary(summary: &StudySummary, files: &[&Path]) {
    println!(
        "Crash study: {} runs of {} days (seeds {}..={})",
        summary.runs,
        summary.days,
        summary.first_seed,
        summary.first_seed + summary.runs as u64 - 1
    );
    println!("{:<34} {:>10} {:>10} {:>10} {:>10}", "", "mean", "median", "p90", "worst");
    for (name, s) in [
        ("days with redeeming paused", &summary.days_redeem_paused),
        ("longest pause (days)", &summary.longest_redeem_pause_days),
        ("lowest CR", &summary.lowest_collateral_ratio),
        ("final |w - w*| (L1)", &summary.final_weight_gap),
        ("holders' loss (stablecoins)", &summary.holders_loss),
        ("backstop's loss (stablecoins)", &summary.backstop_loss),
    ] {
        println!("{name:<34} {:>10.3} {:>10.3} {:>10.3} {:>10.3}", s.mean, s.median, s.p90, s.worst);
    }
    println!("runs ending with redeeming paused: {} of {}", summary.runs_paused_at_end, summary.runs);
    for file in files.iter().copied().chain(summary.plots.iter().map(PathBuf::as_path)) {
        println!("wrote {}", file.display());
    }
}
