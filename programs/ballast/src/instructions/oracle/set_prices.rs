use anchor_lang::prelude::*;

use crate::constants::MAX_ASSETS;
use crate::errors::BallastError;
use crate::events::PriceSet;
use crate::math::FixedBits;
use crate::instructions::AuthorityOnly;
use crate::state::Asset;

/// One asset's price and the half-width of its confidence interval.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct PriceInput {
    pub price: FixedBits,
    pub confidence: FixedBits,
}

/// The authority-signed price feed that stands in for the M-of-N oracle.
/// Remaining accounts: the writable `Asset` accounts to price, in
/// increasing index order, one per entry of `prices`.
pub fn handle_set_prices<'info>(
    ctx: Context<'info, AuthorityOnly<'info>>,
    prices: Vec<PriceInput>,
) -> Result<()> {
    let assets = ctx.remaining_accounts;
    require!(
        prices.len() == assets.len() && prices.len() <= MAX_ASSETS,
        BallastError::PriceCountMismatch
    );
    let protocol = &ctx.accounts.protocol;
    let slot = Clock::get()?.slot;
    let mut next_index = 0u8;
    for (info, input) in assets.iter().zip(&prices) {
        require!(info.is_writable, BallastError::InvalidAssetAccount);
        let mut asset = Account::<Asset>::try_from(info)?;
        require_keys_eq!(asset.protocol, protocol.key(), BallastError::InvalidAssetAccount);
        require!(asset.index >= next_index, BallastError::InvalidAssetAccount);
        next_index = asset.index + 1;

        asset.apply_price(
            input.price.get(),
            input.confidence.get(),
            slot,
            protocol.params.price_ema_slots,
            protocol.params.max_price_jump.get(),
        )?;
        asset.exit(&crate::ID)?;
        emit!(PriceSet {
            asset: info.key(),
            price_bits: asset.price.bits,
            confidence_bits: asset.price_confidence.bits,
            smoothed_price_bits: asset.smoothed_price.bits,
            slot,
        });
    }
    Ok(())
}
