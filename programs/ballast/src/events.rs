//! Events for indexers and dashboards. Amounts are token units; prices,
//! values and ratios are I80F48 bits.

use anchor_lang::prelude::*;

use crate::state::{Action, Ballot, ParamKey};

/// Writes `event` to the transaction log as `Program data: <base64>`. On
/// SBF this is exactly anchor's `emit!`. Run natively, anchor's host
/// `sol_log_data` writes nothing, so there the event goes through the host's
/// syscall stubs instead, where the sdk's bank and the local node put it in
/// the transaction's log as a cluster would.
pub fn log_event<E: anchor_lang::Event>(event: &E) {
    let data = event.data();
    #[cfg(target_os = "solana")]
    anchor_lang::solana_program::log::sol_log_data(&[&data]);
    #[cfg(not(target_os = "solana"))]
    anchor_lang::compat::solana_sysvar::program_stubs::sol_log_data(&[&data]);
}

#[event]
pub struct ProtocolInitialized {
    pub authority: Pubkey,
    pub stable_mint: Pubkey,
}

#[event]
pub struct AssetAdded {
    pub asset: Pubkey,
    pub mint: Pubkey,
    pub index: u8,
    pub kind: u8,
    pub decimals: u8,
}

#[event]
pub struct AssetEnabledSet {
    pub asset: Pubkey,
    pub enabled: bool,
}

#[event]
pub struct PauseSet {
    pub paused: u8,
}

#[event]
pub struct PriceSet {
    pub asset: Pubkey,
    pub price_bits: i128,
    pub confidence_bits: i128,
    pub smoothed_price_bits: i128,
    pub target_weight_bits: i128,
    pub slot: u64,
}

#[event]
pub struct Minted {
    pub user: Pubkey,
    pub asset: Pubkey,
    pub deposited: u64,
    pub gross_stable: u64,
    pub fee: u64,
    pub insurance_share: u64,
    pub minted: u64,
    pub reserve_value_bits: i128,
    pub supply: u64,
}

#[event]
pub struct Redeemed {
    pub user: Pubkey,
    pub asset: Pubkey,
    pub burned: u64,
    pub fee: u64,
    pub insurance_share: u64,
    pub paid_out: u64,
    pub supply: u64,
}

#[event]
pub struct CapitalContributed {
    pub contributor: Pubkey,
    pub asset: Pubkey,
    pub amount: u64,
}

#[event]
pub struct AuthorityRenounced {
    pub authority: Pubkey,
}

#[event]
pub struct Staked {
    pub owner: Pubkey,
    pub amount: u64,
    pub position_value: u64,
    pub total_staked: u64,
}

#[event]
pub struct Unstaked {
    pub owner: Pubkey,
    pub amount: u64,
    pub position_value: u64,
    pub total_staked: u64,
}

#[event]
pub struct Proposed {
    pub proposal: Pubkey,
    pub id: u64,
    pub proposer: Pubkey,
    pub voting_end_slot: u64,
}

#[event]
pub struct Voted {
    pub proposal: Pubkey,
    pub voter: Pubkey,
    pub weight: u64,
    pub ballot: Ballot,
}

#[event]
pub struct ParamChanged {
    pub proposal: Pubkey,
    pub key: ParamKey,
    pub old_value_bits: i128,
    pub new_value_bits: i128,
}

#[event]
pub struct ActionExecuted {
    pub proposal: Pubkey,
    pub action: Action,
}

#[event]
pub struct GuardianPaused {
    pub operations: u8,
    pub until_slot: u64,
}

#[event]
pub struct BreakerTripped {
    pub slot: u64,
    pub sigma_p_bits: i128,
    pub value_change_bits: i128,
    pub paused: u8,
}

#[event]
pub struct BreakerReset {
    pub slot: u64,
}

#[event]
pub struct PremiumAccrued {
    pub slots: u64,
    pub premium: u64,
    pub pool: u64,
}

/// Step 1 of the waterfall.
#[event]
pub struct InsurancePaid {
    pub shortfall: u64,
    pub paid_out: u64,
}

/// Step 2 of the waterfall.
#[event]
pub struct BackstopBailedIn {
    pub residual: u64,
    pub burned: u64,
    /// Stake below the share price floor, moved to the insurance pool.
    pub swept_to_insurance: u64,
    pub total_staked: u64,
}

/// Step 3 of the waterfall.
#[event]
pub struct HoldersHaircut {
    pub loss: u64,
    pub redemption_rate_bits: i128,
}

#[event]
pub struct RedemptionRateRestored {
    pub redemption_rate_bits: i128,
}

#[event]
pub struct AuctionStarted {
    pub asset: Pubkey,
    pub to_raise: u64,
    pub reference_price_bits: i128,
    pub slot: u64,
}

#[event]
pub struct AuctionTaken {
    pub asset: Pubkey,
    pub keeper: Pubkey,
    pub paid: u64,
    pub collateral: u64,
    pub price_bits: i128,
    pub remaining: u64,
}

#[event]
pub struct RebalanceSwapped {
    pub keeper: Pubkey,
    pub asset_in: Pubkey,
    pub amount_in: u64,
    pub asset_out: Pubkey,
    pub amount_out: u64,
}

#[event]
pub struct AuctionClosed {
    pub asset: Pubkey,
    pub unraised: u64,
}

/// One oracle's observation was recorded in a round.
#[event]
pub struct ObservationSubmitted {
    pub round: u64,
    pub oracle: Pubkey,
    pub slot: u64,
}

/// A round finalized: a quorum of its observations agreed.
#[event]
pub struct RoundFinalized {
    pub round: u64,
    pub submitted: u8,
    pub outliers: u8,
    pub sigma_p_bits: i128,
    pub breach_upper_bits: i128,
    pub fee_mint_bits: i128,
    pub slot: u64,
}

/// A round opened before its predecessor's time was up, on seed 000's
/// trigger: it re-describes the same market window with a new target.
#[event]
pub struct RoundTriggered {
    pub round: u64,
    /// The `RebalanceTrigger` code.
    pub trigger: u8,
    pub value_bits: i128,
    pub sigma_p_bits: i128,
    pub slot: u64,
}

/// A round's time ran out before a quorum of inliers was in.
#[event]
pub struct RoundLapsed {
    pub round: u64,
    pub submitted: u8,
    pub slot: u64,
}

/// An observation was kept out of a round: farther than the outlier
/// tolerance from the median.
#[event]
pub struct OracleOutlier {
    pub round: u64,
    pub oracle: Pubkey,
    pub slot: u64,
}

/// Governance chose a new oracle set; it takes over when the next round opens.
#[event]
pub struct OracleSetScheduled {
    pub oracles: u8,
    pub quorum: u8,
    pub from_round: u64,
}

/// A scheduled oracle set took over as `round` opened.
#[event]
pub struct OracleSetActivated {
    pub round: u64,
    pub oracles: u8,
    pub quorum: u8,
}
