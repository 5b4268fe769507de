//! Program-derived addresses, with the program's own seeds.

use ballast::constants::{
    ASSET_SEED, GOVERNANCE_SEED, INSURANCE_SEED, ORACLE_ROUNDS_SEED, PROPOSAL_SEED, PROTOCOL_SEED, STABLE_MINT_SEED, STAKE_SEED, STAKE_VAULT_SEED, VAULT_SEED,
    VOTE_SEED,
};
use solana_sdk::pubkey::Pubkey;

fn find(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &ballast::ID).0
}

/// The program's ProgramData account under the upgradeable loader, which
/// records its upgrade authority: the only key that may `initialize`.
pub fn program_data() -> Pubkey {
    Pubkey::find_program_address(&[ballast::ID.as_ref()], &anchor_lang::solana_program::bpf_loader_upgradeable::ID).0
}

pub fn protocol() -> Pubkey {
    find(&[PROTOCOL_SEED])
}

pub fn oracle_rounds() -> Pubkey {
    find(&[ORACLE_ROUNDS_SEED])
}

pub fn stable_mint() -> Pubkey {
    find(&[STABLE_MINT_SEED, protocol().as_ref()])
}

pub fn asset(asset_mint: &Pubkey) -> Pubkey {
    find(&[ASSET_SEED, asset_mint.as_ref()])
}

pub fn vault(asset: &Pubkey) -> Pubkey {
    find(&[VAULT_SEED, asset.as_ref()])
}

pub fn insurance_vault() -> Pubkey {
    find(&[INSURANCE_SEED])
}

pub fn governance() -> Pubkey {
    find(&[GOVERNANCE_SEED])
}

pub fn stake_vault() -> Pubkey {
    find(&[STAKE_VAULT_SEED])
}

pub fn stake_position(owner: &Pubkey) -> Pubkey {
    find(&[STAKE_SEED, owner.as_ref()])
}

pub fn proposal(id: u64) -> Pubkey {
    find(&[PROPOSAL_SEED, id.to_le_bytes().as_ref()])
}

pub fn vote_record(proposal: &Pubkey, voter: &Pubkey) -> Pubkey {
    find(&[VOTE_SEED, proposal.as_ref(), voter.as_ref()])
}
