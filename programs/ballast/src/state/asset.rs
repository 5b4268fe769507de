use anchor_lang::prelude::*;

use crate::constants::bounds;
use crate::errors::BallastError;
use crate::math::{self, ratio, CapitalBase, CapitalTier, FixedBits, I80F48};

/// What a reserve asset is; it sets defaults off-chain and its tier on-chain.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssetKind {
    Cash,
    Bill,
    Loan,
    Crypto,
}

/// One reserve asset: its mint, its PDA-owned vault, its risk configuration
/// and its latest price.
#[account]
#[derive(InitSpace, Debug)]
pub struct Asset {
    pub protocol: Pubkey,
    pub mint: Pubkey,
    pub vault: Pubkey,
    /// Position in the reserve, 0..asset_count; valuations walk assets in this order.
    pub index: u8,
    pub decimals: u8,
    pub kind: AssetKind,
    pub enabled: bool,
    pub bump: u8,
    pub vault_bump: u8,
    pub config: AssetConfig,
    pub price: FixedBits,
    pub price_confidence: FixedBits,
    pub price_slot: u64,
    /// Exponentially smoothed price, the other half of the conservative price.
    pub smoothed_price: FixedBits,
    /// The vault balance as the program has accounted it, in base units.
    pub vault_amount: u64,
    /// The liquidation auction selling this asset, if one is running.
    pub auction: AuctionState,
    /// R_i as the oracles last agreed it from data (zero before the first
    /// round that posts one; `config.risk_score` is the listing's static part).
    pub posted_risk_score: FixedBits,
    pub reserved: [u8; 112],
}

/// A Dutch auction of one asset's collateral for stablecoins.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuctionState {
    pub start_slot: u64,
    /// The oracle price when the auction (re)started; its price curve hangs from it.
    pub reference_price: FixedBits,
    /// Stablecoin units still to raise; zero when no auction runs.
    pub remaining: u64,
}

/// The governable risk configuration of an asset.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetConfig {
    /// Tier risk weight rw_i for capital ratios (1, 0.7, 0.65, 0.2 ...).
    pub risk_weight: FixedBits,
    /// The static part of the risk score R_i (liquidity and external
    /// factors, beta / L_i + gamma E_i), set at listing; the oracles post
    /// R_i with its data-driven part (alpha sigma_i) on top.
    pub risk_score: FixedBits,
    pub target_weight: FixedBits,
    /// No mint may push the asset's weight above this.
    pub weight_cap: FixedBits,
    pub max_staleness_slots: u64,
    /// Largest confidence / price accepted.
    pub max_confidence: FixedBits,
}

impl AssetKind {
    /// Seed 003's tier for capital: cash is core capital, bills tier 2,
    /// loans and crypto count in RWA only (the seed leaves debt aside; a
    /// stablecoin's reserve holds its crypto as the risky tier).
    pub fn capital_tier(self) -> CapitalTier {
        match self {
            AssetKind::Cash => CapitalTier::One,
            AssetKind::Bill => CapitalTier::Two,
            AssetKind::Loan | AssetKind::Crypto => CapitalTier::Three,
        }
    }
}

impl Asset {
    /// `base` with `value` of this asset added (or taken away).
    pub fn move_capital(&self, base: CapitalBase, value: I80F48, add: bool) -> Result<CapitalBase> {
        base.moved(self.kind.capital_tier(), value, self.config.risk_weight.get(), add)
    }

    /// R_i: the oracles' posted score once there is one, else the listing's.
    pub fn risk_score(&self) -> I80F48 {
        match self.posted_risk_score.get() {
            posted if posted > 0 => posted,
            _ => self.config.risk_score.get(),
        }
    }

    /// Mints with it stop while P(CR < 1) is above epsilon.
    pub fn is_risky(&self) -> bool {
        matches!(self.kind, AssetKind::Crypto | AssetKind::Loan)
    }

    /// Liquidation's order: riskier first (by risk score, ties by index),
    /// cash last.
    pub fn liquidation_order(&self) -> (bool, core::cmp::Reverse<i128>, u8) {
        (self.kind == AssetKind::Cash, core::cmp::Reverse(self.risk_score().to_bits()), self.index)
    }

    /// Whether liquidation sells `self` before `other`.
    pub fn liquidates_before(&self, other: &Asset) -> bool {
        self.liquidation_order() < other.liquidation_order()
    }
}

impl AssetConfig {
    pub fn validate(&self) -> Result<()> {
        let unit = |x: FixedBits| x.get() >= 0 && x.get() <= I80F48::ONE;
        require!(
            unit(self.risk_weight) && unit(self.target_weight) && unit(self.weight_cap),
            BallastError::ParameterOutOfBounds
        );
        require!(self.risk_score.get() >= 0, BallastError::ParameterOutOfBounds);
        require!(self.weight_cap.get() > 0, BallastError::ParameterOutOfBounds);
        require!(
            (1..=bounds::STALENESS_SLOTS_HIGHEST).contains(&self.max_staleness_slots),
            BallastError::ParameterOutOfBounds
        );
        let confidence_high = ratio(bounds::CONFIDENCE_HIGHEST.0, bounds::CONFIDENCE_HIGHEST.1);
        require!(
            self.max_confidence.get() > 0 && self.max_confidence.get() <= confidence_high,
            BallastError::ParameterOutOfBounds
        );
        Ok(())
    }
}

/// Liquidation accepts prices this many times older and wider than holders do.
pub const LIQUIDATION_PRICE_LENIENCY: u64 = 2;

/// Who relies on a price, which sets how strictly it is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceUse {
    Holder,
    Liquidation,
}

/// Which way a conservative price leans: the protocol values what it takes
/// in at the lower price and what it pays out at the higher one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceSide {
    Lower,
    Higher,
}

fn abs_diff(a: I80F48, b: I80F48) -> I80F48 {
    if a >= b {
        a - b
    } else {
        b - a
    }
}

impl Asset {
    /// Checks a posted price before it is stored: positive, with a
    /// confidence between zero and the price. Shared by every price writer.
    pub fn validate_price_update(price: I80F48, confidence: I80F48) -> Result<()> {
        require!(
            price > 0 && confidence >= 0 && confidence <= price,
            BallastError::InvalidPrice
        );
        Ok(())
    }

    /// Stores a validated price and moves the smoothed price toward it: by
    /// the fraction of the EMA horizon elapsed since the last price, and by
    /// at most `SMOOTHED_GROWTH_PER_SLOT` of itself per elapsed slot, so that
    /// one print after a quiet spell cannot drag the conservative price.
    /// A spot price may move at most `max_jump` (relative) per update.
    pub fn apply_price(
        &mut self,
        price: I80F48,
        confidence: I80F48,
        slot: u64,
        ema_slots: u64,
        max_jump: I80F48,
    ) -> Result<()> {
        Self::validate_price_update(price, confidence)?;
        let previous = self.price.get();
        if previous > 0 {
            let jump = math::div_ceil(abs_diff(price, previous), previous)?;
            require!(jump <= max_jump, BallastError::PriceJumpTooLarge);
        }
        let smoothed = self.smoothed_price.get();
        let new_smoothed = if smoothed <= 0 {
            price
        } else {
            let elapsed = slot.saturating_sub(self.price_slot);
            let weight = I80F48::from_num(elapsed.min(ema_slots)) / I80F48::from_num(ema_slots);
            let ema_step = math::mul_floor(abs_diff(price, smoothed), weight)?;
            let growth = ratio(bounds::SMOOTHED_GROWTH_PER_SLOT.0, bounds::SMOOTHED_GROWTH_PER_SLOT.1);
            let cap = math::mul_floor(math::mul_floor(smoothed, growth)?, I80F48::from_num(elapsed.max(1)))?;
            let step = ema_step.min(cap);
            if price >= smoothed {
                math::add(smoothed, step)?
            } else {
                math::sub(smoothed, step)?
            }
        };
        self.price = price.into();
        self.price_confidence = confidence.into();
        self.price_slot = slot;
        self.smoothed_price = new_smoothed.into();
        Ok(())
    }

    /// The conservative price for a valuation at `slot`, after checking that
    /// the price exists, is fresh and is confident enough.
    pub fn conservative_price(&self, slot: u64, side: PriceSide) -> Result<I80F48> {
        self.checked_price(slot, side, PriceUse::Holder)
    }

    /// The conservative price for `use_`: holder flows hold prices to the
    /// asset's bounds; liquidation accepts prices up to twice as old and as
    /// uncertain, because a stalled auction hurts more than a dated price.
    pub fn checked_price(&self, slot: u64, side: PriceSide, use_: PriceUse) -> Result<I80F48> {
        let leniency = match use_ {
            PriceUse::Holder => 1,
            PriceUse::Liquidation => LIQUIDATION_PRICE_LENIENCY,
        };
        let price = self.price.get();
        require!(price > 0, BallastError::PriceNotSet);
        require!(
            slot.saturating_sub(self.price_slot) <= self.config.max_staleness_slots.saturating_mul(leniency),
            BallastError::StalePrice
        );
        let confidence_ratio = math::div_ceil(self.price_confidence.get(), price)?;
        let max_confidence = self
            .config
            .max_confidence
            .get()
            .checked_mul_int(leniency as i128)
            .ok_or_else(math::overflow)?;
        require!(
            confidence_ratio <= max_confidence,
            BallastError::PriceConfidenceTooWide
        );
        let smoothed = self.smoothed_price.get();
        Ok(match side {
            PriceSide::Lower => price.min(smoothed),
            PriceSide::Higher => price.max(smoothed),
        })
    }

    /// The vault's value for collateral checks: at the lower conservative
    /// price, rounded down, or zero when the price is missing, stale or too
    /// uncertain. An unusable price can only understate V, which makes every
    /// check stricter, and one dead feed does not stop the other assets.
    pub fn collateral_value_floor(&self, slot: u64) -> Result<I80F48> {
        Ok(self.reserve_value_floor(slot).unwrap_or(I80F48::ZERO))
    }

    /// The vault's value at the lower conservative price, rounded down; an
    /// error when the price is missing, stale or too uncertain. For what must
    /// not act on a guess: releasing stake, raising the redemption rate.
    pub fn reserve_value_floor(&self, slot: u64) -> Result<I80F48> {
        self.value_floor_at(slot, PriceSide::Lower, PriceUse::Holder)
    }

    /// The vault's value at the `side` price checked for `use_`, rounded down.
    pub fn value_floor_at(&self, slot: u64, side: PriceSide, use_: PriceUse) -> Result<I80F48> {
        if self.vault_amount == 0 {
            return Ok(I80F48::ZERO);
        }
        let price = self.checked_price(slot, side, use_)?;
        math::token_value_floor(self.vault_amount, self.decimals, price)
    }

    pub fn require_enabled(&self) -> Result<()> {
        require!(self.enabled, BallastError::AssetDisabled);
        Ok(())
    }
}
