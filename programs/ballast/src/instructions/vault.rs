//! Moving reserve assets in and out of their vaults.

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Mint, Token, TokenAccount, TransferChecked};

use crate::state::Protocol;

/// Moves `amount` of `mint` from `from` into a vault; `authority` signs.
pub fn deposit_to_vault<'info>(
    from: &Account<'info, TokenAccount>,
    mint: &Account<'info, Mint>,
    vault: &Account<'info, TokenAccount>,
    authority: AccountInfo<'info>,
    token_program: &Program<'info, Token>,
    amount: u64,
) -> Result<()> {
    let accounts = TransferChecked {
        from: from.to_account_info(),
        mint: mint.to_account_info(),
        to: vault.to_account_info(),
        authority,
    };
    token::transfer_checked(CpiContext::new(token_program.key(), accounts), amount, mint.decimals)
}

/// Pays `amount` of `mint` out of a vault to `to`, signed by the protocol PDA.
pub fn pay_from_vault<'info>(
    protocol: &Account<'info, Protocol>,
    vault: &Account<'info, TokenAccount>,
    mint: &Account<'info, Mint>,
    to: &Account<'info, TokenAccount>,
    token_program: &Program<'info, Token>,
    amount: u64,
) -> Result<()> {
    let seeds = protocol.signer_seeds();
    let accounts = TransferChecked {
        from: vault.to_account_info(),
        mint: mint.to_account_info(),
        to: to.to_account_info(),
        authority: protocol.to_account_info(),
    };
    token::transfer_checked(
        CpiContext::new_with_signer(token_program.key(), accounts, &[&seeds]),
        amount,
        mint.decimals,
    )
}
