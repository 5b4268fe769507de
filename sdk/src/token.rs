//! SPL Token helpers: mints and accounts for reserve assets and holders.

use anchor_spl::associated_token::{self, get_associated_token_address};
pub use anchor_spl::token::spl_token;
use solana_sdk::account::Account;
use solana_sdk::instruction::Instruction;
use solana_sdk::program_pack::{IsInitialized, Pack};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

use crate::chain::{Chain, ChainError};

pub use spl_token::state::{Account as TokenAccount, Mint};

/// Creates a new SPL mint at `mint`'s address.
pub fn create_mint(
    chain: &mut dyn Chain,
    payer: &Keypair,
    mint: &Keypair,
    mint_authority: &Pubkey,
    decimals: u8,
) -> Result<(), ChainError> {
    let lamports = chain.rent_exempt_minimum(Mint::LEN)?;
    let instructions = [
        solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &mint.pubkey(),
            lamports,
            Mint::LEN as u64,
            &spl_token::ID,
        ),
        spl_token::instruction::initialize_mint2(&spl_token::ID, &mint.pubkey(), mint_authority, None, decimals)
            .expect("valid initialize_mint2"),
    ];
    chain.send(&instructions, payer, &[mint])?;
    Ok(())
}

/// The address of `owner`'s associated token account for `mint`.
pub fn associated_address(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    get_associated_token_address(owner, mint)
}

/// Creates `owner`'s associated account for `mint`; a no-op if it exists,
/// so a retried transaction that carries it cannot fail on it.
pub fn create_associated_account(payer: &Pubkey, owner: &Pubkey, mint: &Pubkey) -> Instruction {
    associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
        payer,
        owner,
        mint,
        &spl_token::ID,
    )
}

/// The owner's associated token account for `mint`, created if missing.
pub fn associated_account(
    chain: &mut dyn Chain,
    payer: &Keypair,
    owner: &Pubkey,
    mint: &Pubkey,
) -> Result<Pubkey, ChainError> {
    let address = associated_address(owner, mint);
    if chain.account(&address)?.is_none() {
        chain.send(&[create_associated_account(&payer.pubkey(), owner, mint)], payer, &[])?;
    }
    Ok(address)
}

/// The balance of `owner`'s associated account for `mint`; `None` while
/// that account does not exist.
pub fn associated_balance(chain: &mut dyn Chain, owner: &Pubkey, mint: &Pubkey) -> Result<Option<u64>, ChainError> {
    let address = associated_address(owner, mint);
    match chain.account(&address)? {
        None => Ok(None),
        Some(account) => unpack_account::<TokenAccount>(&address, &account).map(|a| Some(a.amount)),
    }
}

/// Mints `amount` base units to `destination`.
pub fn mint_to(
    chain: &mut dyn Chain,
    payer: &Keypair,
    mint: &Pubkey,
    mint_authority: &Keypair,
    destination: &Pubkey,
    amount: u64,
) -> Result<(), ChainError> {
    let instruction = spl_token::instruction::mint_to(
        &spl_token::ID,
        mint,
        destination,
        &mint_authority.pubkey(),
        &[],
        amount,
    )
    .expect("valid mint_to");
    chain.send(&[instruction], payer, &[mint_authority])?;
    Ok(())
}

/// Moves `amount` base units from `source`, an account of `owner`'s, to `destination`.
pub fn transfer(
    chain: &mut dyn Chain,
    payer: &Keypair,
    source: &Pubkey,
    destination: &Pubkey,
    owner: &Keypair,
    amount: u64,
) -> Result<(), ChainError> {
    let instruction = transfer_instruction(source, destination, &owner.pubkey(), amount);
    chain.send(&[instruction], payer, &[owner])?;
    Ok(())
}

/// The SPL Token transfer of `amount` from `source` (of `owner`) to `destination`.
pub fn transfer_instruction(source: &Pubkey, destination: &Pubkey, owner: &Pubkey, amount: u64) -> Instruction {
    spl_token::instruction::transfer(&spl_token::ID, source, destination, owner, &[], amount).expect("valid transfer")
}

fn unpack<T: Pack + IsInitialized>(chain: &mut dyn Chain, address: &Pubkey) -> Result<T, ChainError> {
    let account = chain.account(address)?.ok_or_else(|| ChainError::Decode {
        address: *address,
        reason: "no such account".into(),
    })?;
    unpack_account(address, &account)
}

fn unpack_account<T: Pack + IsInitialized>(address: &Pubkey, account: &Account) -> Result<T, ChainError> {
    let decode = |reason: String| ChainError::Decode {
        address: *address,
        reason,
    };
    if account.owner != spl_token::ID {
        return Err(decode(format!("owned by {}, not SPL Token", account.owner)));
    }
    T::unpack(&account.data).map_err(|e| decode(e.to_string()))
}

pub fn token_account(chain: &mut dyn Chain, address: &Pubkey) -> Result<TokenAccount, ChainError> {
    unpack(chain, address)
}

pub fn balance(chain: &mut dyn Chain, address: &Pubkey) -> Result<u64, ChainError> {
    Ok(token_account(chain, address)?.amount)
}

pub fn mint(chain: &mut dyn Chain, address: &Pubkey) -> Result<Mint, ChainError> {
    unpack(chain, address)
}

/// Creates a token account at `account`'s address (not an associated one).
pub fn create_token_account(
    chain: &mut dyn Chain,
    payer: &Keypair,
    account: &Keypair,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Result<(), ChainError> {
    let lamports = chain.rent_exempt_minimum(TokenAccount::LEN)?;
    let instructions = [
        solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &account.pubkey(),
            lamports,
            TokenAccount::LEN as u64,
            &spl_token::ID,
        ),
        spl_token::instruction::initialize_account3(&spl_token::ID, &account.pubkey(), mint, owner)
            .expect("valid initialize_account3"),
    ];
    chain.send(&instructions, payer, &[account])?;
    Ok(())
}
