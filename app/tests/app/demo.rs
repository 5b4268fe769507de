//! The README's main job, run as a user runs it.

use std::process::Command;

#[test]
fn the_demo_tells_the_stress_story_in_its_report_and_plots() {
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args(["demo", "--json", "--out"])
        .arg(out.path())
        .output()
        .expect("run ballast demo");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).expect("the JSON report");
    let report: serde_json::Value = serde_json::from_str(line).unwrap();
    let days = report["days"].as_u64().unwrap();
    // One oracle round finalized per window, plus the first.
    assert_eq!(report["oracle_rounds"].as_u64().unwrap(), days + 1);
    let windows = report["timeline"]["windows"].as_array().unwrap();
    assert_eq!(windows.len() as u64, days);
    for window in windows {
        let (value, supply) = (window["value"].as_f64().unwrap(), window["supply"].as_f64().unwrap());
        let cr = window["collateral_ratio"].as_f64().unwrap();
        assert!((cr - value / supply).abs() < 1e-6, "CR {cr} vs V/S on day {}", window["day"]);
        let weights: f64 = window["weights"].as_array().unwrap().iter().map(|w| w.as_f64().unwrap()).sum();
        assert!((weights - 1.0).abs() < 1e-6, "weights sum to {weights}");
    }
    let events: Vec<&str> = report["timeline"]["events"].as_array().unwrap().iter().map(|e| e["what"].as_str().unwrap()).collect();
    let happened = |words: &str| events.iter().any(|e| e.contains(words));
    for step in ["crash", "trips the circuit breaker", "resets the breaker", "liquidation auctions of", "taken by the keeper", "the vote is executed"] {
        assert!(happened(step), "no event with {step:?} in {events:#?}");
    }
    // The crash takes CR below 1; the waterfall and the keeper's auctions bring it back above CR_crit.
    let lowest = report["lowest_collateral_ratio"].as_f64().unwrap();
    let last = report["final_collateral_ratio"].as_f64().unwrap();
    assert!(lowest < 1.0 && last > 1.05, "CR lowest {lowest}, final {last}");
    let executed = events.iter().find(|e| e.contains("the vote is executed")).unwrap();
    // (20,000 × 1.12 + 10,000 × 1.15) / 30,000 = 1.13
    assert!(executed.contains("to 1.1300"), "{executed}");
    for plot in ["cr.svg", "weights.svg", "fees.svg", "insurance.svg"] {
        let svg = std::fs::read_to_string(out.path().join(plot)).unwrap();
        assert!(svg.contains("<svg") && svg.contains("polyline"), "{plot}");
    }
    assert!(out.path().join("report.json").exists());
    for node in 0..3 {
        assert!(out.path().join(format!("oracle-{node}.sqlite")).exists(), "node {node}'s audit log");
    }
}

#[test]
fn status_without_a_cluster_says_what_failed() {
    let output = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args(["status", "--url", "http://127.0.0.1:9"])
        .output()
        .expect("run ballast status");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("chain unavailable"), "{stderr}");
}

#[test]
fn a_missing_keypair_file_is_named() {
    let output = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args(["stake", "10", "--keypair", "/nonexistent/ballast-id.json"])
        .output()
        .expect("run ballast stake");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/ballast-id.json"), "{stderr}");
}
