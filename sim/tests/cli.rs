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
    let output = sim(&["--yield-seekers", "0.6"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("need stakers to govern beside them: add --stakers N"));
    let output = sim(&["--stakers", "3", "--yield-seekers", "1.2"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--yield-seekers 1.2: a share of the stake is in [0, 1)"));
    let output = sim(&["--stress", "meteor"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid value 'meteor' for '--stress"));

    // A scenario file: its bad keys are named with the line, and it stands
    // instead of the mix's flags, not beside them.
    let bad = out.path().join("bad.toml");
    std::fs::write(&bad, "[governance]\nmaximisers = 2\nshare = 1\n").unwrap();
    let error = String::from_utf8_lossy(&sim(&["--scenario", bad.to_str().unwrap()]).stderr).into_owned();
    assert!(error.contains("bad.toml: invalid scenario") && error.contains("line 3") && error.contains("unknown field `share`"), "{error}");
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/stake-buyer.toml");
    let error = String::from_utf8_lossy(&sim(&["--scenario", shipped, "--stakers", "3"]).stderr).into_owned();
    assert!(error.contains("'--scenario <SCENARIO>' cannot be used with"), "{error}");
}

#[test]
fn every_shipped_scenario_file_parses() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        ballast_sim::scenario::Scenario::load(&path).unwrap_or_else(|e| panic!("{e:#}"));
        count += 1;
    }
    assert!(count >= 4, "{count} scenario files in {}", dir.display());
}

#[test]
fn a_governed_run_under_a_redemption_scenario_writes_the_parameters_path() {
    let out = tempfile::tempdir().unwrap();
    let args = ["--runs", "1", "--days", "6", "--stress", "false-alarm", "--stakers", "2", "--yield-seekers", "0.5"];
    let more = ["--coalition-members", "1", "--bank-run", "1000", "--run-holders", "2", "--json", "--out"];
    let output = sim(&[&args[..], &more[..], &[out.path().to_str().unwrap()]].concat());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["stress"], "false_alarm");
    assert_eq!(summary["agents"], 8 + 4 + 2 + 1 + 2);
    // The bank run (on the stress day, day 3) got out at about par.
    let rate = summary["bank_run_rate"]["mean"].as_f64().unwrap();
    assert!((0.99..=1.0).contains(&rate), "{rate}");
    let parameters = std::fs::read_to_string(out.path().join("parameters.csv")).unwrap();
    assert_eq!(parameters.lines().count(), 1 + 6, "a header and a line a day");
    let votes = std::fs::read_to_string(out.path().join("votes.csv")).unwrap();
    assert!(votes.lines().any(|line| line.contains(",cr_min,")), "{votes}");
    assert!(out.path().join("parameters.svg").exists());
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

#[test]
fn a_run_over_json_rpc_on_a_local_node() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger");
    let node = ballast_localnet::start(&ballast_localnet::LocalnetArgs {
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        ledger: ledger.clone(),
        reset: true,
        slot_ms: 100,
        checkpoint_secs: 60,
        deployer: None,
    })
    .unwrap();
    let out = dir.path().join("out");
    let keypair = ledger.join("deployer.json");
    let args = ["--runs", "1", "--days", "4", "--stakers", "2", "--bank-run", "1000", "--run-holders", "2", "--json"];
    let target = ["--url", &node.url, "--keypair", keypair.to_str().unwrap(), "--out", out.to_str().unwrap()];
    let output = sim(&[&args[..], &target[..]].concat());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["runs"], 1);
    let windows = std::fs::read_to_string(out.join("windows.csv")).unwrap();
    assert_eq!(windows.lines().count(), 1 + 4, "a header and a line a day");

    // The node now holds that reserve: a second run there is refused by name.
    let output = sim(&[&args[..], &target[..]].concat());
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("it needs a fresh ledger"), "{error}");
    let output = sim(&["--runs", "2", "--url", &node.url, "--keypair", keypair.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--url runs one run"));
    node.stop().unwrap();
}
