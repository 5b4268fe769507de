//! Valuing the whole reserve from the `Asset` accounts a transaction passes.

use anchor_lang::prelude::*;

use crate::errors::BallastError;
use crate::math::{self, I80F48};
use crate::state::{Asset, PriceSide, PriceUse, Protocol};

pub struct ReserveValuation {
    /// V, at lower conservative prices, rounded down; assets without a
    /// usable price count as worthless.
    pub total: I80F48,
    /// V_i of the asset the instruction acts on, if any.
    pub asset_value: I80F48,
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
    /// Strictly, at spot prices: for recognising a loss.
    Spot,
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
    let value_of = |asset: &Asset| match valuation {
        Valuation::Lenient => asset.collateral_value_floor(slot),
        Valuation::Strict => asset.reserve_value_floor(slot),
        Valuation::Liquidation => asset.value_floor_at(slot, PriceSide::Lower, PriceUse::Liquidation),
        Valuation::Spot => asset.value_floor_at(slot, PriceSide::Spot, PriceUse::Holder),
    };
    let expected = &protocol.assets[..protocol.asset_count as usize];
    require!(assets.len() == expected.len(), BallastError::IncompleteReserve);
    let mut total = I80F48::ZERO;
    let mut asset_value = I80F48::ZERO;
    for (info, address) in assets.iter().zip(expected) {
        require_keys_eq!(info.key(), *address, BallastError::IncompleteReserve);
        let value = match current.filter(|c| c.key() == info.key()) {
            Some(current) => {
                asset_value = value_of(current)?;
                asset_value
            }
            None => value_of(&Asset::try_deserialize(&mut &info.try_borrow_data()?[..])?)?,
        };
        total = math::add(total, value)?;
    }
    Ok(ReserveValuation { total, asset_value })
}
