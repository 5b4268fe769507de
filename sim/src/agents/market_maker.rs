//! A market maker quoting around the pool's TWAP (seed 002): bid and ask at
//! TWAP ∓ half its spread, for up to `quote_size` stablecoins a trade. Its
//! spread is fixed, or adapts: wider when the price has been volatile and
//! when the pool has thinned out. Noise trades fill against it when its
//! quote beats the pool's; its inventory and profit are tracked.

use std::collections::VecDeque;

use anyhow::Result;
use ballast_app::demo::World;
use ballast_sdk::{pda, token, Chain, Keypair, Pubkey, Signer};
use serde::{Deserialize, Serialize};

use super::{holdings, mint_stable, units, PoolAccounts};
use crate::pool::{Pool, Trade};

/// How the market maker sets its spread (the full width, as a fraction of the TWAP).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SpreadPolicy {
    Fixed { spread: f64 },
    /// base + per_volatility · sigma (of the last windows' log price moves)
    /// + per_thinness · (opening depth / depth − 1, when the pool is thinner).
    Adaptive { base: f64, per_volatility: f64, per_thinness: f64 },
}

/// Windows behind the TWAP and the volatility.
const TWAP_WINDOWS: usize = 5;

/// What the market maker ended with.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MakerBook {
    pub fills: usize,
    /// Stablecoins it bought and sold.
    pub volume: f64,
    /// Its value at the last pool price, less what it started with.
    pub profit: f64,
    /// The standard deviation of its stablecoin inventory over the windows.
    pub inventory_risk: f64,
}

pub struct MarketMaker {
    key: Keypair,
    policy: SpreadPolicy,
    quote_size: f64,
    opening_depth: f64,
    /// Recent window prices, newest last.
    prices: VecDeque<f64>,
    start_value: f64,
    inventory: Vec<f64>,
    pub book: MakerBook,
}

impl MarketMaker {
    /// With `capital` dollars, half of it minted into stablecoins.
    pub(super) fn open(
        chain: &mut dyn Chain,
        world: &World,
        policy: SpreadPolicy,
        capital: f64,
        quote_size: f64,
        opening_depth: f64,
    ) -> Result<Self> {
        let key = world.fund(chain, &[("USDC", capital)])?;
        let stable = mint_stable(chain, world, &key, capital / 2.0)?;
        Ok(Self {
            key,
            policy,
            quote_size,
            opening_depth,
            prices: VecDeque::new(),
            start_value: capital / 2.0 + stable,
            inventory: Vec::new(),
            book: MakerBook::default(),
        })
    }

    /// The most stablecoins it fills in one trade.
    pub fn quote_size(&self) -> f64 {
        self.quote_size
    }

    /// The time-weighted average of the last windows' prices (par before any).
    fn twap(&self) -> f64 {
        if self.prices.is_empty() {
            1.0
        } else {
            self.prices.iter().sum::<f64>() / self.prices.len() as f64
        }
    }

    /// The standard deviation of the last windows' log price moves.
    fn volatility(&self) -> f64 {
        let moves: Vec<f64> = self.prices.iter().zip(self.prices.iter().skip(1)).map(|(a, b)| (b / a).ln()).collect();
        if moves.len() < 2 {
            return 0.0;
        }
        let mean = moves.iter().sum::<f64>() / moves.len() as f64;
        (moves.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (moves.len() - 1) as f64).sqrt()
    }

    /// Bid and ask for a pool in the state `pool`.
    pub fn quotes(&self, pool: &Pool) -> (f64, f64) {
        let spread = match self.policy {
            SpreadPolicy::Fixed { spread } => spread,
            SpreadPolicy::Adaptive { base, per_volatility, per_thinness } => {
                let thinness = (self.opening_depth / pool.stable.min(pool.usd) - 1.0).max(0.0);
                base + per_volatility * self.volatility() + per_thinness * thinness
            }
        };
        let twap = self.twap();
        (twap * (1.0 - spread / 2.0), twap * (1.0 + spread / 2.0))
    }

    /// Fills `trade` from `trader` if its quote beats the pool's; returns
    /// whether it did.
    pub(super) fn try_fill(
        &mut self,
        chain: &mut dyn Chain,
        pool: &PoolAccounts,
        usdc: &Pubkey,
        trader: &Keypair,
        trade: Trade,
    ) -> Result<bool> {
        let state = pool.read(chain)?;
        let (bid, ask) = self.quotes(&state);
        let stable_mint = pda::stable_mint();
        let mine = |mint: &Pubkey| token::associated_address(&self.key.pubkey(), mint);
        let (stable_held, usd_held) = holdings(chain, &self.key.pubkey(), usdc)?;
        // (stablecoins, dollars, the trader sells stablecoins)
        let (stable, usd, selling) = match trade {
            Trade::SellStable(stable) if stable * bid > state.usd_out(stable) && stable * bid <= usd_held => (stable, stable * bid, true),
            Trade::BuyStable(usd) if usd / ask > state.stable_out(usd) && usd / ask <= stable_held => (usd / ask, usd, false),
            _ => return Ok(false),
        };
        if stable > self.quote_size {
            return Ok(false);
        }
        let trader_stable = token::associated_account(chain, trader, &trader.pubkey(), &stable_mint)?;
        let trader_usd = token::associated_account(chain, trader, &trader.pubkey(), usdc)?;
        let transfers = if selling {
            [
                token::transfer_instruction(&trader_stable, &mine(&stable_mint), &trader.pubkey(), units(stable)),
                token::transfer_instruction(&mine(usdc), &trader_usd, &self.key.pubkey(), units(usd)),
            ]
        } else {
            [
                token::transfer_instruction(&trader_usd, &mine(usdc), &trader.pubkey(), units(usd)),
                token::transfer_instruction(&mine(&stable_mint), &trader_stable, &self.key.pubkey(), units(stable)),
            ]
        };
        chain.send(&transfers, trader, &[&self.key])?;
        self.book.fills += 1;
        self.book.volume += stable;
        Ok(true)
    }

    /// Closes the window: the TWAP takes the pool's `close`, and the
    /// inventory and the profit at `price` (the window's price, which a
    /// push at the close may have left behind) are recorded.
    pub(super) fn close_window(&mut self, chain: &mut dyn Chain, usdc: &Pubkey, close: f64, price: f64) -> Result<()> {
        self.prices.push_back(close);
        while self.prices.len() > TWAP_WINDOWS {
            self.prices.pop_front();
        }
        let (stable, usd) = holdings(chain, &self.key.pubkey(), usdc)?;
        self.inventory.push(stable);
        self.book.profit = usd + stable * price - self.start_value;
        let n = self.inventory.len() as f64;
        let mean = self.inventory.iter().sum::<f64>() / n;
        self.book.inventory_risk = (self.inventory.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
        Ok(())
    }
}
