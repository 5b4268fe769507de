use super::*;
use crate::data::SyntheticMarket;

/// A year of training and eight monthly rebalances of the demo market.
fn market(seed: u64) -> PriceHistory {
    let mut market = SyntheticMarket::demo(seed);
    market.days = 252 + 8 * 21 + 1;
    market.generate().unwrap()
}

/// `history` with every price after date index `t` multiplied by a factor
/// that differs by asset and date.
fn rewrite_after(history: &PriceHistory, t: usize) -> PriceHistory {
    let prices = (0..history.assets().len())
        .map(|i| {
            let series = history.series(i);
            (0..series.len())
                .map(|s| match s > t {
                    true => series[s] * (0.4 * ((i * 7 + s) as f64).sin()).exp(),
                    false => series[s],
                })
                .collect()
        })
        .collect();
    PriceHistory::new(history.dates().to_vec(), history.assets().to_vec(), prices).unwrap()
}

#[test]
fn weights_chosen_at_a_date_ignore_later_prices() {
    let config = BacktestConfig::default();
    let history = market(3);
    let decision_index = config.train_days + 3 * config.rebalance_days;
    let decision_date = history.dates()[decision_index];
    let original = backtest(&history, &config).unwrap();
    let rewritten = backtest(&rewrite_after(&history, decision_index), &config).unwrap();
    for strategy in [Strategy::Qp, Strategy::RiskParity] {
        let (before, after) = (original.run(strategy), rewritten.run(strategy));
        let split = |run: &StrategyRun| -> (Vec<Rebalance>, Vec<Rebalance>) {
            run.rebalances
                .iter()
                .cloned()
                .partition(|r| r.date <= decision_date)
        };
        let ((known, later), (known_again, later_again)) = (split(before), split(after));
        assert_eq!(known.len(), 4);
        assert_eq!(known, known_again, "{strategy:?} looked ahead");
        // The rewrite does reach the later decisions, so the test could fail.
        assert_ne!(later, later_again, "{strategy:?}");
    }
}

#[test]
fn costs_cut_the_equity_by_exactly_the_fractions_charged() {
    let with_costs = BacktestConfig::default();
    let mut free = with_costs.clone();
    free.assets.values_mut().for_each(|terms| terms.cost = 0.0);
    let history = market(5);
    let (charged, uncharged) = (
        backtest(&history, &with_costs).unwrap(),
        backtest(&history, &free).unwrap(),
    );
    // Equal-weight targets do not depend on costs, so both runs trade alike.
    let (charged, uncharged) = (
        charged.run(Strategy::EqualWeight),
        uncharged.run(Strategy::EqualWeight),
    );
    let kept: f64 = charged.rebalances.iter().map(|r| 1.0 - r.cost).product();
    assert!(kept < 0.999, "the trades must cost something: kept {kept}");
    let last = |run: &StrategyRun| run.equity[run.equity.len() - 1];
    assert!((last(charged) - kept * last(uncharged)).abs() < 1e-12);
    assert_eq!(uncharged.total_costs, 0.0);
    // The costs reported are the values lost: V_free · Π(kept) before each trade.
    let mut kept_so_far = 1.0;
    let mut paid = 0.0;
    for (k, rebalance) in charged.rebalances.iter().enumerate() {
        let value = uncharged.equity[k * with_costs.rebalance_days] * kept_so_far;
        paid += value * rebalance.cost;
        kept_so_far *= 1.0 - rebalance.cost;
    }
    assert!((charged.total_costs - paid).abs() < 1e-12);
}

#[test]
fn the_policy_respects_its_constraints_and_the_static_benchmark_never_trades() {
    let config = BacktestConfig::default();
    let report = backtest(&market(8), &config).unwrap();
    assert_eq!(report.dates.len(), 8 * 21 + 1);
    let qp = report.run(Strategy::Qp);
    for rebalance in &qp.rebalances {
        assert_eq!(rebalance.held_because, None, "{}", rebalance.date);
    }
    for rebalance in &qp.rebalances {
        assert!((rebalance.weights.iter().sum::<f64>() - 1.0).abs() < 1e-6);
        assert!(rebalance.weights.iter().all(|&w| w >= 0.0));
    }
    let fixed = report.run(Strategy::Static);
    assert_eq!((fixed.total_costs, fixed.annual_turnover), (0.0, 0.0));
    let parity = report.run(Strategy::RiskParity);
    let usdc = report.assets.iter().position(|a| a == "USDC").unwrap();
    assert!(parity.rebalances.iter().all(|r| r.weights[usdc] == 0.0));
    assert!(report
        .runs
        .iter()
        .all(|run| run.equity.len() == report.dates.len()));
}

#[test]
fn config_and_history_must_name_the_same_assets() {
    let history = market(1);
    let mut config = BacktestConfig::default();
    let sol = config.assets.remove("SOL").unwrap();
    assert_eq!(
        backtest(&history, &config),
        Err(BacktestError::MissingTerms("SOL".into()))
    );
    config.assets.insert("DOGE".into(), sol);
    assert_eq!(
        backtest(&history, &config),
        Err(BacktestError::UnknownAsset("DOGE".into()))
    );
    let mut short = BacktestConfig::default();
    short.train_days = 1000;
    assert!(matches!(
        backtest(&history, &short),
        Err(BacktestError::TooShort { .. })
    ));
}

#[test]
fn a_factor_model_covariance_runs_the_same_policy_within_its_approximation() {
    // Five assets, four principal components: the QP sees nearly the same
    // Sigma, so its weights stay close to the dense run's.
    let dense = BacktestConfig::default();
    let mut factor = dense.clone();
    factor.estimation.factors = Some(4);
    let history = market(8);
    let (a, b) = (
        backtest(&history, &dense).unwrap(),
        backtest(&history, &factor).unwrap(),
    );
    let (a, b) = (a.run(Strategy::Qp), b.run(Strategy::Qp));
    assert_eq!(a.rebalances.len(), b.rebalances.len());
    let largest_gap = a
        .rebalances
        .iter()
        .zip(&b.rebalances)
        .flat_map(|(x, y)| x.weights.iter().zip(&y.weights).map(|(p, q)| (p - q).abs()))
        .fold(0.0, f64::max);
    assert!(largest_gap < 0.05, "{largest_gap}");
    assert!(a
        .rebalances
        .iter()
        .zip(&b.rebalances)
        .any(|(x, y)| x.weights != y.weights));
}
