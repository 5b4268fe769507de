use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::events::log_event;
use crate::constants::{pause, ASSET_SEED, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::instructions::vault::pay_from_vault;
use crate::events::{AuctionClosed, AuctionStarted, AuctionTaken};
use crate::instructions::reserve::{value_reserve, Valuation};
use crate::instructions::stablecoin::burn_stable;
use crate::math::{self, FixedBits, I80F48};
use crate::state::{Asset, AssetKind, AuctionState, PriceSide, PriceUse, Protocol, RiskParams};

/// The accounts of a crank on one asset's auction: starting or closing it.
#[derive(Accounts)]
pub struct AuctionCrank<'info> {
    #[account(mut, seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(
        mut,
        seeds = [ASSET_SEED, asset.mint.as_ref()],
        bump = asset.bump,
        has_one = protocol @ BallastError::InvalidAssetAccount,
    )]
    pub asset: Box<Account<'info, Asset>>,
}

/// Opens a Dutch auction of one asset while 1 <= CR < CR_crit. The whole
/// buy-back that restores CR_target, x = (CR_target·S − V)/(CR_target − 1),
/// is raised from the riskiest collateral first (spec section 6: "riskiest
/// first"; by risk score, ties by index), cash last, so liquidation leaves
/// the reserve safer: this auction raises what the assets sold before it
/// cannot, up to its own value, within the cap on stablecoins that auctions
/// in flight may raise. Anyone may send it.
/// Remaining accounts: every `Asset`, in order.
pub fn handle_start_auction<'info>(ctx: Context<'info, AuctionCrank<'info>>) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let slot = Clock::get()?.slot;
    let protocol = &mut accounts.protocol;
    protocol.require_not_paused(pause::LIQUIDATE, slot)?;
    require!(accounts.asset.auction.remaining == 0, BallastError::AuctionInProgress);

    let reserve = value_reserve(protocol, Some(&accounts.asset), ctx.remaining_accounts, slot, Valuation::Liquidation)?;
    let supply_value = math::stable_value_ceil(protocol.supply)?;
    let cr = math::collateral_ratio_floor(reserve.total, protocol.supply)?;
    let thresholds = protocol.params.thresholds();
    require!(
        matches!(cr, Some(cr) if cr >= I80F48::ONE && cr < thresholds.crit),
        BallastError::NotInLiquidationRange
    );
    let buyback = math::buyback_to_target_ceil(thresholds.target, supply_value, reserve.total)?;
    let share = math::sub(buyback, reserve.sold_before)?.clamp(I80F48::ZERO, reserve.asset_value);
    let risk = protocol.params.risk;
    let cap = math::to_u64_floor(math::mul_floor(I80F48::from_num(protocol.supply), risk.auction_cap.get())?)?;
    let room = cap.saturating_sub(protocol.auctions_in_flight);
    let share_units = math::stable_for_value_floor(share)?;
    let asset = &mut accounts.asset;
    let reference_price = asset.checked_price(slot, PriceSide::Lower, PriceUse::Liquidation)?;
    let lot = math::auction_lot_units(asset.decimals, reference_price, risk.auction_start_premium.get())?;
    require!(share_units >= lot, BallastError::NothingToAuction);
    require!(room >= lot, BallastError::AuctionCapReached);
    let raise = share_units.min(room);

    asset.auction = AuctionState {
        start_slot: slot,
        reference_price: reference_price.into(),
        remaining: raise,
    };
    protocol.auctions_in_flight += raise;
    log_event(&AuctionStarted {
        asset: asset.key(),
        to_raise: raise,
        reference_price_bits: reference_price.to_bits(),
        slot,
    });
    Ok(())
}

#[derive(Accounts)]
pub struct TakeAuction<'info> {
    pub keeper: Signer<'info>,
    #[account(mut, seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut, address = protocol.stable_mint @ BallastError::InvalidStableMint)]
    pub stable_mint: Box<Account<'info, Mint>>,
    #[account(
        mut,
        seeds = [ASSET_SEED, asset.mint.as_ref()],
        bump = asset.bump,
        has_one = protocol @ BallastError::InvalidAssetAccount,
    )]
    pub asset: Box<Account<'info, Asset>>,
    #[account(address = asset.mint @ BallastError::InvalidAssetMint)]
    pub asset_mint: Box<Account<'info, Mint>>,
    #[account(mut, address = asset.vault @ BallastError::InvalidVault)]
    pub vault: Box<Account<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = keeper_stable_account.mint == stable_mint.key() @ BallastError::InvalidTokenAccount,
        constraint = keeper_stable_account.owner == keeper.key() @ BallastError::InvalidTokenAccount,
    )]
    pub keeper_stable_account: Box<Account<'info, TokenAccount>>,
    #[account(
        mut,
        constraint = keeper_asset_account.mint == asset.mint @ BallastError::InvalidTokenAccount,
    )]
    pub keeper_asset_account: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Buys collateral from a running auction: the keeper pays up to `amount`
/// stablecoins, which are burned, and receives their value at the current
/// auction price plus the keeper incentive. Partial takes are allowed; an
/// auction past its duration restarts from the current price. A take must
/// happen while 1 <= CR < CR_target and must not lower CR: the collateral
/// it removes is worth at most CR times the stablecoins it burns. Cash is
/// never sold at a discount: its price stays at or above the oracle price
/// times (1 + keeper incentive), so each stablecoin burned takes at most a
/// dollar of cash (a buy-back at par, which a keeper makes when the
/// stablecoin trades below it).
/// Remaining accounts: every `Asset`, in index order.
pub fn handle_take_auction<'info>(
    ctx: Context<'info, TakeAuction<'info>>,
    amount: u64,
    max_price: FixedBits,
) -> Result<()> {
    require!(amount > 0, BallastError::ZeroAmount);
    let accounts = &mut *ctx.accounts;
    let slot = Clock::get()?.slot;
    accounts.protocol.require_not_paused(pause::LIQUIDATE, slot)?;
    let risk = accounts.protocol.params.risk;
    require!(accounts.asset.auction.remaining > 0, BallastError::NoAuction);
    let cr = liquidation_cr(&accounts.protocol, &accounts.asset, ctx.remaining_accounts, slot)?;
    require!(
        cr >= I80F48::ONE && cr < accounts.protocol.params.thresholds().target,
        BallastError::NotInLiquidationRange
    );
    let asset = &mut accounts.asset;
    let current = asset.checked_price(slot, PriceSide::Lower, PriceUse::Liquidation)?;
    if slot.saturating_sub(asset.auction.start_slot) >= risk.auction_duration_slots {
        asset.auction.start_slot = slot;
        asset.auction.reference_price = current.into();
    }
    let price = auction_price(asset, current, &risk, slot)?;
    require!(price <= max_price.get(), BallastError::AuctionPriceAboveLimit);

    let paid = amount.min(asset.auction.remaining);
    require!(
        accounts.keeper_stable_account.amount >= paid,
        BallastError::InsufficientFunds
    );
    let value = math::mul_floor(
        math::stable_value_floor(paid)?,
        math::add(I80F48::ONE, risk.keeper_incentive.get())?,
    )?;
    let collateral = math::tokens_for_value_floor(value, asset.decimals, price)?;
    require!(collateral > 0, BallastError::AmountTooSmall);
    require!(collateral <= asset.vault_amount, BallastError::InsufficientReserve);
    let removed = math::token_value_ceil(collateral, asset.decimals, current)?;
    require!(
        removed <= math::mul_floor(math::stable_value_floor(paid)?, cr)?,
        BallastError::AuctionTakeLowersCr
    );

    asset.vault_amount -= collateral;
    // A remainder under one lot could never be taken: it ends here.
    let left = asset.auction.remaining - paid;
    let lot = math::auction_lot_units(asset.decimals, asset.auction.reference_price.get(), risk.auction_start_premium.get())?;
    let unraised = if left < lot { left } else { 0 };
    asset.auction.remaining = left - unraised;
    let protocol = &mut accounts.protocol;
    protocol.auctions_in_flight -= paid + unraised;
    protocol.supply -= paid;

    burn_stable(
        &accounts.stable_mint,
        &accounts.keeper_stable_account,
        accounts.keeper.to_account_info(),
        &accounts.token_program,
        &[],
        paid,
    )?;
    pay_from_vault(
        protocol,
        &accounts.vault,
        &accounts.asset_mint,
        &accounts.keeper_asset_account,
        &accounts.token_program,
        collateral,
    )?;
    log_event(&AuctionTaken {
        asset: asset.key(),
        keeper: accounts.keeper.key(),
        paid,
        collateral,
        price_bits: price.to_bits(),
        remaining: asset.auction.remaining,
    });
    if unraised > 0 {
        log_event(&AuctionClosed {
            asset: asset.key(),
            unraised,
        });
    }
    Ok(())
}

/// The Dutch price of `asset`'s running auction at `slot`; for cash, never
/// below `current` (the oracle price) times (1 + keeper incentive).
pub fn auction_price(asset: &Asset, current: I80F48, risk: &RiskParams, slot: u64) -> Result<I80F48> {
    let price = math::dutch_auction_price(
        asset.auction.reference_price.get(),
        risk.auction_start_premium.get(),
        risk.auction_max_discount.get(),
        slot - asset.auction.start_slot,
        risk.auction_duration_slots,
    )?;
    if asset.kind != AssetKind::Cash {
        return Ok(price);
    }
    let par = math::mul_ceil(current, math::add(I80F48::ONE, risk.keeper_incentive.get())?)?;
    Ok(price.max(par))
}

/// CR with liquidation's price bounds; an error while nothing is minted.
fn liquidation_cr(protocol: &Protocol, asset: &Account<Asset>, assets: &[AccountInfo], slot: u64) -> Result<I80F48> {
    let value = value_reserve(protocol, Some(asset), assets, slot, Valuation::Liquidation)?.total;
    math::collateral_ratio_floor(value, protocol.supply)?.ok_or(error!(BallastError::NotInLiquidationRange))
}

/// Ends an auction that is no longer needed or cannot go on: CR is back at
/// CR_target, or below one (the waterfall's turn), the vault is empty, or
/// what is left to raise is under one lot. It frees the auction's share of
/// the cap. Anyone may send it.
/// Remaining accounts: every `Asset`, in index order.
pub fn handle_close_auction<'info>(ctx: Context<'info, AuctionCrank<'info>>) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let remaining = accounts.asset.auction.remaining;
    require!(remaining > 0, BallastError::NoAuction);
    let slot = Clock::get()?.slot;
    let asset = &accounts.asset;
    let premium = accounts.protocol.params.risk.auction_start_premium.get();
    let lot = math::auction_lot_units(asset.decimals, asset.auction.reference_price.get(), premium)?;
    let finished = asset.vault_amount == 0 || remaining < lot || {
        let cr = liquidation_cr(&accounts.protocol, &accounts.asset, ctx.remaining_accounts, slot)?;
        cr < I80F48::ONE || cr >= accounts.protocol.params.thresholds().target
    };
    require!(finished, BallastError::AuctionStillNeeded);
    accounts.asset.auction.remaining = 0;
    accounts.protocol.auctions_in_flight -= remaining;
    log_event(&AuctionClosed {
        asset: accounts.asset.key(),
        unraised: remaining,
    });
    Ok(())
}
