//! The keeper's decisions: a pure function from a [`Snapshot`] to the
//! actions that are due. Every action is checked here against the same
//! conditions the program checks, with the program's own fixed-point
//! arithmetic and price rules, so that the keeper never sends a transaction
//! the program would refuse for a reason it could have seen.

use ballast_sdk::program::constants::pause;
use ballast_sdk::program::instructions::reserve::Valuation;
use ballast_sdk::program::instructions::breaker_condition as program_breaker_condition;
use ballast_sdk::program::instructions::{auction_price, check_swap_floors, retrip_allowed};
use ballast_sdk::program::math::{self, FixedBits, I80F48};
use ballast_sdk::program::state::{PriceSide, PriceUse};
use ballast_sdk::Pubkey;

use super::snapshot::Snapshot;

/// Why the breaker trips.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TripCause {
    /// sigma_p is above sigma_threshold.
    Volatility,
    /// V has fallen more than `breaker_drawdown` below the reference value.
    Drawdown,
}

/// One transaction the keeper sends. Amounts are in base units and are the
/// ones the program will compute at the snapshot's slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeeperAction {
    TripBreaker {
        cause: TripCause,
    },
    ResetBreaker,
    /// Ends an auction that is no longer needed (CR back at target, below
    /// one, or the vault empty), freeing its share of the cap.
    CloseAuction {
        mint: Pubkey,
    },
    /// Runs the loss waterfall on `shortfall` stablecoin units; zero when it
    /// raises the redemption rate back after a recovery.
    AbsorbShortfall {
        shortfall: u64,
    },
    StartAuction {
        mint: Pubkey,
        to_raise: u64,
    },
    /// Pays `pay` stablecoins for `collateral` at a price of at most `max_price`.
    TakeAuction {
        mint: Pubkey,
        pay: u64,
        max_price: FixedBits,
        collateral: u64,
    },
    RebalanceSwap {
        mint_in: Pubkey,
        amount_in: u64,
        mint_out: Pubkey,
        amount_out: u64,
    },
    AccruePremium {
        premium: u64,
    },
}

/// What the keeper is willing to do beyond what the program allows.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// The least gain on an auction take, as a fraction of the stablecoins
    /// paid, with the collateral valued at the lower conservative price.
    /// Negative (above -1) for a keeper that accepts a loss to restore CR
    /// sooner: an early take buys collateral above its price, which lifts CR
    /// the most per stablecoin burned.
    pub min_take_profit: I80F48,
    /// The least value, in stablecoin units, a rebalancing swap must move.
    pub min_swap_value: u64,
    /// The least premium, in stablecoin units, worth a transaction.
    pub min_premium: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_take_profit: I80F48::ZERO,
            min_swap_value: 1_000_000,
            min_premium: 1_000_000,
        }
    }
}

/// Every action due on `snapshot`, most urgent first. Each one passes the
/// program's checks on the snapshot by itself; actions change the state the
/// others were checked on, so the keeper sends the first and looks again.
pub fn decide(snapshot: &Snapshot, policy: &Policy) -> Vec<KeeperAction> {
    let mut actions = Vec::new();
    let condition = breaker_condition(snapshot);
    if let Some(cause) = condition.filter(|_| breaker_trippable(snapshot)) {
        actions.push(KeeperAction::TripBreaker { cause });
    }
    let assets = 0..snapshot.assets.len();
    actions.extend(assets.clone().filter_map(|i| close_auction(snapshot, i)));
    actions.extend(absorb_shortfall(snapshot));
    // Auctions start, and takes spend the keeper's stablecoins, in
    // liquidation's order (riskiest first), so the cap on auctions in
    // flight goes to the riskiest collateral.
    let mut by_risk: Vec<usize> = assets.collect();
    by_risk.sort_by_key(|&i| snapshot.assets[i].raw.liquidation_order());
    actions.extend(by_risk.iter().filter_map(|&i| start_auction(snapshot, i)));
    actions.extend(by_risk.iter().filter_map(|&i| take_auction(snapshot, i, policy)));
    // A breaker whose condition still holds would only be tripped again.
    if condition.is_none() && breaker_resettable(snapshot) {
        actions.push(KeeperAction::ResetBreaker);
    }
    actions.extend(rebalance_swap(snapshot, policy));
    actions.extend(accrue_premium(snapshot, policy));
    actions
}

/// `trip_breaker`'s condition on the posted data, whether or not it is
/// tripped; a drawdown names the cause when both hold.
fn breaker_condition(s: &Snapshot) -> Option<TripCause> {
    let condition = program_breaker_condition(&s.protocol.raw, s.reserve_value(Valuation::Lenient)?).ok()?;
    if condition.drawdown {
        Some(TripCause::Drawdown)
    } else {
        condition.volatile.then_some(TripCause::Volatility)
    }
}

/// `trip_breaker`'s other checks: not pausing now, and once it has lapsed,
/// a new drawdown or a clearly higher sigma_p.
fn breaker_trippable(s: &Snapshot) -> bool {
    let protocol = &s.protocol.raw;
    if protocol.breaker_paused_at(s.slot) != 0 {
        return false;
    }
    !protocol.breaker_lapsed_at(s.slot)
        || s.reserve_value(Valuation::Lenient)
            .and_then(|value| program_breaker_condition(protocol, value).ok())
            .and_then(|condition| retrip_allowed(protocol, &condition).ok())
            .unwrap_or(false)
}

/// `reset_breaker`'s checks: tripped, the minimum pause over, sigma_p calm.
fn breaker_resettable(s: &Snapshot) -> bool {
    let protocol = &s.protocol.raw;
    let risk = protocol.params.risk;
    protocol.breaker_paused != 0
        && s.slot
            >= protocol
                .breaker_tripped_slot
                .saturating_add(risk.breaker_min_pause_slots)
        && protocol.risk.sigma_p.get() < risk.sigma_reset.get()
}

/// CR with liquidation's price bounds; `None` where an auction instruction
/// would fail to value the reserve, or while nothing is minted.
fn liquidation_cr(s: &Snapshot) -> Option<I80F48> {
    let value = s.reserve_value(Valuation::Liquidation)?;
    math::collateral_ratio_floor(value, s.protocol.raw.supply)
        .ok()
        .flatten()
}

fn liquidation_paused(s: &Snapshot) -> bool {
    s.protocol.raw.paused_at(s.slot) & pause::LIQUIDATE != 0
}

fn close_auction(s: &Snapshot, index: usize) -> Option<KeeperAction> {
    let asset = &s.assets[index];
    if asset.raw.auction.remaining == 0 {
        return None;
    }
    let protocol = &s.protocol.raw;
    let target = protocol.params.cr_target.get();
    let lot = math::auction_lot_units(
        asset.decimals,
        asset.raw.auction.reference_price.get(),
        protocol.params.risk.auction_start_premium.get(),
    )
    .ok()?;
    let finished = asset.vault_amount == 0
        || asset.raw.auction.remaining < lot
        || liquidation_cr(s).is_some_and(|cr| cr < I80F48::ONE || cr >= target);
    finished.then_some(KeeperAction::CloseAuction { mint: asset.mint })
}

/// `absorb_shortfall`: a loss to spread, confirmed at the higher of spot
/// and smoothed prices, or a redemption rate to raise back, confirmed at
/// the lower; every price must be usable.
fn absorb_shortfall(s: &Snapshot) -> Option<KeeperAction> {
    if !s.governance_exists {
        return None;
    }
    let protocol = &s.protocol.raw;
    let value_units =
        math::stable_for_value_floor(s.reserve_value(Valuation::LossRecognition)?).ok()?;
    let rate = protocol.redemption_rate.get();
    let claims =
        math::to_u64_floor(math::mul_floor(I80F48::from_num(protocol.supply), rate).ok()?).ok()?;
    if claims > value_units {
        return Some(KeeperAction::AbsorbShortfall {
            shortfall: claims - value_units,
        });
    }
    let lower_units = math::stable_for_value_floor(s.reserve_value(Valuation::Strict)?).ok()?;
    let restored = if protocol.supply == 0 {
        I80F48::ONE
    } else {
        math::div_floor(
            I80F48::from_num(lower_units),
            I80F48::from_num(protocol.supply),
        )
        .ok()?
        .min(I80F48::ONE)
    };
    (restored > rate).then_some(KeeperAction::AbsorbShortfall { shortfall: 0 })
}

/// `start_auction`: 1 <= CR < CR_crit, no auction running on the asset, and
/// a share of the buy-back (what the riskier assets cannot raise) and room
/// under the cap of at least one lot.
fn start_auction(s: &Snapshot, index: usize) -> Option<KeeperAction> {
    let (protocol, asset) = (&s.protocol.raw, &s.assets[index].raw);
    if liquidation_paused(s) || asset.auction.remaining != 0 {
        return None;
    }
    let thresholds = protocol.params.thresholds();
    let total = s.reserve_value(Valuation::Liquidation)?;
    let cr = liquidation_cr(s)?;
    if cr < I80F48::ONE || cr >= thresholds.crit {
        return None;
    }
    let reference_price = asset
        .checked_price(s.slot, PriceSide::Lower, PriceUse::Liquidation)
        .ok()?;
    let lot = math::auction_lot_units(
        asset.decimals,
        reference_price,
        protocol.params.risk.auction_start_premium.get(),
    )
    .ok()?;
    let asset_value = s.asset_value(asset, Valuation::Liquidation)?;
    let buyback = math::buyback_to_target_ceil(
        thresholds.target,
        math::stable_value_ceil(protocol.supply).ok()?,
        total,
    )
    .ok()?;
    let mut sold_before = I80F48::ZERO;
    for other in s.assets.iter().filter(|other| other.raw.liquidates_before(asset)) {
        sold_before = math::add(sold_before, s.asset_value(&other.raw, Valuation::Liquidation)?).ok()?;
    }
    let share = math::sub(buyback, sold_before).ok()?.clamp(I80F48::ZERO, asset_value);
    let cap = math::to_u64_floor(
        math::mul_floor(
            I80F48::from_num(protocol.supply),
            protocol.params.risk.auction_cap.get(),
        )
        .ok()?,
    )
    .ok()?;
    let room = cap.saturating_sub(protocol.auctions_in_flight);
    let share_units = math::stable_for_value_floor(share).ok()?;
    let to_raise = share_units.min(room);
    // The program takes any lot; the keeper waits for a tenth of the cap
    // (or the whole share), rather than start an auction per sliver of room.
    let worth_starting = to_raise >= share_units.min(cap / 10);
    (share_units >= lot && room >= lot && worth_starting).then_some(KeeperAction::StartAuction {
        mint: asset.mint,
        to_raise,
    })
}

/// `take_auction` with all the keeper's stablecoins up to what the auction
/// still raises, when the program would accept it (1 <= CR < CR_target, the
/// take does not lower CR) and the collateral is worth the price.
fn take_auction(s: &Snapshot, index: usize, policy: &Policy) -> Option<KeeperAction> {
    let (protocol, asset) = (&s.protocol.raw, &s.assets[index].raw);
    let risk = protocol.params.risk;
    let balance = s.keeper.stable.unwrap_or(0);
    if liquidation_paused(s) || asset.auction.remaining == 0 || balance == 0 {
        return None;
    }
    let cr = liquidation_cr(s)?;
    if cr < I80F48::ONE || cr >= protocol.params.cr_target.get() {
        return None;
    }
    let current = asset
        .checked_price(s.slot, PriceSide::Lower, PriceUse::Liquidation)
        .ok()?;
    // An auction past its duration restarts from the current price.
    let mut auction = asset.clone();
    if s.slot.saturating_sub(asset.auction.start_slot) >= risk.auction_duration_slots {
        auction.auction.start_slot = s.slot;
        auction.auction.reference_price = current.into();
    }
    let price = auction_price(&auction, current, &risk, s.slot).ok()?;
    let pay = balance.min(asset.auction.remaining);
    let paid_value = math::stable_value_floor(pay).ok()?;
    let bought = math::mul_floor(
        paid_value,
        math::add(I80F48::ONE, risk.keeper_incentive.get()).ok()?,
    )
    .ok()?;
    let collateral = math::tokens_for_value_floor(bought, asset.decimals, price).ok()?;
    if collateral == 0 || collateral > asset.vault_amount {
        return None;
    }
    let removed = math::token_value_ceil(collateral, asset.decimals, current).ok()?;
    if removed > math::mul_floor(paid_value, cr).ok()? {
        return None; // the program refuses a take that lowers CR
    }
    let worth = math::token_value_floor(collateral, asset.decimals, current).ok()?;
    let cost = math::mul_ceil(
        math::stable_value_ceil(pay).ok()?,
        math::add(I80F48::ONE, policy.min_take_profit).ok()?,
    )
    .ok()?;
    (worth >= cost).then_some(KeeperAction::TakeAuction {
        mint: asset.mint,
        pay,
        max_price: price.into(),
        collateral,
    })
}

/// Why `rebalance_swap` of a given size would be refused.
#[derive(Debug, PartialEq, Eq)]
enum SwapMisfit {
    /// No size would do: paused, disabled, or the weights are not on
    /// opposite sides of their targets.
    Never,
    /// Nothing would come out after rounding.
    TooSmall,
    /// It would cross a target, drop CR below CR_min, take cash or a
    /// capital ratio below its floor, exceed the window's u_max, or ask for
    /// more than the keeper or the vault holds.
    TooLarge,
}

/// What a swap of `amount_in` would pay out, and the value it moves in
/// stablecoin units, if the program would accept it.
fn quote_swap(
    s: &Snapshot,
    index_in: usize,
    index_out: usize,
    amount_in: u64,
) -> Result<(u64, u64), SwapMisfit> {
    use SwapMisfit::*;
    let (protocol, asset_in, asset_out) = (
        &s.protocol.raw,
        &s.assets[index_in].raw,
        &s.assets[index_out].raw,
    );
    let slot = s.slot;
    // Toward safety, swaps go on through a tripped breaker and below CR_min.
    let toward_safety = asset_in.risk_score() < asset_out.risk_score();
    let paused = if toward_safety { protocol.paused_by_others_at(slot) } else { protocol.paused_at(slot) };
    if index_in == index_out
        || paused & pause::REBALANCE != 0
        || !asset_in.enabled
        || !asset_out.enabled
    {
        return Err(Never);
    }
    if amount_in == 0 {
        return Err(TooSmall);
    }
    if s.keeper.assets[index_in].unwrap_or(0) < amount_in {
        return Err(TooLarge);
    }
    let price = |asset: &ballast_sdk::program::state::Asset, side| {
        asset.conservative_price(slot, side).map_err(|_| Never)
    };
    let (price_in, price_out_high, price_out_low) = (
        price(asset_in, PriceSide::Lower)?,
        price(asset_out, PriceSide::Higher)?,
        price(asset_out, PriceSide::Lower)?,
    );
    let total = s.reserve_value(Valuation::Lenient).ok_or(Never)?;
    let in_before = asset_in.collateral_value_floor(slot).map_err(|_| Never)?;
    let out_before = asset_out.collateral_value_floor(slot).map_err(|_| Never)?;
    let (target_in, target_out) = (
        asset_in.config.target_weight.get(),
        asset_out.config.target_weight.get(),
    );
    let weight = |value, of| math::weight_ceil(value, of).map_err(|_| TooLarge);
    if weight(in_before, total)? >= target_in || weight(out_before, total)? <= target_out {
        return Err(Never);
    }

    // From here on every failure grows with the amount.
    let large = |_| TooLarge;
    let incentive = protocol.swap_incentive().map_err(large)?;
    let value_in =
        math::token_value_floor(amount_in, asset_in.decimals, price_in).map_err(large)?;
    let value_paid = math::mul_floor(value_in, math::add(I80F48::ONE, incentive).map_err(large)?)
        .map_err(large)?;
    let amount_out = math::tokens_for_value_floor(value_paid, asset_out.decimals, price_out_high)
        .map_err(large)?;
    if amount_out == 0 {
        return Err(TooSmall);
    }
    if amount_out > asset_out.vault_amount {
        return Err(TooLarge);
    }
    let value_out =
        math::token_value_ceil(amount_out, asset_out.decimals, price_out_low).map_err(large)?;
    let capital = s.capital(Valuation::Lenient).ok_or(Never)?;
    check_swap_floors(protocol, &capital, asset_in, value_in, asset_out, value_out).map_err(large)?;
    let total_after =
        math::sub(math::add(total, value_in).map_err(large)?, value_out).map_err(large)?;
    let in_after = weight(math::add(in_before, value_in).map_err(large)?, total_after)?;
    let out_after = weight(
        math::sub(out_before, value_out).map_err(large)?,
        total_after,
    )?;
    if in_after > target_in || out_after < target_out {
        return Err(TooLarge);
    }
    let cr_after = math::collateral_ratio_floor(total_after, protocol.supply).map_err(large)?;
    if !toward_safety && cr_after.is_some_and(|cr| cr < protocol.params.cr_min.get()) {
        return Err(TooLarge);
    }
    let moved = math::stable_for_value_floor(value_paid).map_err(large)?;
    // The window's u_max check, on a copy: the program's own accounting.
    protocol.clone().record_swap(slot, moved).map_err(large)?;
    Ok((amount_out, moved))
}

/// The largest swap of the keeper's `index_in` tokens for `index_out` the
/// program would accept: (amount_in, amount_out, value moved).
fn largest_swap(s: &Snapshot, index_in: usize, index_out: usize) -> Option<(u64, u64, u64)> {
    let balance = s.keeper.assets[index_in]?;
    match quote_swap(s, index_in, index_out, balance) {
        Ok((out, moved)) => return Some((balance, out, moved)),
        Err(SwapMisfit::TooLarge) => {}
        Err(_) => return None,
    }
    // Refusals for size grow with the amount: bisect for the largest that fits.
    let (mut fits, mut too_large) = (0, balance);
    while too_large - fits > 1 {
        let mid = fits + (too_large - fits) / 2;
        match quote_swap(s, index_in, index_out, mid) {
            Err(SwapMisfit::TooLarge) => too_large = mid,
            Err(SwapMisfit::Never) => return None,
            _ => fits = mid,
        }
    }
    let (out, moved) = quote_swap(s, index_in, index_out, fits).ok()?;
    Some((fits, out, moved))
}

/// The rebalancing swap that moves the most value toward the targets with
/// the tokens the keeper holds, if it moves at least the policy's minimum.
fn rebalance_swap(s: &Snapshot, policy: &Policy) -> Option<KeeperAction> {
    let n = s.assets.len();
    let pairs = (0..n).flat_map(|i| (0..n).map(move |o| (i, o)));
    let (index_in, index_out, (amount_in, amount_out, moved)) = pairs
        .filter_map(|(i, o)| largest_swap(s, i, o).map(|swap| (i, o, swap)))
        .max_by_key(|(_, _, (_, _, moved))| *moved)?;
    (moved >= policy.min_swap_value).then(|| KeeperAction::RebalanceSwap {
        mint_in: s.assets[index_in].mint,
        amount_in,
        mint_out: s.assets[index_out].mint,
        amount_out,
    })
}

/// `accrue_premium`: what it would pay now, p·S per slot since the last
/// accrual capped to keep CR at CR_min, when that is worth a transaction.
fn accrue_premium(s: &Snapshot, policy: &Policy) -> Option<KeeperAction> {
    let protocol = &s.protocol.raw;
    let elapsed = s.slot.saturating_sub(protocol.premium_accrued_slot);
    let supply = I80F48::from_num(protocol.supply);
    let per_slot = math::mul_floor(
        supply,
        protocol.params.risk.insurance_premium_per_slot.get(),
    )
    .ok()?;
    let accrued =
        math::to_u64_floor(math::mul_floor(per_slot, I80F48::from_num(elapsed)).ok()?).ok()?;
    let value = s.reserve_value(Valuation::Lenient)?;
    let supported =
        math::stable_for_value_floor(math::div_floor(value, protocol.params.cr_min.get()).ok()?)
            .ok()?;
    let premium = accrued.min(supported.saturating_sub(protocol.supply));
    (premium > 0 && premium >= policy.min_premium)
        .then_some(KeeperAction::AccruePremium { premium })
}

#[cfg(test)]
mod tests {
    use anchor_lang::{AccountDeserialize, Space};
    use ballast_sdk::program::state::{Asset, AssetKind, Protocol};
    use ballast_sdk::{fixed, to_f64};

    use super::*;
    use crate::keeper::snapshot::KeeperBalances;

    const SLOT: u64 = 10_000;
    const UNIT: u64 = 1_000_000;

    /// An account with every field zero, to fill in by hand.
    fn zeroed<T: AccountDeserialize + Space>() -> T {
        T::try_deserialize_unchecked(&mut &vec![0u8; 8 + T::INIT_SPACE][..]).unwrap()
    }

    fn asset(decimals: u8, price: f64, amount: u64, target_weight: f64, kind: AssetKind, risk_score: f64) -> Asset {
        let mut asset: Asset = zeroed();
        asset.mint = Pubkey::new_unique();
        asset.decimals = decimals;
        asset.kind = kind;
        asset.enabled = true;
        asset.config = ballast_tests::asset_config(1.0, 0.01);
        asset.config.target_weight = fixed(target_weight);
        asset.config.risk_score = fixed(risk_score);
        asset.price = fixed(price);
        asset.smoothed_price = fixed(price);
        asset.price_confidence = fixed(price / 1000.0);
        asset.price_slot = SLOT;
        asset.vault_amount = amount;
        asset
    }

    /// The harness's parameters; V = 120,000 in USDC, TBILL and WBTC at
    /// their target weights 40/30/30; S = 100,000 (CR 1.2); calm prices.
    fn calm() -> Snapshot {
        let mut protocol: Protocol = zeroed();
        protocol.params = ballast_tests::default_args().params;
        protocol.redemption_rate = fixed(1.0);
        protocol.risk.sigma_p = fixed(0.02);
        protocol.supply = 100_000 * UNIT;
        protocol.premium_accrued_slot = SLOT;
        let mut assets = vec![
            asset(6, 1.0, 48_000 * UNIT, 0.4, AssetKind::Cash, 0.05),
            asset(6, 1.0, 36_000 * UNIT, 0.3, AssetKind::Bill, 0.1),
            asset(8, 60_000.0, 60_000_000, 0.3, AssetKind::Crypto, 0.6),
        ];
        for (index, asset) in assets.iter_mut().enumerate() {
            asset.index = index as u8;
        }
        protocol.asset_count = assets.len() as u8;
        let addresses: Vec<Pubkey> = assets.iter().map(|_| Pubkey::new_unique()).collect();
        protocol.assets[..3].copy_from_slice(&addresses);
        Snapshot {
            slot: SLOT,
            protocol: (Pubkey::new_unique(), protocol).into(),
            assets: addresses.into_iter().zip(assets).map(Into::into).collect(),
            governance_exists: true,
            keeper: KeeperBalances {
                stable: Some(50_000 * UNIT),
                assets: vec![Some(0); 3],
            },
        }
    }

    fn edit(s: &mut Snapshot, change: impl FnOnce(&mut Protocol, &mut [Asset])) {
        let mut assets: Vec<Asset> = s.assets.iter().map(|a| a.raw.clone()).collect();
        let mut protocol = s.protocol.raw.clone();
        change(&mut protocol, &mut assets);
        s.protocol = (s.protocol.address, protocol).into();
        for (view, raw) in s.assets.iter_mut().zip(assets) {
            *view = (view.address, raw).into();
        }
    }

    fn plan(s: &Snapshot) -> Vec<KeeperAction> {
        decide(s, &Policy::default())
    }

    #[test]
    fn a_calm_reserve_needs_nothing() {
        assert_eq!(plan(&calm()), vec![]);
    }

    #[test]
    fn the_breaker_trips_on_volatility_or_drawdown_and_only_once() {
        let mut s = calm();
        edit(&mut s, |p, _| p.risk.sigma_p = fixed(0.81));
        assert_eq!(
            plan(&s),
            vec![KeeperAction::TripBreaker {
                cause: TripCause::Volatility
            }]
        );
        edit(&mut s, |p, _| {
            p.breaker_paused = pause::MINT;
            p.breaker_tripped_slot = SLOT;
            p.breaker_trip_sigma = fixed(0.81);
        });
        assert_eq!(plan(&s), vec![], "already tripped");
        // Lapsed after its longest pause: the same volatility does not trip
        // it again, a higher one does.
        s.slot = SLOT + s.protocol.raw.params.risk.breaker_max_pause_slots;
        assert_eq!(plan(&s), vec![], "lapsed, and sigma_p is no worse");
        edit(&mut s, |p, _| p.risk.sigma_p = fixed(1.0));
        assert_eq!(plan(&s), vec![], "lapsed, and sigma_p is not a quarter higher");
        edit(&mut s, |p, _| p.risk.sigma_p = fixed(1.02));
        assert_eq!(
            plan(&s),
            vec![KeeperAction::TripBreaker {
                cause: TripCause::Volatility
            }]
        );

        // V = 120,000 against a reference of 141,000 is a 14.9% fall: not
        // beyond 15%; against 142,000 it is.
        let mut s = calm();
        edit(&mut s, |p, _| p.risk.reference_value = fixed(141_000.0));
        assert_eq!(plan(&s), vec![]);
        edit(&mut s, |p, _| p.risk.reference_value = fixed(142_000.0));
        assert_eq!(
            plan(&s),
            vec![KeeperAction::TripBreaker {
                cause: TripCause::Drawdown
            }]
        );
    }

    #[test]
    fn the_breaker_resets_after_its_minimum_pause_once_calm() {
        let mut s = calm();
        let min_pause = s.protocol.raw.params.risk.breaker_min_pause_slots;
        edit(&mut s, |p, _| {
            p.breaker_paused = pause::MINT | pause::REDEEM | pause::REBALANCE;
            p.breaker_tripped_slot = SLOT - min_pause + 1;
        });
        assert_eq!(plan(&s), vec![], "the minimum pause is not over");
        s.slot += 1;
        assert_eq!(plan(&s), vec![KeeperAction::ResetBreaker]);
        // Between sigma_reset (0.5) and sigma_threshold (0.8): neither trip nor reset.
        edit(&mut s, |p, _| p.risk.sigma_p = fixed(0.6));
        assert_eq!(plan(&s), vec![]);
        // Calm volatility but a persisting drawdown: resetting would only re-trip.
        edit(&mut s, |p, _| {
            p.risk.sigma_p = fixed(0.02);
            p.risk.reference_value = fixed(150_000.0);
        });
        assert_eq!(plan(&s), vec![]);
    }

    /// CR = 1.02: the reserve is worth 102,000 against 100,000.
    fn in_liquidation_range() -> Snapshot {
        let mut s = calm();
        edit(&mut s, |_, a| {
            a[0].vault_amount = 42_000 * UNIT;
            a[1].vault_amount = 30_000 * UNIT;
            a[2].vault_amount = 50_000_000;
        });
        s
    }

    fn starts(s: &Snapshot) -> Vec<(Pubkey, u64)> {
        plan(s)
            .iter()
            .map(|a| match a {
                KeeperAction::StartAuction { mint, to_raise } => (*mint, *to_raise),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn auctions_start_below_cr_crit_riskiest_first_and_within_the_cap() {
        let mut s = in_liquidation_range();
        let (usdc, tbill, wbtc) = (s.assets[0].mint, s.assets[1].mint, s.assets[2].mint);
        // x = (1.2·100,000 − 102,000) / 0.2 = 90,000: WBTC (30,000) first,
        // then TBILL (30,000), then cash the last 30,000; each share is
        // above the cap (20% of S, rounded down) by itself.
        let cap = math::to_u64_floor(
            math::mul_floor(
                I80F48::from_num(s.protocol.supply),
                s.protocol.raw.params.risk.auction_cap.get(),
            )
            .unwrap(),
        )
        .unwrap();
        assert!(cap.abs_diff(20_000 * UNIT) <= 1, "{cap}");
        assert_eq!(starts(&s), vec![(wbtc, cap), (tbill, cap), (usdc, cap)]);

        // WBTC worth the whole buy-back: nothing else is sold.
        edit(&mut s, |_, a| {
            a[0].vault_amount = 0;
            a[1].vault_amount = 12_000 * UNIT;
            a[2].vault_amount = 150_000_000;
        });
        assert_eq!(starts(&s), vec![(wbtc, cap)]);

        let mut s = in_liquidation_range();
        edit(&mut s, |p, _| p.auctions_in_flight = cap - 5);
        assert!(plan(&s)
            .iter()
            .all(|a| matches!(a, KeeperAction::StartAuction { to_raise: 5, .. })));
        edit(&mut s, |p, _| p.auctions_in_flight = cap);
        assert_eq!(plan(&s), vec![], "the cap is reached");
        edit(&mut s, |p, _| {
            p.auctions_in_flight = 0;
            p.paused = pause::LIQUIDATE;
        });
        assert_eq!(plan(&s), vec![], "liquidation is paused");
    }

    /// An auction of WBTC started at SLOT, with 10,000 left to raise.
    fn wbtc_auction(slots_in: u64) -> Snapshot {
        let mut s = in_liquidation_range();
        edit(&mut s, |p, a| {
            p.auctions_in_flight = 10_000 * UNIT;
            for asset in a.iter_mut() {
                asset.auction.remaining = 1; // no starts to crowd the plan
            }
            p.auctions_in_flight += 2;
            a[0].vault_amount = 0;
            a[1].vault_amount = 0;
            a[2].vault_amount = 170_000_000; // CR 1.02 on WBTC alone
            a[2].auction.start_slot = SLOT;
            a[2].auction.reference_price = fixed(60_000.0);
            a[2].auction.remaining = 10_000 * UNIT;
        });
        s.slot = SLOT + slots_in;
        s
    }

    fn takes(s: &Snapshot) -> Vec<(u64, f64, u64)> {
        plan(s)
            .into_iter()
            .filter_map(|a| match a {
                KeeperAction::TakeAuction {
                    pay,
                    max_price,
                    collateral,
                    ..
                } => Some((pay, to_f64(max_price), collateral)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn takes_wait_for_a_price_worth_paying_that_the_program_accepts() {
        // The price falls from 63,000 to 54,000 over 100 slots. With the 2%
        // incentive, 10,000 buys 10,200 of collateral: a gain once the price
        // is below 61,200 (after slot 20), and a take that lowers CR = 1.02
        // once it is below 60,000 (after slot 33).
        assert_eq!(
            takes(&wbtc_auction(20)),
            vec![],
            "at 61,200 the rounding leaves a loss"
        );
        let at_21 = takes(&wbtc_auction(21));
        let [(pay, price, collateral)] = at_21[..] else {
            panic!("{at_21:?}")
        };
        assert_eq!(
            pay,
            10_000 * UNIT,
            "all that is left, within the keeper's balance"
        );
        assert!((price - 61_110.0).abs() < 1e-6, "{price}");
        assert!(
            collateral.abs_diff(16_691_212) <= 1,
            "10,200 at 61,110: {collateral}"
        );
        assert_eq!(takes(&wbtc_auction(33)).len(), 1);
        assert_eq!(takes(&wbtc_auction(34)), vec![], "it would lower CR");
        // Past its duration the auction restarts at 63,000: not worth it.
        assert_eq!(takes(&wbtc_auction(100)), vec![]);

        let mut s = wbtc_auction(30);
        s.keeper.stable = Some(1_234_567);
        assert_eq!(
            takes(&s)[0].0,
            1_234_567,
            "a partial take with what the keeper holds"
        );
        s.keeper.stable = None;
        assert_eq!(takes(&s), vec![], "no stablecoins, no take");
    }

    #[test]
    fn finished_auctions_close_and_a_loss_goes_to_the_waterfall() {
        // Back above CR_target: close.
        let mut s = wbtc_auction(30);
        edit(&mut s, |_, a| a[2].vault_amount = 200_000_000);
        let closes: Vec<_> = plan(&s)
            .into_iter()
            .filter(|a| matches!(a, KeeperAction::CloseAuction { .. }))
            .collect();
        assert_eq!(closes.len(), 3, "every running auction");

        // Below one: close, and absorb the 10,000 shortfall at spot prices.
        edit(&mut s, |_, a| a[2].vault_amount = 150_000_000);
        let actions = plan(&s);
        assert_eq!(actions.len(), 4, "{actions:?}");
        assert!(actions[..3]
            .iter()
            .all(|a| matches!(a, KeeperAction::CloseAuction { .. })));
        assert_eq!(
            actions[3],
            KeeperAction::AbsorbShortfall {
                shortfall: 10_000 * UNIT
            }
        );
        s.governance_exists = false;
        assert_eq!(
            plan(&s).len(),
            3,
            "the waterfall needs the backstop's accounts"
        );
    }

    #[test]
    fn the_waterfall_raises_the_redemption_rate_after_a_recovery() {
        let mut s = calm();
        edit(&mut s, |p, _| p.redemption_rate = fixed(0.9));
        assert_eq!(
            plan(&s),
            vec![KeeperAction::AbsorbShortfall { shortfall: 0 }]
        );
        // A stale price makes the spot valuation fail: nothing to send.
        s.slot += 2_001;
        assert_eq!(plan(&s), vec![]);
    }

    #[test]
    fn swaps_are_the_largest_the_program_accepts() {
        // USDC overweight (60,000 of 120,000 against 40%), TBILL under.
        let mut s = calm();
        edit(&mut s, |_, a| {
            a[0].vault_amount = 60_000 * UNIT;
            a[1].vault_amount = 24_000 * UNIT;
        });
        s.keeper.assets[1] = Some(100_000 * UNIT);
        let actions = plan(&s);
        let [KeeperAction::RebalanceSwap {
            amount_in,
            mint_in,
            mint_out,
            ..
        }] = actions[..]
        else {
            panic!("{actions:?}");
        };
        assert_eq!((mint_in, mint_out), (s.assets[1].mint, s.assets[0].mint));
        // u_max (10% of supply per window) binds first: 1.002·x <= 10,000.
        assert!(quote_swap(&s, 1, 0, amount_in).is_ok());
        assert_eq!(
            quote_swap(&s, 1, 0, amount_in + 1),
            Err(SwapMisfit::TooLarge)
        );
        assert!(
            amount_in > 9_000 * UNIT && amount_in < 10_000 * UNIT,
            "{amount_in}"
        );

        s.keeper.assets[1] = Some(1_000 * UNIT);
        assert!(
            matches!(plan(&s)[..], [KeeperAction::RebalanceSwap { amount_in, .. }] if amount_in == 1_000 * UNIT)
        );
        edit(&mut s, |p, _| p.paused = pause::REBALANCE);
        assert_eq!(plan(&s), vec![], "rebalancing is paused");
    }

    #[test]
    fn swaps_stop_at_the_cash_floor() {
        // As above, with cash allowed down to 57% of the supply: 3,000 of
        // the 60,000 may leave, so the floor binds before u_max.
        let mut s = calm();
        edit(&mut s, |p, a| {
            a[0].vault_amount = 60_000 * UNIT;
            a[1].vault_amount = 24_000 * UNIT;
            p.params.policy.min_cash_ratio = fixed(0.57);
        });
        s.keeper.assets[1] = Some(100_000 * UNIT);
        let [KeeperAction::RebalanceSwap { amount_out, .. }] = plan(&s)[..] else {
            panic!("{:?}", plan(&s));
        };
        assert!(amount_out <= 3_000 * UNIT && amount_out > 2_990 * UNIT, "{amount_out}");
    }

    #[test]
    fn swaps_stop_at_the_countercyclical_buffer_floor() {
        // As above, every asset weighted 1 in RWA: CCB is the cash share,
        // 60,000 of 120,000; a floor of 0.475 lets 3,000 of cash leave.
        let mut s = calm();
        edit(&mut s, |p, a| {
            a[0].vault_amount = 60_000 * UNIT;
            a[1].vault_amount = 24_000 * UNIT;
            p.params.policy.min_countercyclical_buffer = fixed(0.475);
        });
        s.keeper.assets[1] = Some(100_000 * UNIT);
        let [KeeperAction::RebalanceSwap { amount_out, .. }] = plan(&s)[..] else {
            panic!("{:?}", plan(&s));
        };
        assert!(amount_out <= 3_000 * UNIT && amount_out > 2_990 * UNIT, "{amount_out}");
    }

    #[test]
    fn the_premium_is_accrued_when_worth_a_transaction() {
        // 10^-6 per slot on 100,000: 0.1 per slot, one stablecoin in 10 slots.
        let mut s = calm();
        edit(&mut s, |p, _| {
            p.params.risk.insurance_premium_per_slot = fixed(1e-6)
        });
        s.slot = SLOT + 9;
        assert_eq!(plan(&s), vec![]);
        s.slot = SLOT + 11;
        let actions = plan(&s);
        let [KeeperAction::AccruePremium { premium }] = actions[..] else {
            panic!("{actions:?}")
        };
        assert!((1_099_000..=1_100_000).contains(&premium), "{premium}");
        // With no equity above CR_min there is nothing to pay.
        edit(&mut s, |p, _| p.supply = 109_091 * UNIT);
        assert_eq!(plan(&s), vec![]);
    }
}
