//! The secondary market: a constant-product pool (x·y = k) of stablecoins
//! against dollars, whose balances are real token accounts on the chain.
//! A fee on each input stays in the pool, so k never falls. This module is
//! its pricing; `Market` moves the tokens.

use serde::Serialize;

/// The pool's balances in whole tokens and its fee on inputs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Pool {
    pub stable: f64,
    pub usd: f64,
    pub fee: f64,
}

/// A trade into the pool.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Trade {
    /// Stablecoins in, dollars out.
    SellStable(f64),
    /// Dollars in, stablecoins out.
    BuyStable(f64),
}

impl Pool {
    /// Dollars per stablecoin at the margin, before the fee.
    pub fn price(&self) -> f64 {
        self.usd / self.stable
    }

    /// Dollars out for `stable` in.
    pub fn usd_out(&self, stable: f64) -> f64 {
        let net = stable * (1.0 - self.fee);
        self.usd * net / (self.stable + net)
    }

    /// Stablecoins out for `usd` in.
    pub fn stable_out(&self, usd: f64) -> f64 {
        let net = usd * (1.0 - self.fee);
        self.stable * net / (self.usd + net)
    }

    /// The balances after `trade`, and what it paid out.
    pub fn after(&self, trade: Trade) -> (Pool, f64) {
        match trade {
            Trade::SellStable(stable) => {
                let out = self.usd_out(stable);
                (Pool { stable: self.stable + stable, usd: self.usd - out, ..*self }, out)
            }
            Trade::BuyStable(usd) => {
                let out = self.stable_out(usd);
                (Pool { stable: self.stable - out, usd: self.usd + usd, ..*self }, out)
            }
        }
    }

    /// The trade that takes the price to `target` (found by bisection on
    /// its size, fee included), or `None` when it is there already.
    pub fn trade_to(&self, target: f64) -> Option<Trade> {
        let price = self.price();
        if (price - target).abs() <= 1e-12 * target {
            return None;
        }
        let sell = price > target;
        let make = |size: f64| if sell { Trade::SellStable(size) } else { Trade::BuyStable(size) };
        let overshoots = |size: f64| {
            let after = self.after(make(size)).0.price();
            if sell { after <= target } else { after >= target }
        };
        let mut high = if sell { self.stable } else { self.usd };
        while !overshoots(high) {
            high *= 2.0;
        }
        let mut low = 0.0;
        for _ in 0..100 {
            let middle = 0.5 * (low + high);
            if overshoots(middle) { high = middle } else { low = middle }
        }
        Some(make(low))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pool() -> Pool {
        Pool { stable: 50_000.0, usd: 50_000.0, fee: 0.003 }
    }

    #[test]
    fn a_trade_moves_the_price_against_the_trader_and_pays_the_fee() {
        let (after, usd) = pool().after(Trade::SellStable(1_000.0));
        assert!(after.price() < 1.0 && usd < 1_000.0 * (1.0 - 0.003));
        // Exactly: 50,000 × 997 / 50,997.
        assert!((usd - 50_000.0 * 997.0 / 50_997.0).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn k_never_falls_and_trade_to_reaches_its_target(
            stable in 1_000.0..1e6f64, usd in 1_000.0..1e6f64, target in 0.5..1.5f64, fee in 0.0..0.01f64,
        ) {
            let pool = Pool { stable, usd, fee };
            if let Some(trade) = pool.trade_to(target) {
                let (after, out) = pool.after(trade);
                prop_assert!(out >= 0.0);
                prop_assert!(after.stable * after.usd >= pool.stable * pool.usd * (1.0 - 1e-12));
                prop_assert!((after.price() / target - 1.0).abs() < 1e-9, "{} vs {target}", after.price());
            }
        }
    }
}
