use anchor_lang::prelude::*;

use crate::events::log_event;
use crate::constants::{GOVERNANCE_SEED, MAX_ASSETS, PROPOSAL_SEED, PROTOCOL_SEED, STAKE_SEED};
use crate::errors::BallastError;
use crate::events::Proposed;
use crate::instructions::account_creation::create_pda_account;
use crate::math::{FixedBits, I80F48};
use crate::state::{
    is_valid_pause_mask, validate_oracle_set, Action, Asset, Governance, Proposal, ProposalKind, Protocol, StakePosition,
};

#[derive(Accounts)]
pub struct Propose<'info> {
    #[account(mut)]
    pub proposer: Signer<'info>,
    #[account(seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut, seeds = [GOVERNANCE_SEED], bump = governance.bump)]
    pub governance: Box<Account<'info, Governance>>,
    #[account(mut, seeds = [STAKE_SEED, proposer.key().as_ref()], bump = position.bump)]
    pub position: Box<Account<'info, StakePosition>>,
    /// CHECK: the next proposal's PDA, created by the handler.
    #[account(mut, seeds = [PROPOSAL_SEED, governance.proposal_count.to_le_bytes().as_ref()], bump)]
    pub proposal: UncheckedAccount<'info>,
    /// The asset an asset parameter belongs to; absent otherwise.
    pub asset: Option<Box<Account<'info, Asset>>>,
    pub system_program: Program<'info, System>,
}

/// Opens a proposal. Parameter proposals record the current value, the
/// centre of the step every vote must stay within.
pub fn handle_propose(ctx: Context<Propose>, kind: ProposalKind) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let governance = &mut accounts.governance;
    require!(
        governance.position_value(&accounts.position) >= governance.config.min_proposal_stake,
        BallastError::StakeTooSmallToPropose
    );
    let protocol = &accounts.protocol;
    let reference_value = match &kind {
        ProposalKind::Param(key) => {
            let asset = proposal_asset(protocol, key.asset_index(), accounts.asset.as_deref())?;
            key.read(protocol, asset)?
        }
        ProposalKind::Action(action) => {
            check_action(protocol, action)?;
            I80F48::ZERO
        }
    };

    let slot = Clock::get()?.slot;
    let id = governance.proposal_count;
    create_pda_account(
        &accounts.proposer.to_account_info(),
        &accounts.proposal,
        &accounts.system_program.to_account_info(),
        8 + Proposal::INIT_SPACE,
        &crate::ID,
        &[PROPOSAL_SEED, id.to_le_bytes().as_ref(), &[ctx.bumps.proposal]],
    )?;
    let proposal = Box::new(Proposal {
        id,
        proposer: accounts.proposer.key(),
        bump: ctx.bumps.proposal,
        kind,
        created_slot: slot,
        voting_end_slot: slot.saturating_add(governance.config.voting_slots),
        stake_snapshot: governance.total_staked,
        reference_value: FixedBits::from(reference_value),
        total_weight: 0,
        weighted_value_sum: [0, 0],
        yes_weight: 0,
        no_weight: 0,
        executed: false,
    });
    proposal.try_serialize(&mut &mut accounts.proposal.try_borrow_mut_data()?[..])?;
    governance.proposal_count += 1;
    // The stake that qualified the proposer stays put while it is decided,
    // so the same stablecoins cannot open proposals from key after key.
    let position = &mut accounts.position;
    let lock = proposal.timelock_end_slot(governance.config.timelock_slots);
    position.locked_until_slot = position.locked_until_slot.max(lock);
    log_event(&Proposed {
        proposal: accounts.proposal.key(),
        id,
        proposer: proposal.proposer,
        voting_end_slot: proposal.voting_end_slot,
    });
    Ok(())
}

/// The asset account an asset parameter needs: present, and the reserve's
/// asset at that index. Protocol parameters take none.
pub fn proposal_asset<'a>(
    protocol: &Protocol,
    index: Option<u8>,
    asset: Option<&'a Account<Asset>>,
) -> Result<Option<&'a Asset>> {
    match (index, asset) {
        (None, _) => Ok(None),
        (Some(index), Some(asset)) => {
            require!(index < protocol.asset_count, BallastError::ProposalAccountMismatch);
            require_keys_eq!(
                asset.key(),
                protocol.assets[index as usize],
                BallastError::ProposalAccountMismatch
            );
            Ok(Some(asset))
        }
        (Some(_), None) => err!(BallastError::ProposalAccountMismatch),
    }
}

/// Refuses an action that could never execute, before anyone votes on it.
fn check_action(protocol: &Protocol, action: &Action) -> Result<()> {
    match action {
        Action::AddAsset { mint, config, .. } => {
            require!(*mint != protocol.stable_mint, BallastError::InvalidAssetMint);
            require!(
                (protocol.asset_count as usize) < MAX_ASSETS,
                BallastError::TooManyAssets
            );
            config.validate()
        }
        Action::SetAssetEnabled { index, .. } => {
            require!(*index < protocol.asset_count, BallastError::ProposalAccountMismatch);
            Ok(())
        }
        Action::SetOracles { oracles, count, quorum } => {
            let set = oracles.get(..*count as usize).ok_or(error!(BallastError::InvalidOracleSet))?;
            validate_oracle_set(set, *quorum)
        }
        Action::SetGuardian { .. } => Ok(()),
        Action::SetPause { paused } => {
            require!(is_valid_pause_mask(*paused), BallastError::ParameterOutOfBounds);
            Ok(())
        }
    }
}
