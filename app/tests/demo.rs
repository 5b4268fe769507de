//! The README's main job, run as a user runs it.

use std::process::Command;

#[test]
fn the_demo_prints_every_step_and_keeps_cr_consistent() {
    let output = Command::new(env!("CARGO_BIN_EXE_ballast"))
        .args(["demo", "--json"])
        .output()
        .expect("run ballast demo");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let steps: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).expect("a JSON step"))
        .collect();
    assert!(steps.len() >= 10, "{} steps", steps.len());
    for step in &steps {
        let reserve = &step["reserve"];
        let assets = reserve["assets"].as_array().unwrap();
        assert_eq!(assets.len(), 3);
        let value: f64 = assets.iter().map(|a| a["value"].as_f64().unwrap()).sum();
        let reported = reserve["value"].as_f64().unwrap();
        assert!((value - reported).abs() <= 1e-6 * reported.max(1.0), "V {reported} vs sum {value}");
        if let Some(cr) = reserve["collateral_ratio"].as_f64() {
            let supply = reserve["supply"].as_f64().unwrap();
            assert!((cr - reported / supply).abs() < 1e-6, "CR {cr}");
        }
    }
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert!(names.iter().any(|n| n.contains("refused") && n.contains("WeightCapExceeded")), "{names:?}");
    assert!(names.iter().filter(|n| n.contains("mints with") && n.contains("received")).count() >= 3);
    assert!(names.iter().filter(|n| n.contains("redeems") && n.contains("received")).count() >= 2);
    let governance = names.iter().find(|n| n.starts_with("governance:")).expect("a governance step");
    // (20,000 × 1.12 + 10,000 × 1.15) / 30,000 = 1.13
    assert!(governance.contains("to 1.130000"), "{governance}");
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
