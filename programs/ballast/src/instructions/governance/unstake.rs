use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::events::log_event;
use crate::constants::{GOVERNANCE_SEED, PROTOCOL_SEED, STAKE_SEED};
use crate::errors::BallastError;
use crate::events::Unstaked;
use crate::instructions::keeper::breaker_condition;
use crate::instructions::reserve::{value_reserve, Valuation};
use crate::math::{self, I80F48};
use crate::state::{Governance, Protocol, StakePosition};

#[derive(Accounts)]
pub struct Unstake<'info> {
    pub owner: Signer<'info>,
    #[account(seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
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
/// it joined are over. The backstop cannot leave ahead of a bail-in, so
/// stake stays while the breaker is tripped or holders bear a haircut
/// (`BackstopFrozen`), and while the chain can already see trouble that has
/// not been cranked yet: the breaker's condition holds, or CR valued at the
/// lower conservative prices is below CR_crit (`BackstopAtRisk`). Every
/// price must be usable: a reserve that cannot be valued cannot release it.
/// Remaining accounts: every `Asset`, in index order.
pub fn handle_unstake<'info>(ctx: Context<'info, Unstake<'info>>, amount: u64) -> Result<()> {
    require!(amount > 0, BallastError::ZeroAmount);
    let accounts = &mut *ctx.accounts;
    let position = &mut accounts.position;
    let slot = Clock::get()?.slot;
    require!(slot >= position.locked_until_slot, BallastError::StakeLocked);
    let protocol = &accounts.protocol;
    require!(
        protocol.breaker_paused == 0 && protocol.redemption_rate.get() >= I80F48::ONE,
        BallastError::BackstopFrozen
    );
    let value = value_reserve(protocol, None, ctx.remaining_accounts, slot, Valuation::Strict)?.total;
    let breaker_holds = breaker_condition(protocol, value)?.holds();
    let cr = math::collateral_ratio_floor(value, protocol.supply)?;
    require!(
        !breaker_holds && cr.is_none_or(|cr| cr >= protocol.params.cr_crit.get()),
        BallastError::BackstopAtRisk
    );
    let governance = &mut accounts.governance;
    let shares = governance.shares_for_withdrawal(amount)?;
    require!(shares <= governance.live_shares(position), BallastError::InsufficientStake);
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
    log_event(&Unstaked {
        owner: position.owner,
        amount,
        position_value: governance.position_value(position),
        total_staked: governance.total_staked,
    });
    Ok(())
}
