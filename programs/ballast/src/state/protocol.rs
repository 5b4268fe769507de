use anchor_lang::prelude::*;

use crate::constants::{bounds, pause, MAX_ASSETS, MAX_ORACLES, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::math::{ratio, CapitalFloors, FixedBits, Thresholds, I80F48};

/// The singleton that owns the reserve: parameters, fees, pause bits and the
/// aggregate accounting of the stablecoin.
#[account]
#[derive(InitSpace, Debug)]
pub struct Protocol {
    /// The bootstrap authority; `Pubkey::default()` once renounced, after
    /// which only governance changes parameters and assets.
    pub authority: Pubkey,
    /// The one key that may pause at once; its pauses lift on their own.
    pub guardian: Pubkey,
    /// The oracle keys; a round finalizes once `oracle_quorum` of them agree.
    pub oracles: [Pubkey; MAX_ORACLES],
    pub oracle_count: u8,
    pub oracle_quorum: u8,
    /// The last finalized oracle round (0 before the first).
    pub last_oracle_round: u64,
    /// The risk figures of the last finalized round.
    pub risk: RiskState,
    pub stable_mint: Pubkey,
    pub bump: u8,
    pub stable_mint_bump: u8,
    /// Per-operation pause bits, see `constants::pause`.
    pub paused: u8,
    /// Pause bits set by the guardian, in force until `guardian_pause_until`.
    pub guardian_paused: u8,
    pub guardian_pause_until: u64,
    /// Pause bits set by a tripped circuit breaker, and when it tripped.
    /// They lapse after `breaker_max_pause_slots` even if nobody resets them.
    pub breaker_paused: u8,
    pub breaker_tripped_slot: u64,
    /// sigma_p when the breaker last tripped: once it has lapsed, volatility
    /// trips it again only above this (a drawdown always does).
    pub breaker_trip_sigma: FixedBits,
    pub asset_count: u8,
    /// The `Asset` accounts in index order; the first `asset_count` are set.
    pub assets: [Pubkey; MAX_ASSETS],
    pub params: Params,
    pub fee_mint: FixedBits,
    pub fee_redeem: FixedBits,
    /// The redemption rate r: 1 unless a bail-in lowered it.
    pub redemption_rate: FixedBits,
    /// S, the stablecoin supply the protocol has minted and not burned.
    pub supply: u64,
    pub window: LimitWindow,
    /// Lifetime totals, in stablecoin units.
    pub total_minted: u64,
    pub total_redeemed: u64,
    pub total_mint_fees: u64,
    pub total_redeem_fees: u64,
    /// The insurance pool: a stablecoin account the protocol owns. Its
    /// balance is P; fees and premiums are minted into it, payouts burned.
    pub insurance_vault: Pubkey,
    pub insurance_vault_bump: u8,
    /// The premium p·S has been accrued up to this slot.
    pub premium_accrued_slot: u64,
    pub insurance: InsuranceTotals,
    /// Stablecoin units that running auctions may still raise.
    pub auctions_in_flight: u64,
    /// Room for fields added by later versions without a migration.
    pub reserved: [u8; 144],
}

/// Governable parameters. Each has hard bounds in `constants::bounds`.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    pub cr_crit: FixedBits,
    pub cr_min: FixedBits,
    pub cr_target: FixedBits,
    /// Bounds inside which the oracle may set the mint and redeem fees.
    pub fee_min: FixedBits,
    pub fee_max: FixedBits,
    /// Length of the settlement window over which mint and redeem limits apply.
    pub limit_window_slots: u64,
    /// Stablecoin units that may be minted, and redeemed, per window.
    pub mint_limit_per_window: u64,
    pub redeem_limit_per_window: u64,
    /// Horizon of the exponential smoothing of prices.
    pub price_ema_slots: u64,
    /// u_max: how far target weights may move per window, as turnover
    /// (half the sum of absolute weight changes).
    pub u_max: FixedBits,
    /// The largest relative move of a spot price from one update to the next.
    pub max_price_jump: FixedBits,
    /// How long an oracle round stays open for observations.
    pub round_slots: u64,
    /// An observation whose price is farther than this (relative) from the
    /// round's median is kept out and counted against its oracle.
    pub outlier_tolerance: FixedBits,
    /// How long a guardian pause lasts before it lifts on its own.
    pub guardian_pause_slots: u64,
    pub risk: RiskParams,
    pub policy: PolicyParams,
}

/// The coefficients of the oracles' policy (spec section 8, seed 000),
/// under governance so that stakers, not node operators, set how the
/// reserve trades risk for return. Nodes read them from here.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyParams {
    /// lambda = lambda_0 + eta sigma_p + zeta (Delta V / V).
    pub lambda0: FixedBits,
    pub lambda_eta: FixedBits,
    pub lambda_zeta: FixedBits,
    /// Weight psi of CR in the QP's objective.
    pub psi: FixedBits,
    /// R_max: the QP's limit on the portfolio risk score sum w_i R_i.
    pub risk_limit: FixedBits,
    /// epsilon: P(CR < 1) over the horizon must stay under it (its upper
    /// confidence bound, seed 000's certificate). Above it the oracles do
    /// not post an allocation that fails it, and minting with risky assets stops.
    pub breach_epsilon: FixedBits,
    /// The least cash (value of cash assets) as a fraction of the supply:
    /// seed 003's immediate liquidity floor. Rebalancing swaps may not take
    /// cash below it; the oracles' split of the liquidity tier keeps it.
    pub min_cash_ratio: FixedBits,
    /// Seed 003's floors, at most 1 so an all-cash reserve always meets
    /// them: no mint or swap may lower MCR = (tier 1 + 2 capital) / RWA
    /// below `min_capital_ratio`, or CCB = tier 1 capital / RWA below
    /// `min_countercyclical_buffer` (tiers from `AssetKind::capital_tier`,
    /// RWA weighted by each asset's `risk_weight`). Zero turns one off.
    pub min_capital_ratio: FixedBits,
    pub min_countercyclical_buffer: FixedBits,
    /// Seed 001's bounds on the loan book's Greeks (per unit of book value,
    /// as the oracles post them): |gamma| or |theta| beyond its bound is a
    /// trigger for a new target. Zero: no bound.
    pub max_loan_gamma: FixedBits,
    pub max_loan_theta: FixedBits,
}

impl PolicyParams {
    pub fn validate(&self) -> Result<()> {
        let coefficient = I80F48::from_num(bounds::POLICY_COEFFICIENT_HIGHEST);
        let within = |x: FixedBits, low: I80F48| x.get() >= low && x.get() <= coefficient;
        require!(
            within(self.lambda0, I80F48::ZERO)
                && within(self.lambda_eta, I80F48::ZERO)
                && within(self.lambda_zeta, -coefficient)
                && within(self.psi, I80F48::ZERO)
                && within(self.max_loan_gamma, I80F48::ZERO)
                && within(self.max_loan_theta, I80F48::ZERO),
            BallastError::ParameterOutOfBounds
        );
        require!(
            self.risk_limit.get() > 0 && self.risk_limit.get() <= I80F48::from_num(bounds::RISK_LIMIT_HIGHEST),
            BallastError::ParameterOutOfBounds
        );
        require!(
            self.breach_epsilon.get() > 0 && self.breach_epsilon.get() <= I80F48::ONE,
            BallastError::ParameterOutOfBounds
        );
        require!(
            self.min_cash_ratio.get() >= 0 && self.min_cash_ratio.get() < I80F48::ONE,
            BallastError::ParameterOutOfBounds
        );
        let unit = |x: FixedBits| x.get() >= 0 && x.get() <= I80F48::ONE;
        require!(
            unit(self.min_capital_ratio) && unit(self.min_countercyclical_buffer),
            BallastError::ParameterOutOfBounds
        );
        Ok(())
    }

    pub fn capital_floors(&self) -> CapitalFloors {
        CapitalFloors {
            min_capital_ratio: self.min_capital_ratio.get(),
            min_countercyclical_buffer: self.min_countercyclical_buffer.get(),
        }
    }
}

/// Parameters of the risk machinery: breakers, insurance, bail-in,
/// liquidation auctions and rebalancing swaps.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RiskParams {
    /// The breaker trips when sigma_p exceeds this...
    pub sigma_threshold: FixedBits,
    /// ...and may be reset once sigma_p is below this.
    pub sigma_reset: FixedBits,
    /// It also trips when V has fallen below the reference value by more
    /// than this fraction (Delta V / V < -delta).
    pub breaker_drawdown: FixedBits,
    /// A tripped breaker stays tripped at least this long...
    pub breaker_min_pause_slots: u64,
    /// ...and pauses at most this long: then minting and redeeming reopen
    /// (redemptions at min(r, CR)) even if it was never reset.
    pub breaker_max_pause_slots: u64,
    /// The share f of every fee that goes to the insurance pool.
    pub insurance_fee_share: FixedBits,
    /// The premium p on supply S paid into the pool, per slot.
    pub insurance_premium_per_slot: FixedBits,
    /// The share kappa of a residual shortfall that the backstop bears.
    pub kappa: FixedBits,
    /// Stake cannot be withdrawn sooner than this after it was added.
    pub stake_cooldown_slots: u64,
    /// A liquidation auction starts this far above the oracle price...
    pub auction_start_premium: FixedBits,
    /// ...decays to this far below it over `auction_duration_slots`...
    pub auction_max_discount: FixedBits,
    /// ...and restarts from the current price once that time has passed.
    pub auction_duration_slots: u64,
    /// Stablecoins that auctions in flight may raise, as a fraction of S.
    pub auction_cap: FixedBits,
    /// Extra collateral for the keeper who takes an auction, as a fraction.
    pub keeper_incentive: FixedBits,
    /// Extra value for the keeper who executes a rebalancing swap.
    pub swap_incentive: FixedBits,
}

impl RiskParams {
    pub fn validate(&self) -> Result<()> {
        let fraction = |x: FixedBits| x.get() > 0 && x.get() <= I80F48::ONE;
        let incentive_high = ratio(bounds::INCENTIVE_HIGHEST.0, bounds::INCENTIVE_HIGHEST.1);
        let small = |x: FixedBits| x.get() >= 0 && x.get() <= incentive_high;
        let slots = |n: u64| (1..=bounds::GOVERNANCE_SLOTS_HIGHEST).contains(&n);
        require!(
            self.sigma_reset.get() > 0
                && self.sigma_reset.get() < self.sigma_threshold.get()
                && self.sigma_threshold.get() <= ratio(bounds::SIGMA_HIGHEST.0, bounds::SIGMA_HIGHEST.1),
            BallastError::ParameterOutOfBounds
        );
        require!(
            fraction(self.breaker_drawdown)
                && fraction(self.insurance_fee_share)
                && fraction(self.kappa)
                && fraction(self.auction_cap),
            BallastError::ParameterOutOfBounds
        );
        require!(
            self.insurance_premium_per_slot.get() >= 0
                && self.insurance_premium_per_slot.get() <= ratio(bounds::PREMIUM_PER_SLOT_HIGHEST.0, bounds::PREMIUM_PER_SLOT_HIGHEST.1),
            BallastError::ParameterOutOfBounds
        );
        require!(
            small(self.auction_start_premium)
                && small(self.auction_max_discount)
                && small(self.keeper_incentive)
                && small(self.swap_incentive),
            BallastError::ParameterOutOfBounds
        );
        require!(
            slots(self.breaker_min_pause_slots)
                && slots(self.breaker_max_pause_slots)
                && self.breaker_min_pause_slots <= self.breaker_max_pause_slots
                && slots(self.stake_cooldown_slots)
                && slots(self.auction_duration_slots),
            BallastError::ParameterOutOfBounds
        );
        Ok(())
    }
}

/// Lifetime flows through the loss waterfall, in stablecoin units.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InsuranceTotals {
    pub fees: u64,
    pub premiums: u64,
    pub paid_out: u64,
    pub backstop_burned: u64,
    pub holder_losses: u64,
}

/// What the oracles last agreed about risk (spec sections 2 and 6).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RiskState {
    /// Portfolio volatility sigma_p.
    pub sigma_p: FixedBits,
    /// Dynamic risk aversion lambda.
    pub lambda: FixedBits,
    /// The reference reserve value for Delta V / V over the breaker window...
    pub reference_value: FixedBits,
    /// ...and the supply when it was posted: the breaker compares value per
    /// stablecoin, so holders' mints and redemptions (at about par) are not
    /// mistaken for the market's move.
    pub reference_supply: u64,
    pub updated_slot: u64,
    /// The Monte Carlo's P(CR < 1) over its horizon and the upper end of
    /// its confidence interval (medians of the round's inliers).
    pub breach_probability: FixedBits,
    pub breach_upper: FixedBits,
    /// The spec's stability condition, dCR/dt >= 0 or CR >= 1, as most of
    /// the round's inliers evaluated it.
    pub stable: bool,
    /// Whether most inliers' allocation passed the certificate: P(CR < 1)
    /// of the targets under epsilon. A flagged round posted its safest one.
    pub allocation_certified: bool,
    /// Seed 001's loan book (the reserve's loan assets as one portfolio),
    /// per unit of its value: gamma = sum q_i S_i^2 d2V_i/dS_i^2 and theta =
    /// sum q_i dV_i/dt (per year), each over the book's Monte Carlo value;
    /// zero without loans.
    pub loan_gamma: FixedBits,
    pub loan_theta: FixedBits,
}

/// Why a round opened before its predecessor's time was up; stored as
/// its code in `RoundSummary::trigger` (0: a scheduled round).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RebalanceTrigger {
    /// CR < CR_crit.
    BelowCrCrit = 1,
    /// sigma_p > sigma_threshold.
    Volatile = 2,
    /// The loan book's gamma or theta beyond its governed bound (seed 001).
    LoanGreeks = 3,
}

impl RebalanceTrigger {
    pub fn from_code(code: u8) -> Option<Self> {
        [Self::BelowCrCrit, Self::Volatile, Self::LoanGreeks].into_iter().find(|t| *t as u8 == code)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::BelowCrCrit => "CR below CR_crit",
            Self::Volatile => "sigma_p above sigma_threshold",
            Self::LoanGreeks => "the loan book's gamma or theta beyond its bound",
        }
    }
}

/// Mint and redeem volume in the current settlement window and the one
/// before it. The limits roll: the previous window's volume still counts,
/// fading linearly to nothing over the current window, so no burst across a
/// window boundary can reach twice the limit.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default)]
pub struct LimitWindow {
    pub start_slot: u64,
    pub minted: u64,
    pub redeemed: u64,
    pub previous_minted: u64,
    pub previous_redeemed: u64,
    /// Value moved by rebalancing swaps in this window, in stablecoin units.
    pub swapped: u64,
    /// Target-weight turnover accepted from the oracle in this window.
    pub weight_turnover: FixedBits,
}

impl Params {
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            crit: self.cr_crit.get(),
            min: self.cr_min.get(),
            target: self.cr_target.get(),
        }
    }

    /// Checks every parameter against its hard bounds.
    pub fn validate(&self) -> Result<()> {
        let (cr_low, cr_high) = (
            ratio(bounds::CR_LOWEST.0, bounds::CR_LOWEST.1),
            ratio(bounds::CR_HIGHEST.0, bounds::CR_HIGHEST.1),
        );
        let thresholds = self.thresholds();
        for cr in [thresholds.crit, thresholds.min, thresholds.target] {
            require!(cr >= cr_low && cr <= cr_high, BallastError::ParameterOutOfBounds);
        }
        require!(thresholds.are_ordered(), BallastError::InvalidThresholdOrder);

        let fee_high = ratio(bounds::FEE_HIGHEST.0, bounds::FEE_HIGHEST.1);
        let (fee_min, fee_max) = (self.fee_min.get(), self.fee_max.get());
        require!(
            fee_min >= 0 && fee_min <= fee_max && fee_max <= fee_high,
            BallastError::ParameterOutOfBounds
        );
        require!(
            (1..=bounds::WINDOW_SLOTS_HIGHEST).contains(&self.limit_window_slots),
            BallastError::ParameterOutOfBounds
        );
        let limits = 1..=bounds::WINDOW_LIMIT_HIGHEST;
        require!(
            limits.contains(&self.mint_limit_per_window) && limits.contains(&self.redeem_limit_per_window),
            BallastError::ParameterOutOfBounds
        );
        require!(
            (1..=bounds::EMA_SLOTS_HIGHEST).contains(&self.price_ema_slots),
            BallastError::ParameterOutOfBounds
        );
        require!(
            (1..=bounds::GUARDIAN_PAUSE_SLOTS_HIGHEST).contains(&self.guardian_pause_slots),
            BallastError::ParameterOutOfBounds
        );
        let fraction = |x: FixedBits| x.get() > 0 && x.get() <= I80F48::ONE;
        require!(
            fraction(self.u_max) && fraction(self.max_price_jump) && fraction(self.outlier_tolerance),
            BallastError::ParameterOutOfBounds
        );
        require!(
            (1..=bounds::ROUND_SLOTS_HIGHEST).contains(&self.round_slots),
            BallastError::ParameterOutOfBounds
        );
        self.risk.validate()?;
        self.policy.validate()
    }

    pub fn check_fee(&self, fee: I80F48) -> Result<()> {
        require!(
            fee >= self.fee_min.get() && fee <= self.fee_max.get(),
            BallastError::FeeOutOfBounds
        );
        Ok(())
    }
}

impl Protocol {
    /// Replaces the oracle set; `OracleRounds` does it when a round opens.
    pub fn set_oracles(&mut self, oracles: &[Pubkey], quorum: u8) -> Result<()> {
        validate_oracle_set(oracles, quorum)?;
        self.oracles = [Pubkey::default(); MAX_ORACLES];
        self.oracles[..oracles.len()].copy_from_slice(oracles);
        self.oracle_count = oracles.len() as u8;
        self.oracle_quorum = quorum;
        Ok(())
    }

    /// The incentive a rebalancing swap pays: `swap_incentive`, but never
    /// more than fee_mint + fee_redeem. Otherwise a keeper could mint with
    /// asset Y, redeem for X and swap X in for Y, ending where it started
    /// plus the incentive less the fees. With the incentive at most the sum
    /// of the fees, (1 − f_m)(1 − f_r)(1 + i) ≤ 1 − (f_m + f_r)² + f_m·f_r
    /// · (1 + f_m + f_r) < 1 whenever a fee is positive, and rounding only
    /// takes more, so that round trip always loses.
    pub fn swap_incentive(&self) -> Result<I80F48> {
        let fees = crate::math::add(self.fee_mint.get(), self.fee_redeem.get())?;
        Ok(self.params.risk.swap_incentive.get().min(fees))
    }

    /// Seed 000's trigger for a new target: "rebalance if CR < CR_crit or
    /// sigma_p > sigma_threshold", for a reserve worth `value` and the
    /// posted sigma_p, and seed 001's: the posted loan book's gamma or theta
    /// beyond its governed bound. Each lets the oracles post a new target
    /// before the next scheduled round.
    pub fn rebalance_trigger(&self, value: I80F48) -> Result<Option<RebalanceTrigger>> {
        let cr = crate::math::collateral_ratio_floor(value, self.supply)?;
        Ok(if cr.is_some_and(|cr| cr < self.params.cr_crit.get()) {
            Some(RebalanceTrigger::BelowCrCrit)
        } else if self.risk.sigma_p.get() > self.params.risk.sigma_threshold.get() {
            Some(RebalanceTrigger::Volatile)
        } else if self.loan_greeks_beyond_bounds() {
            Some(RebalanceTrigger::LoanGreeks)
        } else {
            None
        })
    }

    /// Whether the posted loan book's |gamma| or |theta| is above its
    /// governed bound (a bound of zero is none).
    pub fn loan_greeks_beyond_bounds(&self) -> bool {
        let beyond = |figure: FixedBits, bound: FixedBits| bound.get() > 0 && figure.get().abs() > bound.get();
        let policy = &self.params.policy;
        beyond(self.risk.loan_gamma, policy.max_loan_gamma) || beyond(self.risk.loan_theta, policy.max_loan_theta)
    }

    /// Whether the oracles' upper bound on P(CR < 1) is above epsilon.
    pub fn breach_certificate_failed(&self) -> bool {
        self.risk.breach_upper.get() > self.params.policy.breach_epsilon.get()
    }

    pub fn signer_seeds(&self) -> [&[u8]; 2] {
        [PROTOCOL_SEED, std::slice::from_ref(&self.bump)]
    }

    /// The pause bits in force at `slot`: the standing ones, and the
    /// guardian's and the breaker's until they lapse.
    pub fn paused_at(&self, slot: u64) -> u8 {
        self.paused_by_others_at(slot) | self.breaker_paused_at(slot)
    }

    /// The breaker's pause bits in force at `slot`: none once it has paused
    /// for `breaker_max_pause_slots`, so holders are never locked out for
    /// longer than governance allows.
    pub fn breaker_paused_at(&self, slot: u64) -> u8 {
        let lapses = self.breaker_tripped_slot.saturating_add(self.params.risk.breaker_max_pause_slots);
        if slot < lapses { self.breaker_paused } else { 0 }
    }

    /// Whether a tripped breaker has run its whole course without a reset.
    pub fn breaker_lapsed_at(&self, slot: u64) -> bool {
        self.breaker_paused != 0 && self.breaker_paused_at(slot) == 0
    }

    /// The standing pause bits and the guardian's, without the breaker's.
    pub fn paused_by_others_at(&self, slot: u64) -> u8 {
        let guardian = if slot < self.guardian_pause_until { self.guardian_paused } else { 0 };
        self.paused | guardian
    }

    pub fn require_not_paused(&self, operation: u8, slot: u64) -> Result<()> {
        require!(self.paused_at(slot) & operation == 0, BallastError::OperationPaused);
        Ok(())
    }

    /// Starts a new settlement window when the current one has ended,
    /// carrying its volume over when the new one follows on directly.
    fn roll_window(&mut self, slot: u64) {
        let length = self.params.limit_window_slots;
        let current = self.window;
        if slot < current.start_slot.saturating_add(length) {
            return;
        }
        let start_slot = slot - slot % length;
        let follows_on = start_slot == current.start_slot + length;
        self.window = LimitWindow {
            start_slot,
            previous_minted: if follows_on { current.minted } else { 0 },
            previous_redeemed: if follows_on { current.redeemed } else { 0 },
            ..LimitWindow::default()
        };
    }

    /// The share of the previous window's `volume` that still counts at
    /// `slot`, rounded up: all of it at the start of the window, none at its end.
    fn carried_over(&self, volume: u64, slot: u64) -> Result<u64> {
        let length = self.params.limit_window_slots as u128;
        let end = self.window.start_slot as u128 + length;
        let remaining = end.saturating_sub(slot as u128);
        let carried = (volume as u128 * remaining).div_ceil(length);
        u64::try_from(carried).map_err(|_| crate::math::overflow())
    }

    /// Mint and redeem volume counted against the limits at `slot`: the
    /// window's own plus what still carries over from the one before.
    pub fn limits_used_at(&self, slot: u64) -> Result<(u64, u64)> {
        let mut rolled = self.clone();
        rolled.roll_window(slot);
        let window = rolled.window;
        let used = |own: u64, previous: u64| -> Result<u64> {
            own.checked_add(rolled.carried_over(previous, slot)?).ok_or_else(crate::math::overflow)
        };
        Ok((used(window.minted, window.previous_minted)?, used(window.redeemed, window.previous_redeemed)?))
    }

    /// Counts `amount` minted against the rolling mint limit.
    pub fn record_mint(&mut self, slot: u64, amount: u64) -> Result<()> {
        self.roll_window(slot);
        let carried = self.carried_over(self.window.previous_minted, slot)?;
        add_within_limit(
            &mut self.window.minted,
            carried,
            amount,
            self.params.mint_limit_per_window,
            BallastError::MintLimitExceeded,
        )
    }

    /// Counts `value` moved by a rebalancing swap against this window's
    /// u_max share of supply.
    pub fn record_swap(&mut self, slot: u64, value: u64) -> Result<()> {
        self.roll_window(slot);
        let limit = crate::math::to_u64_floor(crate::math::mul_floor(
            I80F48::from_num(self.supply),
            self.params.u_max.get(),
        )?)?;
        add_within_limit(&mut self.window.swapped, 0, value, limit, BallastError::SwapLimitExceeded)
    }

    /// The target-weight turnover still allowed in this window.
    pub fn weight_turnover_room(&mut self, slot: u64) -> I80F48 {
        self.roll_window(slot);
        (self.params.u_max.get() - self.window.weight_turnover.get()).max(I80F48::ZERO)
    }

    /// Counts target-weight `turnover` against this window's u_max.
    pub fn record_weight_turnover(&mut self, slot: u64, turnover: I80F48) -> Result<()> {
        self.roll_window(slot);
        let total = self
            .window
            .weight_turnover
            .get()
            .checked_add(turnover)
            .ok_or_else(crate::math::overflow)?;
        require!(total <= self.params.u_max.get(), BallastError::WeightMoveTooLarge);
        self.window.weight_turnover = total.into();
        Ok(())
    }

    /// Counts `amount` redeemed against the rolling redeem limit.
    pub fn record_redeem(&mut self, slot: u64, amount: u64) -> Result<()> {
        self.roll_window(slot);
        let carried = self.carried_over(self.window.previous_redeemed, slot)?;
        add_within_limit(
            &mut self.window.redeemed,
            carried,
            amount,
            self.params.redeem_limit_per_window,
            BallastError::RedeemLimitExceeded,
        )
    }
}

/// Adds `amount` to `used` if `used + carried + amount` stays within `limit`.
fn add_within_limit(used: &mut u64, carried: u64, amount: u64, limit: u64, exceeded: BallastError) -> Result<()> {
    let within = used
        .checked_add(amount)
        .filter(|new_used| new_used.checked_add(carried).is_some_and(|total| total <= limit));
    let Some(new_used) = within else {
        return Err(exceeded.into());
    };
    *used = new_used;
    Ok(())
}

/// An oracle set holds 1 to `MAX_ORACLES` distinct, non-default keys and a
/// quorum between 1 and their number.
pub fn validate_oracle_set(oracles: &[Pubkey], quorum: u8) -> Result<()> {
    let distinct = oracles
        .iter()
        .enumerate()
        .all(|(i, key)| *key != Pubkey::default() && !oracles[..i].contains(key));
    require!(
        !oracles.is_empty()
            && oracles.len() <= MAX_ORACLES
            && distinct
            && quorum >= 1
            && quorum as usize <= oracles.len(),
        BallastError::InvalidOracleSet
    );
    Ok(())
}


pub fn is_valid_pause_mask(mask: u8) -> bool {
    mask & !pause::ALL == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_account_size_is_pinned() {
        // A field added without shrinking `reserved` by as much fails here:
        // deployed accounts keep their size.
        assert_eq!(Protocol::INIT_SPACE, 1_731);
    }
}
