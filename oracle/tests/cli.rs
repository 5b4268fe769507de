//! Every quant subcommand run on its embedded defaults into a temporary
//! directory: the report's fields and the plots exist; bad input names the
//! file and line.

use std::path::Path;

use ballast_oracle::cli::{run, Cli};
use clap::Parser;
use serde_json::Value;

/// Runs `ballast-oracle --out <dir> <args>` and returns the report of `command`.
fn run_command(dir: &Path, args: &[&str]) -> Value {
    let out = dir.to_str().unwrap();
    let prefix = ["ballast-oracle", "--out", out];
    run(Cli::parse_from(prefix.iter().chain(args))).unwrap();
    let report = dir.join(args[0]).join("report.json");
    serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap()
}

fn assert_plots(dir: &Path, command: &str, plots: &[&str]) {
    for plot in plots {
        let path = dir.join(command).join(plot);
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("<svg"), "{} is not an SVG", path.display());
    }
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"))
}

#[test]
fn synth_writes_files_the_other_commands_read() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_command(dir.path(), &["synth", "--days", "300", "--seed", "9"]);
    assert_eq!(report["days"], 300);
    let prices = dir.path().join("synth/prices.csv");
    let loans = dir.path().join("synth/loans.csv");
    let estimate = run_command(
        dir.path(),
        &["estimate", "--prices", prices.to_str().unwrap()],
    );
    assert_eq!(estimate["estimates"]["intervals"], 299);
    let value = run_command(
        dir.path(),
        &[
            "value",
            "--loans",
            loans.to_str().unwrap(),
            "--paths",
            "2000",
        ],
    );
    let valued = value["loans"].as_array().unwrap().len();
    assert_eq!(
        valued + value["skipped"].as_array().unwrap().len(),
        number(&report["loan_count"]) as usize
    );
}

#[test]
fn estimate_reports_moments_fits_scores_and_lambda() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_command(dir.path(), &["estimate", "--method", "sample"]);
    let estimates = &report["estimates"];
    let n = estimates["assets"].as_array().unwrap().len();
    assert_eq!(n, 5);
    assert_eq!(estimates["method"]["method"], "sample");
    assert_eq!(estimates["covariance"].as_array().unwrap().len(), n);
    for (i, gbm) in estimates["gbm"].as_array().unwrap().iter().enumerate() {
        let vol = number(&estimates["volatility"][i]);
        let correlation = number(&estimates["correlation"][i][i]);
        assert!(number(&gbm["sigma_se"]) >= 0.0);
        assert!(vol == 0.0 || (correlation - 1.0).abs() < 1e-9);
    }
    assert_eq!(report["risk_scores"].as_array().unwrap().len(), n);
    assert!(number(&report["lambda"]) >= 1.0);
    assert_plots(dir.path(), "estimate", &["prices.svg"]);
}

#[test]
fn risk_reports_breach_probabilities_with_both_intervals_and_tail_risk() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_command(dir.path(), &["risk", "--paths", "5000", "--seed", "3"]);
    let result = &report["result"];
    assert_eq!(result["paths"], 5000);
    let breach = &result["breach"][0];
    assert_eq!(number(&breach["threshold"]), 1.0);
    let p = number(&breach["probability"]);
    for interval in ["wilson", "clopper_pearson"] {
        let (lower, upper) = (
            number(&breach[interval]["lower"]),
            number(&breach[interval]["upper"]),
        );
        assert!(lower <= p && p <= upper && upper > 0.0, "{interval}");
    }
    let loss = &result["loss"];
    assert!(number(&loss["expected_shortfall"]) >= number(&loss["value_at_risk"]));
    assert_plots(dir.path(), "risk", &["cr_histogram.svg"]);
}

#[test]
fn optimize_gives_budgeted_weights_by_every_method() {
    let dir = tempfile::tempdir().unwrap();
    for method in ["qp", "risk-parity", "min-es"] {
        let report = run_command(dir.path(), &["optimize", "--method", method]);
        assert_eq!(report["method"], method);
        let target: Vec<f64> = report["target"]
            .as_array()
            .unwrap()
            .iter()
            .map(number)
            .collect();
        assert_eq!(target.len(), report["current"].as_array().unwrap().len());
        assert!(
            (target.iter().sum::<f64>() - 1.0).abs() < 1e-6,
            "{method}: {target:?}"
        );
        assert!(target.iter().all(|&w| w > -1e-7), "{method}: {target:?}");
        assert_plots(dir.path(), "optimize", &["weights.svg"]);
    }
}

#[test]
fn optimize_reads_an_allocation_problem_toml_with_either_form_of_sigma() {
    use ballast_oracle::allocate::{random_factor_problem, random_problem};
    let dir = tempfile::tempdir().unwrap();
    let mut targets = Vec::new();
    for (name, problem) in [
        ("dense", random_problem(4, 11)),
        ("factor", random_factor_problem(4, 11)),
    ] {
        let path = dir.path().join(format!("{name}.toml"));
        let text = toml::to_string(&problem).unwrap();
        assert_eq!(text.contains("[sigma]"), name == "factor", "{text}");
        std::fs::write(&path, text).unwrap();
        let report = run_command(
            dir.path(),
            &["optimize", "--problem", path.to_str().unwrap()],
        );
        assert_eq!(report["current"].as_array().unwrap().len(), 4);
        assert_eq!(report["details"]["assets"][0], "asset0");
        targets.push(report["target"].clone());
    }
    let gap = targets[0]
        .as_array()
        .unwrap()
        .iter()
        .zip(targets[1].as_array().unwrap())
        .map(|(a, b)| (number(a) - number(b)).abs())
        .fold(0.0, f64::max);
    assert!(gap < 1e-9, "{targets:?}");
}

#[test]
fn optimize_names_the_factor_model_field_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let problem = ballast_oracle::allocate::random_factor_problem(3, 2);
    let text = toml::to_string(&problem)
        .unwrap()
        .replace("specific_variance", "specific_variances");
    let path = dir.path().join("problem.toml");
    std::fs::write(&path, text).unwrap();
    let prefix = ["ballast-oracle", "--out", dir.path().to_str().unwrap()];
    let args = ["optimize", "--problem", path.to_str().unwrap()];
    let error = run(Cli::parse_from(prefix.iter().chain(&args))).unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("problem.toml"), "{message}");
    assert!(
        message.contains("unknown field `specific_variances`"),
        "{message}"
    );
}

#[test]
fn value_reports_greeks_with_errors_closed_form_and_hedge() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_command(dir.path(), &["value", "--paths", "4000"]);
    let loans = report["loans"].as_array().unwrap();
    assert!(!loans.is_empty());
    for loan in loans {
        let mc = &loan["monte_carlo"];
        for greek in ["value", "delta", "gamma", "theta"] {
            assert!(number(&mc[greek]["standard_error"]) >= 0.0);
            assert!(loan["closed_form"][greek].is_number());
        }
        let value_error = number(&mc["value"]["mean"]) - number(&loan["closed_form"]["value"]);
        assert!(value_error.abs() <= 5.0 * number(&mc["value"]["standard_error"]) + 1e-12);
        assert!(number(&loan["hedge_of_promised_repayment"]["rms_error"]) >= 0.0);
    }
}

#[test]
fn backtest_reports_metrics_for_policy_and_benchmarks_and_plots_them() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_command(dir.path(), &["backtest"]);
    let strategies: Vec<&str> = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(strategies, ["qp", "equal_weight", "risk_parity", "static"]);
    let days = report["dates"].as_array().unwrap().len();
    for run in report["runs"].as_array().unwrap() {
        assert_eq!(run["equity"].as_array().unwrap().len(), days);
        for metric in [
            "annualised_return",
            "annualised_volatility",
            "sharpe_ratio",
            "max_drawdown",
        ] {
            assert!(run["performance"][metric].is_number(), "{metric}");
        }
    }
    assert_plots(dir.path(), "backtest", &["equity.svg", "drawdown.svg"]);
}

#[test]
fn a_negative_price_is_reported_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("bad_prices.csv");
    let rows = "date,asset,price\n2024-01-01,BTC,100\n2024-01-02,BTC,101\n2024-01-03,BTC,99\n2024-01-04,BTC,-5\n";
    std::fs::write(&prices, rows).unwrap();
    let out = dir.path().to_str().unwrap();
    let cli = Cli::parse_from([
        "ballast-oracle",
        "--out",
        out,
        "estimate",
        "--prices",
        prices.to_str().unwrap(),
    ]);
    let message = format!("{:#}", run(cli).unwrap_err());
    assert!(message.contains("bad_prices.csv"), "{message}");
    assert!(message.contains("line 5"), "{message}");
    assert!(message.contains("price"), "{message}");
}

#[test]
fn a_malformed_toml_is_reported_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("backtest.toml");
    std::fs::write(&config, "train_days = 252\nrebalance_days = \"monthly\"\n").unwrap();
    let out = dir.path().to_str().unwrap();
    let cli = Cli::parse_from([
        "ballast-oracle",
        "--out",
        out,
        "backtest",
        "--config",
        config.to_str().unwrap(),
    ]);
    let message = format!("{:#}", run(cli).unwrap_err());
    assert!(message.contains("backtest.toml"), "{message}");
    assert!(message.contains("line 2"), "{message}");
}

/// `treasury tail` on a short shock (the default run takes minutes): a falling
/// curve with intervals, each point's effective sample size, and the plot.
#[test]
fn treasury_tail_writes_a_falling_curve_with_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tail.toml");
    std::fs::write(
        &config,
        "thresholds = [0.00205, 0.0021]\n\
         [scenarios]\nonset_day = 1.0\n\
         [simulation]\ndays = 3\n\
         [method.cross_entropy]\npilot_runs = 100\nruns = 200\n",
    )
    .unwrap();
    let out = dir.path().to_str().unwrap();
    let args = [
        "ballast-oracle",
        "--out",
        out,
        "treasury",
        "tail",
        "--config",
    ];
    run(Cli::parse_from(
        args.iter().copied().chain([config.to_str().unwrap()]),
    ))
    .unwrap();
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("treasury-tail/report.json")).unwrap(),
    )
    .unwrap();
    let points = report["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    let (near, far) = (&points[0], &points[1]);
    assert!(number(&far["probability"]) < number(&near["probability"]));
    for point in points {
        assert!(number(&point["ci_lower"]) <= number(&point["probability"]));
        assert!(number(&point["probability"]) <= number(&point["ci_upper"]));
        assert!(number(&point["effective_sample_size"]) > 1.0, "{point}");
    }
    assert_eq!(report["unreached_thresholds"].as_array().unwrap().len(), 0);
    assert_plots(dir.path(), "treasury-tail", &["tail.svg"]);
}
