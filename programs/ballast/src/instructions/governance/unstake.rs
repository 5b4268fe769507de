use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::constants::{GOVERNANCE_SEED, STAKE_SEED};
use crate::errors::BallastError;
use crate::events::Unstaked;
use crate::state::{Governance, StakePosition};

#[derive(Accounts)]
pub struct Unstake<'info> {
    pub owner: Signer<'info>,
    #[account(mut, seeds = [GOVERNANCE_SEED], bump = governance.bump)]
    pub governance: Box<Account<'info, Governance>>,
    #[account(mut, address = governance.stake_vault @ BallastError::InvalidVault)]
    pub stake_vault: Box<Account<'info, TokenAccount>>,
    #[account(
        mut,
        seeds = [STAKE_SEED, owner.key().as_ref()],
        bump = position.bump,
        has_one = owner @ BallastError::Unauthorized,
    )]
    pub position: Box<Account<'info, StakePosition>>,
    #[account(
        mut,
        constraint = destination.mint == stake_vault.mint @ BallastError::InvalidTokenAccount,
    )]
    pub destination: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

/// Withdraws `amount` stablecoins of stake once its cooldown and every vote
/// it joined are over.
pub fn handle_unstake(ctx: Context<Unstake>, amount: u64) -> Result<()> {
    require!(amount > 0, BallastError::ZeroAmount);
    let accounts = &mut *ctx.accounts;
    let position = &mut accounts.position;
    require!(
        Clock::get()?.slot >= position.locked_until_slot,
        BallastError::StakeLocked
    );
    let governance = &mut accounts.governance;
    let shares = governance.shares_for_withdrawal(amount)?;
    require!(shares <= position.shares, BallastError::InsufficientStake);
    position.shares -= shares;
    governance.total_shares -= shares;
    governance.total_staked -= amount;

    token::transfer(
        CpiContext::new_with_signer(
            accounts.token_program.key(),
            Transfer {
                from: accounts.stake_vault.to_account_info(),
                to: accounts.destination.to_account_info(),
                authority: governance.to_account_info(),
            },
            &[&[GOVERNANCE_SEED, &[governance.bump]]],
        ),
        amount,
    )?;
    emit!(Unstaked {
        owner: position.owner,
        amount,
        position_value: governance.stake_value(position.shares),
        total_staked: governance.total_staked,
    });
    Ok(())
}
