use anchor_lang::prelude::*;

use crate::constants::{MAX_ORACLES, ORACLE_ROUNDS_SEED, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::events::{log_event, OracleSetActivated};
use crate::state::{OracleRounds, Protocol};

#[derive(Accounts)]
pub struct RegisterOracles<'info> {
    pub authority: Signer<'info>,
    #[account(
        mut,
        seeds = [PROTOCOL_SEED],
        bump = protocol.bump,
        has_one = authority @ BallastError::Unauthorized,
    )]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut, seeds = [ORACLE_ROUNDS_SEED], bump)]
    pub rounds: AccountLoader<'info, OracleRounds>,
}

/// Names a new deployment's oracle set and quorum in place of the one it
/// was initialized with: up to eight keys would take `initialize` past the
/// packet size, so deployments register them in a transaction of their
/// own. Only the authority, and only before the first round opens
/// (`OracleRoundsStarted`); after that the set changes through governance
/// (`SetOracles`), at a round boundary.
pub fn handle_register_oracles(ctx: Context<RegisterOracles>, oracles: Vec<Pubkey>, quorum: u8) -> Result<()> {
    require!(oracles.len() <= MAX_ORACLES, BallastError::InvalidOracleSet);
    let mut rounds = ctx.accounts.rounds.load_mut()?;
    require!(rounds.round == 0, BallastError::OracleRoundsStarted);
    ctx.accounts.protocol.set_oracles(&oracles, quorum)?;
    rounds.rekey_stats(&oracles);
    log_event(&OracleSetActivated {
        round: 0,
        oracles: oracles.len() as u8,
        quorum,
    });
    Ok(())
}
