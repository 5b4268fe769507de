use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::events::log_event;
use crate::constants::{GOVERNANCE_SEED, PROTOCOL_SEED, STAKE_SEED};
use crate::errors::BallastError;
use crate::events::Staked;
use crate::instructions::account_creation::{create_pda_account, is_uncreated};
use crate::math;
use crate::state::{Governance, Protocol, StakePosition};

#[derive(Accounts)]
pub struct Stake<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut, seeds = [GOVERNANCE_SEED], bump = governance.bump)]
    pub governance: Box<Account<'info, Governance>>,
    #[account(mut, address = governance.stake_vault @ BallastError::InvalidVault)]
    pub stake_vault: Box<Account<'info, TokenAccount>>,
    /// CHECK: the owner's stake position, created by the first stake.
    #[account(mut, seeds = [STAKE_SEED, owner.key().as_ref()], bump)]
    pub position: UncheckedAccount<'info>,
    #[account(
        mut,
        constraint = owner_stable_account.mint == stake_vault.mint @ BallastError::InvalidTokenAccount,
        constraint = owner_stable_account.owner == owner.key() @ BallastError::InvalidTokenAccount,
    )]
    pub owner_stable_account: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Stakes `amount` stablecoins into the backstop. Stake is voting power,
/// and the first layer after insurance to absorb a shortfall; it cannot be
/// withdrawn before `stake_cooldown_slots` have passed.
pub fn handle_stake(ctx: Context<Stake>, amount: u64) -> Result<()> {
    require!(amount > 0, BallastError::ZeroAmount);
    let accounts = &mut *ctx.accounts;
    require!(
        accounts.owner_stable_account.amount >= amount,
        BallastError::InsufficientFunds
    );
    let owner = accounts.owner.key();
    let position_info = accounts.position.to_account_info();
    let mut position = if is_uncreated(&position_info) {
        create_pda_account(
            &accounts.owner.to_account_info(),
            &position_info,
            &accounts.system_program.to_account_info(),
            8 + StakePosition::INIT_SPACE,
            &crate::ID,
            &[STAKE_SEED, owner.as_ref(), &[ctx.bumps.position]],
        )?;
        Box::new(StakePosition {
            owner,
            bump: ctx.bumps.position,
            shares: 0,
            share_generation: accounts.governance.share_generation,
            locked_until_slot: 0,
            last_deposit_slot: 0,
            reserved: [0; 56],
        })
    } else {
        require_keys_eq!(*position_info.owner, crate::ID, ErrorCode::AccountOwnedByWrongProgram);
        Box::new(StakePosition::try_deserialize(&mut &position_info.try_borrow_data()?[..])?)
    };
    let governance = &mut accounts.governance;
    // Shares of a generation wiped out by a bail-in are worth nothing.
    position.shares = governance.live_shares(&position);
    position.share_generation = governance.share_generation;
    let shares = governance.shares_for_deposit(amount)?;
    require!(shares > 0, BallastError::AmountTooSmall);
    position.shares = position.shares.checked_add(shares).ok_or_else(math::overflow)?;
    governance.total_shares = governance.total_shares.checked_add(shares).ok_or_else(math::overflow)?;
    governance.total_staked = governance.total_staked.checked_add(amount).ok_or_else(math::overflow)?;
    let slot = Clock::get()?.slot;
    let cooldown_ends = slot.saturating_add(accounts.protocol.params.risk.stake_cooldown_slots);
    position.locked_until_slot = position.locked_until_slot.max(cooldown_ends);
    position.last_deposit_slot = slot;

    token::transfer(
        CpiContext::new(
            accounts.token_program.key(),
            Transfer {
                from: accounts.owner_stable_account.to_account_info(),
                to: accounts.stake_vault.to_account_info(),
                authority: accounts.owner.to_account_info(),
            },
        ),
        amount,
    )?;
    position.try_serialize(&mut &mut position_info.try_borrow_mut_data()?[..])?;
    log_event(&Staked {
        owner,
        amount,
        position_value: governance.position_value(&position),
        total_staked: governance.total_staked,
    });
    Ok(())
}
