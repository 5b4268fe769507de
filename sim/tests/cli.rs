//! `ballast-sim` as a user runs it: bad arguments are named, and a short run
//! writes its report.

use std::process::Command;

fn sim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ballast-sim")).args(args).output().expect("run ballast-sim")
}

#[test]
fn bad_arguments_say_what_is_wrong() {
    let output = sim(&["--maker", "fixed:2"]);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("a fixed spread is a fraction in [0, 1)"), "{error}");
    let output = sim(&["--maker", "wide"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected adaptive, fixed:SPREAD or none"));
    let out = tempfile::tempdir().unwrap();
    let output = sim(&["--runs", "0", "--out", out.path().to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--runs must be at least 1"));
}

#[test]
fn a_short_run_writes_its_report() {
    let out = tempfile::tempdir().unwrap();
    let output = sim(&["--runs", "1", "--days", "6", "--json", "--out", out.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["runs"], 1);
    assert!(summary["agent_days_per_second"].as_f64().unwrap() > 0.0);
    for file in ["runs.csv", "windows.csv", "summary.json", "peg.svg"] {
        assert!(out.path().join(file).exists(), "{file}");
    }
    let windows = std::fs::read_to_string(out.path().join("windows.csv")).unwrap();
    assert_eq!(windows.lines().count(), 1 + 6, "a header and a line a day");
}
