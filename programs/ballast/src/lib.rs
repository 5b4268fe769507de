//! Ballast: a stablecoin backed by a multi-asset reserve.
//!
//! Every instruction is one line here that delegates to its own file in
//! `instructions/`. Pure arithmetic lives in `math/`, account layouts in
//! `state/`. The program uses no floating point and no unbounded loops, so
//! it builds unchanged for SBF with `anchor build`.

#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod math;
pub mod state;

use instructions::*;
use math::FixedBits;
use state::{AssetConfig, AssetKind, Ballot, GovernanceConfig, ProposalKind};

declare_id!("7ettYrac8dT9grx2JUNBNSNxhnRMuse6iQY8uUnuAJXb");

#[program]
pub mod ballast {
    use super::*;

    pub fn initialize(ctx: Context<Initialize>, args: InitializeArgs) -> Result<()> {
        handle_initialize(ctx, args)
    }

    pub fn register_oracles(ctx: Context<RegisterOracles>, oracles: Vec<Pubkey>, quorum: u8) -> Result<()> {
        handle_register_oracles(ctx, oracles, quorum)
    }

    pub fn add_asset(ctx: Context<AddAsset>, kind: AssetKind, config: AssetConfig) -> Result<()> {
        handle_add_asset(ctx, kind, config)
    }

    pub fn set_pause(ctx: Context<AuthorityOnly>, paused: u8) -> Result<()> {
        handle_set_pause(ctx, paused)
    }

    pub fn guardian_pause(ctx: Context<GuardianPause>, operations: u8) -> Result<()> {
        handle_guardian_pause(ctx, operations)
    }

    pub fn set_asset_enabled(ctx: Context<SetAssetEnabled>, enabled: bool) -> Result<()> {
        handle_set_asset_enabled(ctx, enabled)
    }

    pub fn submit_observation<'info>(
        ctx: Context<'info, SubmitObservation<'info>>,
        observation: Observation,
    ) -> Result<()> {
        handle_submit_observation(ctx, observation)
    }

    pub fn trip_breaker<'info>(ctx: Context<'info, ProtocolCrank<'info>>) -> Result<()> {
        handle_trip_breaker(ctx)
    }

    pub fn reset_breaker(ctx: Context<ProtocolCrank>) -> Result<()> {
        handle_reset_breaker(ctx)
    }

    pub fn accrue_premium<'info>(ctx: Context<'info, AccruePremium<'info>>) -> Result<()> {
        handle_accrue_premium(ctx)
    }

    pub fn absorb_shortfall<'info>(ctx: Context<'info, AbsorbShortfall<'info>>) -> Result<()> {
        handle_absorb_shortfall(ctx)
    }

    pub fn start_auction<'info>(ctx: Context<'info, AuctionCrank<'info>>) -> Result<()> {
        handle_start_auction(ctx)
    }

    pub fn take_auction<'info>(
        ctx: Context<'info, TakeAuction<'info>>,
        amount: u64,
        max_price: FixedBits,
    ) -> Result<()> {
        handle_take_auction(ctx, amount, max_price)
    }

    pub fn close_auction<'info>(ctx: Context<'info, AuctionCrank<'info>>) -> Result<()> {
        handle_close_auction(ctx)
    }

    pub fn rebalance_swap<'info>(ctx: Context<'info, RebalanceSwap<'info>>, amount_in: u64) -> Result<()> {
        handle_rebalance_swap(ctx, amount_in)
    }

    pub fn mint<'info>(ctx: Context<'info, MintStable<'info>>, amount: u64) -> Result<()> {
        handle_mint(ctx, amount)
    }

    pub fn redeem<'info>(ctx: Context<'info, RedeemStable<'info>>, amount: u64) -> Result<()> {
        handle_redeem(ctx, amount)
    }

    pub fn contribute(ctx: Context<Contribute>, amount: u64) -> Result<()> {
        handle_contribute(ctx, amount)
    }

    pub fn renounce_authority(ctx: Context<RenounceAuthority>) -> Result<()> {
        handle_renounce_authority(ctx)
    }

    pub fn initialize_governance(ctx: Context<InitializeGovernance>, config: GovernanceConfig) -> Result<()> {
        handle_initialize_governance(ctx, config)
    }

    pub fn stake(ctx: Context<Stake>, amount: u64) -> Result<()> {
        handle_stake(ctx, amount)
    }

    pub fn unstake<'info>(ctx: Context<'info, Unstake<'info>>, amount: u64) -> Result<()> {
        handle_unstake(ctx, amount)
    }

    pub fn propose(ctx: Context<Propose>, kind: ProposalKind) -> Result<()> {
        handle_propose(ctx, kind)
    }

    pub fn vote(ctx: Context<CastVote>, ballot: Ballot) -> Result<()> {
        handle_vote(ctx, ballot)
    }

    pub fn execute_param(ctx: Context<ExecuteProposal>) -> Result<()> {
        handle_execute_param(ctx)
    }

    pub fn execute_action(ctx: Context<ExecuteProposal>) -> Result<()> {
        handle_execute_action(ctx)
    }

    pub fn execute_add_asset(ctx: Context<ExecuteAddAsset>) -> Result<()> {
        handle_execute_add_asset(ctx)
    }
}
