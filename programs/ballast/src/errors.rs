use anchor_lang::prelude::*;

/// Declares the error enum and the list of its variants in one place, so
/// that clients can turn an error code back into its name.
macro_rules! ballast_errors {
    ($( #[msg($message:literal)] $variant:ident, )*) => {
        /// Every way an instruction can refuse. Codes are stable: clients
        /// match on them, so new variants go at the end.
        #[error_code]
        pub enum BallastError {
            $( #[msg($message)] $variant, )*
        }

        impl BallastError {
            pub const ALL: &'static [BallastError] = &[$(BallastError::$variant),*];

            /// The error with this custom error code, if it is one of ours.
            pub fn from_code(code: u32) -> Option<BallastError> {
                Self::ALL.iter().copied().find(|error| u32::from(*error) == code)
            }
        }
    };
}

ballast_errors! {
    #[msg("signer is not the protocol authority")]
    Unauthorized,
    #[msg("a parameter is outside its hard bounds")]
    ParameterOutOfBounds,
    #[msg("thresholds must satisfy 1 < CR_crit < CR_min <= CR_target")]
    InvalidThresholdOrder,
    #[msg("fee is outside the protocol's fee bounds")]
    FeeOutOfBounds,
    #[msg("the reserve already holds the maximum number of assets")]
    TooManyAssets,
    #[msg("the vault account is not this asset's vault")]
    InvalidVault,
    #[msg("the token mint is not this asset's mint")]
    InvalidAssetMint,
    #[msg("the stablecoin mint is not the protocol's mint")]
    InvalidStableMint,
    #[msg("the token account does not belong to the signer or has the wrong mint")]
    InvalidTokenAccount,
    #[msg("the asset account does not belong to this protocol")]
    InvalidAssetAccount,
    #[msg("every reserve asset must be passed, once each, in index order")]
    IncompleteReserve,
    #[msg("amount must be greater than zero")]
    ZeroAmount,
    #[msg("the amount is too small to produce any output after rounding")]
    AmountTooSmall,
    #[msg("the signer's token account holds less than the amount")]
    InsufficientFunds,
    #[msg("the vault holds less than the payout")]
    InsufficientReserve,
    #[msg("arithmetic overflow")]
    MathOverflow,
    #[msg("the asset is disabled")]
    AssetDisabled,
    #[msg("the operation is paused")]
    OperationPaused,
    #[msg("the asset has no price yet")]
    PriceNotSet,
    #[msg("the price is older than the asset's staleness bound")]
    StalePrice,
    #[msg("the price's confidence interval is wider than the asset allows")]
    PriceConfidenceTooWide,
    #[msg("price must be positive, with a confidence between zero and the price")]
    InvalidPrice,
    #[msg("the mint would push the asset's weight above its cap")]
    WeightCapExceeded,
    #[msg("the mint would leave CR below CR_min without raising it")]
    CollateralRatioTooLow,
    #[msg("minting is halted while CR is below CR_crit")]
    MintHaltedBelowCritical,
    #[msg("the mint exceeds this window's mint limit")]
    MintLimitExceeded,
    #[msg("the redemption exceeds this window's redeem limit")]
    RedeemLimitExceeded,
    #[msg("the protocol is already initialised")]
    AlreadyInitialized,
    #[msg("this mint is already a reserve asset")]
    AssetAlreadyAdded,
    #[msg("the oracle set must hold 1 to 8 distinct keys and a quorum between 1 and their number")]
    InvalidOracleSet,
    #[msg("governance is already initialised")]
    GovernanceAlreadyInitialized,
    #[msg("the proposer's stake is below the minimum to propose")]
    StakeTooSmallToPropose,
    #[msg("voting on this proposal has ended")]
    VotingClosed,
    #[msg("voting on this proposal has not ended")]
    VotingOpen,
    #[msg("this staker has already voted on this proposal")]
    AlreadyVoted,
    #[msg("the ballot does not match the proposal's kind")]
    WrongBallot,
    #[msg("the voter has no stake")]
    NoVotingPower,
    #[msg("the value is outside the parameter's hard bounds")]
    ValueOutOfBounds,
    #[msg("the value moves the parameter more than its step per epoch")]
    StepBeyondClamp,
    #[msg("the parameter already changed this epoch")]
    ParamChangedThisEpoch,
    #[msg("the proposal's timelock has not passed")]
    TimelockActive,
    #[msg("the proposal's execution window has passed")]
    ProposalExpired,
    #[msg("the proposal has already been executed")]
    AlreadyExecuted,
    #[msg("too little stake voted for the proposal to count")]
    QuorumNotMet,
    #[msg("the proposal did not reach a 66% supermajority")]
    ProposalRejected,
    #[msg("the stake is locked: its cooldown or a vote it joined is not over")]
    StakeLocked,
    #[msg("the stake position holds less than the amount")]
    InsufficientStake,
    #[msg("the accounts do not match the proposal")]
    ProposalAccountMismatch,
    #[msg("the observation is for a round that has ended")]
    RoundLate,
    #[msg("the observation is for a round that has not opened")]
    RoundNotOpen,
    #[msg("this oracle has already submitted an observation in this round")]
    DuplicateObservation,
    #[msg("the signer is not a registered oracle")]
    UnknownOracle,
    #[msg("the round is already finalized")]
    RoundAlreadyFinalized,
    #[msg("the breach probability and its interval must lie in [0, 1], lower <= p <= upper")]
    InvalidObservation,
    #[msg("the observation needs one price and one target weight per reserve asset")]
    UpdateLengthMismatch,
    #[msg("target weights must each lie in [0, 1] and sum to 1")]
    WeightsDoNotSumToOne,
    #[msg("the target weights would move more than u_max in this window")]
    WeightMoveTooLarge,
    #[msg("a price moved more than the largest jump allowed per update")]
    PriceJumpTooLarge,
    #[msg("signer is not the guardian")]
    NotGuardian,
    #[msg("neither sigma_p nor the fall in V is beyond its breaker threshold")]
    BreakerConditionNotMet,
    #[msg("the circuit breaker is already tripped")]
    BreakerAlreadyTripped,
    #[msg("the circuit breaker is not tripped")]
    BreakerNotTripped,
    #[msg("the breaker's minimum pause has not passed")]
    BreakerMinPauseActive,
    #[msg("sigma_p is not yet below the reset threshold")]
    BreakerConditionPersists,
    #[msg("stake cannot leave while the breaker is tripped or holders bear a haircut")]
    BackstopFrozen,
    #[msg("the reserve covers its claims: there is no shortfall to absorb")]
    NoShortfall,
    #[msg("liquidation auctions open only while 1 <= CR < CR_crit")]
    NotInLiquidationRange,
    #[msg("an auction of this asset is already running")]
    AuctionInProgress,
    #[msg("no auction of this asset is running")]
    NoAuction,
    #[msg("auctions in flight already raise as much as the cap allows")]
    AuctionCapReached,
    #[msg("the auction price is above the keeper's limit")]
    AuctionPriceAboveLimit,
    #[msg("this asset holds nothing to auction")]
    NothingToAuction,
    #[msg("the swap does not move both assets' weights toward their targets")]
    SwapNotTowardTargets,
    #[msg("rebalancing swaps in this window would move more than u_max of supply")]
    SwapLimitExceeded,
    #[msg("a swap needs two different assets")]
    SameAssetSwap,
    #[msg("the take would remove more collateral value than CR times what it burns")]
    AuctionTakeLowersCr,
    #[msg("the auction is still needed: 1 <= CR < CR_target and its vault holds collateral")]
    AuctionStillNeeded,
    #[msg("observations must be top-level instructions, not cross-program calls")]
    ObservationNotTopLevel,
    #[msg("sigma_p, lambda and the reference value must not be negative")]
    InvalidRiskFigures,
    #[msg("stake cannot leave while CR is below CR_crit or the breaker's condition holds")]
    BackstopAtRisk,
    #[msg("only the program's upgrade authority may initialize (the build's bootstrap key where there is no ProgramData)")]
    NotUpgradeAuthority,
    #[msg("the guardian may pause again only once its last pause has been lifted for as long as it lasted")]
    GuardianPauseCoolingDown,
    #[msg("a target weight is above its asset's weight cap")]
    TargetAboveCap,
    #[msg("the breaker ran its whole course for this risk: it trips again on a new drawdown, a higher sigma_p, or after a reset")]
    BreakerLapsedRiskNotWorse,
    #[msg("P(CR < 1) is above epsilon: minting with risky collateral (crypto, loans) is halted")]
    RiskyMintHalted,
    #[msg("the swap would take the reserve's cash below min_cash_ratio of the supply")]
    CashBelowFloor,
    #[msg("the mint or swap would lower the minimum capital ratio (tier 1 + 2 capital / RWA) below min_capital_ratio")]
    CapitalRatioBelowFloor,
    #[msg("the mint or swap would lower the countercyclical buffer (tier 1 capital / RWA) below min_countercyclical_buffer")]
    CountercyclicalBufferBelowFloor,
    #[msg("a triggered round may follow only a finalized scheduled round, a quarter of round_slots after it opened")]
    EarlyRoundTooSoon,
    #[msg("a round may open before the current one's time is up only while CR < CR_crit, sigma_p > sigma_threshold or the loan book's gamma or theta is past its bound")]
    EarlyRoundNotTriggered,
    #[msg("the first oracle round has opened: the oracle set now changes only through governance (SetOracles)")]
    OracleRoundsStarted,
    #[msg("this stake grew after the proposal opened: stake bought once a vote is known does not vote on it")]
    StakedAfterProposal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for (index, error) in BallastError::ALL.iter().enumerate() {
            let code = u32::from(*error);
            assert_eq!(code, anchor_lang::error::ERROR_CODE_OFFSET + index as u32);
            assert_eq!(BallastError::from_code(code).map(u32::from), Some(code));
        }
        assert!(BallastError::from_code(0).is_none());
    }
}
