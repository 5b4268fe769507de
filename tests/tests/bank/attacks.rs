//! Attacks and bad input. Each test asserts the specific error and that no
//! account changed.

use ballast::errors::BallastError;
use ballast::state::AssetKind;
use ballast_sdk::instructions;
use ballast_sdk::{pda, token, Chain, Instruction, Keypair, Pubkey, Signer};
use ballast_tests::*;

/// A reserve with capital and a holder with stablecoins and every asset.
fn funded() -> (Harness, Keypair) {
    let mut h = Harness::new();
    h.contribute(USDC, 100_000_000_000);
    let alice = h.holder(USDC, 500_000_000_000);
    h.fund(&alice, TBILL, 100_000_000_000);
    h.fund(&alice, WBTC, 1_000_000_000);
    h.mint(&alice, USDC, 100_000_000_000).expect("mint");
    (h, alice)
}

fn replace_account(mut ix: Instruction, old: Pubkey, new: Pubkey) -> Instruction {
    let meta = ix.accounts.iter_mut().find(|m| m.pubkey == old).expect("account in instruction");
    meta.pubkey = new;
    ix
}

fn holder_accounts(h: &mut Harness, holder: &Keypair) -> Vec<Pubkey> {
    let mut accounts = vec![h.stable_account(holder)];
    for asset in 0..h.assets.len() {
        accounts.push(h.asset_account(holder, asset));
    }
    accounts
}

// --- admin operations signed by the wrong key ---

#[test]
fn admin_operations_refuse_a_wrong_signer() {
    let (mut h, _) = funded();
    // Mallory has SOL, so nothing fails for want of rent before the check.
    let mallory = funded_stranger(&mut h);
    let before = h.snapshot(&[]);

    let mint = h.create_mint(6);
    let ix = instructions::add_asset(&mallory.pubkey(), &mint, AssetKind::Cash, asset_config(1.0, 0.01));
    let result = h.send_as(&mallory, ix);
    h.assert_refused(result, BallastError::Unauthorized, &before);

    let result = h.send_as(&mallory, instructions::set_pause(&mallory.pubkey(), PAUSE_MINT));
    h.assert_refused(result, BallastError::Unauthorized, &before);

    let usdc = h.assets[USDC].mint;
    let result = h.send_as(&mallory, instructions::set_asset_enabled(&mallory.pubkey(), &usdc, false));
    h.assert_refused(result, BallastError::Unauthorized, &before);
}

#[test]
fn the_authority_must_sign_not_just_be_named() {
    let (mut h, _) = funded();
    let mallory = funded_stranger(&mut h);
    let before = h.snapshot(&[]);
    let mut ix = instructions::set_pause(&h.admin.pubkey(), PAUSE_MINT);
    ix.accounts[0].is_signer = false;
    let error = h.chain.send(&[ix], &mallory, &[]).unwrap_err();
    assert_eq!(error.custom_code(), Some(anchor_lang::error::ErrorCode::AccountNotSigner.into()), "{error}");
    h.assert_unchanged(&before);
}

/// A stranger with 1 SOL, to pay fees and rent as the attacker.
fn funded_stranger(h: &mut Harness) -> Keypair {
    let stranger = Keypair::new();
    let transfer = solana_system_interface::instruction::transfer(&h.admin.pubkey(), &stranger.pubkey(), 1_000_000_000);
    h.send_admin(transfer).expect("fund the stranger");
    stranger
}

// --- look-alike accounts ---

#[test]
fn a_look_alike_vault_is_refused() {
    let (mut h, alice) = funded();
    // Anyone can create a token account of the right mint owned by the
    // protocol PDA; it is still not the vault.
    let fake_vault = Keypair::new();
    let usdc = h.assets[USDC].mint;
    create_token_account(&mut h, &fake_vault, &usdc, &pda::protocol());
    let mut extra = holder_accounts(&mut h, &alice);
    extra.push(fake_vault.pubkey());
    let before = h.snapshot(&extra);

    let vault = h.assets[USDC].vault;
    let ix = replace_account(h.mint_ix(&alice, USDC, 1_000_000), vault, fake_vault.pubkey());
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::InvalidVault, &before);

    let ix = replace_account(h.redeem_ix(&alice, USDC, 1_000_000), vault, fake_vault.pubkey());
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::InvalidVault, &before);
}

fn create_token_account(h: &mut Harness, account: &Keypair, mint: &Pubkey, owner: &Pubkey) {
    token::create_token_account(&mut h.chain, &h.admin, account, mint, owner).expect("token account");
}

#[test]
fn a_look_alike_stablecoin_mint_is_refused() {
    let (mut h, alice) = funded();
    // A mint with the same decimals whose authority is the attacker.
    let fake_mint = h.create_mint(6);
    let fake_account = token::associated_account(&mut h.chain, &h.admin, &alice.pubkey(), &fake_mint).unwrap();
    let mut extra = holder_accounts(&mut h, &alice);
    extra.extend([fake_mint, fake_account]);
    let before = h.snapshot(&extra);

    let stable_mint = pda::stable_mint();
    let stable_account = h.stable_account(&alice);
    let ix = h.mint_ix(&alice, USDC, 1_000_000);
    let ix = replace_account(replace_account(ix, stable_mint, fake_mint), stable_account, fake_account);
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::InvalidStableMint, &before);

    let ix = h.redeem_ix(&alice, USDC, 1_000_000);
    let ix = replace_account(replace_account(ix, stable_mint, fake_mint), stable_account, fake_account);
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::InvalidStableMint, &before);
}

#[test]
fn a_look_alike_asset_mint_is_refused() {
    let (mut h, alice) = funded();
    let fake_mint = h.create_mint(6);
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let usdc = h.assets[USDC].mint;
    let ix = replace_account(h.mint_ix(&alice, USDC, 1_000_000), usdc, fake_mint);
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::InvalidAssetMint, &before);
}

#[test]
fn a_token_account_of_another_mint_or_owner_is_refused() {
    let (mut h, alice) = funded();
    let bob = h.holder(TBILL, 1_000_000_000);
    let mut extra = holder_accounts(&mut h, &alice);
    extra.extend(holder_accounts(&mut h, &bob));
    let before = h.snapshot(&extra);

    // Alice pays with a TBILL account into the USDC vault.
    let usdc_account = h.asset_account(&alice, USDC);
    let tbill_account = h.asset_account(&alice, TBILL);
    let ix = replace_account(h.mint_ix(&alice, USDC, 1_000_000), usdc_account, tbill_account);
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::InvalidTokenAccount, &before);

    // Alice tries to burn Bob's stablecoins.
    let alice_stable = h.stable_account(&alice);
    let bob_stable = h.stable_account(&bob);
    let ix = replace_account(h.redeem_ix(&alice, USDC, 1_000_000), alice_stable, bob_stable);
    let result = h.send_as(&alice, ix);
    h.assert_refused(result, BallastError::InvalidTokenAccount, &before);
}

#[test]
fn the_reserve_list_must_be_complete_and_in_order() {
    let (mut h, alice) = funded();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let accounts = h.mint_accounts(&alice, USDC);
    let reserve = h.reserve_assets();

    let missing = instructions::mint(&accounts, 1_000_000, &reserve[..2]);
    let result = h.send_as(&alice, missing);
    h.assert_refused(result, BallastError::IncompleteReserve, &before);

    let repeated = instructions::mint(&accounts, 1_000_000, &[reserve[0], reserve[0], reserve[1]]);
    let result = h.send_as(&alice, repeated);
    h.assert_refused(result, BallastError::IncompleteReserve, &before);

    let reordered = instructions::mint(&accounts, 1_000_000, &[reserve[2], reserve[1], reserve[0]]);
    let result = h.send_as(&alice, reordered);
    h.assert_refused(result, BallastError::IncompleteReserve, &before);
}

// --- prices ---

#[test]
fn a_stale_price_is_refused() {
    let (mut h, alice) = funded();
    h.mint(&alice, WBTC, 1_000_000).unwrap();
    let extra = holder_accounts(&mut h, &alice);
    h.warp_slots(STALENESS_SLOTS + 1);
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, USDC, 1_000_000);
    h.assert_refused(result, BallastError::StalePrice, &before);
    let result = h.redeem(&alice, USDC, 1_000_000);
    h.assert_refused(result, BallastError::StalePrice, &before);

    // Fresh prices again, but WBTC's confidence is 5% where 2% is allowed:
    // USDC mints go on, since an unusable WBTC price does not block them.
    h.set_price(WBTC, WBTC_PRICE, 3_000.0).unwrap();
    h.mint(&alice, USDC, 1_000_000).expect("an unusable WBTC price does not block USDC");
}

#[test]
fn an_asset_without_a_usable_price_counts_as_worthless() {
    // Capital 50,000 USDC, 100,000 minted with USDC and 1 BTC minted at
    // $60,000: V = 210,000, S = 159,520, CR = 1.32. Valued at zero, WBTC
    // leaves V = 150,000 and CR = 0.94: below CR_crit, so minting halts.
    let mut h = Harness::new();
    h.contribute(USDC, 50_000_000_000);
    let alice = h.holder(USDC, 500_000_000_000);
    h.fund(&alice, WBTC, 100_000_000);
    h.mint(&alice, USDC, 100_000_000_000).unwrap();
    h.mint(&alice, WBTC, 100_000_000).unwrap();
    // WBTC's confidence is 5% where 2% is allowed: its price is unusable.
    h.set_price(WBTC, WBTC_PRICE, 3_000.0).unwrap();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, USDC, 1_000_000_000);
    h.assert_refused(result, BallastError::MintHaltedBelowCritical, &before);
    // A fresh WBTC price restores it.
    h.set_price(WBTC, WBTC_PRICE, 60.0).unwrap();
    h.mint(&alice, USDC, 1_000_000_000).unwrap();
}

#[test]
fn a_price_outside_its_confidence_bound_is_refused() {
    let (mut h, alice) = funded();
    // USDC accepts confidence up to 1% of the price; post 2%.
    h.set_price(USDC, 1.0, 0.02).unwrap();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, USDC, 1_000_000);
    h.assert_refused(result, BallastError::PriceConfidenceTooWide, &before);
    let result = h.redeem(&alice, USDC, 1_000_000);
    h.assert_refused(result, BallastError::PriceConfidenceTooWide, &before);
}

#[test]
fn nonsense_prices_are_refused_when_posted() {
    let (mut h, _) = funded();
    let before = h.snapshot(&[]);
    for (price, confidence) in [(0.0, 0.0), (-1.0, 0.0), (1.0, -0.1), (1.0, 1.5)] {
        let result = h.set_price(USDC, price, confidence);
        h.assert_refused(result, BallastError::InvalidPrice, &before);
    }
}

// --- amounts ---

#[test]
fn zero_amounts_are_refused() {
    let (mut h, alice) = funded();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, USDC, 0);
    h.assert_refused(result, BallastError::ZeroAmount, &before);
    let result = h.redeem(&alice, USDC, 0);
    h.assert_refused(result, BallastError::ZeroAmount, &before);
    let source = h.asset_account(&alice, USDC);
    let usdc = h.assets[USDC].mint;
    let result = h.send_as(&alice, instructions::contribute(&alice.pubkey(), &usdc, &source, 0));
    h.assert_refused(result, BallastError::ZeroAmount, &before);
}

#[test]
fn u64_max_amounts_are_refused() {
    let (mut h, alice) = funded();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    for asset in [USDC, TBILL, WBTC] {
        let result = h.mint(&alice, asset, u64::MAX);
        h.assert_refused(result, BallastError::InsufficientFunds, &before);
        let result = h.redeem(&alice, asset, u64::MAX);
        h.assert_refused(result, BallastError::InsufficientFunds, &before);
    }
}

#[test]
fn dust_that_rounds_to_nothing_is_refused() {
    let (mut h, alice) = funded();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    // One T-bill unit is worth $0.000000984: less than one stablecoin unit.
    let result = h.mint(&alice, TBILL, 1);
    h.assert_refused(result, BallastError::AmountTooSmall, &before);
    // One stablecoin unit is all fee.
    let result = h.redeem(&alice, WBTC, 1);
    h.assert_refused(result, BallastError::AmountTooSmall, &before);
}

// --- reserve rules ---

#[test]
fn minting_past_a_weight_cap_is_refused() {
    let (mut h, alice) = funded();
    // V is 200,000 at this point; WBTC's cap is 35%. 2 BTC = $120,000 would
    // make WBTC 37.5% of the reserve.
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, WBTC, 200_000_000);
    h.assert_refused(result, BallastError::WeightCapExceeded, &before);
    // 1 BTC (23%) is fine.
    h.mint(&alice, WBTC, 100_000_000).expect("under the cap");
    h.check_books();
}

#[test]
fn minting_past_the_window_limit_is_refused() {
    let mut h = Harness::new();
    h.contribute(USDC, 500_000_000_000);
    let alice = h.holder(USDC, 2 * MINT_LIMIT);
    h.mint(&alice, USDC, 900_000_000_000).unwrap();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    // 897,300 minted; another 200,000 would exceed 1,000,000.
    let result = h.mint(&alice, USDC, 200_000_000_000);
    h.assert_refused(result, BallastError::MintLimitExceeded, &before);
}

#[test]
fn redeeming_past_the_window_limit_is_refused() {
    let mut h = Harness::new();
    h.contribute(USDC, 500_000_000_000);
    let alice = h.holder(USDC, 2 * MINT_LIMIT);
    h.mint(&alice, USDC, 900_000_000_000).unwrap();
    h.redeem(&alice, USDC, 400_000_000_000).unwrap();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    // 400,000 redeemed; another 200,000 would exceed 500,000.
    let result = h.redeem(&alice, USDC, 200_000_000_000);
    h.assert_refused(result, BallastError::RedeemLimitExceeded, &before);
}

#[test]
fn minting_below_cr_min_is_refused() {
    let mut h = Harness::new();
    // $30,000 of capital: a mint of 100,000 leaves CR at 1.30; another
    // 200,000 would take it to 330,000 / 299,100 = 1.103 and then 400,000
    // would take it below 1.10.
    h.contribute(USDC, 30_000_000_000);
    let alice = h.holder(USDC, 1_000_000_000_000);
    h.mint(&alice, USDC, 100_000_000_000).unwrap();
    h.mint(&alice, USDC, 200_000_000_000).unwrap();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, USDC, 400_000_000_000);
    h.assert_refused(result, BallastError::CollateralRatioTooLow, &before);
    let cr = h.check_books().unwrap();
    assert!(cr > 1.10 && cr < 1.11, "CR {cr}");
}

/// Capital 50,000 USDC, 100,000 minted with USDC and 1 BTC minted at
/// $60,000: V = 210,000 and S = 159,520. Then WBTC reprices to `wbtc`.
fn reserve_after_wbtc_repricing(wbtc: f64) -> (Harness, Keypair) {
    let mut h = Harness::new();
    h.contribute(USDC, 50_000_000_000);
    let alice = h.holder(USDC, 500_000_000_000);
    h.fund(&alice, WBTC, 100_000_000);
    h.mint(&alice, USDC, 100_000_000_000).unwrap();
    h.mint(&alice, WBTC, 100_000_000).unwrap();
    h.set_prices(&[USDC_PRICE, TBILL_PRICE, wbtc]).unwrap();
    (h, alice)
}

#[test]
fn between_cr_crit_and_cr_min_only_cr_raising_mints_pass() {
    // WBTC at $20,000: V = 170,000, CR = 1.0657.
    let (mut h, alice) = reserve_after_wbtc_repricing(20_000.0);
    let cr = h.check_books().unwrap();
    assert!(cr > 1.05 && cr < 1.10, "CR {cr}");
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    // A mint at a 0.3% fee moves CR toward 1.003: down.
    let result = h.mint(&alice, USDC, 1_000_000_000);
    h.assert_refused(result, BallastError::CollateralRatioTooLow, &before);
    h.redeem(&alice, USDC, 1_000_000_000).expect("redemptions stay open");
}

#[test]
fn minting_is_halted_below_cr_crit() {
    // WBTC at $12,000: V = 162,000, CR = 1.0155.
    let (mut h, alice) = reserve_after_wbtc_repricing(12_000.0);
    let cr = h.check_books().unwrap();
    assert!(cr > 1.0 && cr < 1.05, "CR {cr}");
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, USDC, 1_000_000_000);
    h.assert_refused(result, BallastError::MintHaltedBelowCritical, &before);
    h.redeem(&alice, USDC, 1_000_000_000).expect("redemptions stay open");
}

#[test]
fn redeeming_more_than_the_vault_holds_is_refused() {
    let (mut h, alice) = funded();
    // The WBTC vault holds 0.01 BTC ($600); redeem $1,000 for WBTC.
    h.mint(&alice, WBTC, 1_000_000).unwrap();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let result = h.redeem(&alice, WBTC, 1_000_000_000);
    h.assert_refused(result, BallastError::InsufficientReserve, &before);
}

// --- switches ---

#[test]
fn a_disabled_asset_is_refused() {
    let (mut h, alice) = funded();
    let usdc = h.assets[USDC].mint;
    h.send_admin(instructions::set_asset_enabled(&h.admin.pubkey(), &usdc, false)).unwrap();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, USDC, 1_000_000);
    h.assert_refused(result, BallastError::AssetDisabled, &before);
    let result = h.redeem(&alice, USDC, 1_000_000);
    h.assert_refused(result, BallastError::AssetDisabled, &before);
    // Enabling it again restores service.
    h.send_admin(instructions::set_asset_enabled(&h.admin.pubkey(), &usdc, true)).unwrap();
    h.mint(&alice, USDC, 1_000_000).unwrap();
}

#[test]
fn paused_operations_are_refused_and_others_continue() {
    let (mut h, alice) = funded();
    h.pause(PAUSE_MINT);
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, USDC, 1_000_000);
    h.assert_refused(result, BallastError::OperationPaused, &before);
    h.redeem(&alice, USDC, 1_000_000).expect("redeem is not paused");

    h.pause(PAUSE_REDEEM);
    let before = h.snapshot(&extra);
    let result = h.redeem(&alice, USDC, 1_000_000);
    h.assert_refused(result, BallastError::OperationPaused, &before);
    h.mint(&alice, USDC, 1_000_000).expect("mint is not paused");

    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::set_pause(&h.admin.pubkey(), 0b1_0000));
    h.assert_refused(result, BallastError::ParameterOutOfBounds, &before);
    h.unpause();
    h.check_books();
}

// --- initialisation ---

#[test]
fn re_initialising_is_refused() {
    let (mut h, _) = funded();
    let before = h.snapshot(&[]);
    let result = h.send_admin(instructions::initialize(&h.admin.pubkey(), default_args()));
    h.assert_refused(result, BallastError::AlreadyInitialized, &before);
}

#[test]
fn adding_an_asset_twice_is_refused() {
    let mut h = Harness::new();
    let before = h.snapshot(&[]);
    let usdc = h.assets[USDC].mint;
    let ix = instructions::add_asset(&h.admin.pubkey(), &usdc, AssetKind::Cash, asset_config(1.0, 0.01));
    let result = h.send_admin(ix);
    h.assert_refused(result, BallastError::AssetAlreadyAdded, &before);
}

/// Sending lamports to a PDA before it exists must not block its creation.
#[test]
fn prefunded_addresses_cannot_block_initialisation() {
    let mut h = Harness::empty();
    let mint = h.create_mint(6);
    let asset = pda::asset(&mint);
    // The least an empty account may hold.
    let lamports = h.chain.rent_exempt_minimum(0).unwrap();
    for address in [pda::protocol(), pda::stable_mint(), asset, pda::vault(&asset)] {
        let transfer = solana_system_interface::instruction::transfer(&h.admin.pubkey(), &address, lamports);
        h.send_admin(transfer).expect("prefund");
    }
    h.send_admin(instructions::initialize(&h.admin.pubkey(), default_args()))
        .expect("initialize despite the prefunded protocol and mint addresses");
    h.send_admin(instructions::add_asset(&h.admin.pubkey(), &mint, AssetKind::Cash, asset_config(1.0, 0.01)))
        .expect("add an asset despite the prefunded asset and vault addresses");
    let vault = token::token_account(&mut h.chain, &pda::vault(&asset)).unwrap();
    assert_eq!((vault.mint, vault.owner), (mint, pda::protocol()));
    let stable = token::mint(&mut h.chain, &pda::stable_mint()).unwrap();
    assert_eq!(stable.mint_authority, Some(pda::protocol()).into());
    assert_eq!(stable.decimals, 6);
}

#[test]
fn parameters_outside_their_bounds_are_refused() {
    let mut h = Harness::empty();
    type Edit = fn(&mut ballast::instructions::InitializeArgs);
    let cases: Vec<(Edit, BallastError)> = vec![
        (|a| a.params.cr_crit = ballast_sdk::fixed(0.9), BallastError::ParameterOutOfBounds),
        (|a| a.params.cr_target = ballast_sdk::fixed(5.0), BallastError::ParameterOutOfBounds),
        (|a| a.params.cr_min = ballast_sdk::fixed(1.3), BallastError::InvalidThresholdOrder),
        (|a| a.params.fee_max = ballast_sdk::fixed(0.2), BallastError::ParameterOutOfBounds),
        (|a| a.fee_mint = ballast_sdk::fixed(0.02), BallastError::FeeOutOfBounds),
        (|a| a.params.limit_window_slots = 0, BallastError::ParameterOutOfBounds),
        (|a| a.params.mint_limit_per_window = 0, BallastError::ParameterOutOfBounds),
        (|a| a.oracle_quorum = 4, BallastError::InvalidOracleSet),
        (|a| a.oracle_quorum = 0, BallastError::InvalidOracleSet),
        (|a| a.oracles = (0..9).map(|_| Pubkey::new_unique()).collect(), BallastError::InvalidOracleSet),
        (|a| a.oracles[1] = a.oracles[0], BallastError::InvalidOracleSet),
    ];
    for (change, expected) in cases {
        let mut args = default_args();
        change(&mut args);
        let before = h.snapshot(&[]);
        let result = h.send_admin(instructions::initialize(&h.admin.pubkey(), args));
        h.assert_refused(result, expected, &before);
    }
    assert!(h.chain.account(&pda::protocol()).unwrap().is_none());
}

#[test]
fn asset_configuration_is_checked() {
    let mut h = Harness::new();
    let before = h.snapshot(&[]);
    let mint = h.create_mint(6);
    for config in [asset_config(0.0, 0.01), asset_config(1.5, 0.01), asset_config(0.5, 0.5)] {
        let ix = instructions::add_asset(&h.admin.pubkey(), &mint, AssetKind::Loan, config);
        let result = h.send_admin(ix);
        h.assert_refused(result, BallastError::ParameterOutOfBounds, &before);
    }
    // The stablecoin cannot back itself.
    let ix = instructions::add_asset(&h.admin.pubkey(), &pda::stable_mint(), AssetKind::Cash, asset_config(1.0, 0.01));
    let result = h.send_admin(ix);
    h.assert_refused(result, BallastError::InvalidAssetMint, &before);
}

#[test]
fn the_reserve_holds_at_most_eight_assets() {
    let mut h = Harness::new();
    for _ in 3..8 {
        h.add_asset(6, AssetKind::Loan, asset_config(0.5, 0.01));
    }
    let before = h.snapshot(&[]);
    let mint = h.create_mint(6);
    let ix = instructions::add_asset(&h.admin.pubkey(), &mint, AssetKind::Loan, asset_config(0.5, 0.01));
    let result = h.send_admin(ix);
    h.assert_refused(result, BallastError::TooManyAssets, &before);
}

#[test]
fn the_guardian_pauses_at_once_and_the_pause_lifts_on_its_own() {
    let (mut h, alice) = funded();
    let guardian = h.guardian.insecure_clone();
    h.send_as(&guardian, instructions::guardian_pause(&guardian.pubkey(), PAUSE_MINT)).unwrap();
    let extra = holder_accounts(&mut h, &alice);
    let before = h.snapshot(&extra);
    let result = h.mint(&alice, USDC, 1_000_000);
    h.assert_refused(result, BallastError::OperationPaused, &before);
    h.redeem(&alice, USDC, 1_000_000).expect("redemptions stay open");

    h.warp_slots(GUARDIAN_PAUSE_SLOTS);
    h.set_prices(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]).unwrap();
    h.mint(&alice, USDC, 1_000_000).expect("the pause has lifted");
}

#[test]
fn only_the_guardian_pauses_and_only_known_bits() {
    let (mut h, _) = funded();
    let stranger = funded_stranger(&mut h);
    let before = h.snapshot(&[]);
    let result = h.send_as(&stranger, instructions::guardian_pause(&stranger.pubkey(), PAUSE_MINT));
    h.assert_refused(result, BallastError::NotGuardian, &before);
    let guardian = h.guardian.insecure_clone();
    let result = h.send_as(&guardian, instructions::guardian_pause(&guardian.pubkey(), 0b1000_0000));
    h.assert_refused(result, BallastError::ParameterOutOfBounds, &before);
}
