use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::{self, spl_token, InitializeAccount3, Mint, Token};

use crate::constants::{GOVERNANCE_SEED, PROTOCOL_SEED, STAKE_VAULT_SEED};
use crate::errors::BallastError;
use crate::instructions::account_creation::{create_pda_account, is_uncreated};
use crate::state::{Governance, GovernanceConfig, Protocol, PARAM_SLOTS};

#[derive(Accounts)]
pub struct InitializeGovernance<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(
        seeds = [PROTOCOL_SEED],
        bump = protocol.bump,
        has_one = authority @ BallastError::Unauthorized,
    )]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(address = protocol.stable_mint @ BallastError::InvalidStableMint)]
    pub stable_mint: Box<Account<'info, Mint>>,
    /// CHECK: the governance PDA, created by the handler.
    #[account(mut, seeds = [GOVERNANCE_SEED], bump)]
    pub governance: UncheckedAccount<'info>,
    /// CHECK: the stake vault PDA, created by the handler as a token account.
    #[account(mut, seeds = [STAKE_VAULT_SEED], bump)]
    pub stake_vault: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Creates governance and the backstop stake vault. Signed by the bootstrap
/// authority, once; the authority then renounces its own powers.
pub fn handle_initialize_governance(ctx: Context<InitializeGovernance>, config: GovernanceConfig) -> Result<()> {
    let accounts = &ctx.accounts;
    require!(is_uncreated(&accounts.governance), BallastError::GovernanceAlreadyInitialized);
    config.validate()?;

    let payer = accounts.authority.to_account_info();
    let system = accounts.system_program.to_account_info();
    create_pda_account(
        &payer,
        &accounts.governance,
        &system,
        8 + Governance::INIT_SPACE,
        &crate::ID,
        &[GOVERNANCE_SEED, &[ctx.bumps.governance]],
    )?;
    create_pda_account(
        &payer,
        &accounts.stake_vault,
        &system,
        spl_token::state::Account::LEN,
        &token::ID,
        &[STAKE_VAULT_SEED, &[ctx.bumps.stake_vault]],
    )?;
    let vault = InitializeAccount3 {
        account: accounts.stake_vault.to_account_info(),
        mint: accounts.stable_mint.to_account_info(),
        authority: accounts.governance.to_account_info(),
    };
    token::initialize_account3(CpiContext::new(accounts.token_program.key(), vault))?;

    let governance = Box::new(Governance {
        bump: ctx.bumps.governance,
        stake_vault_bump: ctx.bumps.stake_vault,
        stake_vault: accounts.stake_vault.key(),
        config,
        total_staked: 0,
        total_shares: 0,
        share_generation: 0,
        proposal_count: 0,
        last_change_epoch: [u64::MAX; PARAM_SLOTS],
        reserved: [0; 128],
    });
    governance.try_serialize(&mut &mut accounts.governance.try_borrow_mut_data()?[..])
}
