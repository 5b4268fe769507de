//! Creating the program's PDAs without Anchor's `init`.
//!
//! Anyone can send lamports to a PDA's address before it exists. Anchor
//! 1.2's `init` then switches to the `CreateAccountAllowPrefund` system
//! instruction, which runtimes before SIMD-0312 reject: one cheap transfer
//! would block an initialisation for good. This helper funds, allocates and
//! assigns a prefunded address instead, and says plainly when an account
//! already exists.

use anchor_lang::prelude::*;
use anchor_lang::system_program::{self, Allocate, Assign, CreateAccount, Transfer};

/// True when `account` has never been created: no data, owned by the
/// system program (it may hold lamports).
pub fn is_uncreated(account: &AccountInfo) -> bool {
    account.data_is_empty() && *account.owner == system_program::ID
}

/// Creates the PDA `target` (signed for by `seeds`) with `space` bytes,
/// rent-exempt and owned by `owner`, paid by `payer`.
pub fn create_pda_account<'info>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
    space: usize,
    owner: &Pubkey,
    seeds: &[&[u8]],
) -> Result<()> {
    let rent_exempt = Rent::get()?.minimum_balance(space);
    let program = system_program.key();
    let signer = &[seeds];
    let current = target.lamports();
    if current == 0 {
        let accounts = CreateAccount {
            from: payer.clone(),
            to: target.clone(),
        };
        return system_program::create_account(
            CpiContext::new_with_signer(program, accounts, signer),
            rent_exempt,
            space as u64,
            owner,
        );
    }
    let shortfall = rent_exempt.saturating_sub(current);
    if shortfall > 0 {
        let accounts = Transfer {
            from: payer.clone(),
            to: target.clone(),
        };
        system_program::transfer(CpiContext::new(program, accounts), shortfall)?;
    }
    let allocate = Allocate {
        account_to_allocate: target.clone(),
    };
    system_program::allocate(CpiContext::new_with_signer(program, allocate, signer), space as u64)?;
    let assign = Assign {
        account_to_assign: target.clone(),
    };
    system_program::assign(CpiContext::new_with_signer(program, assign, signer), owner)
}
