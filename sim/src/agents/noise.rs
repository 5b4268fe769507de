//! Noise traders: small buys and sells of random size on the pool each
//! window, and on the crash day a panic that dumps a share of the pool's
//! stablecoins on it at once.

use anyhow::Result;
use ballast_app::demo::World;
use ballast_sdk::{Chain, Keypair, Pubkey};
use rand::rngs::StdRng;
use rand::Rng;
use rand_distr::{Distribution, Exp};

use super::market_maker::MarketMaker;
use super::{mint_stable, MarketConfig, PoolAccounts};
use crate::pool::Trade;

pub struct NoiseTraders {
    key: Keypair,
    trades: usize,
    mean_size: f64,
}

impl NoiseTraders {
    /// Dollars to buy with, and stablecoins (minted through the program) to
    /// sell and to panic with.
    pub(super) fn open(chain: &mut dyn Chain, world: &World, config: &MarketConfig) -> Result<Self> {
        let key = world.fund(chain, &[("USDC", 3.0 * config.pool_depth)])?;
        mint_stable(chain, world, &key, 1.5 * config.pool_depth)?;
        Ok(Self {
            key,
            trades: config.noise_trades,
            mean_size: config.noise_size,
        })
    }

    /// The window's trades, each with the market maker when its quote is
    /// better and else with the pool; `panic` is the share of the pool's
    /// stablecoins dumped on the pool after them.
    pub(super) fn trade(
        &mut self,
        chain: &mut dyn Chain,
        pool: &PoolAccounts,
        usdc: &Pubkey,
        rng: &mut StdRng,
        mut maker: Option<&mut MarketMaker>,
        panic: Option<f64>,
    ) -> Result<()> {
        let sizes = Exp::new(1.0 / self.mean_size).expect("a positive mean size");
        for _ in 0..self.trades {
            let size = sizes.sample(rng);
            let trade = if rng.random_bool(0.5) {
                Trade::SellStable(size)
            } else {
                Trade::BuyStable(size * pool.read(chain)?.price())
            };
            let filled = match maker.as_deref_mut() {
                Some(maker) => maker.try_fill(chain, pool, usdc, &self.key, trade)?,
                None => false,
            };
            if !filled {
                pool.trade(chain, usdc, &self.key, trade)?;
            }
        }
        if let Some(share) = panic {
            let dump = share * pool.read(chain)?.stable;
            pool.trade(chain, usdc, &self.key, Trade::SellStable(dump))?;
        }
        Ok(())
    }
}
