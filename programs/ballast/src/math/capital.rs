//! Seed 003's capital ratios over the reserve, in fixed point:
//!
//! * RWA = sum_i rw_i V_i (risk-weighted assets),
//! * MCR = (tier-1 + tier-2 capital) / RWA,
//! * CCB = tier-1 capital / RWA,
//!
//! where tier-k capital is the value held in tier-k assets and tier-3
//! holdings count in RWA but not as capital.

use anchor_lang::prelude::*;

use super::fixed_point::*;
use crate::errors::BallastError;

/// Seed 003's asset tiers as far as capital goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapitalTier {
    /// Core capital, in both MCR and CCB.
    One,
    /// In MCR only.
    Two,
    /// In RWA only.
    Three,
}

/// The sums the capital ratios are built from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapitalBase {
    pub tier1: I80F48,
    pub tier2: I80F48,
    /// sum_i rw_i V_i.
    pub risk_weighted: I80F48,
}

/// Governed minimum levels; zero means no floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapitalFloors {
    pub min_capital_ratio: I80F48,
    pub min_countercyclical_buffer: I80F48,
}

impl CapitalBase {
    /// These sums with `value` more (or, `add == false`, less) in an asset
    /// of `tier` weighted `risk_weight`. Risk-weighted value is rounded up
    /// when added and down when taken away, so ratios err low.
    pub fn moved(self, tier: CapitalTier, value: I80F48, risk_weight: I80F48, add: bool) -> Result<Self> {
        let change = |sum: I80F48, by: I80F48| if add { super::add(sum, by) } else { sub(sum, by) };
        let mut next = self;
        match tier {
            CapitalTier::One => next.tier1 = change(self.tier1, value)?,
            CapitalTier::Two => next.tier2 = change(self.tier2, value)?,
            CapitalTier::Three => {}
        }
        let weighted = if add { mul_ceil(value, risk_weight)? } else { mul_floor(value, risk_weight)? };
        next.risk_weighted = change(self.risk_weighted, weighted)?.max(I80F48::ZERO);
        Ok(next)
    }

    /// MCR, rounded down; None without risk-weighted assets.
    pub fn minimum_capital_ratio(&self) -> Result<Option<I80F48>> {
        self.over_risk_weighted(super::add(self.tier1, self.tier2)?)
    }

    /// CCB, rounded down; None without risk-weighted assets.
    pub fn countercyclical_buffer(&self) -> Result<Option<I80F48>> {
        self.over_risk_weighted(self.tier1)
    }

    fn over_risk_weighted(&self, capital: I80F48) -> Result<Option<I80F48>> {
        if self.risk_weighted <= 0 {
            return Ok(None);
        }
        div_floor(capital.max(I80F48::ZERO), self.risk_weighted).map(Some)
    }
}

/// A move from `before` to `after` may not leave a ratio below its floor
/// unless it raises that ratio: a reserve already under a floor may still
/// be repaired, and a ratio that cannot be computed (no risk-weighted
/// assets) binds nothing.
pub fn check_capital_floors(before: &CapitalBase, after: &CapitalBase, floors: &CapitalFloors) -> Result<()> {
    let breaks = |before: Option<I80F48>, after: Option<I80F48>, floor: I80F48| match (before, after) {
        (_, None) => false,
        (None, Some(after)) => after < floor,
        (Some(before), Some(after)) => after < floor && after < before,
    };
    require!(
        !breaks(before.minimum_capital_ratio()?, after.minimum_capital_ratio()?, floors.min_capital_ratio),
        BallastError::CapitalRatioBelowFloor
    );
    require!(
        !breaks(before.countercyclical_buffer()?, after.countercyclical_buffer()?, floors.min_countercyclical_buffer),
        BallastError::CountercyclicalBufferBelowFloor
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fx(x: f64) -> I80F48 {
        I80F48::from_num(x)
    }

    /// Seed 003's example weights: cash (tier 1) 100%, bills (tier 2) 70%, crypto (tier 3) 20%.
    fn reserve(cash: f64, bills: f64, crypto: f64) -> CapitalBase {
        let start = CapitalBase::default();
        let start = start.moved(CapitalTier::One, fx(cash), fx(1.0), true).unwrap();
        let start = start.moved(CapitalTier::Two, fx(bills), fx(0.7), true).unwrap();
        start.moved(CapitalTier::Three, fx(crypto), fx(0.2), true).unwrap()
    }

    fn floors(mcr: f64, ccb: f64) -> CapitalFloors {
        CapitalFloors { min_capital_ratio: fx(mcr), min_countercyclical_buffer: fx(ccb) }
    }

    fn code(result: Result<()>) -> Option<u32> {
        match result {
            Ok(()) => None,
            Err(Error::AnchorError(error)) => Some(error.error_code_number),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn ratios_follow_seed_003() {
        // 40 / 40 / 20: RWA = 40 + 28 + 4 = 72, MCR = 80 / 72, CCB = 40 / 72.
        let base = reserve(40.0, 40.0, 20.0);
        let mcr: f64 = base.minimum_capital_ratio().unwrap().unwrap().to_num();
        let ccb: f64 = base.countercyclical_buffer().unwrap().unwrap().to_num();
        assert!((mcr - 80.0 / 72.0).abs() < 1e-12, "{mcr}");
        assert!((ccb - 40.0 / 72.0).abs() < 1e-12, "{ccb}");
        assert_eq!(CapitalBase::default().minimum_capital_ratio().unwrap(), None);
    }

    #[test]
    fn each_floor_has_its_error_and_repairs_pass() {
        let before = reserve(40.0, 40.0, 20.0);
        // Crypto in: MCR 80 / 76 = 1.05, CCB 40 / 76 = 0.53.
        let more_crypto = before.moved(CapitalTier::Three, fx(20.0), fx(0.2), true).unwrap();
        assert_eq!(code(check_capital_floors(&before, &more_crypto, &floors(1.1, 0.0))), Some(BallastError::CapitalRatioBelowFloor.into()));
        assert_eq!(code(check_capital_floors(&before, &more_crypto, &floors(1.0, 0.6))), Some(BallastError::CountercyclicalBufferBelowFloor.into()));
        assert_eq!(code(check_capital_floors(&before, &more_crypto, &floors(1.0, 0.5))), None);
        // Already below both floors: cash in raises CCB and is welcome.
        let more_cash = before.moved(CapitalTier::One, fx(5.0), fx(1.0), true).unwrap();
        assert_eq!(code(check_capital_floors(&before, &more_cash, &floors(0.0, 0.9))), None);
    }

    proptest! {
        #[test]
        fn tier_three_in_never_raises_a_ratio(
            cash in 0.0f64..1e9, bills in 0.0f64..1e9, crypto in 1.0f64..1e9, more in 0.0f64..1e9,
        ) {
            let before = reserve(cash, bills, crypto);
            let after = before.moved(CapitalTier::Three, fx(more), fx(0.2), true).unwrap();
            prop_assert!(after.minimum_capital_ratio().unwrap() <= before.minimum_capital_ratio().unwrap());
            prop_assert!(after.countercyclical_buffer().unwrap() <= before.countercyclical_buffer().unwrap());
        }

        #[test]
        fn only_a_move_that_lowers_a_ratio_below_its_floor_fails(
            cash in 1.0f64..1e9, bills in 0.0f64..1e9, crypto in 0.0f64..1e9, out in 0.01f64..1.0,
            into in 0usize..3, mcr_floor in 0.0f64..1.2, ccb_floor in 0.0f64..1.0,
        ) {
            // Some of the cash out, into bills, crypto or nowhere (a redemption).
            let before = reserve(cash, bills, crypto);
            let value = fx(cash * out);
            let after = before.moved(CapitalTier::One, value, fx(1.0), false).unwrap();
            let after = match into {
                0 => after.moved(CapitalTier::Two, value, fx(0.7), true).unwrap(),
                1 => after.moved(CapitalTier::Three, value, fx(0.2), true).unwrap(),
                _ => after,
            };
            let floors = floors(mcr_floor, ccb_floor);
            let broken = |before: Option<I80F48>, after: Option<I80F48>, floor| {
                after.is_some_and(|a| a < floor && before.is_none_or(|b| a < b))
            };
            let mcr = broken(before.minimum_capital_ratio().unwrap(), after.minimum_capital_ratio().unwrap(), floors.min_capital_ratio);
            let ccb = broken(before.countercyclical_buffer().unwrap(), after.countercyclical_buffer().unwrap(), floors.min_countercyclical_buffer);
            let expected = if mcr {
                Some(BallastError::CapitalRatioBelowFloor.into())
            } else if ccb {
                Some(BallastError::CountercyclicalBufferBelowFloor.into())
            } else {
                None
            };
            prop_assert_eq!(code(check_capital_floors(&before, &after, &floors)), expected);
        }
    }
}
