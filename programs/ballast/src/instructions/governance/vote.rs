use anchor_lang::prelude::*;

use crate::events::log_event;
use crate::constants::{GOVERNANCE_SEED, PROPOSAL_SEED, STAKE_SEED, VOTE_SEED};
use crate::errors::BallastError;
use crate::events::Voted;
use crate::instructions::account_creation::{create_pda_account, is_uncreated};
use crate::math;
use crate::state::{Ballot, Governance, Proposal, ProposalKind, StakePosition, VoteRecord};

#[derive(Accounts)]
pub struct CastVote<'info> {
    #[account(mut)]
    pub voter: Signer<'info>,
    #[account(seeds = [GOVERNANCE_SEED], bump = governance.bump)]
    pub governance: Box<Account<'info, Governance>>,
    #[account(mut, seeds = [STAKE_SEED, voter.key().as_ref()], bump = position.bump)]
    pub position: Box<Account<'info, StakePosition>>,
    #[account(mut, seeds = [PROPOSAL_SEED, proposal.id.to_le_bytes().as_ref()], bump = proposal.bump)]
    pub proposal: Box<Account<'info, Proposal>>,
    /// CHECK: this voter's record for this proposal, created by the handler.
    #[account(mut, seeds = [VOTE_SEED, proposal.key().as_ref(), voter.key().as_ref()], bump)]
    pub vote_record: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

/// Votes with the whole stake, which stays locked until the proposal's
/// timelock ends. A position that grew after the proposal opened does not
/// vote on it: stake bought once a vote is known would otherwise decide it
/// for two windows' lock-up (the agent simulation's stake buyer). A deposit
/// in the proposal's own slot still counts; order within a slot is not
/// something the program can see.
pub fn handle_vote(ctx: Context<CastVote>, ballot: Ballot) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let proposal = &mut accounts.proposal;
    let slot = Clock::get()?.slot;
    require!(proposal.is_voting_open(slot), BallastError::VotingClosed);
    require!(is_uncreated(&accounts.vote_record), BallastError::AlreadyVoted);
    let weight = accounts.governance.position_value(&accounts.position);
    require!(weight > 0, BallastError::NoVotingPower);
    require!(
        accounts.position.last_deposit_slot <= proposal.created_slot,
        BallastError::StakedAfterProposal
    );

    match (proposal.kind, ballot) {
        (ProposalKind::Param(key), Ballot::Value(value)) => {
            let max_step = accounts.governance.config.max_step.get();
            key.check_value(value.get(), proposal.reference_value.get(), max_step)?;
            proposal.add_value_vote(key, weight, value.get())?;
        }
        (ProposalKind::Action(_), Ballot::Approve(yes)) => {
            let tally = if yes { &mut proposal.yes_weight } else { &mut proposal.no_weight };
            *tally = tally.checked_add(weight as u128).ok_or_else(math::overflow)?;
        }
        _ => return err!(BallastError::WrongBallot),
    }
    proposal.total_weight = proposal
        .total_weight
        .checked_add(weight as u128)
        .ok_or_else(math::overflow)?;
    let position = &mut accounts.position;
    let lock = proposal.timelock_end_slot(accounts.governance.config.timelock_slots);
    position.locked_until_slot = position.locked_until_slot.max(lock);

    let voter = accounts.voter.key();
    let proposal_key = proposal.key();
    create_pda_account(
        &accounts.voter.to_account_info(),
        &accounts.vote_record,
        &accounts.system_program.to_account_info(),
        8 + VoteRecord::INIT_SPACE,
        &crate::ID,
        &[VOTE_SEED, proposal_key.as_ref(), voter.as_ref(), &[ctx.bumps.vote_record]],
    )?;
    let record = VoteRecord {
        proposal: proposal_key,
        voter,
        weight,
        ballot,
    };
    record.try_serialize(&mut &mut accounts.vote_record.try_borrow_mut_data()?[..])?;
    log_event(&Voted {
        proposal: proposal_key,
        voter,
        weight,
        ballot,
    });
    Ok(())
}
