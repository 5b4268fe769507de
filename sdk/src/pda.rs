//! Program-derived addresses, with the program's own seeds.

use ballast::constants::{ASSET_SEED, PROTOCOL_SEED, STABLE_MINT_SEED, VAULT_SEED};
use solana_sdk::pubkey::Pubkey;

fn find(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &ballast::ID).0
}

pub fn protocol() -> Pubkey {
    find(&[PROTOCOL_SEED])
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
