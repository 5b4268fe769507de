//! End to end, as `ballast-oracle estimate` and `risk` will run: synthetic
//! prices written to CSV, read back, estimated, and fed to the reserve Monte
//! Carlo, with JSON output.

use ballast_oracle::data::{read_prices, write_prices, PriceHistory, SyntheticMarket};
use ballast_oracle::estimate::{estimate_returns, EstimationConfig};
use ballast_oracle::montecarlo::{
    simulate_reserve, McConfig, McError, ReserveModel, ReservePosition,
};

const POSITION: &str = r#"
reserve_value = 1.15e9
supply = 1.0e9
weights = { BTC = 0.25, ETH = 0.10, TBILL = 0.45, USDC = 0.20 }
impact = { BTC = 0.3, ETH = 0.5 }
weight_changes = { BTC = -0.05, TBILL = 0.05 }
shocks = { kind = "student_t", degrees_of_freedom = 4.0 }
"#;

#[test]
fn prices_to_estimates_to_reserve_risk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prices.csv");
    write_prices(&path, &SyntheticMarket::demo(11).generate().unwrap()).unwrap();

    let history = PriceHistory::from_observations(&read_prices(&path).unwrap()).unwrap();
    let estimates = estimate_returns(&history.log_returns(), &EstimationConfig::default()).unwrap();
    let json = serde_json::to_value(&estimates).unwrap();
    assert_eq!(json["assets"].as_array().unwrap().len(), 5);
    let intensity = estimates.shrinkage_intensity.unwrap();
    assert!((0.0..=1.0).contains(&intensity));

    let position: ReservePosition = toml::from_str(POSITION).unwrap();
    let model = ReserveModel::from_estimates(&estimates, &position).unwrap();
    assert_eq!(model.assets, ["BTC", "ETH", "TBILL", "USDC"]); // SOL is not held
    assert_eq!(model.weight_changes, [-0.05, 0.0, 0.05, 0.0]);

    let config = McConfig {
        paths: 20_000,
        seed: 5,
        ..McConfig::default()
    };
    let result = simulate_reserve(&model, &config).unwrap();
    // Breach probabilities grow with the threshold, and each sits in its intervals.
    for pair in result.breach.windows(2) {
        assert!(pair[0].probability <= pair[1].probability);
    }
    for breach in &result.breach {
        assert!(
            breach.wilson.contains(breach.probability)
                && breach.clopper_pearson.contains(breach.probability)
        );
    }
    assert!(result.loss.expected_shortfall >= result.loss.value_at_risk);
    assert_eq!(result.cr_histogram.counts.iter().sum::<u64>(), 20_000);
    let printed = serde_json::to_string_pretty(&result).unwrap();
    assert!(printed.contains("clopper_pearson"));
}

#[test]
fn position_naming_an_unpriced_asset_is_rejected() {
    let estimates = estimate_returns(
        &SyntheticMarket::demo(1).generate().unwrap().log_returns(),
        &EstimationConfig::default(),
    )
    .unwrap();
    let position: ReservePosition =
        toml::from_str("reserve_value = 1.0\nsupply = 1.0\nweights = { BTC = 0.5, DOGE = 0.5 }")
            .unwrap();
    assert_eq!(
        ReserveModel::from_estimates(&estimates, &position),
        Err(McError::UnknownAsset("DOGE".into()))
    );
}
