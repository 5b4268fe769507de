//! `ballast dashboard` as its own process over a `ballast localnet` node
//! (through a TCP proxy the test can cut): every API route's status and
//! shape, its numbers against what the sdk reads from the same chain, bad
//! requests, history kept across a restart, and a chain that stops
//! answering shown as an error with the time of the last good read.

use std::path::Path;
use std::time::Duration;

use ballast_sdk::{accounts, instructions, status, token, Chain, Signer};
use ballast_tests::cluster::{key_file, wait_until, Cluster};
use ballast_tests::process::{Process, TcpProxy};
use serde_json::Value;

const BALLAST: &str = env!("CARGO_BIN_EXE_ballast");
const UNIT: u64 = 1_000_000;

fn start_dashboard(upstream: &str, deployment: &Path, history: &Path, audits: &[&Path]) -> (Process, String) {
    let mut args: Vec<String> = [
        "dashboard", "--url", upstream, "--deployment", deployment.to_str().unwrap(), "--addr", "127.0.0.1:0",
        "--history", history.to_str().unwrap(), "--poll-ms", "200",
    ]
    .map(String::from)
    .to_vec();
    for audit in audits {
        args.extend(["--audit".to_string(), audit.display().to_string()]);
    }
    let mut process = Process::spawn("dashboard", Path::new(BALLAST), &args);
    let line = process.wait_for_line("dashboard listening on", Duration::from_secs(60));
    let url = line.split_whitespace().last().expect("the line ends with the URL").to_string();
    (process, url)
}

fn get(url: &str) -> (u16, Value) {
    let response = reqwest::blocking::Client::new().get(url).timeout(Duration::from_secs(10)).send().expect("the dashboard answers");
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

fn text(url: &str) -> (u16, String, String) {
    let response = reqwest::blocking::get(url).expect("the dashboard answers");
    let kind = response.headers()["content-type"].to_str().unwrap().to_string();
    (response.status().as_u16(), kind, response.text().unwrap())
}

#[test]
fn the_dashboard_serves_the_chain_keeps_its_history_and_shows_a_silent_chain_as_an_error() {
    let mut cluster = Cluster::start(Path::new(BALLAST), 1, 1);
    let url = cluster.url();
    let dir = cluster.dir.path().to_path_buf();
    let mut oracle = cluster.start_oracle(0, &url, None);
    wait_until("the first oracle round", Duration::from_secs(120), || cluster.last_round() >= 1);
    let deployer = cluster.deployer.insecure_clone();
    let (alice, alice_file) = key_file(&dir, "alice");
    cluster.chain.client().request_airdrop(&alice.pubkey(), 10 * 1_000_000_000).unwrap();
    let usdc = cluster.mints[0];
    let chain = &mut cluster.chain;
    let treasury = token::associated_account(chain, &deployer, &deployer.pubkey(), &usdc).unwrap();
    token::mint_to(chain, &deployer, &usdc, &deployer, &treasury, 20_000 * UNIT).unwrap();
    chain.send(&[instructions::contribute(&deployer.pubkey(), &usdc, &treasury, 20_000 * UNIT)], &deployer, &[]).unwrap();
    let alice_usdc = token::associated_account(chain, &deployer, &alice.pubkey(), &usdc).unwrap();
    token::mint_to(chain, &deployer, &usdc, &deployer, &alice_usdc, 10_000 * UNIT).unwrap();
    let deployment = cluster.deployment.clone();
    let minted = cluster.cli(&alice_file, &["mint", "--asset", "USDC", "10000", "--deployment", deployment.to_str().unwrap()]);
    assert!(minted["signature"].is_string(), "{minted}");

    let upstream = url.trim_start_matches("http://").parse().unwrap();
    let proxy = TcpProxy::start(upstream);
    let history = dir.join("dashboard.sqlite");
    let audit = cluster.audit_path(0);
    let missing = dir.join("no-such-audit.sqlite");
    let (mut dashboard, site) = start_dashboard(&proxy.url(), &deployment, &history, &[&audit, &missing]);
    oracle.terminate(Duration::from_secs(30));

    // The numbers are the sdk's, read from the same chain.
    let expected = status::reserve_status(&mut cluster.chain).unwrap();
    wait_until("the dashboard's first read", Duration::from_secs(30), || get(&format!("{site}/api/v1/reserve")).0 == 200);
    let (_, reserve) = get(&format!("{site}/api/v1/reserve"));
    let data = &reserve["data"];
    assert_eq!(reserve["chain"]["ok"], true, "{reserve}");
    assert_eq!(data["supply"].as_f64().unwrap(), expected.supply, "{reserve}");
    assert_eq!(data["collateral_ratio"].as_f64(), expected.collateral_ratio, "{reserve}");
    assert_eq!(data["value"].as_f64().unwrap(), expected.value, "{reserve}");
    let assets = data["assets"].as_array().unwrap();
    assert_eq!(assets.len(), expected.assets.len());
    for (shown, asset) in assets.iter().zip(&expected.assets) {
        assert_eq!(shown["weight"].as_f64().unwrap(), asset.weight, "{shown}");
        assert_eq!(shown["value"].as_f64().unwrap(), asset.value, "{shown}");
        assert_eq!(shown["target_weight"].as_f64().unwrap(), asset.target_weight, "{shown}");
    }
    assert_eq!(assets[0]["symbol"], "USDC", "symbols come from the deployment file");
    for key in ["cr_crit", "cr_min", "cr_target", "redemption_rate", "capital"] {
        assert!(!data[key].is_null(), "reserve.{key} in {reserve}");
    }

    // Every route's status and shape.
    let shapes: [(&str, &[&str]); 4] = [
        ("safety", &["paused", "breaker_tripped", "insurance_pool", "backstop_stake", "mint_limit_used", "redeem_limit"]),
        ("oracle", &["last_round", "quorum", "sigma_p", "breach_probability", "breach_upper", "rounds"]),
        ("governance", &["total_staked", "proposals"]),
        ("snapshot", &["slot", "reserve", "safety", "oracle", "governance"]),
    ];
    for (route, keys) in shapes {
        let (code, body) = get(&format!("{site}/api/v1/{route}"));
        assert_eq!(code, 200, "{route}: {body}");
        for key in keys {
            assert!(body["data"].get(key).is_some(), "{route}.{key} in {body}");
        }
    }
    let (_, oracle_state) = get(&format!("{site}/api/v1/oracle"));
    let round = &oracle_state["data"]["rounds"][0];
    assert_eq!(round["status"], "finalized", "{oracle_state}");
    assert_eq!(round["submitted_by"][0], cluster.oracle_keys[0].pubkey().to_string(), "{oracle_state}");
    // Alice's mint counts against the rolling mint limit.
    let (_, safety) = get(&format!("{site}/api/v1/safety"));
    let used = safety["data"]["mint_limit_used"].as_f64().unwrap();
    assert!(used > 9_900.0 && used <= 10_000.0, "{safety}");
    assert_eq!(safety["data"]["redeem_limit_used"].as_f64(), Some(0.0), "{safety}");

    // The node's own record, and a missing audit file named as such.
    let (code, nodes) = get(&format!("{site}/api/v1/nodes"));
    assert_eq!(code, 200, "{nodes}");
    let latest = &nodes["data"][0]["windows"][0];
    assert_eq!(latest["status"], "confirmed", "{nodes}");
    assert!(latest["input_hash"].as_str().is_some_and(|h| h.len() == 64) && latest["sigma_p"].is_f64(), "{nodes}");
    assert_eq!(nodes["data"][1]["error"], "no such file", "{nodes}");
    let (code, body) = get(&format!("{site}/api/v1/health"));
    assert_eq!((code, &body["ok"]), (200, &Value::Bool(true)), "{body}");
    let (code, page_type, page) = text(&format!("{site}/"));
    assert!(code == 200 && page_type.starts_with("text/html") && page.contains("Ballast reserve"), "{code} {page_type}");
    assert_eq!(text(&format!("{site}/app.js")).0, 200);

    // Bad requests say what was wrong.
    let (code, body) = get(&format!("{site}/api/v1/nothing-here"));
    assert_eq!(code, 404, "{body}");
    assert!(body["error"].as_str().unwrap().contains("/api/v1/nothing-here"), "{body}");
    for route in ["history", "events"] {
        for (query, named) in [("limit=abc", "`limit`"), ("limit=0", "`limit`"), ("since=3", "`since`")] {
            let (code, body) = get(&format!("{site}/api/v1/{route}?{query}"));
            assert_eq!(code, 400, "{route}?{query}: {body}");
            assert!(body["error"].as_str().unwrap().contains(named), "{route}?{query}: {body}");
        }
        let (code, body) = get(&format!("{site}/api/v1/{route}?limit=5"));
        assert!(code == 200 && body["data"].is_array(), "{route}: {body}");
    }

    // History survives a restart of the dashboard.
    wait_until("two history points", Duration::from_secs(30), || {
        get(&format!("{site}/api/v1/history")).1["data"].as_array().is_some_and(|points| points.len() >= 2)
    });
    let first_slot = get(&format!("{site}/api/v1/history?limit=10000")).1["data"][0]["slot"].as_u64().unwrap();
    assert!(dashboard.terminate(Duration::from_secs(30)).success(), "{}", dashboard.output());
    let (mut dashboard, site) = start_dashboard(&proxy.url(), &deployment, &history, &[]);
    let (code, body) = get(&format!("{site}/api/v1/history?limit=10000"));
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["data"][0]["slot"].as_u64(), Some(first_slot), "the restarted dashboard keeps the series: {body}");

    // The chain stops answering: the last good figures stay, flagged.
    wait_until("a read after the restart", Duration::from_secs(30), || get(&format!("{site}/api/v1/health")).1["ok"] == true);
    proxy.cut();
    wait_until("the dashboard to notice", Duration::from_secs(30), || get(&format!("{site}/api/v1/health")).1["ok"] == false);
    let (code, reserve) = get(&format!("{site}/api/v1/reserve"));
    assert_eq!(code, 200, "{reserve}");
    assert_eq!(reserve["chain"]["ok"], false, "{reserve}");
    assert!(reserve["chain"]["error"].is_string() && reserve["chain"]["last_good_read"].is_u64(), "{reserve}");
    assert_eq!(reserve["data"]["supply"].as_f64().unwrap(), expected.supply, "the last good figures: {reserve}");
    assert_eq!(text(&format!("{site}/")).0, 200);
    assert!(dashboard.terminate(Duration::from_secs(30)).success(), "{}", dashboard.output());
}

#[test]
fn demo_serve_keeps_the_dashboard_up_over_the_demos_chain_while_and_after_the_story_runs() {
    let out = tempfile::tempdir().unwrap();
    let args = ["demo", "--serve", "127.0.0.1:0", "--days", "4", "--out", out.path().to_str().unwrap()];
    let mut demo = Process::spawn("demo --serve", Path::new(BALLAST), &args);
    let line = demo.wait_for_line("dashboard: http://", Duration::from_secs(120));
    let site = line.split_whitespace().nth(1).expect("dashboard: URL ...").to_string();
    wait_until("the demo's first mints on the page", Duration::from_secs(120), || {
        get(&format!("{site}/api/v1/reserve")).1["data"]["supply"].as_f64().is_some_and(|supply| supply > 0.0)
    });
    demo.wait_for_line("the dashboard stays up", Duration::from_secs(600));
    let (code, reserve) = get(&format!("{site}/api/v1/reserve"));
    assert_eq!(code, 200, "{reserve}");
    let symbols: Vec<&str> = reserve["data"]["assets"].as_array().unwrap().iter().map(|a| a["symbol"].as_str().unwrap()).collect();
    assert_eq!(symbols, ["USDC", "TBILL", "WBTC"], "the demo names its assets: {reserve}");
    let (_, oracle) = get(&format!("{site}/api/v1/oracle"));
    assert!(oracle["data"]["last_round"].as_u64().unwrap() >= 4, "a round a day: {oracle}");
    assert!(get(&format!("{site}/api/v1/history")).1["data"].as_array().unwrap().len() >= 2);
    let (_, nodes) = get(&format!("{site}/api/v1/nodes"));
    let nodes = nodes["data"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 3, "the demo's three oracle nodes: {nodes:?}");
    assert!(nodes.iter().all(|node| node["windows"].as_array().is_some_and(|w| !w.is_empty())), "{nodes:?}");
    assert!(out.path().join("report.json").exists(), "the demo's report is written as without --serve");
    assert!(demo.terminate(Duration::from_secs(60)).success(), "{}", demo.output());
}

/// A price file for one oracle node: calm for `calm` windows (small moves,
/// so the estimates are well posed), then WBTC down 49% (the program takes
/// no price that moves more than max_price_jump, 50%, in one round).
fn crash_prices(path: &Path, calm: usize, windows: usize) {
    let mut text = String::from("date,asset,price\n");
    for day in 0..windows {
        let wiggle = 1.0 + 0.002 * ((day as f64) * 1.7).sin();
        let btc = if day < calm { 60_000.0 * wiggle } else { 30_600.0 * wiggle };
        let date = format!("2026-{:02}-{:02}", 1 + day / 28, 1 + day % 28);
        text += &format!("{date},USDC,{}\n{date},TBILL,{}\n{date},WBTC,{btc}\n", 1.0 + 0.0001 * wiggle, 1.02 * wiggle.sqrt());
    }
    std::fs::write(path, text).unwrap();
}

/// The dashboard's figures as the page formats them (en-US, fixed digits).
fn shown(value: f64, digits: usize) -> String {
    let fixed = format!("{value:.digits$}");
    let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let grouped: Vec<String> = whole.as_bytes().rchunks(3).rev().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    if fraction.is_empty() { grouped.join(",") } else { format!("{}.{fraction}", grouped.join(",")) }
}

#[test]
fn the_page_in_headless_chromium_shows_the_chain_passes_axe_and_shows_a_tripped_breaker_without_a_reload() {
    use ballast_tests::browser::Browser;
    let mut cluster = Cluster::start(Path::new(BALLAST), 1, 1);
    let url = cluster.url();
    let dir = cluster.dir.path().to_path_buf();
    let prices = dir.join("prices.csv");
    crash_prices(&prices, 72, 120);
    let source = format!("csv:{}", prices.display());
    let mut oracle = cluster.start_oracle(0, &url, Some(&source));
    wait_until("the first oracle round", Duration::from_secs(120), || cluster.last_round() >= 1);

    // Alice holds cash, bills and bitcoin (MCR stays over its floor of 1).
    let deployer = cluster.deployer.insecure_clone();
    let (alice, alice_file) = key_file(&dir, "alice");
    cluster.chain.client().request_airdrop(&alice.pubkey(), 10 * 1_000_000_000).unwrap();
    let chain = &mut cluster.chain;
    let treasury = token::associated_account(chain, &deployer, &deployer.pubkey(), &cluster.mints[0]).unwrap();
    token::mint_to(chain, &deployer, &cluster.mints[0], &deployer, &treasury, 20_000 * UNIT).unwrap();
    chain.send(&[instructions::contribute(&deployer.pubkey(), &cluster.mints[0], &treasury, 20_000 * UNIT)], &deployer, &[]).unwrap();
    for (mint, amount) in cluster.mints.iter().zip([10_000 * UNIT, 20_000 * UNIT, 25_000_000]) {
        let account = token::associated_account(chain, &deployer, &alice.pubkey(), mint).unwrap();
        token::mint_to(chain, &deployer, mint, &deployer, &account, amount).unwrap();
    }
    let deployment = cluster.deployment.clone();
    for (symbol, amount) in [("USDC", "10000"), ("TBILL", "20000"), ("WBTC", "0.25")] {
        let minted = cluster.cli(&alice_file, &["mint", "--asset", symbol, amount, "--deployment", deployment.to_str().unwrap()]);
        assert!(minted["signature"].is_string(), "{symbol}: {minted}");
    }
    // The chain holds still while the page is compared with it.
    oracle.terminate(Duration::from_secs(30));
    let (mut dashboard, site) = start_dashboard(&url, &deployment, &dir.join("dashboard.sqlite"), &[]);
    let expected = status::reserve_status(&mut cluster.chain).unwrap();

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&shots).unwrap();
    let mut browser = Browser::start(1280, 900);
    browser.open(&site);
    let cr = expected.collateral_ratio.unwrap();
    browser.wait_for_text("cr", Duration::from_secs(30), |text| text == format!("{cr:.4}"));
    assert_eq!(browser.text("supply"), shown(expected.supply, 2));
    let rows = browser.run(
        "return [...document.querySelectorAll('#assets tr')].map(r => [...r.cells].map(c => c.textContent));",
        Value::Null,
    );
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), expected.assets.len(), "{rows:?}");
    for ((row, asset), symbol) in rows.iter().zip(&expected.assets).zip(["USDC", "TBILL", "WBTC"]) {
        assert_eq!(row[0], symbol, "{row}");
        assert_eq!(row[5], format!("{:.1}%", asset.weight * 100.0), "{symbol}'s weight: {row}");
    }
    browser.wait_for_text("breaker", Duration::from_secs(10), |text| text == "normal");
    browser.screenshot(&shots.join("laptop.png"));

    // Accessibility (axe-core, WCAG 2 A and AA) at laptop and phone widths,
    // and nothing wider than a 360 px phone but the tables' own scrollers.
    let axe = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../dashboard/tests/axe-core/axe.min.js")).unwrap();
    let audit = |browser: &Browser| {
        browser.run(&axe, Value::Null);
        let violations = browser.run(
            "return axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] }).then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })));",
            Value::Null,
        );
        let serious: Vec<&Value> = violations.as_array().unwrap().iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect();
        assert!(serious.is_empty(), "axe: {violations}");
    };
    audit(&browser);
    browser.resize(360, 800);
    std::thread::sleep(Duration::from_millis(500));
    let width = browser.run("return document.documentElement.scrollWidth;", Value::Null);
    assert!(width.as_u64().unwrap() <= 360, "the page is {width} px wide at 360");
    audit(&browser);
    browser.screenshot(&shots.join("phone.png"));
    browser.resize(1280, 900);

    // Bitcoin, 23% of the reserve, falls 49%: once the oracle posts it, V
    // is down 11% (the drawdown limit is 10%) and the breaker trips; the
    // open page says so without a reload.
    let mut oracle = cluster.start_oracle(0, &url, Some(&source));
    let protocol = accounts::protocol(&mut cluster.chain).unwrap();
    wait_until("the crash on chain", Duration::from_secs(180), || {
        accounts::assets(&mut cluster.chain, &protocol).unwrap()[2].price < 40_000.0
    });
    assert_eq!(accounts::protocol(&mut cluster.chain).unwrap().raw.breaker_tripped_slot, 0, "nothing tripped it before");
    wait_until("the breaker to trip on the crash", Duration::from_secs(60), || {
        cluster.chain.send(&[instructions::trip_breaker(&protocol.assets)], &deployer, &[]).is_ok()
    });
    browser.wait_for_text("breaker", Duration::from_secs(30), |text| text == "tripped");
    browser.wait_for_text("events", Duration::from_secs(30), |text| text.contains("the circuit breaker tripped"));
    assert!(browser.text("paused").contains("mint"), "{}", browser.text("paused"));
    browser.run("document.getElementById('safety-heading').scrollIntoView();", Value::Null);
    browser.screenshot(&shots.join("tripped.png"));
    drop(browser);
    oracle.terminate(Duration::from_secs(30));
    assert!(dashboard.terminate(Duration::from_secs(30)).success(), "{}", dashboard.output());
}
