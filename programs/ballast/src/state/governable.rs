//! The governable parameters: their names, hard bounds and smallest step.

use anchor_lang::prelude::*;

use crate::constants::{bounds, MAX_ASSETS};
use crate::errors::BallastError;
use crate::math::{self, ratio, FixedBits, I80F48};
use crate::state::{Asset, Protocol};

const PROTOCOL_PARAMS: usize = 40;
const ASSET_PARAMS: usize = 4;
/// Entries in `Governance::last_change_epoch`.
pub const PARAM_SLOTS: usize = PROTOCOL_PARAMS + ASSET_PARAMS * MAX_ASSETS;

/// A parameter governance can set; asset parameters name the asset's index.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKey {
    CrCrit,
    CrMin,
    CrTarget,
    FeeMin,
    FeeMax,
    LimitWindowSlots,
    MintLimitPerWindow,
    RedeemLimitPerWindow,
    PriceEmaSlots,
    UMax,
    MaxPriceJump,
    GuardianPauseSlots,
    SigmaThreshold,
    SigmaReset,
    BreakerDrawdown,
    BreakerMinPauseSlots,
    InsuranceFeeShare,
    InsurancePremiumPerSlot,
    Kappa,
    StakeCooldownSlots,
    AuctionStartPremium,
    AuctionMaxDiscount,
    AuctionDurationSlots,
    AuctionCap,
    KeeperIncentive,
    SwapIncentive,
    RoundSlots,
    OutlierTolerance,
    BreakerMaxPauseSlots,
    Lambda0,
    LambdaEta,
    LambdaZeta,
    Psi,
    RiskLimit,
    BreachEpsilon,
    AssetWeightCap { index: u8 },
    AssetRiskWeight { index: u8 },
    AssetMaxStalenessSlots { index: u8 },
    AssetMaxConfidence { index: u8 },
    /// Last, so that the variants before them keep their encoding.
    MinCashRatio,
    MinCapitalRatio,
    MinCountercyclicalBuffer,
    MaxLoanGamma,
    MaxLoanTheta,
}

fn whole(value: u64) -> I80F48 {
    I80F48::from_num(value)
}

impl ParamKey {
    /// Every parameter, the asset ones for asset `index`.
    pub fn all(index: u8) -> [ParamKey; PROTOCOL_PARAMS + ASSET_PARAMS] {
        [
            ParamKey::CrCrit,
            ParamKey::CrMin,
            ParamKey::CrTarget,
            ParamKey::FeeMin,
            ParamKey::FeeMax,
            ParamKey::LimitWindowSlots,
            ParamKey::MintLimitPerWindow,
            ParamKey::RedeemLimitPerWindow,
            ParamKey::PriceEmaSlots,
            ParamKey::UMax,
            ParamKey::MaxPriceJump,
            ParamKey::GuardianPauseSlots,
            ParamKey::SigmaThreshold,
            ParamKey::SigmaReset,
            ParamKey::BreakerDrawdown,
            ParamKey::BreakerMinPauseSlots,
            ParamKey::InsuranceFeeShare,
            ParamKey::InsurancePremiumPerSlot,
            ParamKey::Kappa,
            ParamKey::StakeCooldownSlots,
            ParamKey::AuctionStartPremium,
            ParamKey::AuctionMaxDiscount,
            ParamKey::AuctionDurationSlots,
            ParamKey::AuctionCap,
            ParamKey::KeeperIncentive,
            ParamKey::SwapIncentive,
            ParamKey::RoundSlots,
            ParamKey::OutlierTolerance,
            ParamKey::BreakerMaxPauseSlots,
            ParamKey::Lambda0,
            ParamKey::LambdaEta,
            ParamKey::LambdaZeta,
            ParamKey::Psi,
            ParamKey::RiskLimit,
            ParamKey::BreachEpsilon,
            ParamKey::MinCashRatio,
            ParamKey::MinCapitalRatio,
            ParamKey::MinCountercyclicalBuffer,
            ParamKey::MaxLoanGamma,
            ParamKey::MaxLoanTheta,
            ParamKey::AssetWeightCap { index },
            ParamKey::AssetRiskWeight { index },
            ParamKey::AssetMaxStalenessSlots { index },
            ParamKey::AssetMaxConfidence { index },
        ]
    }

    /// The parameter's name, as clients spell it.
    pub fn name(&self) -> &'static str {
        match self {
            ParamKey::CrCrit => "cr_crit",
            ParamKey::CrMin => "cr_min",
            ParamKey::CrTarget => "cr_target",
            ParamKey::FeeMin => "fee_min",
            ParamKey::FeeMax => "fee_max",
            ParamKey::LimitWindowSlots => "limit_window_slots",
            ParamKey::MintLimitPerWindow => "mint_limit_per_window",
            ParamKey::RedeemLimitPerWindow => "redeem_limit_per_window",
            ParamKey::PriceEmaSlots => "price_ema_slots",
            ParamKey::UMax => "u_max",
            ParamKey::MaxPriceJump => "max_price_jump",
            ParamKey::GuardianPauseSlots => "guardian_pause_slots",
            ParamKey::SigmaThreshold => "sigma_threshold",
            ParamKey::SigmaReset => "sigma_reset",
            ParamKey::BreakerDrawdown => "breaker_drawdown",
            ParamKey::BreakerMinPauseSlots => "breaker_min_pause_slots",
            ParamKey::InsuranceFeeShare => "insurance_fee_share",
            ParamKey::InsurancePremiumPerSlot => "insurance_premium_per_slot",
            ParamKey::Kappa => "kappa",
            ParamKey::StakeCooldownSlots => "stake_cooldown_slots",
            ParamKey::AuctionStartPremium => "auction_start_premium",
            ParamKey::AuctionMaxDiscount => "auction_max_discount",
            ParamKey::AuctionDurationSlots => "auction_duration_slots",
            ParamKey::AuctionCap => "auction_cap",
            ParamKey::KeeperIncentive => "keeper_incentive",
            ParamKey::SwapIncentive => "swap_incentive",
            ParamKey::RoundSlots => "round_slots",
            ParamKey::OutlierTolerance => "outlier_tolerance",
            ParamKey::BreakerMaxPauseSlots => "breaker_max_pause_slots",
            ParamKey::Lambda0 => "lambda0",
            ParamKey::LambdaEta => "lambda_eta",
            ParamKey::LambdaZeta => "lambda_zeta",
            ParamKey::Psi => "psi",
            ParamKey::RiskLimit => "risk_limit",
            ParamKey::BreachEpsilon => "breach_epsilon",
            ParamKey::MinCashRatio => "min_cash_ratio",
            ParamKey::MinCapitalRatio => "min_capital_ratio",
            ParamKey::MinCountercyclicalBuffer => "min_countercyclical_buffer",
            ParamKey::MaxLoanGamma => "max_loan_gamma",
            ParamKey::MaxLoanTheta => "max_loan_theta",
            ParamKey::AssetWeightCap { .. } => "weight_cap",
            ParamKey::AssetRiskWeight { .. } => "risk_weight",
            ParamKey::AssetMaxStalenessSlots { .. } => "max_staleness_slots",
            ParamKey::AssetMaxConfidence { .. } => "max_confidence",
        }
    }

    pub fn asset_index(&self) -> Option<u8> {
        match *self {
            ParamKey::AssetWeightCap { index }
            | ParamKey::AssetRiskWeight { index }
            | ParamKey::AssetMaxStalenessSlots { index }
            | ParamKey::AssetMaxConfidence { index } => Some(index),
            _ => None,
        }
    }

    /// This parameter's entry in `Governance::last_change_epoch`.
    pub fn slot(&self) -> usize {
        let asset = |index: u8, offset: usize| PROTOCOL_PARAMS + index as usize * ASSET_PARAMS + offset;
        match *self {
            ParamKey::CrCrit => 0,
            ParamKey::CrMin => 1,
            ParamKey::CrTarget => 2,
            ParamKey::FeeMin => 3,
            ParamKey::FeeMax => 4,
            ParamKey::LimitWindowSlots => 5,
            ParamKey::MintLimitPerWindow => 6,
            ParamKey::RedeemLimitPerWindow => 7,
            ParamKey::PriceEmaSlots => 8,
            ParamKey::UMax => 9,
            ParamKey::MaxPriceJump => 10,
            ParamKey::GuardianPauseSlots => 11,
            ParamKey::SigmaThreshold => 12,
            ParamKey::SigmaReset => 13,
            ParamKey::BreakerDrawdown => 14,
            ParamKey::BreakerMinPauseSlots => 15,
            ParamKey::InsuranceFeeShare => 16,
            ParamKey::InsurancePremiumPerSlot => 17,
            ParamKey::Kappa => 18,
            ParamKey::StakeCooldownSlots => 19,
            ParamKey::AuctionStartPremium => 20,
            ParamKey::AuctionMaxDiscount => 21,
            ParamKey::AuctionDurationSlots => 22,
            ParamKey::AuctionCap => 23,
            ParamKey::KeeperIncentive => 24,
            ParamKey::SwapIncentive => 25,
            ParamKey::RoundSlots => 26,
            ParamKey::OutlierTolerance => 27,
            ParamKey::BreakerMaxPauseSlots => 28,
            ParamKey::Lambda0 => 29,
            ParamKey::LambdaEta => 30,
            ParamKey::LambdaZeta => 31,
            ParamKey::Psi => 32,
            ParamKey::RiskLimit => 33,
            ParamKey::BreachEpsilon => 34,
            ParamKey::MinCashRatio => 35,
            ParamKey::MinCapitalRatio => 36,
            ParamKey::MinCountercyclicalBuffer => 37,
            ParamKey::MaxLoanGamma => 38,
            ParamKey::MaxLoanTheta => 39,
            ParamKey::AssetWeightCap { index } => asset(index, 0),
            ParamKey::AssetRiskWeight { index } => asset(index, 1),
            ParamKey::AssetMaxStalenessSlots { index } => asset(index, 2),
            ParamKey::AssetMaxConfidence { index } => asset(index, 3),
        }
    }

    /// Slot counts and token amounts are whole numbers; the rest are fractions.
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            ParamKey::LimitWindowSlots
                | ParamKey::MintLimitPerWindow
                | ParamKey::RedeemLimitPerWindow
                | ParamKey::PriceEmaSlots
                | ParamKey::GuardianPauseSlots
                | ParamKey::BreakerMinPauseSlots
                | ParamKey::BreakerMaxPauseSlots
                | ParamKey::StakeCooldownSlots
                | ParamKey::AuctionDurationSlots
                | ParamKey::RoundSlots
                | ParamKey::AssetMaxStalenessSlots { .. }
        )
    }

    /// The hard bounds fixed at compile time, inclusive.
    pub fn bounds(&self) -> (I80F48, I80F48) {
        let cr = (
            ratio(bounds::CR_LOWEST.0, bounds::CR_LOWEST.1),
            ratio(bounds::CR_HIGHEST.0, bounds::CR_HIGHEST.1),
        );
        match self {
            ParamKey::CrCrit | ParamKey::CrMin | ParamKey::CrTarget => cr,
            ParamKey::FeeMin | ParamKey::FeeMax => {
                (I80F48::ZERO, ratio(bounds::FEE_HIGHEST.0, bounds::FEE_HIGHEST.1))
            }
            ParamKey::LimitWindowSlots => (I80F48::ONE, whole(bounds::WINDOW_SLOTS_HIGHEST)),
            ParamKey::MintLimitPerWindow | ParamKey::RedeemLimitPerWindow => {
                (I80F48::ONE, whole(bounds::WINDOW_LIMIT_HIGHEST))
            }
            ParamKey::PriceEmaSlots => (I80F48::ONE, whole(bounds::EMA_SLOTS_HIGHEST)),
            ParamKey::UMax | ParamKey::MaxPriceJump => (math::EPSILON, I80F48::ONE),
            ParamKey::GuardianPauseSlots => (I80F48::ONE, whole(bounds::GUARDIAN_PAUSE_SLOTS_HIGHEST)),
            ParamKey::SigmaThreshold | ParamKey::SigmaReset => {
                (math::EPSILON, ratio(bounds::SIGMA_HIGHEST.0, bounds::SIGMA_HIGHEST.1))
            }
            ParamKey::BreakerDrawdown | ParamKey::InsuranceFeeShare | ParamKey::Kappa | ParamKey::AuctionCap => {
                (math::EPSILON, I80F48::ONE)
            }
            ParamKey::InsurancePremiumPerSlot => (
                I80F48::ZERO,
                ratio(bounds::PREMIUM_PER_SLOT_HIGHEST.0, bounds::PREMIUM_PER_SLOT_HIGHEST.1),
            ),
            ParamKey::BreakerMinPauseSlots
            | ParamKey::BreakerMaxPauseSlots
            | ParamKey::StakeCooldownSlots
            | ParamKey::AuctionDurationSlots => (I80F48::ONE, whole(bounds::GOVERNANCE_SLOTS_HIGHEST)),
            ParamKey::AuctionStartPremium
            | ParamKey::AuctionMaxDiscount
            | ParamKey::KeeperIncentive
            | ParamKey::SwapIncentive => (I80F48::ZERO, ratio(bounds::INCENTIVE_HIGHEST.0, bounds::INCENTIVE_HIGHEST.1)),
            ParamKey::RoundSlots => (I80F48::ONE, whole(bounds::ROUND_SLOTS_HIGHEST)),
            ParamKey::OutlierTolerance => (math::EPSILON, I80F48::ONE),
            ParamKey::Lambda0 | ParamKey::LambdaEta | ParamKey::Psi | ParamKey::MaxLoanGamma | ParamKey::MaxLoanTheta => {
                (I80F48::ZERO, whole(bounds::POLICY_COEFFICIENT_HIGHEST))
            }
            ParamKey::LambdaZeta => (
                -whole(bounds::POLICY_COEFFICIENT_HIGHEST),
                whole(bounds::POLICY_COEFFICIENT_HIGHEST),
            ),
            ParamKey::RiskLimit => (math::EPSILON, whole(bounds::RISK_LIMIT_HIGHEST)),
            ParamKey::BreachEpsilon => (math::EPSILON, I80F48::ONE),
            ParamKey::MinCashRatio => (I80F48::ZERO, ratio(9, 10)),
            ParamKey::MinCapitalRatio | ParamKey::MinCountercyclicalBuffer => (I80F48::ZERO, I80F48::ONE),
            ParamKey::AssetWeightCap { .. } => (math::EPSILON, I80F48::ONE),
            ParamKey::AssetRiskWeight { .. } => (I80F48::ZERO, I80F48::ONE),
            ParamKey::AssetMaxStalenessSlots { .. } => {
                (I80F48::ONE, whole(bounds::STALENESS_SLOTS_HIGHEST))
            }
            ParamKey::AssetMaxConfidence { .. } => (
                math::EPSILON,
                ratio(bounds::CONFIDENCE_HIGHEST.0, bounds::CONFIDENCE_HIGHEST.1),
            ),
        }
    }

    /// The step any value may always take per epoch, however small the
    /// current value (a fee of zero must still be able to rise).
    fn min_step(&self) -> I80F48 {
        match self {
            ParamKey::CrCrit | ParamKey::CrMin | ParamKey::CrTarget => ratio(1, 100),
            ParamKey::FeeMin | ParamKey::FeeMax => ratio(1, 1000),
            ParamKey::MintLimitPerWindow | ParamKey::RedeemLimitPerWindow => whole(1_000_000),
            ParamKey::AssetWeightCap { .. } | ParamKey::AssetRiskWeight { .. } => ratio(1, 100),
            ParamKey::UMax | ParamKey::MaxPriceJump => ratio(1, 100),
            ParamKey::SigmaThreshold
            | ParamKey::SigmaReset
            | ParamKey::BreakerDrawdown
            | ParamKey::InsuranceFeeShare
            | ParamKey::Kappa
            | ParamKey::AuctionCap => ratio(1, 100),
            ParamKey::AuctionStartPremium
            | ParamKey::AuctionMaxDiscount
            | ParamKey::KeeperIncentive
            | ParamKey::SwapIncentive => ratio(1, 1000),
            ParamKey::InsurancePremiumPerSlot => ratio(1, 10_000_000_000),
            ParamKey::AssetMaxConfidence { .. } | ParamKey::OutlierTolerance | ParamKey::BreachEpsilon => ratio(1, 1000),
            ParamKey::Lambda0 | ParamKey::LambdaEta | ParamKey::LambdaZeta | ParamKey::Psi => ratio(1, 10),
            ParamKey::RiskLimit
            | ParamKey::MinCashRatio
            | ParamKey::MinCapitalRatio
            | ParamKey::MinCountercyclicalBuffer
            | ParamKey::MaxLoanGamma
            | ParamKey::MaxLoanTheta => ratio(1, 100),
            ParamKey::LimitWindowSlots
            | ParamKey::RoundSlots
            | ParamKey::PriceEmaSlots
            | ParamKey::GuardianPauseSlots
            | ParamKey::BreakerMinPauseSlots
            | ParamKey::BreakerMaxPauseSlots
            | ParamKey::StakeCooldownSlots
            | ParamKey::AuctionDurationSlots
            | ParamKey::AssetMaxStalenessSlots { .. } => I80F48::ONE,
        }
    }

    /// The largest move allowed from `current` in one epoch:
    /// max(|current| × max_step, min_step).
    pub fn max_move(&self, current: I80F48, max_step: I80F48) -> Result<I80F48> {
        Ok(math::mul_floor(current.abs(), max_step)?.max(self.min_step()))
    }

    /// Checks that `value` is inside the hard bounds and within one step of `reference`.
    pub fn check_value(&self, value: I80F48, reference: I80F48, max_step: I80F48) -> Result<()> {
        let (low, high) = self.bounds();
        require!(value >= low && value <= high, BallastError::ValueOutOfBounds);
        let distance = if value > reference { value - reference } else { reference - value };
        require!(
            distance <= self.max_move(reference, max_step)?,
            BallastError::StepBeyondClamp
        );
        Ok(())
    }

    pub fn read(&self, protocol: &Protocol, asset: Option<&Asset>) -> Result<I80F48> {
        let params = &protocol.params;
        let fixed = |x: FixedBits| x.get();
        Ok(match self {
            ParamKey::CrCrit => fixed(params.cr_crit),
            ParamKey::CrMin => fixed(params.cr_min),
            ParamKey::CrTarget => fixed(params.cr_target),
            ParamKey::FeeMin => fixed(params.fee_min),
            ParamKey::FeeMax => fixed(params.fee_max),
            ParamKey::LimitWindowSlots => whole(params.limit_window_slots),
            ParamKey::MintLimitPerWindow => whole(params.mint_limit_per_window),
            ParamKey::RedeemLimitPerWindow => whole(params.redeem_limit_per_window),
            ParamKey::PriceEmaSlots => whole(params.price_ema_slots),
            ParamKey::UMax => fixed(params.u_max),
            ParamKey::MaxPriceJump => fixed(params.max_price_jump),
            ParamKey::GuardianPauseSlots => whole(params.guardian_pause_slots),
            ParamKey::SigmaThreshold => fixed(params.risk.sigma_threshold),
            ParamKey::SigmaReset => fixed(params.risk.sigma_reset),
            ParamKey::BreakerDrawdown => fixed(params.risk.breaker_drawdown),
            ParamKey::BreakerMinPauseSlots => whole(params.risk.breaker_min_pause_slots),
            ParamKey::InsuranceFeeShare => fixed(params.risk.insurance_fee_share),
            ParamKey::InsurancePremiumPerSlot => fixed(params.risk.insurance_premium_per_slot),
            ParamKey::Kappa => fixed(params.risk.kappa),
            ParamKey::StakeCooldownSlots => whole(params.risk.stake_cooldown_slots),
            ParamKey::AuctionStartPremium => fixed(params.risk.auction_start_premium),
            ParamKey::AuctionMaxDiscount => fixed(params.risk.auction_max_discount),
            ParamKey::AuctionDurationSlots => whole(params.risk.auction_duration_slots),
            ParamKey::AuctionCap => fixed(params.risk.auction_cap),
            ParamKey::KeeperIncentive => fixed(params.risk.keeper_incentive),
            ParamKey::SwapIncentive => fixed(params.risk.swap_incentive),
            ParamKey::RoundSlots => whole(params.round_slots),
            ParamKey::OutlierTolerance => fixed(params.outlier_tolerance),
            ParamKey::BreakerMaxPauseSlots => whole(params.risk.breaker_max_pause_slots),
            ParamKey::Lambda0 => fixed(params.policy.lambda0),
            ParamKey::LambdaEta => fixed(params.policy.lambda_eta),
            ParamKey::LambdaZeta => fixed(params.policy.lambda_zeta),
            ParamKey::Psi => fixed(params.policy.psi),
            ParamKey::RiskLimit => fixed(params.policy.risk_limit),
            ParamKey::BreachEpsilon => fixed(params.policy.breach_epsilon),
            ParamKey::MinCashRatio => fixed(params.policy.min_cash_ratio),
            ParamKey::MinCapitalRatio => fixed(params.policy.min_capital_ratio),
            ParamKey::MinCountercyclicalBuffer => fixed(params.policy.min_countercyclical_buffer),
            ParamKey::MaxLoanGamma => fixed(params.policy.max_loan_gamma),
            ParamKey::MaxLoanTheta => fixed(params.policy.max_loan_theta),
            asset_key => {
                let config = &self.asset_for(asset)?.config;
                match asset_key {
                    ParamKey::AssetWeightCap { .. } => fixed(config.weight_cap),
                    ParamKey::AssetRiskWeight { .. } => fixed(config.risk_weight),
                    ParamKey::AssetMaxStalenessSlots { .. } => whole(config.max_staleness_slots),
                    _ => fixed(config.max_confidence),
                }
            }
        })
    }

    /// Sets the parameter and re-checks everything that depends on it (the
    /// ordering of the CR thresholds, fees inside their bounds).
    pub fn write(&self, value: I80F48, protocol: &mut Protocol, asset: Option<&mut Asset>) -> Result<()> {
        let count = || math::to_u64_floor(value);
        let params = &mut protocol.params;
        match self {
            ParamKey::CrCrit => params.cr_crit = value.into(),
            ParamKey::CrMin => params.cr_min = value.into(),
            ParamKey::CrTarget => params.cr_target = value.into(),
            ParamKey::FeeMin => params.fee_min = value.into(),
            ParamKey::FeeMax => params.fee_max = value.into(),
            ParamKey::LimitWindowSlots => params.limit_window_slots = count()?,
            ParamKey::MintLimitPerWindow => params.mint_limit_per_window = count()?,
            ParamKey::RedeemLimitPerWindow => params.redeem_limit_per_window = count()?,
            ParamKey::PriceEmaSlots => params.price_ema_slots = count()?,
            ParamKey::UMax => params.u_max = value.into(),
            ParamKey::MaxPriceJump => params.max_price_jump = value.into(),
            ParamKey::GuardianPauseSlots => params.guardian_pause_slots = count()?,
            ParamKey::SigmaThreshold => params.risk.sigma_threshold = value.into(),
            ParamKey::SigmaReset => params.risk.sigma_reset = value.into(),
            ParamKey::BreakerDrawdown => params.risk.breaker_drawdown = value.into(),
            ParamKey::BreakerMinPauseSlots => params.risk.breaker_min_pause_slots = count()?,
            ParamKey::InsuranceFeeShare => params.risk.insurance_fee_share = value.into(),
            ParamKey::InsurancePremiumPerSlot => params.risk.insurance_premium_per_slot = value.into(),
            ParamKey::Kappa => params.risk.kappa = value.into(),
            ParamKey::StakeCooldownSlots => params.risk.stake_cooldown_slots = count()?,
            ParamKey::AuctionStartPremium => params.risk.auction_start_premium = value.into(),
            ParamKey::AuctionMaxDiscount => params.risk.auction_max_discount = value.into(),
            ParamKey::AuctionDurationSlots => params.risk.auction_duration_slots = count()?,
            ParamKey::AuctionCap => params.risk.auction_cap = value.into(),
            ParamKey::KeeperIncentive => params.risk.keeper_incentive = value.into(),
            ParamKey::SwapIncentive => params.risk.swap_incentive = value.into(),
            ParamKey::RoundSlots => params.round_slots = count()?,
            ParamKey::OutlierTolerance => params.outlier_tolerance = value.into(),
            ParamKey::BreakerMaxPauseSlots => params.risk.breaker_max_pause_slots = count()?,
            ParamKey::Lambda0 => params.policy.lambda0 = value.into(),
            ParamKey::LambdaEta => params.policy.lambda_eta = value.into(),
            ParamKey::LambdaZeta => params.policy.lambda_zeta = value.into(),
            ParamKey::Psi => params.policy.psi = value.into(),
            ParamKey::RiskLimit => params.policy.risk_limit = value.into(),
            ParamKey::BreachEpsilon => params.policy.breach_epsilon = value.into(),
            ParamKey::MinCashRatio => params.policy.min_cash_ratio = value.into(),
            ParamKey::MinCapitalRatio => params.policy.min_capital_ratio = value.into(),
            ParamKey::MinCountercyclicalBuffer => params.policy.min_countercyclical_buffer = value.into(),
            ParamKey::MaxLoanGamma => params.policy.max_loan_gamma = value.into(),
            ParamKey::MaxLoanTheta => params.policy.max_loan_theta = value.into(),
            asset_key => {
                let asset = asset.ok_or(error!(BallastError::InvalidAssetAccount))?;
                require!(Some(asset.index) == self.asset_index(), BallastError::InvalidAssetAccount);
                let config = &mut asset.config;
                match asset_key {
                    ParamKey::AssetWeightCap { .. } => config.weight_cap = value.into(),
                    ParamKey::AssetRiskWeight { .. } => config.risk_weight = value.into(),
                    ParamKey::AssetMaxStalenessSlots { .. } => config.max_staleness_slots = count()?,
                    _ => config.max_confidence = value.into(),
                }
                config.validate()?;
            }
        }
        protocol.params.validate()?;
        protocol.params.check_fee(protocol.fee_mint.get())?;
        protocol.params.check_fee(protocol.fee_redeem.get())
    }

    fn asset_for<'a>(&self, asset: Option<&'a Asset>) -> Result<&'a Asset> {
        let asset = asset.ok_or(error!(BallastError::InvalidAssetAccount))?;
        require!(Some(asset.index) == self.asset_index(), BallastError::InvalidAssetAccount);
        Ok(asset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_has_its_own_slot_and_name() {
        let mut slots: Vec<usize> = ParamKey::all(0)[..PROTOCOL_PARAMS].iter().map(|k| k.slot()).collect();
        for index in 0..MAX_ASSETS as u8 {
            slots.extend(ParamKey::all(index)[PROTOCOL_PARAMS..].iter().map(|k| k.slot()));
        }
        slots.sort();
        assert_eq!(slots, (0..PARAM_SLOTS).collect::<Vec<_>>());
        let mut names: Vec<&str> = ParamKey::all(0).iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PROTOCOL_PARAMS + ASSET_PARAMS);
    }

    #[test]
    fn values_are_checked_against_bounds_and_the_step() {
        let step = ratio(1, 10);
        let key = ParamKey::CrMin;
        let reference = I80F48::from_num(1.1);
        assert!(key.check_value(I80F48::from_num(1.2), reference, step).is_ok());
        assert_eq!(
            key.check_value(I80F48::from_num(1.25), reference, step).unwrap_err(),
            BallastError::StepBeyondClamp.into()
        );
        assert_eq!(
            key.check_value(I80F48::from_num(0.99), I80F48::ONE, step).unwrap_err(),
            BallastError::ValueOutOfBounds.into()
        );
        // A zero fee can still rise by the minimum step.
        let fee = ParamKey::FeeMin;
        assert!(fee.check_value(ratio(1, 1000), I80F48::ZERO, step).is_ok());
        assert!(fee.check_value(ratio(2, 1000), I80F48::ZERO, step).is_err());
    }
}
