//! Valuing the whole reserve from the `Asset` accounts a transaction passes.

use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::math::{self, CapitalBase, I80F48};
use crate::state::{Asset, PriceSide, PriceUse, Protocol};

pub struct ReserveValuation {
    /// V, at lower conservative prices, rounded down; assets without a
    /// usable price count as worthless.
    pub total: I80F48,
    /// V_i of the asset the instruction acts on, if any.
    pub asset_value: I80F48,
    /// The value of the assets a liquidation sells before that one
    /// (`Asset::liquidates_before`).
    pub sold_before: I80F48,
    /// Seed 003's capital tiers and risk-weighted assets, as `total`
    /// counts the values; tier 1 is the cash.
    pub capital: CapitalBase,
    /// How many assets a lenient valuation counted as worthless because
    /// their price was missing, stale or too uncertain.
    pub unpriced: u8,
}

/// How assets without a usable price count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Valuation {
    /// As worthless: right for checks that only get stricter.
    Lenient,
    /// Not at all: the instruction fails with the price error.
    Strict,
    /// Strictly, but with liquidation's wider price bounds.
    Liquidation,
    /// Strictly, at the higher of spot and smoothed price: a loss is booked
    /// only once both the latest print and the smoothed price show it.
    LossRecognition,
}

impl Valuation {
    /// One asset's vault value, rounded down, at the price this valuation
    /// uses; the price's error where that price is missing, stale or too
    /// uncertain (a lenient valuation then counts the asset as worthless).
    pub fn priced_value(self, asset: &Asset, slot: u64) -> Result<I80F48> {
        match self {
            Valuation::Lenient | Valuation::Strict => asset.reserve_value_floor(slot),
            Valuation::Liquidation => asset.value_floor_at(slot, PriceSide::Lower, PriceUse::Liquidation),
            Valuation::LossRecognition => asset.value_floor_at(slot, PriceSide::Higher, PriceUse::Holder),
        }
    }
}

/// Values the reserve. `assets` must be exactly `protocol.assets`, in
/// order, so no asset can be left out, repeated or faked. `current` is the
/// asset the instruction holds, if any; its in-memory copy is used in place
/// of its entry in `assets`.
pub fn value_reserve(
    protocol: &Protocol,
    current: Option<&Account<Asset>>,
    assets: &[AccountInfo],
    slot: u64,
    valuation: Valuation,
) -> Result<ReserveValuation> {
    let mut unpriced = 0u8;
    let mut value_of = |asset: &Asset| match valuation.priced_value(asset, slot) {
        Err(_) if valuation == Valuation::Lenient => {
            unpriced += 1;
            Ok(I80F48::ZERO)
        }
        result => result,
    };
    let expected = &protocol.assets[..protocol.asset_count as usize];
    require!(assets.len() == expected.len(), BallastError::IncompleteReserve);
    let mut total = I80F48::ZERO;
    let mut asset_value = I80F48::ZERO;
    let mut sold_before = I80F48::ZERO;
    let mut capital = CapitalBase::default();
    for (info, address) in assets.iter().zip(expected) {
        require_keys_eq!(info.key(), *address, BallastError::IncompleteReserve);
        let value = match current.filter(|c| c.key() == info.key()) {
            Some(current) => {
                asset_value = value_of(current)?;
                capital = current.move_capital(capital, asset_value, true)?;
                asset_value
            }
            None => {
                let other = Asset::try_deserialize(&mut &info.try_borrow_data()?[..])?;
                let value = value_of(&other)?;
                if current.is_some_and(|current| other.liquidates_before(current)) {
                    sold_before = math::add(sold_before, value)?;
                }
                capital = other.move_capital(capital, value, true)?;
                value
            }
        };
        total = math::add(total, value)?;
    }
    Ok(ReserveValuation {
        total,
        asset_value,
        sold_before,
        capital,
        unpriced,
    })
}
