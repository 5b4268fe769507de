//! The test harness: a bank with Ballast initialised and three reserve assets
//! of different decimals, holders with funded token accounts, and exact
//! reference arithmetic to check the program against.

pub mod chain_behaviour;
pub mod browser;
pub mod cluster;
pub mod process;

use ballast::constants::{pause, MAX_ORACLES};
use ballast::errors::BallastError;
use ballast::instructions::{InitializeArgs, Observation, PriceInput};
use ballast::math::{ratio, FixedBits};
use ballast::state::{Action, AssetConfig, AssetKind, Ballot, GovernanceConfig, Params, ProposalKind, RiskParams};
use ballast_sdk::instructions::{self, HolderAccounts};
use ballast_sdk::{accounts, fixed, pda, status, token, Account, BankChain, Chain, ChainError, Keypair, Pubkey, Signature, Signer};

pub const USDC: usize = 0;
pub const TBILL: usize = 1;
pub const WBTC: usize = 2;

/// Prices exactly representable in binary, so expected amounts are exact.
pub const USDC_PRICE: f64 = 1.0;
pub const TBILL_PRICE: f64 = 0.984375;
pub const WBTC_PRICE: f64 = 60_000.0;

pub const STALENESS_SLOTS: u64 = 2_000;
pub const GUARDIAN_PAUSE_SLOTS: u64 = 500;
pub const WINDOW_SLOTS: u64 = 10_000;
/// Per-window limits, in stablecoin units: 1,000,000 minted, 500,000 redeemed.
pub const MINT_LIMIT: u64 = 1_000_000_000_000;
pub const REDEEM_LIMIT: u64 = 500_000_000_000;

pub struct TestAsset {
    pub mint: Pubkey,
    pub decimals: u8,
    pub address: Pubkey,
    pub vault: Pubkey,
}

pub struct Harness {
    pub chain: BankChain,
    pub admin: Keypair,
    pub assets: Vec<TestAsset>,
    /// The registered oracle set: three keys, quorum two.
    pub oracles: Vec<Keypair>,
    pub guardian: Keypair,
}

pub fn default_args() -> InitializeArgs {
    InitializeArgs {
        params: Params {
            cr_crit: fixed(1.05),
            cr_min: fixed(1.10),
            cr_target: fixed(1.20),
            fee_min: FixedBits::ZERO,
            fee_max: fixed(0.01),
            limit_window_slots: WINDOW_SLOTS,
            mint_limit_per_window: MINT_LIMIT,
            redeem_limit_per_window: REDEEM_LIMIT,
            price_ema_slots: 100,
            u_max: ratio(1, 10).into(),
            max_price_jump: ratio(9, 10).into(),
            round_slots: ROUND_SLOTS,
            outlier_tolerance: ratio(5, 100).into(),
            guardian_pause_slots: GUARDIAN_PAUSE_SLOTS,
            risk: risk_params(),
            policy: ballast_migrations::PolicySpec::default().params(),
        },
        // Exact fractions rounded down, so hand-computed fees come out whole.
        fee_mint: ratio(3, 1000).into(),
        fee_redeem: ratio(2, 1000).into(),
        guardian: Pubkey::new_unique(),
        oracles: oracle_set(3)[..3].to_vec(),
        oracle_quorum: 2,
    }
}

/// Breaker at sigma 0.8 (reset below 0.5) or a 15% fall in V; half of every
/// fee to insurance; kappa one half; 5% auction premium, 10% floor discount
/// over 100 slots, 20% cap, 2% keeper incentive; 0.2% swap incentive.
pub fn risk_params() -> RiskParams {
    RiskParams {
        sigma_threshold: fixed(0.8),
        sigma_reset: fixed(0.5),
        breaker_drawdown: ratio(15, 100).into(),
        breaker_min_pause_slots: BREAKER_MIN_PAUSE_SLOTS,
        breaker_max_pause_slots: BREAKER_MAX_PAUSE_SLOTS,
        insurance_fee_share: ratio(1, 2).into(),
        insurance_premium_per_slot: FixedBits::ZERO,
        kappa: ratio(1, 2).into(),
        stake_cooldown_slots: STAKE_COOLDOWN_SLOTS,
        auction_start_premium: ratio(5, 100).into(),
        auction_max_discount: ratio(10, 100).into(),
        auction_duration_slots: AUCTION_DURATION_SLOTS,
        auction_cap: ratio(20, 100).into(),
        keeper_incentive: ratio(2, 100).into(),
        swap_incentive: ratio(2, 1000).into(),
    }
}

pub const BREAKER_MIN_PAUSE_SLOTS: u64 = 200;
pub const BREAKER_MAX_PAUSE_SLOTS: u64 = 2_000;
/// Rounds of a slot, so that each post needs the clock to move by one.
pub const ROUND_SLOTS: u64 = 1;
pub const STAKE_COOLDOWN_SLOTS: u64 = 20;
pub const AUCTION_DURATION_SLOTS: u64 = 100;

/// `count` fresh oracle keys in an oracle-set array.
pub fn oracle_set(count: usize) -> [Pubkey; MAX_ORACLES] {
    let mut oracles = [Pubkey::default(); MAX_ORACLES];
    for key in oracles.iter_mut().take(count) {
        *key = Pubkey::new_unique();
    }
    oracles
}

pub fn asset_config(weight_cap: f64, max_confidence: f64) -> AssetConfig {
    AssetConfig {
        risk_weight: fixed(1.0),
        risk_score: fixed(0.1),
        target_weight: fixed(0.3),
        weight_cap: fixed(weight_cap),
        max_staleness_slots: STALENESS_SLOTS,
        max_confidence: fixed(max_confidence),
    }
}

impl Harness {
    /// A bank with nothing but the program and SPL Token.
    pub fn empty() -> Self {
        Self::empty_with_oracles(3)
    }

    fn empty_with_oracles(count: usize) -> Self {
        let chain = BankChain::new().expect("bank starts");
        let admin = chain.payer();
        Self {
            chain,
            admin,
            assets: Vec::new(),
            oracles: (0..count).map(|_| Keypair::new()).collect(),
            guardian: Keypair::new(),
        }
    }

    /// `new()` with `count` oracles, of which `quorum` finalize a round.
    pub fn with_oracles(count: usize, quorum: u8) -> Self {
        Self::build(Self::empty_with_oracles(count), |args| {
            args.oracles.resize_with(count, Pubkey::new_unique);
            args.oracle_quorum = quorum;
        })
    }

    /// Initialised, with USDC (6 decimals, cap 100%, target 40%), TBILL (6,
    /// cap 70%, target 30%) and WBTC (8, cap 35%, target 30%), all priced.
    pub fn new() -> Self {
        Self::new_with(|_| {})
    }

    /// `new()`, with `adjust` applied to the initialisation arguments.
    pub fn new_with(adjust: impl FnOnce(&mut InitializeArgs)) -> Self {
        Self::build(Self::empty(), adjust)
    }

    /// A liquidity tier alone, for the treasury controller: USDC (6
    /// decimals, target 10%) and TBILL (6, target 90%), both uncapped, one
    /// oracle that finalizes rounds by itself.
    pub fn liquidity_tier() -> Self {
        let assets = [(6, AssetKind::Cash, 1.0, 0.01, 0.1, 0.05), (6, AssetKind::Bill, 1.0, 0.01, 0.9, 0.1)];
        let adjust = |args: &mut InitializeArgs| {
            args.oracles.truncate(1);
            args.oracle_quorum = 1;
        };
        let mut h = Self::build_with(Self::empty_with_oracles(1), adjust, &assets);
        h.set_prices(&[USDC_PRICE, TBILL_PRICE]).expect("set prices");
        h
    }

    fn build(h: Self, adjust: impl FnOnce(&mut InitializeArgs)) -> Self {
        let mut h = Self::before_the_first_round(h, adjust);
        h.set_prices(&[USDC_PRICE, TBILL_PRICE, WBTC_PRICE]).expect("set prices");
        h
    }

    /// The default reserve listed, before any oracle round.
    pub fn unpriced_with(adjust: impl FnOnce(&mut InitializeArgs)) -> Self {
        Self::before_the_first_round(Self::empty(), adjust)
    }

    fn before_the_first_round(h: Self, adjust: impl FnOnce(&mut InitializeArgs)) -> Self {
        // Risk scores rank the assets for liquidation: WBTC first, cash never.
        let assets = [
            (6, AssetKind::Cash, 1.0, 0.01, 0.4, 0.05),
            (6, AssetKind::Bill, 0.7, 0.01, 0.3, 0.1),
            (8, AssetKind::Crypto, 0.35, 0.02, 0.3, 0.6),
        ];
        Self::build_with(h, adjust, &assets)
    }

    /// Initialises and lists `assets`: (decimals, kind, weight cap, max
    /// confidence, target weight, risk score) each.
    fn build_with(mut h: Self, adjust: impl FnOnce(&mut InitializeArgs), assets: &[(u8, AssetKind, f64, f64, f64, f64)]) -> Self {
        let mut args = default_args();
        adjust(&mut args);
        for (slot, oracle) in args.oracles.iter_mut().zip(&h.oracles) {
            *slot = oracle.pubkey();
        }
        args.guardian = h.guardian.pubkey();
        h.send_admin(instructions::initialize(&h.admin.pubkey(), args))
            .expect("initialize");
        // Each oracle pays the fees of its own observations.
        let funding: Vec<_> = h
            .oracles
            .iter()
            .map(|k| solana_system_interface::instruction::transfer(&h.admin.pubkey(), &k.pubkey(), 10_000_000_000))
            .collect();
        h.send_admin_all(&funding);
        for &(decimals, kind, cap, confidence, target, risk_score) in assets {
            let config = AssetConfig {
                target_weight: fixed(target),
                risk_score: fixed(risk_score),
                ..asset_config(cap, confidence)
            };
            h.add_asset(decimals, kind, config);
        }
        h
    }

    pub fn create_mint(&mut self, decimals: u8) -> Pubkey {
        let mint = Keypair::new();
        token::create_mint(&mut self.chain, &self.admin, &mint, &self.admin.pubkey(), decimals).expect("create mint");
        mint.pubkey()
    }

    pub fn add_asset(&mut self, decimals: u8, kind: AssetKind, config: AssetConfig) -> usize {
        let mint = self.create_mint(decimals);
        self.send_admin(instructions::add_asset(&self.admin.pubkey(), &mint, kind, config))
            .expect("add asset");
        let address = pda::asset(&mint);
        self.assets.push(TestAsset {
            mint,
            decimals,
            address,
            vault: pda::vault(&address),
        });
        self.assets.len() - 1
    }

    pub fn send_admin(&mut self, instruction: ballast_sdk::Instruction) -> Result<Signature, ChainError> {
        self.chain.send(&[instruction], &self.admin, &[])
    }

    /// Sends `instructions` as one transaction paid and signed by the admin.
    pub fn send_admin_all(&mut self, instructions: &[ballast_sdk::Instruction]) {
        self.chain.send(instructions, &self.admin, &[]).expect("transaction");
    }

    /// Sends `instruction` paid by the admin and signed by `signer`.
    pub fn send_as(&mut self, signer: &Keypair, instruction: ballast_sdk::Instruction) -> Result<Signature, ChainError> {
        self.chain.send(&[instruction], &self.admin, &[signer])
    }

    pub fn price_input(price: f64, confidence: f64) -> PriceInput {
        PriceInput {
            price: fixed(price),
            confidence: fixed(confidence),
        }
    }

    /// Posts every asset's price (0.1% confidence) as a round that a quorum
    /// of the oracles agree on.
    pub fn set_prices(&mut self, prices: &[f64]) -> Result<Signature, ChainError> {
        let update = self.oracle_update(prices);
        self.submit_update(update)
    }

    /// Posts one asset's price and confidence, the others unchanged.
    pub fn set_price(&mut self, asset: usize, price: f64, confidence: f64) -> Result<Signature, ChainError> {
        let mut update = self.oracle_update(&[]);
        update.prices = (0..self.assets.len())
            .map(|index| {
                let view = self.asset(index);
                PriceInput {
                    price: view.raw.price,
                    confidence: view.raw.price_confidence,
                }
            })
            .collect();
        update.prices[asset] = Self::price_input(price, confidence);
        self.submit_update(update)
    }

    /// An observation that keeps fees, target weights and risk scores and
    /// posts `prices` (0.1% confidence), sigma_p 0.02 and no breach risk. Its round is set
    /// when it is posted.
    pub fn oracle_update(&mut self, prices: &[f64]) -> Observation {
        let protocol = self.protocol();
        let target_weights = (0..self.assets.len()).map(|i| self.asset(i).raw.config.target_weight).collect();
        let risk_scores = (0..self.assets.len()).map(|i| self.asset(i).raw.risk_score().into()).collect();
        Observation {
            round: 0,
            prices: prices.iter().map(|p| Self::price_input(*p, p / 1000.0)).collect(),
            target_weights,
            sigma_p: fixed(0.02),
            breach_probability: FixedBits::ZERO,
            breach_upper: FixedBits::ZERO,
            lambda: fixed(2.0),
            // No reference value: the drawdown trigger stays quiet unless a test sets one.
            reference_value: FixedBits::ZERO,
            fee_mint: protocol.raw.fee_mint,
            fee_redeem: protocol.raw.fee_redeem,
            risk_scores,
            stable: true,
            allocation_certified: true,
            loan_gamma: FixedBits::ZERO,
            loan_theta: FixedBits::ZERO,
        }
    }

    /// The next round to submit to, warping past the current round's end
    /// when it is still open.
    pub fn next_round(&mut self) -> u64 {
        let rounds = accounts::oracle_rounds(&mut self.chain).expect("oracle rounds");
        let round_slots = self.protocol().raw.params.round_slots;
        let opens = rounds.opened_slot + round_slots;
        if rounds.round > 0 && self.slot() < opens {
            self.chain.warp_to_slot(opens).expect("warp to the next round");
        }
        rounds.round + 1
    }

    /// Submits `observation` for its round, signed by `oracle`.
    pub fn submit_observation(&mut self, oracle: &Keypair, observation: Observation) -> Result<Signature, ChainError> {
        let ix = instructions::submit_observation(&oracle.pubkey(), observation, &self.reserve_assets());
        self.chain.send(&[ix], &self.admin, &[oracle])
    }

    /// Posts `update` as a new round that the first oracles, as many as the
    /// quorum, submit; the last submission finalizes it.
    pub fn submit_update(&mut self, mut update: Observation) -> Result<Signature, ChainError> {
        update.round = self.next_round();
        let quorum = self.protocol().raw.oracle_quorum as usize;
        let oracles: Vec<Keypair> = self.oracles[..quorum].iter().map(|k| k.insecure_clone()).collect();
        let mut last = None;
        for oracle in &oracles {
            last = Some(self.submit_observation(oracle, update.clone())?);
        }
        Ok(last.expect("a quorum of at least one"))
    }

    pub fn pause(&mut self, bits: u8) {
        self.send_admin(instructions::set_pause(&self.admin.pubkey(), bits)).expect("pause");
    }

    pub fn unpause(&mut self) {
        self.pause(0);
    }

    /// A new holder with `amount` base units of `asset` and 0.1 SOL for
    /// the rent of the accounts it opens (stake positions, votes).
    pub fn holder(&mut self, asset: usize, amount: u64) -> Keypair {
        let holder = Keypair::new();
        let sol = solana_system_interface::instruction::transfer(&self.admin.pubkey(), &holder.pubkey(), 100_000_000);
        self.send_admin(sol).expect("fund with SOL");
        self.fund(&holder, asset, amount);
        holder
    }

    pub fn fund(&mut self, holder: &Keypair, asset: usize, amount: u64) -> Pubkey {
        let account = self.asset_account(holder, asset);
        let mint = self.assets[asset].mint;
        token::mint_to(&mut self.chain, &self.admin, &mint, &self.admin, &account, amount).expect("fund");
        account
    }

    pub fn asset_account(&mut self, holder: &Keypair, asset: usize) -> Pubkey {
        let mint = self.assets[asset].mint;
        token::associated_account(&mut self.chain, &self.admin, &holder.pubkey(), &mint).expect("token account")
    }

    pub fn stable_account(&mut self, holder: &Keypair) -> Pubkey {
        token::associated_account(&mut self.chain, &self.admin, &holder.pubkey(), &pda::stable_mint())
            .expect("stable account")
    }

    pub fn mint_accounts(&mut self, holder: &Keypair, asset: usize) -> HolderAccounts {
        HolderAccounts {
            user: holder.pubkey(),
            asset_mint: self.assets[asset].mint,
            source: self.asset_account(holder, asset),
            destination: self.stable_account(holder),
        }
    }

    pub fn redeem_accounts(&mut self, holder: &Keypair, asset: usize) -> HolderAccounts {
        HolderAccounts {
            user: holder.pubkey(),
            asset_mint: self.assets[asset].mint,
            source: self.stable_account(holder),
            destination: self.asset_account(holder, asset),
        }
    }

    pub fn reserve_assets(&self) -> Vec<Pubkey> {
        self.assets.iter().map(|a| a.address).collect()
    }

    pub fn mint_ix(&mut self, holder: &Keypair, asset: usize, amount: u64) -> ballast_sdk::Instruction {
        let accounts = self.mint_accounts(holder, asset);
        instructions::mint(&accounts, amount, &self.reserve_assets())
    }

    pub fn redeem_ix(&mut self, holder: &Keypair, asset: usize, amount: u64) -> ballast_sdk::Instruction {
        let accounts = self.redeem_accounts(holder, asset);
        instructions::redeem(&accounts, amount, &self.reserve_assets())
    }

    pub fn mint(&mut self, holder: &Keypair, asset: usize, amount: u64) -> Result<Signature, ChainError> {
        let ix = self.mint_ix(holder, asset, amount);
        self.send_as(holder, ix)
    }

    /// A rebalancing swap of `amount_in` of `asset_in` for `asset_out`.
    pub fn swap_ix(&mut self, keeper: &Keypair, asset_in: usize, asset_out: usize, amount_in: u64) -> ballast_sdk::Instruction {
        let accounts = instructions::SwapAccounts {
            keeper: keeper.pubkey(),
            mint_in: self.assets[asset_in].mint,
            mint_out: self.assets[asset_out].mint,
            source: self.asset_account(keeper, asset_in),
            destination: self.asset_account(keeper, asset_out),
        };
        instructions::rebalance_swap(&accounts, amount_in, &self.reserve_assets())
    }

    pub fn swap(&mut self, keeper: &Keypair, asset_in: usize, asset_out: usize, amount_in: u64) -> Result<Signature, ChainError> {
        let ix = self.swap_ix(keeper, asset_in, asset_out, amount_in);
        self.send_as(keeper, ix)
    }

    /// Takes up to `amount` from the auction of `asset`, paying at most `max_price`.
    pub fn take_auction_ix(&mut self, keeper: &Keypair, asset: usize, amount: u64, max_price: f64) -> ballast_sdk::Instruction {
        let accounts = self.redeem_accounts(keeper, asset);
        instructions::take_auction(&accounts, amount, fixed(max_price), &self.reserve_assets())
    }

    pub fn redeem(&mut self, holder: &Keypair, asset: usize, amount: u64) -> Result<Signature, ChainError> {
        let ix = self.redeem_ix(holder, asset, amount);
        self.send_as(holder, ix)
    }

    /// Adds `amount` of `asset` as reserve capital from a new contributor.
    pub fn contribute(&mut self, asset: usize, amount: u64) {
        let contributor = self.holder(asset, amount);
        let source = self.asset_account(&contributor, asset);
        let ix = instructions::contribute(&contributor.pubkey(), &self.assets[asset].mint, &source, amount);
        self.send_as(&contributor, ix).expect("contribute");
    }

    pub fn balance(&mut self, account: &Pubkey) -> u64 {
        token::balance(&mut self.chain, account).expect("token balance")
    }

    pub fn protocol(&mut self) -> ballast_sdk::ProtocolView {
        accounts::protocol(&mut self.chain).expect("protocol")
    }

    pub fn asset(&mut self, asset: usize) -> ballast_sdk::AssetView {
        let address = self.assets[asset].address;
        accounts::asset(&mut self.chain, &address).expect("asset")
    }

    pub fn slot(&mut self) -> u64 {
        self.chain.slot().expect("slot")
    }

    pub fn warp_slots(&mut self, slots: u64) {
        let target = self.slot() + slots;
        self.chain.warp_to_slot(target).expect("warp");
    }

    /// Every account the protocol owns or touches, plus `extra`, as raw
    /// accounts: two equal snapshots mean nothing changed.
    pub fn snapshot(&mut self, extra: &[Pubkey]) -> Vec<(Pubkey, Option<Account>)> {
        let mut addresses = vec![pda::protocol(), pda::stable_mint()];
        for asset in &self.assets {
            addresses.extend([asset.address, asset.vault, asset.mint]);
        }
        addresses.extend_from_slice(extra);
        addresses
            .into_iter()
            .map(|address| (address, self.chain.account(&address).expect("read account")))
            .collect()
    }

    /// Asserts that `result` failed with the program error `expected` and
    /// that no account in `before` changed.
    pub fn assert_refused<T: std::fmt::Debug>(
        &mut self,
        result: Result<T, ChainError>,
        expected: BallastError,
        before: &[(Pubkey, Option<Account>)],
    ) {
        let error = result.expect_err("the transaction should have been refused");
        assert!(error.is(expected), "expected {expected:?}, got {error}");
        self.assert_unchanged(before);
    }

    pub fn assert_unchanged(&mut self, before: &[(Pubkey, Option<Account>)]) {
        for (address, account) in before {
            let now = self.chain.account(address).expect("read account");
            assert_eq!(&now, account, "account {address} changed");
        }
    }

    /// Checks the program's books against the token program's: each vault's
    /// accounted amount equals its balance, S equals the mint's supply, and
    /// V and CR recomputed from the vault balances with exact integer
    /// arithmetic equal the sdk's (the program's fixed-point) figures.
    pub fn check_books(&mut self) -> Option<f64> {
        let protocol = self.protocol();
        let supply = token::mint(&mut self.chain, &pda::stable_mint()).expect("stable mint").supply;
        assert_eq!(protocol.supply, supply, "S differs from the mint's supply");

        let mut value_bits: u128 = 0;
        for index in 0..self.assets.len() {
            let view = self.asset(index);
            let vault = self.assets[index].vault;
            let balance = self.balance(&vault);
            assert_eq!(view.vault_amount, balance, "asset {index}: accounting differs from vault");
            let price_bits = view.raw.price.bits.min(view.raw.smoothed_price.bits) as u128;
            value_bits += balance as u128 * price_bits / 10u128.pow(view.decimals as u32);
        }
        let reserve = status::reserve_status(&mut self.chain).expect("status");
        assert_eq!(reserve.value_fixed.to_bits() as u128, value_bits, "V differs");
        if supply == 0 {
            assert_eq!(reserve.collateral_ratio, None);
            return None;
        }
        // CR = V / S, with S at par rounded up, CR rounded down.
        let supply_bits = (supply as u128 * (1 << 48)).div_ceil(1_000_000);
        let cr_bits = value_bits * (1 << 48) / supply_bits;
        let cr = reserve.collateral_ratio_fixed.expect("CR");
        assert_eq!(cr.to_bits() as u128, cr_bits, "CR differs");
        let reference = (value_bits as f64 / 2f64.powi(48)) / (supply as f64 / 1e6);
        // S at par is rounded up to the last bit, which weighs on a tiny supply.
        let tolerance = 1e-12 + 1e6 / (supply as f64 * 2f64.powi(48));
        assert!((cr.to_num::<f64>() - reference).abs() / reference < tolerance);
        Some(cr.to_num())
    }
}

/// Governance for tests: short periods, 20% quorum, 10% steps.
pub fn governance_config() -> GovernanceConfig {
    GovernanceConfig {
        voting_slots: VOTING_SLOTS,
        timelock_slots: TIMELOCK_SLOTS,
        execution_window_slots: EXECUTION_WINDOW_SLOTS,
        quorum: ratio(1, 5).into(),
        min_proposal_stake: 100_000_000,
        epoch_slots: 100_000,
        max_step: ratio(1, 10).into(),
    }
}

pub const VOTING_SLOTS: u64 = 100;
/// Long enough for a smoothed price to follow any allowed move in one
/// step (it moves at most 0.1% of itself per slot), short of staleness.
pub const SETTLE_SLOTS: u64 = 1_000;
pub const TIMELOCK_SLOTS: u64 = 50;
pub const EXECUTION_WINDOW_SLOTS: u64 = 1_000;

impl Harness {
    /// `new()`, plus governance and ample reserve capital for stakers' mints.
    pub fn with_governance() -> Self {
        let mut h = Self::new();
        h.initialize_governance();
        h.contribute(USDC, 1_000_000_000_000);
        h
    }

    /// `new_with(adjust)` plus governance: capital 30,000 USDC; a holder
    /// ("alice") mints with 100,000 USDC and 0.9 BTC; a staker puts `stake`
    /// units in the backstop. With 20,000 staked, CR is about 1.16.
    pub fn backstopped(adjust: impl FnOnce(&mut InitializeArgs), stake: u64) -> (Self, Keypair, Keypair) {
        let mut h = Self::new_with(adjust);
        h.initialize_governance();
        h.contribute(USDC, 30_000_000_000);
        let alice = h.holder(USDC, 1_000_000_000_000);
        h.fund(&alice, WBTC, 1_000_000_000);
        h.mint(&alice, USDC, 100_000_000_000).expect("mint with USDC");
        h.mint(&alice, WBTC, 90_000_000).expect("mint with WBTC");
        let staker = h.staker(stake);
        (h, alice, staker)
    }

    /// An observation with WBTC at `wbtc` (the others at their defaults),
    /// `sigma_p` and the drawdown reference `reference_value`.
    pub fn wbtc_update(&mut self, wbtc: f64, sigma_p: f64, reference_value: f64) -> Observation {
        let mut update = self.oracle_update(&[USDC_PRICE, TBILL_PRICE, wbtc]);
        update.sigma_p = fixed(sigma_p);
        update.reference_value = fixed(reference_value);
        update
    }

    /// Posts [`Harness::wbtc_update`].
    pub fn post_wbtc(&mut self, wbtc: f64, sigma_p: f64, reference_value: f64) {
        let update = self.wbtc_update(wbtc, sigma_p, reference_value);
        self.submit_update(update).expect("oracle update");
    }

    /// Posts [`Harness::wbtc_update`] and lets the smoothed price catch up.
    pub fn settle_wbtc(&mut self, wbtc: f64, sigma_p: f64, reference_value: f64) {
        let update = self.wbtc_update(wbtc, sigma_p, reference_value);
        self.settle(update).expect("settled oracle update");
    }

    /// Capital 50,000 USDC, 100,000 minted with USDC and 1 BTC minted at
    /// $60,000, then WBTC marked down to $14,000: V = 164,000 and CR about
    /// 1.026, between 1 and CR_crit. Returns the holder.
    pub fn in_liquidation_range(adjust: impl FnOnce(&mut InitializeArgs)) -> (Self, Keypair) {
        let mut h = Self::new_with(adjust);
        h.contribute(USDC, 50_000_000_000);
        let alice = h.holder(USDC, 500_000_000_000);
        h.fund(&alice, WBTC, 1_000_000_000);
        h.mint(&alice, USDC, 100_000_000_000).unwrap();
        h.mint(&alice, WBTC, 100_000_000).unwrap();
        h.post_wbtc(14_000.0, 0.1, 0.0);
        let cr = h.check_books().unwrap();
        assert!((1.0..1.05).contains(&cr), "CR {cr}");
        (h, alice)
    }

    /// Claims S·r minus V at the higher of spot and smoothed prices, in
    /// stablecoin units: the loss the waterfall recognises, recomputed with
    /// exact integer arithmetic.
    pub fn shortfall(&mut self) -> i128 {
        let protocol = self.protocol();
        let value_bits: u128 = (0..self.assets.len())
            .map(|index| {
                let view = self.asset(index);
                let price_bits = view.raw.price.bits.max(view.raw.smoothed_price.bits) as u128;
                view.vault_amount as u128 * price_bits / 10u128.pow(view.decimals as u32)
            })
            .sum();
        let value_units = ((value_bits * 1_000_000) >> 48) as i128;
        let claims = ((protocol.supply as u128 * protocol.raw.redemption_rate.bits as u128) >> 48) as i128;
        claims - value_units
    }

    /// Posts `update`, waits until the smoothed prices can reach it in one
    /// step, and posts the same prices again: spot and smoothed prices then
    /// agree, as after a move the market has held for a while.
    pub fn settle(&mut self, update: Observation) -> Result<Signature, ChainError> {
        self.submit_update(update.clone())?;
        self.warp_slots(SETTLE_SLOTS);
        let mut again = self.oracle_update(&[]);
        again.prices = update.prices;
        again.sigma_p = update.sigma_p;
        again.reference_value = update.reference_value;
        self.submit_update(again)
    }

    /// Proposes `action`, votes yes with `voter`, waits out the timelock
    /// and executes it; returns the proposal's id.
    pub fn pass_action(&mut self, voter: &Keypair, action: Action) -> Result<u64, ChainError> {
        let id = self.propose(voter, ProposalKind::Action(action))?;
        self.vote(voter, id, Ballot::Approve(true))?;
        self.warp_past_timelock(id);
        self.execute_action(id)?;
        Ok(id)
    }

    pub fn initialize_governance(&mut self) {
        self.send_admin(instructions::initialize_governance(&self.admin.pubkey(), governance_config()))
            .expect("initialize governance");
    }

    /// A holder who mints stablecoins with USDC and stakes exactly `stake` units.
    pub fn staker(&mut self, stake: u64) -> Keypair {
        let staker = self.holder(USDC, stake * 2);
        self.mint(&staker, USDC, stake * 2).expect("mint to stake");
        self.stake(&staker, stake).expect("stake");
        staker
    }

    pub fn stake_ix(&mut self, staker: &Keypair, amount: u64) -> ballast_sdk::Instruction {
        let source = self.stable_account(staker);
        instructions::stake(&staker.pubkey(), &source, amount)
    }

    pub fn stake(&mut self, staker: &Keypair, amount: u64) -> Result<Signature, ChainError> {
        let ix = self.stake_ix(staker, amount);
        self.send_as(staker, ix)
    }

    pub fn unstake_ix(&mut self, staker: &Keypair, amount: u64) -> ballast_sdk::Instruction {
        let destination = self.stable_account(staker);
        instructions::unstake(&staker.pubkey(), &destination, amount, &self.reserve_assets())
    }

    pub fn unstake(&mut self, staker: &Keypair, amount: u64) -> Result<Signature, ChainError> {
        let ix = self.unstake_ix(staker, amount);
        self.send_as(staker, ix)
    }

    pub fn governance(&mut self) -> ballast_sdk::accounts::GovernanceView {
        accounts::governance(&mut self.chain).expect("governance")
    }

    /// Opens a proposal and returns its id.
    pub fn propose(&mut self, proposer: &Keypair, kind: ProposalKind) -> Result<u64, ChainError> {
        let id = self.governance().proposal_count;
        let asset = match kind {
            ProposalKind::Param(key) => key.asset_index().map(|i| self.assets[i as usize].address),
            ProposalKind::Action(_) => None,
        };
        self.send_as(proposer, instructions::propose(&proposer.pubkey(), id, kind, asset))?;
        Ok(id)
    }

    pub fn vote(&mut self, voter: &Keypair, id: u64, ballot: Ballot) -> Result<Signature, ChainError> {
        self.send_as(voter, instructions::vote(&voter.pubkey(), id, ballot))
    }

    pub fn proposal(&mut self, id: u64) -> ballast_sdk::accounts::ProposalView {
        accounts::proposal(&mut self.chain, id).expect("proposal")
    }

    /// Warps to the first slot at which proposal `id` may execute.
    pub fn warp_past_timelock(&mut self, id: u64) {
        let opens = self.proposal(id).voting_end_slot + TIMELOCK_SLOTS;
        if self.slot() < opens {
            self.chain.warp_to_slot(opens).expect("warp");
        }
    }

    pub fn execute_param(&mut self, id: u64) -> Result<Signature, ChainError> {
        let asset = self.proposal_asset(id);
        self.send_admin(instructions::execute_param(id, asset))
    }

    pub fn execute_action(&mut self, id: u64) -> Result<Signature, ChainError> {
        let asset = self.proposal_asset(id);
        self.send_admin(instructions::execute_action(id, asset))
    }

    fn proposal_asset(&mut self, id: u64) -> Option<Pubkey> {
        let index = match self.proposal(id).kind {
            ProposalKind::Param(key) => key.asset_index(),
            ProposalKind::Action(Action::SetAssetEnabled { index, .. }) => Some(index),
            ProposalKind::Action(_) => None,
        };
        index.map(|i| self.assets[i as usize].address)
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// Exact expectations, from the stored fixed-point bits with u128 arithmetic.
pub mod expected {
    use super::*;

    const ONE: u128 = 1 << 48;

    pub fn bits(value: FixedBits) -> u128 {
        value.bits as u128
    }

    /// (gross, fee, minted) for depositing `amount` at `price`.
    pub fn mint(amount: u64, decimals: u8, price: FixedBits, fee: FixedBits) -> (u64, u64, u64) {
        let scale = 10u128.pow(decimals as u32);
        let value_bits = amount as u128 * bits(price) / scale;
        let gross = (value_bits * 1_000_000 / ONE) as u64;
        let fee = (gross as u128 * bits(fee)).div_ceil(ONE) as u64;
        (gross, fee, gross - fee)
    }

    /// (fee, payout) for burning `amount` at `price` with r = 1.
    pub fn redeem(amount: u64, decimals: u8, price: FixedBits, fee: FixedBits) -> (u64, u64) {
        let fee = (amount as u128 * bits(fee)).div_ceil(ONE) as u64;
        let paid_bits = (amount - fee) as u128 * ONE / 1_000_000;
        let payout = paid_bits * 10u128.pow(decimals as u32) / bits(price);
        (fee, payout as u64)
    }

    /// The insurance pool's share of `fee`, rounded down.
    pub fn insurance_share(fee: u64, share: FixedBits) -> u64 {
        (fee as u128 * bits(share) / ONE) as u64
    }

}

pub use pause::{LIQUIDATE as PAUSE_LIQUIDATE, MINT as PAUSE_MINT, REBALANCE as PAUSE_REBALANCE, REDEEM as PAUSE_REDEEM};
