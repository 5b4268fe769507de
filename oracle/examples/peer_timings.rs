//! Timings of the QP and the reserve Monte Carlo in the form `bench/compare.py`
//! reads, next to the same problems written for the Python peers:
//!
//!     cargo run --release -p ballast-oracle --example peer_timings -- qp --n 50
//!
//! (Criterion benches in `oracle/benches` track regressions.)

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use serde::Serialize;

use ballast_oracle::allocate::{
    random_factor_problem, random_problem, solve_allocation, write_problem_json,
};
use ballast_oracle::fixtures::{reserve_config, reserve_model};
use ballast_oracle::montecarlo::simulate_reserve_values;
use ballast_oracle::treasury::{run_experiment, ExperimentConfig};

#[derive(Parser)]
enum BenchCommand {
    /// Solve a seeded random allocation QP `repeats` times, end to end.
    Qp {
        #[arg(long)]
        n: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 50)]
        repeats: usize,
        /// How Sigma is given: a dense matrix, or its three-factor model.
        #[arg(long, value_enum, default_value_t = CovarianceForm::Dense)]
        covariance: CovarianceForm,
        /// Also write the problem as JSON for the cvxpy peer.
        #[arg(long)]
        problem_out: Option<PathBuf>,
    },
    /// Simulate the fixture reserve's terminal values on `threads` threads.
    Mc {
        #[arg(long, default_value_t = 1_000_000)]
        paths: usize,
        #[arg(long, default_value_t = 1)]
        threads: usize,
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Also write the model and settings as JSON for the NumPy peer.
        #[arg(long)]
        model_out: Option<PathBuf>,
    },
    /// The treasury stress experiment, 3 scenarios × 3 strategies × `runs`, once.
    Treasury {
        #[arg(long, default_value_t = 100)]
        runs: usize,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CovarianceForm {
    Dense,
    Factor,
}

#[derive(Serialize)]
struct QpTiming {
    n: usize,
    median_seconds: f64,
    objective: f64,
    iterations: u32,
    passes: u32,
    kkt_residual: f64,
    weights: Vec<f64>,
}

#[derive(Serialize)]
struct McTiming {
    paths: usize,
    threads: usize,
    steps: usize,
    assets: usize,
    median_seconds: f64,
    paths_per_second: f64,
    mean_value: f64,
}

fn main() -> Result<()> {
    let line = match BenchCommand::parse() {
        BenchCommand::Qp {
            n,
            seed,
            repeats,
            covariance,
            problem_out,
        } => {
            let problem = match covariance {
                CovarianceForm::Dense => random_problem(n, seed),
                CovarianceForm::Factor => random_factor_problem(n, seed),
            };
            if let Some(path) = problem_out {
                let file = std::fs::File::create(&path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                write_problem_json(&problem, std::io::BufWriter::new(file))?;
            }
            let mut solution = solve_allocation(&problem)?;
            let median_seconds = median_time(repeats, || {
                solution = solve_allocation(&problem).expect("solved once already");
            });
            serde_json::to_string(&QpTiming {
                n,
                median_seconds,
                objective: solution.objective,
                iterations: solution.iterations,
                passes: solution.passes,
                kkt_residual: solution.kkt_residual,
                weights: solution.weights,
            })?
        }
        BenchCommand::Mc {
            paths,
            threads,
            repeats,
            model_out,
        } => {
            let model = reserve_model();
            let config = reserve_config(paths, 1);
            if let Some(path) = model_out {
                let json = serde_json::json!({ "model": model, "config": config });
                std::fs::write(&path, json.to_string())
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()?;
            let mut values = Vec::new();
            let median_seconds = median_time(repeats, || {
                values = pool
                    .install(|| simulate_reserve_values(&model, &config))
                    .expect("a valid fixture");
            });
            serde_json::to_string(&McTiming {
                paths,
                threads,
                steps: config.horizon_steps,
                assets: model.assets.len(),
                median_seconds,
                paths_per_second: paths as f64 / median_seconds,
                mean_value: values.iter().sum::<f64>() / paths as f64,
            })?
        }
        BenchCommand::Treasury { runs } => {
            let config = ExperimentConfig {
                runs,
                ..ExperimentConfig::default()
            };
            let start = Instant::now();
            let report = run_experiment(&config, |_| {})?;
            serde_json::json!({
                "runs": 9 * runs,
                "threads": rayon::current_num_threads(),
                "seconds": start.elapsed().as_secs_f64(),
                "cells": report.cells.len(),
            })
            .to_string()
        }
    };
    println!("{line}");
    Ok(())
}

/// Median wall time of `repeats` calls of `work`, after one warm-up call.
fn median_time(repeats: usize, mut work: impl FnMut()) -> f64 {
    work();
    let mut seconds: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64()
        })
        .collect();
    seconds.sort_by(f64::total_cmp);
    seconds[seconds.len() / 2]
}
