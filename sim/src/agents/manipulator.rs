//! An adversary who drags the market maker's TWAP (seed 002's "an attempt
//! to move a thin secondary market"): at each window's close, after the
//! arbitrageur has traded, it buys `push` dollars of stablecoins from the
//! pool, so the close the maker averages is high. At the next window's
//! start it sells what it can to the maker at the inflated bid, and the
//! rest back to the pool.

use anyhow::Result;
use ballast_app::demo::World;
use ballast_sdk::{Chain, Keypair, Pubkey, Signer};
use serde::Serialize;

use super::market_maker::MarketMaker;
use super::{holdings, mint_stable, PoolAccounts};
use crate::pool::Trade;

/// The adversary's running account.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ManipulatorBook {
    /// Stablecoins it sold to the market maker.
    pub sold_to_maker: f64,
    /// Its dollars and stablecoins (at the last pool price) less its start.
    pub profit: f64,
}

pub struct Manipulator {
    key: Keypair,
    push: f64,
    /// Stablecoins bought at the last close, to unload.
    held: f64,
    start_value: f64,
    pub book: ManipulatorBook,
}

impl Manipulator {
    /// With `capital` dollars, a quarter of them minted into stablecoins.
    pub(super) fn open(chain: &mut dyn Chain, world: &World, capital: f64, push: f64) -> Result<Self> {
        let key = world.fund(chain, &[("USDC", capital)])?;
        let stable = mint_stable(chain, world, &key, capital / 4.0)?;
        Ok(Self {
            key,
            push,
            held: 0.0,
            start_value: capital * 3.0 / 4.0 + stable,
            book: ManipulatorBook::default(),
        })
    }

    /// The window's start: last close's stablecoins to the maker while its
    /// bid beats the pool, the rest to the pool.
    pub(super) fn unload(&mut self, chain: &mut dyn Chain, pool: &PoolAccounts, usdc: &Pubkey, maker: &mut MarketMaker) -> Result<()> {
        let mut left = self.held;
        let lot = maker.quote_size();
        while left > 1.0 {
            let size = left.min(lot);
            if !maker.try_fill(chain, pool, usdc, &self.key, Trade::SellStable(size))? {
                break;
            }
            self.book.sold_to_maker += size;
            left -= size;
        }
        if left > 1.0 {
            pool.trade(chain, usdc, &self.key, Trade::SellStable(left))?;
        }
        self.held = 0.0;
        Ok(())
    }

    /// The window's close: the push that lifts the price the maker records.
    /// Its book is marked at `price`, the window's price before the push.
    pub(super) fn push(&mut self, chain: &mut dyn Chain, pool: &PoolAccounts, usdc: &Pubkey, price: f64) -> Result<()> {
        self.held = pool.trade(chain, usdc, &self.key, Trade::BuyStable(self.push))?;
        let (stable, usd) = holdings(chain, &self.key.pubkey(), usdc)?;
        self.book.profit = usd + stable * price - self.start_value;
        Ok(())
    }
}
