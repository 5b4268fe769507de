//! Seeds, sizes and the hard bounds that no parameter change may cross.

use anchor_lang::prelude::*;

#[constant]
pub const PROTOCOL_SEED: &[u8] = b"protocol";
#[constant]
pub const STABLE_MINT_SEED: &[u8] = b"stable_mint";
#[constant]
pub const ASSET_SEED: &[u8] = b"asset";
#[constant]
pub const VAULT_SEED: &[u8] = b"vault";

#[constant]
pub const INSURANCE_SEED: &[u8] = b"insurance";
#[constant]
pub const GOVERNANCE_SEED: &[u8] = b"governance";
#[constant]
pub const STAKE_VAULT_SEED: &[u8] = b"stake_vault";
#[constant]
pub const STAKE_SEED: &[u8] = b"stake";
#[constant]
pub const PROPOSAL_SEED: &[u8] = b"proposal";
#[constant]
pub const VOTE_SEED: &[u8] = b"vote";
#[constant]
pub const ORACLE_ROUNDS_SEED: &[u8] = b"oracle_rounds";

/// Who may initialize a deployment that has no ProgramData account, which
/// is only the case when the program runs as a native builtin (tests and
/// the local node, which write a ProgramData account of their own when
/// they can). Everywhere else `initialize` belongs to the upgrade
/// authority. This is a published test key, the public half of
/// `tests/fixtures/native-bootstrap-authority.json`: never a secret.
pub const NATIVE_BOOTSTRAP_AUTHORITY: Pubkey = pubkey!("CwRz8b7NJVtPNbwQf6PneSnuqECRAHW5noWHk1j2DN7s");

/// The stablecoin has the decimals of USDC, so one unit is one micro-dollar.
#[constant]
pub const STABLE_DECIMALS: u8 = 6;

/// Reserve assets are bounded so that every valuation loop is bounded.
pub const MAX_ASSETS: usize = 8;

/// At most this many oracle keys sign updates.
pub const MAX_ORACLES: usize = 8;

/// Per-operation pause bits in `Protocol::paused`.
pub mod pause {
    pub const MINT: u8 = 1 << 0;
    pub const REDEEM: u8 = 1 << 1;
    pub const REBALANCE: u8 = 1 << 2;
    pub const LIQUIDATE: u8 = 1 << 3;
    pub const ALL: u8 = MINT | REDEEM | REBALANCE | LIQUIDATE;
}

/// Hard bounds, fixed at compile time, for every governable parameter.
/// Ratios and fractions are in `(numerator, denominator)` form so that they
/// stay exact when turned into I80F48.
pub mod bounds {
    /// 1 < CR_crit < CR_min <= CR_target, each inside [1, 3].
    pub const CR_LOWEST: (i64, i64) = (1, 1);
    pub const CR_HIGHEST: (i64, i64) = (3, 1);
    /// No fee may ever exceed 10%.
    pub const FEE_HIGHEST: (i64, i64) = (1, 10);
    /// Conservative prices may be at most 20% apart from spot in confidence.
    pub const CONFIDENCE_HIGHEST: (i64, i64) = (1, 5);
    /// Settlement windows from one slot to about a week of 400 ms slots.
    pub const WINDOW_SLOTS_HIGHEST: u64 = 1_512_000;
    /// Prices may be trusted for at most about an hour.
    pub const STALENESS_SLOTS_HIGHEST: u64 = 9_000;
    /// The smoothing horizon of the conservative price: at most about a day.
    pub const EMA_SLOTS_HIGHEST: u64 = 216_000;
    /// Auction premiums and discounts and keeper incentives: at most 20%.
    pub const INCENTIVE_HIGHEST: (i64, i64) = (1, 5);
    /// Volatility thresholds: at most 500%.
    pub const SIGMA_HIGHEST: (i64, i64) = (5, 1);
    /// The policy's coefficients (lambda_0, |eta|, |zeta|, psi): at most 100.
    pub const POLICY_COEFFICIENT_HIGHEST: u64 = 100;
    /// The portfolio risk limit R_max: at most 10.
    pub const RISK_LIMIT_HIGHEST: u64 = 10;
    /// The insurance premium: at most 10^-6 of supply per slot (~ 21% a day).
    pub const PREMIUM_PER_SLOT_HIGHEST: (i64, i64) = (1, 1_000_000);
    /// A guardian pause lasts at most about a day.
    pub const GUARDIAN_PAUSE_SLOTS_HIGHEST: u64 = 216_000;
    /// The smoothed price moves at most 0.1% of itself per slot.
    pub const SMOOTHED_GROWTH_PER_SLOT: (i64, i64) = (1, 1000);
    /// Target weights must sum to one within 10^-6.
    pub const WEIGHT_SUM_TOLERANCE: (i64, i64) = (1, 1_000_000);
    /// Per-window mint and redeem limits: at most 10^10 stablecoins.
    pub const WINDOW_LIMIT_HIGHEST: u64 = 10_000_000_000 * 1_000_000;
    /// Action proposals pass with at least 66% of the votes cast.
    pub const SUPERMAJORITY_PERCENT: u128 = 66;
    /// Governance periods (voting, timelock, execution window, epoch):
    /// from one slot to about 30 days.
    pub const GOVERNANCE_SLOTS_HIGHEST: u64 = 6_480_000;
    /// Oracle rounds last from one slot to about a week.
    pub const ROUND_SLOTS_HIGHEST: u64 = 1_512_000;
    /// A bail-in that would leave backstop shares worth less than this many
    /// stablecoin units each takes the last of the stake too and starts a
    /// new share generation: deposits then never need more than
    /// 1 / floor shares per unit, which keeps share counts inside a u64.
    pub const SHARE_PRICE_FLOOR: (u64, u64) = (1, 1_000);
}
