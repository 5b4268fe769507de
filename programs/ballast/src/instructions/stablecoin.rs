//! Minting and burning the stablecoin with the protocol PDA's authority.

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Burn, Mint, MintTo, Token, TokenAccount};

use crate::state::Protocol;

/// Mints `amount` stablecoins to `to`, signed by the protocol PDA.
pub fn mint_stable<'info>(
    protocol: &Account<'info, Protocol>,
    stable_mint: &Account<'info, Mint>,
    to: &Account<'info, TokenAccount>,
    token_program: &Program<'info, Token>,
    amount: u64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let seeds = protocol.signer_seeds();
    token::mint_to(
        CpiContext::new_with_signer(
            token_program.key(),
            MintTo {
                mint: stable_mint.to_account_info(),
                to: to.to_account_info(),
                authority: protocol.to_account_info(),
            },
            &[&seeds],
        ),
        amount,
    )
}

/// Burns `amount` stablecoins from `from`, an account `authority` controls
/// (signing with `signer_seeds` when it is a PDA).
pub fn burn_stable<'info>(
    stable_mint: &Account<'info, Mint>,
    from: &Account<'info, TokenAccount>,
    authority: AccountInfo<'info>,
    token_program: &Program<'info, Token>,
    signer_seeds: &[&[&[u8]]],
    amount: u64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    token::burn(
        CpiContext::new_with_signer(
            token_program.key(),
            Burn {
                mint: stable_mint.to_account_info(),
                from: from.to_account_info(),
                authority,
            },
            signer_seeds,
        ),
        amount,
    )
}
