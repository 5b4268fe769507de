//! What the keeper reads before it decides: the protocol, every reserve
//! asset, whether governance exists, and the keeper's own token balances.

use ballast_sdk::accounts::{self, AssetView, ProtocolView};
use ballast_sdk::program::instructions::reserve::Valuation;
use ballast_sdk::program::math::{CapitalBase, I80F48};
use ballast_sdk::program::state::Asset;
use ballast_sdk::{pda, token, Chain, ChainError, Pubkey};

/// The chain state one decision is made on.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub slot: u64,
    pub protocol: ProtocolView,
    /// Every reserve asset, in index order.
    pub assets: Vec<AssetView>,
    /// `absorb_shortfall` burns from the backstop, so it needs governance.
    pub governance_exists: bool,
    pub keeper: KeeperBalances,
}

/// The keeper's token balances; `None` where it has no associated account yet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeeperBalances {
    pub stable: Option<u64>,
    /// One entry per reserve asset, in index order.
    pub assets: Vec<Option<u64>>,
}

impl Snapshot {
    /// Reads everything a decision needs. The clock is read first, so that
    /// no account is older than the slot the decision is made at.
    pub fn read(chain: &mut dyn Chain, keeper: &Pubkey) -> Result<Self, ChainError> {
        let slot = chain.slot()?;
        let protocol = accounts::protocol(chain)?;
        let assets = accounts::assets(chain, &protocol)?;
        let governance_exists = chain.account(&pda::governance())?.is_some();
        let stable = token::associated_balance(chain, keeper, &protocol.stable_mint)?;
        let asset_balances = assets
            .iter()
            .map(|asset| token::associated_balance(chain, keeper, &asset.mint))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            slot,
            protocol,
            assets,
            governance_exists,
            keeper: KeeperBalances {
                stable,
                assets: asset_balances,
            },
        })
    }

    /// The asset with `mint`, if it is in the reserve.
    pub fn asset_index(&self, mint: &Pubkey) -> Option<usize> {
        self.assets.iter().position(|asset| asset.mint == *mint)
    }

    pub fn reserve_assets(&self) -> Vec<Pubkey> {
        self.protocol.assets.clone()
    }

    /// One asset's vault value as the program's `value_reserve` counts it.
    /// `None` where that valuation would fail the instruction.
    pub fn asset_value(&self, asset: &Asset, valuation: Valuation) -> Option<I80F48> {
        match valuation.priced_value(asset, self.slot) {
            Err(_) if valuation == Valuation::Lenient => Some(I80F48::ZERO),
            result => result.ok(),
        }
    }

    /// V as the program's `value_reserve` computes it; `None` where it
    /// would fail the instruction (an unusable price under a strict valuation).
    pub fn reserve_value(&self, valuation: Valuation) -> Option<I80F48> {
        self.assets.iter().try_fold(I80F48::ZERO, |total, asset| {
            total.checked_add(self.asset_value(&asset.raw, valuation)?)
        })
    }

    /// The capital tiers and risk-weighted assets of [`Self::reserve_value`],
    /// as the program's `value_reserve` sums them (tier 1 is the cash).
    pub fn capital(&self, valuation: Valuation) -> Option<CapitalBase> {
        self.assets.iter().try_fold(CapitalBase::default(), |base, asset| {
            asset.raw.move_capital(base, self.asset_value(&asset.raw, valuation)?, true).ok()
        })
    }
}
