//! Reserve-level quantities: CR, weights and the CR regime rules of the spec.

use anchor_lang::prelude::*;

use super::conversion::*;
use super::fixed_point::*;
use crate::errors::BallastError;

/// CR = V / S, rounded down, with S valued at par and rounded up.
/// `None` while there is no supply: CR is unbounded then.
pub fn collateral_ratio_floor(reserve_value: I80F48, supply: u64) -> Result<Option<I80F48>> {
    if supply == 0 {
        return Ok(None);
    }
    div_floor(reserve_value, stable_value_ceil(supply)?).map(Some)
}

/// The rate a redemption pays: r, or CR when the reserve cannot cover its
/// supply, so that no early redeemer is paid at par out of later holders'
/// share before the waterfall has run.
pub fn solvent_rate_floor(redemption_rate: I80F48, reserve_value: I80F48, supply: u64) -> Result<I80F48> {
    Ok(match collateral_ratio_floor(reserve_value, supply)? {
        Some(cr) => redemption_rate.min(cr),
        None => redemption_rate,
    })
}

/// An asset's weight `part / total`, rounded up so that caps bind early.
pub fn weight_ceil(part: I80F48, total: I80F48) -> Result<I80F48> {
    if total == 0 {
        return Ok(I80F48::ZERO);
    }
    div_ceil(part, total)
}

/// The CR thresholds, 1 < crit < min <= target.
#[derive(Clone, Copy, Debug)]
pub struct Thresholds {
    pub crit: I80F48,
    pub min: I80F48,
    pub target: I80F48,
}

impl Thresholds {
    pub fn are_ordered(&self) -> bool {
        I80F48::ONE < self.crit && self.crit < self.min && self.min <= self.target
    }
}

/// Spec section 3: a mint must leave CR at or above CR_min, or raise it while
/// CR is between CR_crit and CR_min; below CR_crit minting is halted.
pub fn check_mint_regime(
    cr_before: Option<I80F48>,
    cr_after: I80F48,
    thresholds: &Thresholds,
) -> Result<()> {
    if let Some(before) = cr_before {
        require!(before >= thresholds.crit, BallastError::MintHaltedBelowCritical);
    }
    if cr_after >= thresholds.min {
        return Ok(());
    }
    match cr_before {
        Some(before) if cr_after > before => Ok(()),
        _ => err!(BallastError::CollateralRatioTooLow),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn thresholds() -> Thresholds {
        Thresholds {
            crit: ratio(105, 100),
            min: ratio(110, 100),
            target: ratio(120, 100),
        }
    }

    proptest! {
        /// CR agrees with an f64 reference to 1e-9 relative for reserves from
        /// $1 to $10^12 and supplies from 1 to 10^12 stablecoins.
        #[test]
        fn cr_matches_f64_reference(value in 1.0f64..1e12, supply in 1_000_000u64..1_000_000_000_000_000_000) {
            let cr = collateral_ratio_floor(I80F48::from_num(value), supply).unwrap().unwrap();
            let reference = value / (supply as f64 / 1e6);
            let relative = (cr.to_num::<f64>() - reference).abs() / reference;
            prop_assert!(relative < 1e-9, "cr {cr} reference {reference} relative {relative}");
        }

        #[test]
        fn weight_never_understates(part_bits in 0i128..1 << 100, extra_bits in 0i128..1 << 100) {
            let part = I80F48::from_bits(part_bits);
            let total = I80F48::from_bits(part_bits + extra_bits);
            let w = weight_ceil(part, total).unwrap();
            prop_assert!(w <= I80F48::ONE);
            if total > 0 {
                prop_assert!(w.to_num::<f64>() >= part.to_num::<f64>() / total.to_num::<f64>() - 1e-12);
            }
        }
    }

    #[test]
    fn regime_rules_follow_the_spec() {
        let t = thresholds();
        let cr = |x: f64| I80F48::from_num(x);
        assert!(check_mint_regime(None, cr(1.5), &t).is_ok());
        assert_eq!(
            check_mint_regime(None, cr(1.0), &t).unwrap_err(),
            BallastError::CollateralRatioTooLow.into()
        );
        assert!(check_mint_regime(Some(cr(1.3)), cr(1.2), &t).is_ok());
        assert_eq!(
            check_mint_regime(Some(cr(1.3)), cr(1.09), &t).unwrap_err(),
            BallastError::CollateralRatioTooLow.into()
        );
        // Between CR_crit and CR_min only CR-raising mints pass.
        assert!(check_mint_regime(Some(cr(1.07)), cr(1.08), &t).is_ok());
        assert!(check_mint_regime(Some(cr(1.07)), cr(1.06), &t).is_err());
        // Below CR_crit nothing mints.
        assert_eq!(
            check_mint_regime(Some(cr(1.04)), cr(1.2), &t).unwrap_err(),
            BallastError::MintHaltedBelowCritical.into()
        );
        assert!(t.are_ordered());
    }

    #[test]
    fn an_insolvent_reserve_pays_at_cr() {
        let r = I80F48::ONE;
        assert_eq!(solvent_rate_floor(r, I80F48::from_num(120), 100_000_000).unwrap(), r);
        assert_eq!(
            solvent_rate_floor(r, I80F48::from_num(90), 100_000_000).unwrap(),
            I80F48::from_num(0.9)
        );
        assert_eq!(solvent_rate_floor(ratio(1, 2), I80F48::from_num(90), 100_000_000).unwrap(), ratio(1, 2));
    }

    #[test]
    fn no_supply_means_unbounded_cr() {
        assert_eq!(collateral_ratio_floor(I80F48::from_num(5), 0).unwrap(), None);
        assert_eq!(
            collateral_ratio_floor(I80F48::from_num(3), 2_000_000).unwrap(),
            Some(I80F48::from_num(1.5))
        );
    }
}
