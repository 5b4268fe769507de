//! Instruction builders. Each takes the few keys a caller knows and derives
//! the rest; mint and redeem also take the reserve's asset addresses in index
//! order, which the program needs to value the whole reserve.

use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use ballast::instructions::{InitializeArgs, Observation};
use ballast::math::FixedBits;
use ballast::state::{AssetConfig, AssetKind, Ballot, GovernanceConfig, ProposalKind};
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::pubkey::Pubkey;

use crate::pda;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData, remaining: Vec<AccountMeta>) -> Instruction {
    let mut metas = accounts.to_account_metas(None);
    metas.extend(remaining);
    Instruction {
        program_id: ballast::ID,
        accounts: metas,
        data: data.data(),
    }
}

fn readonly(addresses: &[Pubkey]) -> Vec<AccountMeta> {
    addresses.iter().map(|a| AccountMeta::new_readonly(*a, false)).collect()
}

pub fn initialize(authority: &Pubkey, args: InitializeArgs) -> Instruction {
    build(
        ballast::accounts::Initialize {
            authority: *authority,
            protocol: pda::protocol(),
            stable_mint: pda::stable_mint(),
            insurance_vault: pda::insurance_vault(),
            oracle_rounds: pda::oracle_rounds(),
            program_data: pda::program_data(),
            token_program: spl_token::ID,
            system_program: solana_system_interface::program::ID,
        },
        ballast::instruction::Initialize { args },
        vec![],
    )
}

pub fn add_asset(authority: &Pubkey, asset_mint: &Pubkey, kind: AssetKind, config: AssetConfig) -> Instruction {
    let asset = pda::asset(asset_mint);
    build(
        ballast::accounts::AddAsset {
            authority: *authority,
            protocol: pda::protocol(),
            asset_mint: *asset_mint,
            asset,
            vault: pda::vault(&asset),
            token_program: spl_token::ID,
            system_program: solana_system_interface::program::ID,
        },
        ballast::instruction::AddAsset { kind, config },
        vec![],
    )
}

fn authority_only(authority: &Pubkey) -> ballast::accounts::AuthorityOnly {
    ballast::accounts::AuthorityOnly {
        authority: *authority,
        protocol: pda::protocol(),
    }
}

/// Names a new deployment's oracle set, before its first round.
pub fn register_oracles(authority: &Pubkey, oracles: Vec<Pubkey>, quorum: u8) -> Instruction {
    build(
        ballast::accounts::RegisterOracles {
            authority: *authority,
            protocol: pda::protocol(),
            rounds: pda::oracle_rounds(),
        },
        ballast::instruction::RegisterOracles { oracles, quorum },
        vec![],
    )
}

pub fn set_pause(authority: &Pubkey, paused: u8) -> Instruction {
    build(authority_only(authority), ballast::instruction::SetPause { paused }, vec![])
}

fn protocol_crank(reserve_assets: &[Pubkey], data: impl InstructionData) -> Instruction {
    build(
        ballast::accounts::ProtocolCrank {
            protocol: pda::protocol(),
        },
        data,
        readonly(reserve_assets),
    )
}

/// Trips the circuit breaker; needs the reserve's assets to value it.
pub fn trip_breaker(reserve_assets: &[Pubkey]) -> Instruction {
    protocol_crank(reserve_assets, ballast::instruction::TripBreaker {})
}

pub fn reset_breaker() -> Instruction {
    protocol_crank(&[], ballast::instruction::ResetBreaker {})
}

/// Pays the insurance premium accrued since the last call; needs the
/// reserve's assets to keep CR at CR_min.
pub fn accrue_premium(reserve_assets: &[Pubkey]) -> Instruction {
    build(
        ballast::accounts::AccruePremium {
            protocol: pda::protocol(),
            stable_mint: pda::stable_mint(),
            insurance_vault: pda::insurance_vault(),
            token_program: spl_token::ID,
        },
        ballast::instruction::AccruePremium {},
        readonly(reserve_assets),
    )
}

/// Runs the loss waterfall; needs the reserve's assets to value it.
pub fn absorb_shortfall(reserve_assets: &[Pubkey]) -> Instruction {
    build(
        ballast::accounts::AbsorbShortfall {
            protocol: pda::protocol(),
            stable_mint: pda::stable_mint(),
            insurance_vault: pda::insurance_vault(),
            governance: pda::governance(),
            stake_vault: pda::stake_vault(),
            token_program: spl_token::ID,
        },
        ballast::instruction::AbsorbShortfall {},
        readonly(reserve_assets),
    )
}

/// Opens a liquidation auction of the asset with `asset_mint`.
pub fn start_auction(asset_mint: &Pubkey, reserve_assets: &[Pubkey]) -> Instruction {
    auction_crank(asset_mint, reserve_assets, ballast::instruction::StartAuction {})
}

fn auction_crank(asset_mint: &Pubkey, reserve_assets: &[Pubkey], data: impl InstructionData) -> Instruction {
    build(
        ballast::accounts::AuctionCrank {
            protocol: pda::protocol(),
            asset: pda::asset(asset_mint),
        },
        data,
        readonly(reserve_assets),
    )
}

/// Pays up to `amount` stablecoins from `source` into the auction of the
/// asset with `asset_mint`, at a price no higher than `max_price`; the
/// collateral goes to `destination`.
pub fn take_auction(
    accounts: &HolderAccounts,
    amount: u64,
    max_price: FixedBits,
    reserve_assets: &[Pubkey],
) -> Instruction {
    let asset = pda::asset(&accounts.asset_mint);
    build(
        ballast::accounts::TakeAuction {
            keeper: accounts.user,
            protocol: pda::protocol(),
            stable_mint: pda::stable_mint(),
            asset,
            asset_mint: accounts.asset_mint,
            vault: pda::vault(&asset),
            keeper_stable_account: accounts.source,
            keeper_asset_account: accounts.destination,
            token_program: spl_token::ID,
        },
        ballast::instruction::TakeAuction { amount, max_price },
        readonly(reserve_assets),
    )
}

/// Closes the auction of the asset with `asset_mint` once it is no longer needed.
pub fn close_auction(asset_mint: &Pubkey, reserve_assets: &[Pubkey]) -> Instruction {
    auction_crank(asset_mint, reserve_assets, ballast::instruction::CloseAuction {})
}

/// The accounts of a rebalancing swap.
pub struct SwapAccounts {
    pub keeper: Pubkey,
    pub mint_in: Pubkey,
    pub mint_out: Pubkey,
    /// The keeper's account of the asset it puts in.
    pub source: Pubkey,
    /// Any account of the asset it takes out.
    pub destination: Pubkey,
}

pub fn rebalance_swap(accounts: &SwapAccounts, amount_in: u64, reserve_assets: &[Pubkey]) -> Instruction {
    let (asset_in, asset_out) = (pda::asset(&accounts.mint_in), pda::asset(&accounts.mint_out));
    build(
        ballast::accounts::RebalanceSwap {
            keeper: accounts.keeper,
            protocol: pda::protocol(),
            asset_in,
            mint_in: accounts.mint_in,
            vault_in: pda::vault(&asset_in),
            asset_out,
            mint_out: accounts.mint_out,
            vault_out: pda::vault(&asset_out),
            keeper_in_account: accounts.source,
            keeper_out_account: accounts.destination,
            token_program: spl_token::ID,
        },
        ballast::instruction::RebalanceSwap { amount_in },
        readonly(reserve_assets),
    )
}

pub fn guardian_pause(guardian: &Pubkey, operations: u8) -> Instruction {
    build(
        ballast::accounts::GuardianPause {
            guardian: *guardian,
            protocol: pda::protocol(),
        },
        ballast::instruction::GuardianPause { operations },
        vec![],
    )
}

pub fn set_asset_enabled(authority: &Pubkey, asset_mint: &Pubkey, enabled: bool) -> Instruction {
    build(
        ballast::accounts::SetAssetEnabled {
            authority: *authority,
            protocol: pda::protocol(),
            asset: pda::asset(asset_mint),
        },
        ballast::instruction::SetAssetEnabled { enabled },
        vec![],
    )
}

/// One oracle's observation for a round, signed by `oracle` (its own
/// transaction); the reserve's assets (`reserve_assets`, in index order)
/// are written when the observation completes the round.
pub fn submit_observation(oracle: &Pubkey, observation: Observation, reserve_assets: &[Pubkey]) -> Instruction {
    build(
        ballast::accounts::SubmitObservation {
            oracle: *oracle,
            protocol: pda::protocol(),
            rounds: pda::oracle_rounds(),
            instructions: solana_sdk::sysvar::instructions::ID,
        },
        ballast::instruction::SubmitObservation { observation },
        reserve_assets.iter().map(|a| AccountMeta::new(*a, false)).collect(),
    )
}

/// The accounts a holder flow names, besides the reserve list.
pub struct HolderAccounts {
    pub user: Pubkey,
    pub asset_mint: Pubkey,
    /// Mint: the user's asset account (source). Redeem: the user's stablecoin account (source).
    pub source: Pubkey,
    /// Mint: any stablecoin account. Redeem: any account of the asset.
    pub destination: Pubkey,
}

/// Mints stablecoins for `amount` base units of the asset. `reserve_assets`
/// are the `Asset` addresses of the whole reserve, in index order.
pub fn mint(accounts: &HolderAccounts, amount: u64, reserve_assets: &[Pubkey]) -> Instruction {
    let asset = pda::asset(&accounts.asset_mint);
    build(
        ballast::accounts::MintStable {
            user: accounts.user,
            protocol: pda::protocol(),
            stable_mint: pda::stable_mint(),
            asset,
            asset_mint: accounts.asset_mint,
            vault: pda::vault(&asset),
            insurance_vault: pda::insurance_vault(),
            user_asset_account: accounts.source,
            recipient_stable_account: accounts.destination,
            token_program: spl_token::ID,
        },
        ballast::instruction::Mint { amount },
        readonly(reserve_assets),
    )
}

/// Redeems `amount` stablecoins for the asset. `reserve_assets` are the
/// `Asset` addresses of the whole reserve, in index order: the program values
/// the reserve to pay no more than CR when it is short.
pub fn redeem(accounts: &HolderAccounts, amount: u64, reserve_assets: &[Pubkey]) -> Instruction {
    let asset = pda::asset(&accounts.asset_mint);
    build(
        ballast::accounts::RedeemStable {
            user: accounts.user,
            protocol: pda::protocol(),
            stable_mint: pda::stable_mint(),
            asset,
            asset_mint: accounts.asset_mint,
            vault: pda::vault(&asset),
            insurance_vault: pda::insurance_vault(),
            user_stable_account: accounts.source,
            recipient_asset_account: accounts.destination,
            token_program: spl_token::ID,
        },
        ballast::instruction::Redeem { amount },
        readonly(reserve_assets),
    )
}

pub fn contribute(contributor: &Pubkey, asset_mint: &Pubkey, source: &Pubkey, amount: u64) -> Instruction {
    let asset = pda::asset(asset_mint);
    build(
        ballast::accounts::Contribute {
            contributor: *contributor,
            protocol: pda::protocol(),
            asset,
            asset_mint: *asset_mint,
            vault: pda::vault(&asset),
            contributor_asset_account: *source,
            token_program: spl_token::ID,
        },
        ballast::instruction::Contribute { amount },
        vec![],
    )
}

pub fn renounce_authority(authority: &Pubkey) -> Instruction {
    build(
        ballast::accounts::RenounceAuthority {
            authority: *authority,
            protocol: pda::protocol(),
            governance: pda::governance(),
        },
        ballast::instruction::RenounceAuthority {},
        vec![],
    )
}

pub fn initialize_governance(authority: &Pubkey, config: GovernanceConfig) -> Instruction {
    build(
        ballast::accounts::InitializeGovernance {
            authority: *authority,
            protocol: pda::protocol(),
            stable_mint: pda::stable_mint(),
            governance: pda::governance(),
            stake_vault: pda::stake_vault(),
            token_program: spl_token::ID,
            system_program: solana_system_interface::program::ID,
        },
        ballast::instruction::InitializeGovernance { config },
        vec![],
    )
}

/// Stakes `amount` stablecoin units from `source`, an account of `owner`'s.
pub fn stake(owner: &Pubkey, source: &Pubkey, amount: u64) -> Instruction {
    build(
        ballast::accounts::Stake {
            owner: *owner,
            protocol: pda::protocol(),
            governance: pda::governance(),
            stake_vault: pda::stake_vault(),
            position: pda::stake_position(owner),
            owner_stable_account: *source,
            token_program: spl_token::ID,
            system_program: solana_system_interface::program::ID,
        },
        ballast::instruction::Stake { amount },
        vec![],
    )
}

/// Withdraws stake; the program values the reserve, so it takes the
/// reserve's asset addresses in index order.
pub fn unstake(owner: &Pubkey, destination: &Pubkey, amount: u64, reserve_assets: &[Pubkey]) -> Instruction {
    build(
        ballast::accounts::Unstake {
            owner: *owner,
            protocol: pda::protocol(),
            governance: pda::governance(),
            stake_vault: pda::stake_vault(),
            position: pda::stake_position(owner),
            destination: *destination,
            token_program: spl_token::ID,
        },
        ballast::instruction::Unstake { amount },
        readonly(reserve_assets),
    )
}

/// Opens proposal number `id` (the governance's current `proposal_count`).
/// Asset parameters need the asset's address.
pub fn propose(proposer: &Pubkey, id: u64, kind: ProposalKind, asset: Option<Pubkey>) -> Instruction {
    build(
        ballast::accounts::Propose {
            proposer: *proposer,
            protocol: pda::protocol(),
            governance: pda::governance(),
            position: pda::stake_position(proposer),
            proposal: pda::proposal(id),
            asset,
            system_program: solana_system_interface::program::ID,
        },
        ballast::instruction::Propose { kind },
        vec![],
    )
}

pub fn vote(voter: &Pubkey, id: u64, ballot: Ballot) -> Instruction {
    let proposal = pda::proposal(id);
    build(
        ballast::accounts::CastVote {
            voter: *voter,
            governance: pda::governance(),
            position: pda::stake_position(voter),
            proposal,
            vote_record: pda::vote_record(&proposal, voter),
            system_program: solana_system_interface::program::ID,
        },
        ballast::instruction::Vote { ballot },
        vec![],
    )
}

fn execute_accounts(id: u64, asset: Option<Pubkey>) -> ballast::accounts::ExecuteProposal {
    ballast::accounts::ExecuteProposal {
        protocol: pda::protocol(),
        governance: pda::governance(),
        proposal: pda::proposal(id),
        oracle_rounds: pda::oracle_rounds(),
        asset,
    }
}

pub fn execute_param(id: u64, asset: Option<Pubkey>) -> Instruction {
    build(execute_accounts(id, asset), ballast::instruction::ExecuteParam {}, vec![])
}

pub fn execute_action(id: u64, asset: Option<Pubkey>) -> Instruction {
    build(execute_accounts(id, asset), ballast::instruction::ExecuteAction {}, vec![])
}

pub fn execute_add_asset(payer: &Pubkey, id: u64, asset_mint: &Pubkey) -> Instruction {
    let asset = pda::asset(asset_mint);
    build(
        ballast::accounts::ExecuteAddAsset {
            payer: *payer,
            protocol: pda::protocol(),
            governance: pda::governance(),
            proposal: pda::proposal(id),
            asset_mint: *asset_mint,
            asset,
            vault: pda::vault(&asset),
            token_program: spl_token::ID,
            system_program: solana_system_interface::program::ID,
        },
        ballast::instruction::ExecuteAddAsset {},
        vec![],
    )
}
