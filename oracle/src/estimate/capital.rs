//! Capital ratios of the protocol-controlled value (seed 003, "PCV investment
//! policy"; protocol.md section 2). Assets sit in tiers (1: core such as
//! BTC/ETH, 2.1: DeFi index, 2.2: other layer 1s, 3: the rest) with risk
//! weights, by default 100% / 70% / 65% / 20%:
//!
//! * RWA = sum_i rw_i V_i (risk-weighted assets),
//! * MCR = (tier-1 + tier-2 capital) / RWA,
//! * CCB = tier-1 capital / RWA,
//! * ILR = tier-1 capital / moving average of the 120-hour redemption volume,
//! * hedge ratio = value of hedges (perpetual swaps) / RWA.
//!
//! Reading: tier-k capital is the value held in tier-k assets (tier 2 = 2.1 +
//! 2.2); tier-3 holdings count in RWA but not as capital.

use serde::{Deserialize, Serialize};

use super::error::{require_finite, EstimateError};

/// Hours in the instant-liquidity window.
pub const LIQUIDITY_WINDOW_HOURS: usize = 120;

/// Asset tier of seed 003.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Core assets.
    Tier1,
    /// First-class DeFi.
    Tier2_1,
    /// Layer 1s outside tier 1.
    Tier2_2,
    /// Everything else.
    Tier3,
}

/// Risk weight of each tier.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TierWeights {
    /// Weight of tier 1.
    pub tier1: f64,
    /// Weight of tier 2.1.
    pub tier2_1: f64,
    /// Weight of tier 2.2.
    pub tier2_2: f64,
    /// Weight of tier 3.
    pub tier3: f64,
}

impl Default for TierWeights {
    /// Seed 003's example: 100% / 70% / 65% / 20%.
    fn default() -> Self {
        Self {
            tier1: 1.0,
            tier2_1: 0.7,
            tier2_2: 0.65,
            tier3: 0.2,
        }
    }
}

impl TierWeights {
    /// Risk weight rw of `tier`.
    pub fn weight(&self, tier: Tier) -> f64 {
        match tier {
            Tier::Tier1 => self.tier1,
            Tier::Tier2_1 => self.tier2_1,
            Tier::Tier2_2 => self.tier2_2,
            Tier::Tier3 => self.tier3,
        }
    }

    /// A holding of `value` in `tier`, weighted as its tier is.
    pub fn holding(&self, value: f64, tier: Tier) -> Holding {
        Holding { value, tier, risk_weight: self.weight(tier) }
    }
}

/// Value held in one asset.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holding {
    /// Market value V_i.
    pub value: f64,
    /// Its tier.
    pub tier: Tier,
    /// rw_i: its tier's weight, or the asset's own where each asset
    /// carries one (the program's `risk_weight`).
    pub risk_weight: f64,
}

/// The capital ratios and the quantities they are built from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CapitalRatios {
    /// Value in tier-1 assets.
    pub tier1_capital: f64,
    /// Value in tier-2.1 and tier-2.2 assets.
    pub tier2_capital: f64,
    /// sum_i rw_i V_i.
    pub risk_weighted_assets: f64,
    /// MCR = (tier 1 + tier 2) / RWA.
    pub minimum_capital_ratio: f64,
    /// CCB = tier 1 / RWA.
    pub countercyclical_buffer: f64,
    /// ILR = tier 1 / 120-hour redemption volume; `None` without redemptions.
    pub instant_liquidity_ratio: Option<f64>,
    /// Hedges / RWA.
    pub hedge_ratio: f64,
}

/// Computes the ratios. `redemption_volume_120h` is the moving average of
/// the 120-hour redemption volume (see [`redemption_volume_120h`]).
pub fn capital_ratios(
    holdings: &[Holding],
    hedge_value: f64,
    redemption_volume_120h: f64,
) -> Result<CapitalRatios, EstimateError> {
    let values = holdings.iter().flat_map(|h| [&h.value, &h.risk_weight]);
    require_finite(
        "holdings, risk weights, hedges and redemption volume",
        values.chain([&hedge_value, &redemption_volume_120h]),
    )?;
    let holding_figures = holdings.iter().flat_map(|h| [("holding value", h.value), ("risk weight", h.risk_weight)]);
    for (name, value) in holding_figures.chain([
        ("hedge value", hedge_value),
        ("redemption volume", redemption_volume_120h),
    ]) {
        if value < 0.0 {
            return Err(EstimateError::InvalidParameter {
                name,
                value,
                requirement: "non-negative",
            });
        }
    }
    let in_tiers = |tiers: &[Tier]| {
        holdings
            .iter()
            .filter(|h| tiers.contains(&h.tier))
            .map(|h| h.value)
            .sum::<f64>()
    };
    let tier1_capital = in_tiers(&[Tier::Tier1]);
    let tier2_capital = in_tiers(&[Tier::Tier2_1, Tier::Tier2_2]);
    let risk_weighted_assets: f64 = holdings
        .iter()
        .map(|h| h.risk_weight * h.value)
        .sum();
    if risk_weighted_assets <= 0.0 {
        return Err(EstimateError::InvalidParameter {
            name: "risk-weighted assets",
            value: risk_weighted_assets,
            requirement: "positive",
        });
    }
    Ok(CapitalRatios {
        tier1_capital,
        tier2_capital,
        risk_weighted_assets,
        minimum_capital_ratio: (tier1_capital + tier2_capital) / risk_weighted_assets,
        countercyclical_buffer: tier1_capital / risk_weighted_assets,
        instant_liquidity_ratio: (redemption_volume_120h > 0.0)
            .then(|| tier1_capital / redemption_volume_120h),
        hedge_ratio: hedge_value / risk_weighted_assets,
    })
}

/// Moving average of the 120-hour redemption volume from hourly volumes:
/// the mean, over every complete 120-hour window in the history, of the
/// volume redeemed in that window.
pub fn redemption_volume_120h(hourly_volumes: &[f64]) -> Result<f64, EstimateError> {
    let hours = hourly_volumes.len();
    if hours < LIQUIDITY_WINDOW_HOURS {
        return Err(EstimateError::TooFewObservations {
            estimator: "120-hour redemption volume",
            needed: LIQUIDITY_WINDOW_HOURS,
            found: hours,
        });
    }
    require_finite("hourly redemption volumes", hourly_volumes)?;
    let mut window: f64 = hourly_volumes[..LIQUIDITY_WINDOW_HOURS].iter().sum();
    let mut total = window;
    for h in LIQUIDITY_WINDOW_HOURS..hours {
        window += hourly_volumes[h] - hourly_volumes[h - LIQUIDITY_WINDOW_HOURS];
        total += window;
    }
    Ok(total / (hours - LIQUIDITY_WINDOW_HOURS + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_from_tiered_holdings() {
        let weights = TierWeights::default();
        let holdings = [
            weights.holding(600.0, Tier::Tier1),
            weights.holding(200.0, Tier::Tier2_1),
            weights.holding(100.0, Tier::Tier2_2),
            weights.holding(100.0, Tier::Tier3),
        ];
        let ratios = capital_ratios(&holdings, 50.0, 300.0).unwrap();
        let rwa = 600.0 + 140.0 + 65.0 + 20.0;
        assert!((ratios.risk_weighted_assets - rwa).abs() < 1e-12);
        assert!((ratios.minimum_capital_ratio - 900.0 / rwa).abs() < 1e-12);
        assert!((ratios.countercyclical_buffer - 600.0 / rwa).abs() < 1e-12);
        assert_eq!(ratios.instant_liquidity_ratio, Some(2.0));
        assert!((ratios.hedge_ratio - 50.0 / rwa).abs() < 1e-12);
        let no_redemptions = capital_ratios(&holdings, 0.0, 0.0).unwrap();
        assert_eq!(no_redemptions.instant_liquidity_ratio, None);
    }

    #[test]
    fn rejects_negative_values_and_empty_books() {
        let negative = [TierWeights::default().holding(-1.0, Tier::Tier1)];
        assert!(capital_ratios(&negative, 0.0, 1.0).is_err());
        let negative_weight = [Holding { value: 1.0, tier: Tier::Tier1, risk_weight: -0.5 }];
        assert!(capital_ratios(&negative_weight, 0.0, 1.0).is_err());
        assert!(capital_ratios(&[], 0.0, 1.0).is_err());
    }

    #[test]
    fn moving_average_of_window_volumes() {
        // Constant 2 per hour: every 120-hour window redeems 240.
        assert!((redemption_volume_120h(&[2.0; 300]).unwrap() - 240.0).abs() < 1e-9);
        // Ramp 0..121: the two windows hold sum(0..120)=7140 and sum(1..121)=7260.
        let ramp: Vec<f64> = (0..121).map(f64::from).collect();
        assert!((redemption_volume_120h(&ramp).unwrap() - 7200.0).abs() < 1e-9);
        assert!(redemption_volume_120h(&[1.0; 119]).is_err());
    }
}
