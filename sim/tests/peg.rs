//! Findings about the peg, each checked on the demo's own world (seed 7,
//! the 45% crypto crash on day 21) with the market's agents in it.

use ballast_sim::agents::{AgentMix, MarketConfig};
use ballast_app::demo::Stress;
use ballast_sim::run::run_one;

#[test]
fn arbitrage_holds_the_band_until_the_breaker_and_the_cr_crit_halt_each_switch_off_one_side() {
    std::env::set_var("RUST_LOG", "error");
    let scratch = tempfile::tempdir().unwrap();
    // Arbitrage alone: a market maker's quotes would blur what it cannot do.
    let market = MarketConfig { maker: None, ..MarketConfig::default() };
    let run = run_one(7, 42, Stress::CryptoCrash, &AgentMix { market, ..AgentMix::default() }, scratch.path()).unwrap();
    let crash = run.crash_day;
    assert_eq!(run.windows.len(), 42);

    // 1. Whenever the program let it trade, the arbitrageur left the pool
    //    inside the no-arbitrage band (its capital never ran out here).
    for w in run.windows.iter().filter(|w| w.arbitrage.refused.is_none()) {
        let slack = 1e-4;
        assert!(
            w.band.floor - slack <= w.price && w.price <= w.band.ceiling + slack,
            "day {}: price {} outside [{}, {}]",
            w.day,
            w.price,
            w.band.floor,
            w.band.ceiling
        );
    }
    // Before the crash that band is within a percent of par.
    assert!(run.windows.iter().filter(|w| w.day < crash).all(|w| (w.price - 1.0).abs() < 0.01));

    // 2. The panic dumps a fifth of the pool: over 20% under par before
    //    arbitrage, which buys and redeems at once, at min(r, CR) less fees.
    let panic = &run.windows[(crash - 1) as usize];
    assert!(panic.price_before_arbitrage < 0.8, "{panic:?}");
    assert!(panic.arbitrage.bought_and_redeemed > 0.0 && panic.price > 0.9, "{panic:?}");

    // 3. Finding: the breaker the crash trips pauses redeeming, and with it
    //    the arbitrage that defends the floor: the discount stays.
    let paused: Vec<_> = run
        .windows
        .iter()
        .filter(|w| w.arbitrage.refused.as_deref() == Some("redeeming is paused"))
        .collect();
    assert!(!paused.is_empty() && paused.iter().all(|w| w.price < 0.97), "{paused:?}");

    // 4. Finding: below CR_crit nothing mints, so a premium cannot be sold
    //    down either: the coin trades above the band.
    let halted: Vec<_> = run
        .windows
        .iter()
        .filter(|w| w.arbitrage.refused.as_deref().is_some_and(|r| r.contains("MintHaltedBelowCritical")))
        .collect();
    assert!(!halted.is_empty() && halted.iter().all(|w| w.price > w.band.ceiling), "{halted:?}");
}

/// Seed 002's questions about the market maker, on the same seeds and
/// flows, one maker each way:
/// - does a spread that widens with volatility and thinning depth earn more
///   than a fixed one, at no more inventory risk?
/// - what does an adversary who drags its TWAP (buying $2,000 at every
///   close, selling to the maker at the inflated bid) do to each?
#[test]
fn the_adaptive_spread_earns_more_and_makes_dragging_the_twap_unprofitable_though_the_maker_still_pays() {
    use ballast_sim::agents::MakerConfig;
    std::env::set_var("RUST_LOG", "error");
    let scratch = tempfile::tempdir().unwrap();
    let (mut gains, mut manipulator, mut maker_losses) = (Vec::new(), [0.0; 2], Vec::new());
    for seed in [7, 8, 9] {
        let run = |maker: MakerConfig, push: Option<f64>| {
            let market = MarketConfig { maker: Some(maker), manipulator_push: push, ..MarketConfig::default() };
            run_one(seed, 42, Stress::CryptoCrash, &AgentMix { market, ..AgentMix::default() }, scratch.path()).unwrap()
        };
        let (adaptive, fixed) = (run(MakerConfig::adaptive(), None).maker.unwrap(), run(MakerConfig::fixed(0.006), None).maker.unwrap());
        assert!(adaptive.fills > 0 && fixed.fills > 0, "seed {seed}: {adaptive:?} {fixed:?}");
        gains.push((adaptive.profit - fixed.profit, adaptive.inventory_risk / fixed.inventory_risk));
        for (index, (maker, calm)) in [(MakerConfig::adaptive(), &adaptive), (MakerConfig::fixed(0.006), &fixed)].into_iter().enumerate() {
            let dragged = run(maker, Some(2_000.0));
            manipulator[index] += dragged.manipulator.unwrap().profit;
            maker_losses.push(calm.profit - dragged.maker.unwrap().profit);
        }
    }
    let profit_gain: f64 = gains.iter().map(|g| g.0).sum();
    assert!(profit_gain > 0.0, "adaptive minus fixed profit by seed, and their inventory risk ratio: {gains:?}");
    assert!(gains.iter().all(|g| g.1 <= 1.1), "{gains:?}");
    // Against the fixed spread dragging the TWAP pays; against the adaptive
    // one, which widens with the volatility the pushes make, far less.
    let [against_adaptive, against_fixed] = manipulator;
    assert!(against_fixed > 0.0 && against_adaptive < against_fixed / 2.0, "{manipulator:?}");
    // Either way the maker, quoting off a dragged average, loses to every
    // seller: it needs a price it cannot be pushed off.
    assert!(maker_losses.iter().all(|loss| *loss > 0.0), "{maker_losses:?}");
}
