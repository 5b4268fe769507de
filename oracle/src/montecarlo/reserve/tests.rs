use super::*;
use statrs::distribution::{Continuous, ContinuousCDF, Normal, StudentsT};

fn single_asset(mean: f64, volatility: f64, shocks: Shocks) -> ReserveModel {
    ReserveModel {
        assets: vec!["BTC".into()],
        weights: vec![1.0],
        reserve_value: 1.2,
        supply: 1.0,
        mean_log_return: vec![mean],
        covariance: vec![vec![volatility * volatility]],
        impact: vec![],
        weight_changes: vec![],
        shocks,
    }
}

fn config(
    paths: usize,
    horizon_years: f64,
    horizon_steps: usize,
    cr_thresholds: Vec<f64>,
) -> McConfig {
    McConfig {
        paths,
        seed: 2024,
        horizon_years,
        horizon_steps,
        cr_thresholds,
        ..McConfig::default()
    }
}

/// |estimate - truth| within 4 binomial standard errors.
fn assert_probability(estimate: &ThresholdProbability, truth: f64, paths: usize) {
    let se = (truth * (1.0 - truth) / paths as f64).sqrt();
    assert!(
        (estimate.probability - truth).abs() < 4.0 * se,
        "P(CR < {}) = {} vs analytic {truth} (se {se})",
        estimate.threshold,
        estimate.probability
    );
}

#[test]
fn breach_probability_matches_lognormal_closed_form() {
    // CR_T = (V0 / S) exp(X), X ~ N(m T, sigma² T): P(CR_T < c) = Phi((ln(c S / V0) - m T) / (sigma sqrt T)).
    let (m, sigma, horizon) = (0.05, 0.6, 0.25);
    let model = single_asset(m, sigma, Shocks::Normal);
    let paths = 40_000;
    let result = simulate_reserve(&model, &config(paths, horizon, 5, vec![1.0, 0.9])).unwrap();
    let standard = Normal::standard();
    for breach in &result.breach {
        let z =
            ((breach.threshold / model.initial_cr()).ln() - m * horizon) / (sigma * horizon.sqrt());
        assert_probability(breach, standard.cdf(z), paths);
        assert!(
            breach.clopper_pearson.contains(breach.probability)
                && breach.wilson.contains(breach.probability)
        );
    }
}

#[test]
fn student_t_shocks_match_the_t_distribution() {
    // One step: X = m T + sigma sqrt(T) sqrt((nu - 2) / nu) t_nu, so
    // P(CR < c) = F_nu(q sqrt(nu / (nu - 2))) with q the standardised log threshold.
    let (m, sigma, horizon, nu) = (0.0, 0.5, 0.1, 4.0);
    let model = single_asset(
        m,
        sigma,
        Shocks::StudentT {
            degrees_of_freedom: nu,
        },
    );
    let scale = sigma * f64::sqrt(horizon);
    let standardised = [-1.0, -3.0];
    let thresholds = standardised
        .iter()
        .map(|q| model.initial_cr() * (m * horizon + q * scale).exp())
        .collect();
    let paths = 100_000;
    let result = simulate_reserve(&model, &config(paths, horizon, 1, thresholds)).unwrap();
    let t = StudentsT::new(0.0, 1.0, nu).unwrap();
    for (breach, q) in result.breach.iter().zip(standardised) {
        assert_probability(breach, t.cdf(q * (nu / (nu - 2.0)).sqrt()), paths);
    }
    // Fat tails: at -3 standard deviations the t tail is ~5x the normal one.
    assert!(result.breach[1].probability > 3.0 * Normal::standard().cdf(-3.0));
}

#[test]
fn loss_var_matches_lognormal_quantile() {
    let (m, sigma, horizon, level) = (0.02, 0.5, 0.1, 0.99);
    let model = single_asset(m, sigma, Shocks::Normal);
    let paths = 50_000;
    let result = simulate_reserve(
        &model,
        &McConfig {
            tail_level: level,
            ..config(paths, horizon, 2, vec![])
        },
    )
    .unwrap();
    // loss = V0 (1 - e^X) is decreasing in X: VaR_a(loss) = V0 (1 - exp(m T + sigma sqrt(T) z_{1-a})).
    let (v0, scale) = (model.reserve_value, sigma * horizon.sqrt());
    let z = Normal::standard().inverse_cdf(1.0 - level);
    let log_return = m * horizon + scale * z;
    let var = v0 * (1.0 - log_return.exp());
    let loss_density = Normal::standard().pdf(z) / scale / (v0 * log_return.exp());
    let se = (level * (1.0 - level) / paths as f64).sqrt() / loss_density;
    assert!(
        (result.loss.value_at_risk - var).abs() < 4.0 * se,
        "{} vs {var}",
        result.loss.value_at_risk
    );
    assert!(result.loss.expected_shortfall > result.loss.value_at_risk);
}

fn mixed_reserve() -> ReserveModel {
    let (btc, eth, rho) = (0.6, 0.7, 0.7);
    ReserveModel {
        assets: ["BTC", "ETH", "TBILL", "USDC"].map(String::from).to_vec(),
        weights: vec![0.3, 0.2, 0.3, 0.2],
        reserve_value: 120.0,
        supply: 100.0,
        mean_log_return: vec![0.10, 0.05, 0.048, 0.0],
        covariance: vec![
            vec![btc * btc, rho * btc * eth, 0.0, 0.0],
            vec![rho * btc * eth, eth * eth, 0.0, 0.0],
            vec![0.0, 0.0, 1e-6, 0.0],
            vec![0.0, 0.0, 0.0, 0.0],
        ],
        impact: vec![0.5, 0.8, 0.01, 0.0],
        weight_changes: vec![-0.1, -0.05, 0.1, 0.05],
        shocks: Shocks::Normal,
    }
}

#[test]
fn correlated_reserve_value_has_lognormal_mean_and_variance() {
    // V_T = shift + sum_i a_i e^(X_i), X ~ N(m T, Sigma T), a_i = V0 w_i:
    // E V_T = shift + sum_i a_i e^(m_i T + Sigma_ii T / 2),
    // Var V_T = sum_ij a_i a_j e^((m_i + m_j) T + (Sigma_ii + Sigma_jj) T / 2) (e^(Sigma_ij T) - 1).
    let model = mixed_reserve();
    let (horizon, paths) = (0.25, 50_000);
    let values = simulate_reserve_values(&model, &config(paths, horizon, 5, vec![])).unwrap();
    let a: Vec<f64> = model
        .weights
        .iter()
        .map(|w| w * model.reserve_value)
        .collect();
    let shift: f64 = (0..4)
        .map(|i| a[i] * model.impact[i] * model.weight_changes[i])
        .sum();
    let growth = |i: usize| {
        (model.mean_log_return[i] * horizon + 0.5 * model.covariance[i][i] * horizon).exp()
    };
    let mean = shift + (0..4).map(|i| a[i] * growth(i)).sum::<f64>();
    let variance: f64 = (0..4)
        .flat_map(|i| (0..4).map(move |j| (i, j)))
        .map(|(i, j)| {
            a[i] * a[j] * growth(i) * growth(j) * ((model.covariance[i][j] * horizon).exp() - 1.0)
        })
        .sum();

    let n = paths as f64;
    let sample_mean = values.iter().sum::<f64>() / n;
    let central = |power: i32| {
        values
            .iter()
            .map(|v| (v - sample_mean).powi(power))
            .sum::<f64>()
            / n
    };
    let (sample_variance, fourth) = (central(2), central(4));
    let mean_se = (sample_variance / n).sqrt();
    let variance_se = ((fourth - sample_variance.powi(2)) / n).sqrt();
    assert!(
        (sample_mean - mean).abs() < 4.0 * mean_se,
        "mean {sample_mean} vs {mean} (se {mean_se})"
    );
    assert!(
        (sample_variance - variance).abs() < 4.0 * variance_se,
        "variance {sample_variance} vs {variance} (se {variance_se})"
    );
}

#[test]
fn bit_identical_for_one_and_four_threads() {
    let model = ReserveModel {
        shocks: Shocks::StudentT {
            degrees_of_freedom: 5.0,
        },
        ..mixed_reserve()
    };
    let config = config(10_000, 0.1, 4, vec![1.0, 1.1, 1.2]);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| simulate_reserve(&model, &config))
            .unwrap()
    };
    let (one, four) = (run(1), run(4));
    assert_eq!(one, four);
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&four).unwrap()
    );
    let other_seed = simulate_reserve(
        &model,
        &McConfig {
            seed: 1,
            ..config.clone()
        },
    )
    .unwrap();
    assert_ne!(one.mean_cr, other_seed.mean_cr);
}

#[test]
fn rejects_inconsistent_models_and_configs() {
    let good = mixed_reserve();
    let cfg = config(10, 0.1, 1, vec![1.0]);
    let bad_weights = ReserveModel {
        weights: vec![0.5, 0.2, 0.3, 0.2],
        ..good.clone()
    };
    assert!(matches!(
        simulate_reserve(&bad_weights, &cfg),
        Err(McError::InvalidParameter {
            name: "sum of weights",
            ..
        })
    ));
    let short_mean = ReserveModel {
        mean_log_return: vec![0.0; 3],
        ..good.clone()
    };
    assert!(matches!(
        simulate_reserve(&short_mean, &cfg),
        Err(McError::DimensionMismatch {
            what: "mean_log_return",
            ..
        })
    ));
    let mut indefinite = good.clone();
    indefinite.covariance[0][1] = 1.0;
    indefinite.covariance[1][0] = 1.0;
    assert!(matches!(
        simulate_reserve(&indefinite, &cfg),
        Err(McError::NotPositiveSemiDefinite { .. })
    ));
    let thin_tails = ReserveModel {
        shocks: Shocks::StudentT {
            degrees_of_freedom: 2.0,
        },
        ..good.clone()
    };
    assert!(simulate_reserve(&thin_tails, &cfg).is_err());
    assert!(simulate_reserve(
        &good,
        &McConfig {
            paths: 0,
            ..cfg.clone()
        }
    )
    .is_err());
    assert!(simulate_reserve(
        &good,
        &McConfig {
            tail_level: 1.0,
            ..cfg
        }
    )
    .is_err());
}

#[test]
fn config_and_model_parse_from_toml_with_defaults() {
    let config: McConfig = toml::from_str("paths = 5000\nseed = 3").unwrap();
    assert_eq!(
        config,
        McConfig {
            paths: 5000,
            seed: 3,
            ..McConfig::default()
        }
    );
    assert!(toml::from_str::<McConfig>("pathz = 5").is_err());
    let model: ReserveModel = toml::from_str(
        r#"
        assets = ["BTC", "USDC"]
        weights = [0.4, 0.6]
        reserve_value = 1.2e9
        supply = 1.0e9
        mean_log_return = [0.1, 0.0]
        covariance = [[0.36, 0.0], [0.0, 0.0]]
        shocks = { kind = "student_t", degrees_of_freedom = 4.0 }
        "#,
    )
    .unwrap();
    assert_eq!(
        model.shocks,
        Shocks::StudentT {
            degrees_of_freedom: 4.0
        }
    );
    assert!(model.impact.is_empty());
    assert!(toml::from_str::<ReserveModel>("assets = []\nweights = []\nreserve_value = 1\nsupply = 1\nmean_log_return = []\ncovariance = []\nextra = 1").is_err());
}
