//! SPL Token helpers: mints and accounts for reserve assets and holders.

use anchor_spl::associated_token::{self, get_associated_token_address};
use anchor_spl::token::spl_token;
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

/// The owner's associated token account for `mint`, created if missing.
pub fn associated_account(
    chain: &mut dyn Chain,
    payer: &Keypair,
    owner: &Pubkey,
    mint: &Pubkey,
) -> Result<Pubkey, ChainError> {
    let address = get_associated_token_address(owner, mint);
    if chain.account(&address)?.is_none() {
        let create = associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
            &payer.pubkey(),
            owner,
            mint,
            &spl_token::ID,
        );
        chain.send(&[create], payer, &[])?;
    }
    Ok(address)
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

fn unpack<T: Pack + IsInitialized>(chain: &mut dyn Chain, address: &Pubkey) -> Result<T, ChainError> {
    let decode = |reason: String| ChainError::Decode {
        address: *address,
        reason,
    };
    let account = chain
        .account(address)?
        .ok_or_else(|| decode("no such account".into()))?;
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
