//! Mint and redeem with each of the three assets, with exact fee accounting
//! and the books checked against the vaults after every step.

use ballast::errors::BallastError;
use ballast_sdk::{pda, Chain};
use ballast_tests::expected;
use ballast_tests::*;

/// Asserts that a mint of `amount` moved exactly the expected units.
fn mint_exactly(h: &mut Harness, holder: &ballast_sdk::Keypair, asset: usize, amount: u64) -> u64 {
    let protocol = h.protocol();
    let view = h.asset(asset);
    let (gross, fee, minted) = expected::mint(amount, view.decimals, view.raw.price, protocol.raw.fee_mint);
    let source = h.asset_account(holder, asset);
    let destination = h.stable_account(holder);
    let (source_before, destination_before) = (h.balance(&source), h.balance(&destination));
    let vault_before = h.balance(&h.assets[asset].vault.clone());
    let pool_before = h.balance(&pda::insurance_vault());
    let insurance = expected::insurance_share(fee, protocol.raw.params.risk.insurance_fee_share);

    h.mint(holder, asset, amount).expect("mint");

    assert_eq!(h.balance(&source), source_before - amount);
    assert_eq!(h.balance(&destination), destination_before + minted);
    assert_eq!(h.balance(&h.assets[asset].vault.clone()), vault_before + amount);
    let after = h.protocol();
    assert_eq!(after.total_mint_fees - protocol.total_mint_fees, fee);
    assert_eq!(after.total_minted - protocol.total_minted, minted);
    assert_eq!(after.supply - protocol.supply, minted + insurance);
    assert_eq!(h.balance(&pda::insurance_vault()) - pool_before, insurance);
    assert_eq!(after.raw.insurance.fees - protocol.raw.insurance.fees, insurance);
    assert_eq!(gross, minted + fee);
    h.check_books();
    minted
}

fn redeem_exactly(h: &mut Harness, holder: &ballast_sdk::Keypair, asset: usize, amount: u64) -> u64 {
    let protocol = h.protocol();
    let view = h.asset(asset);
    let (fee, payout) = expected::redeem(amount, view.decimals, view.raw.price, protocol.raw.fee_redeem);
    let source = h.stable_account(holder);
    let destination = h.asset_account(holder, asset);
    let (source_before, destination_before) = (h.balance(&source), h.balance(&destination));
    let insurance = expected::insurance_share(fee, protocol.raw.params.risk.insurance_fee_share);

    h.redeem(holder, asset, amount).expect("redeem");

    assert_eq!(h.balance(&source), source_before - amount);
    assert_eq!(h.balance(&destination), destination_before + payout);
    let after = h.protocol();
    assert_eq!(after.total_redeem_fees - protocol.total_redeem_fees, fee);
    assert_eq!(protocol.supply - after.supply, amount - insurance);
    assert_eq!(h.asset(asset).vault_amount, view.vault_amount - payout);
    h.check_books();
    payout
}

#[test]
fn mint_and_redeem_with_each_asset_keeps_the_books_exact() {
    let mut h = Harness::new();
    assert_eq!(h.check_books(), None, "no supply, no CR");
    let decimals: Vec<u8> = (0..3).map(|i| h.asset(i).decimals).collect();
    assert_eq!(decimals, [6, 6, 8]);

    // Capital first: 50,000 USDC of equity above any liability.
    h.contribute(USDC, 50_000_000_000);
    h.check_books();

    let alice = h.holder(USDC, 200_000_000_000);
    h.fund(&alice, TBILL, 100_000_000_000);
    h.fund(&alice, WBTC, 100_000_000);

    // 100,000 USDC at $1 with a 0.3% fee.
    let minted = mint_exactly(&mut h, &alice, USDC, 100_000_000_000);
    assert_eq!(minted, 99_700_000_000);
    // 50,000 T-bills at $0.984375: gross 49,218.75.
    let minted = mint_exactly(&mut h, &alice, TBILL, 50_000_000_000);
    assert_eq!(minted, 49_218_750_000 - 147_656_250);
    // 0.4 WBTC (8 decimals) at $60,000: gross 24,000.
    let minted = mint_exactly(&mut h, &alice, WBTC, 40_000_000);
    assert_eq!(minted, 24_000_000_000 - 72_000_000);
    let cr = h.check_books().expect("CR");
    assert!(cr > 1.1, "CR {cr}");

    // Redeem 10,000 stablecoins for each asset; 0.2% fee.
    let payout = redeem_exactly(&mut h, &alice, USDC, 10_000_000_000);
    assert_eq!(payout, 9_980_000_000);
    let payout = redeem_exactly(&mut h, &alice, TBILL, 10_000_000_000);
    assert_eq!(payout, 10_138_412_698); // 9,980 / 0.984375, rounded down
    let payout = redeem_exactly(&mut h, &alice, WBTC, 6_000_000_000);
    assert_eq!(payout, 9_980_000); // 5,988 / 60,000 BTC

    // Every fee stayed in the reserve: CR rose with each redemption.
    let protocol = h.protocol();
    assert_eq!(protocol.total_mint_fees, 300_000_000 + 147_656_250 + 72_000_000);
    assert_eq!(protocol.total_redeem_fees, 20_000_000 * 2 + 12_000_000);
}

#[test]
fn the_conservative_price_is_the_lower_for_mints_and_the_higher_for_redemptions() {
    let mut h = Harness::new();
    h.contribute(USDC, 50_000_000_000);
    let bob = h.holder(WBTC, 100_000_000);
    let minted = mint_exactly(&mut h, &bob, WBTC, 10_000_000);
    assert_eq!(minted, 6_000_000_000 - 18_000_000);

    h.warp_slots(10);
    // A spike to $90,000: the smoothed price lags, so mints still value
    // WBTC at the old, lower price.
    h.set_price(WBTC, 90_000.0, 90.0).unwrap();
    let view = h.asset(WBTC);
    let smoothed = view.smoothed_price;
    assert!(smoothed > 60_000.0 && smoothed < 90_000.0, "smoothed {smoothed}");
    let protocol = h.protocol();
    let stable = h.stable_account(&bob);
    let before = h.balance(&stable);
    h.mint(&bob, WBTC, 10_000_000).unwrap();
    let (_, _, minted) = expected::mint(10_000_000, 8, view.raw.smoothed_price, protocol.raw.fee_mint);
    assert_eq!(h.balance(&stable) - before, minted);

    // Redemptions pay out at the higher (spot) price: fewer satoshis.
    let wbtc = h.asset_account(&bob, WBTC);
    let before = h.balance(&wbtc);
    h.redeem(&bob, WBTC, 1_000_000_000).unwrap();
    let (_, payout) = expected::redeem(1_000_000_000, 8, view.raw.price, protocol.raw.fee_redeem);
    assert_eq!(h.balance(&wbtc) - before, payout);
    h.check_books();
}

#[test]
fn limits_roll_over_the_window() {
    let mut h = Harness::new();
    h.contribute(USDC, 500_000_000_000);
    let alice = h.holder(USDC, 4 * MINT_LIMIT);
    h.mint(&alice, USDC, 900_000_000_000).unwrap(); // 897,300 minted
    let window = h.protocol().raw.window.start_slot;

    // Half-way through the next window, half of that still counts: 448,650,
    // which leaves 551,350 of the 1,000,000 limit.
    h.chain.warp_to_slot(window + WINDOW_SLOTS + WINDOW_SLOTS / 2).unwrap();
    h.set_prices(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]).unwrap();
    let extra = [h.asset_account(&alice, USDC), h.stable_account(&alice)];
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, USDC, 600_000_000_000); // 598,200
    h.assert_refused(result, BallastError::MintLimitExceeded, &before);
    h.mint(&alice, USDC, 550_000_000_000).expect("548,350 fits"); // 548,350

    // A whole window later nothing carries over.
    h.chain.warp_to_slot(window + 4 * WINDOW_SLOTS).unwrap();
    h.set_prices(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]).unwrap();
    h.mint(&alice, USDC, 1_000_000_000_000).expect("a fresh window has the whole limit");
    let protocol = h.protocol();
    assert_eq!(protocol.raw.window.start_slot, window + 4 * WINDOW_SLOTS);
    assert_eq!(protocol.raw.window.previous_minted, 0);
    h.check_books();
}
