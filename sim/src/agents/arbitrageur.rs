//! The arbitrageur: when the pool's price is above what a stablecoin costs
//! to mint (fee included) it mints with USDC through the program and sells
//! into the pool; when it is below what redeeming pays (at min(r, CR), less
//! the fee) it buys from the pool and redeems. Each time it trades just to
//! the edge of that band, within its capital, and what the program refuses
//! (paused, limits, the CR regime) is recorded.

use anyhow::Result;
use ballast_app::demo::World;
use ballast_sdk::program::constants::pause;
use ballast_sdk::{accounts, status, Chain, Keypair, Pubkey, Signer};
use serde::Serialize;

use super::{holdings, mint_stable, PoolAccounts};
use crate::pool::Trade;

/// What the arbitrageur did in a window.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Arbitrage {
    /// Stablecoins minted and sold into the pool.
    pub minted_and_sold: f64,
    /// Stablecoins bought from the pool and redeemed.
    pub bought_and_redeemed: f64,
    /// Why the program would not let it close a gap the band called for.
    pub refused: Option<String>,
}

/// The band inside which the pool's price sits with no arbitrage to make,
/// for the program's fees now, the redemption rate and the pool's fee.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Band {
    /// What a stablecoin costs to mint with USDC, sold into the pool.
    pub ceiling: f64,
    /// What redeeming one pays, bought from the pool.
    pub floor: f64,
}

impl Band {
    pub fn read(chain: &mut dyn Chain, pool_fee: f64) -> Result<Self> {
        let protocol = accounts::protocol(chain)?;
        let reserve = status::reserve_status(chain)?;
        let rate = protocol.redemption_rate.min(reserve.collateral_ratio.unwrap_or(1.0)).min(1.0);
        Ok(Self {
            ceiling: 1.0 / ((1.0 - protocol.fee_mint) * (1.0 - pool_fee)),
            floor: rate * (1.0 - protocol.fee_redeem) * (1.0 - pool_fee),
        })
    }
}

pub struct Arbitrageur {
    key: Keypair,
    capital: f64,
}

impl Arbitrageur {
    pub(super) fn open(chain: &mut dyn Chain, world: &World, capital: f64) -> Result<Self> {
        Ok(Self {
            key: world.fund(chain, &[("USDC", capital)])?,
            capital,
        })
    }

    /// Its dollars and coins at `price`, less what it started with.
    pub(super) fn profit(&self, chain: &mut dyn Chain, usdc: &Pubkey, price: f64) -> Result<f64> {
        let (stable, usd) = holdings(chain, &self.key.pubkey(), usdc)?;
        Ok(usd + stable * price - self.capital)
    }

    pub(super) fn act(
        &mut self,
        chain: &mut dyn Chain,
        world: &World,
        pool: &PoolAccounts,
        usdc: &Pubkey,
        band: Band,
    ) -> Result<Arbitrage> {
        let now = pool.read(chain)?;
        let (_, dollars) = holdings(chain, &self.key.pubkey(), usdc)?;
        let paused = {
            let protocol = accounts::protocol(chain)?;
            protocol.raw.paused_at(chain.slot()?)
        };
        let mut done = Arbitrage::default();
        if now.price() > band.ceiling {
            let Some(Trade::SellStable(stable)) = now.trade_to(band.ceiling) else { return Ok(done) };
            if paused & pause::MINT != 0 {
                done.refused = Some("minting is paused".into());
                return Ok(done);
            }
            let cost = (stable * band.ceiling * (1.0 - pool.fee)).min(dollars);
            match mint_stable(chain, world, &self.key, cost) {
                Ok(minted) => {
                    pool.trade(chain, usdc, &self.key, Trade::SellStable(minted))?;
                    done.minted_and_sold = minted;
                }
                Err(error) => done.refused = Some(format!("{error:#}")),
            }
        } else if now.price() < band.floor {
            let Some(Trade::BuyStable(usd)) = now.trade_to(band.floor) else { return Ok(done) };
            if paused & pause::REDEEM != 0 {
                done.refused = Some("redeeming is paused".into());
                return Ok(done);
            }
            let bought = pool.trade(chain, usdc, &self.key, Trade::BuyStable(usd.min(dollars)))?;
            let (held, _) = holdings(chain, &self.key.pubkey(), usdc)?;
            let amount = format!("{:.6}", held.min(bought));
            // Cash first; bills when the cash vault cannot pay.
            let assets = &world.deployment().assets;
            let redeemed = ballast_app::holder::redeem(chain, &self.key, assets, "USDC", &amount)
                .or_else(|_| ballast_app::holder::redeem(chain, &self.key, assets, "TBILL", &amount));
            match redeemed {
                Ok(_) => done.bought_and_redeemed = bought,
                Err(error) => done.refused = Some(format!("{error:#}")),
            }
        }
        Ok(done)
    }
}
