//! The demo's market: the worker's seeded synthetic market with a crypto crash
//! laid over it, so the stress arrives on a known day.

use ballast_sdk::Chain;
use ballast_oracle_node::worker::source::{MarketSource, MarketWindow, SourceError, Synthetic};

/// Crypto prices fall by `depth` on `day`, then win back `recovered` of the
/// fall, linearly, over `recovery_days`.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Crash {
    pub day: u64,
    pub depth: f64,
    pub recovered: f64,
    pub recovery_days: u64,
}

impl Crash {
    /// The factor on crypto prices at window `day`.
    pub fn factor(&self, day: u64) -> f64 {
        if day < self.day {
            return 1.0;
        }
        let progress = ((day - self.day) as f64 / self.recovery_days.max(1) as f64).min(1.0);
        1.0 - self.depth * (1.0 - self.recovered * progress)
    }
}

pub struct CrashMarket {
    inner: Synthetic,
    /// Which reserve assets the crash hits, in reserve order.
    crypto: Vec<bool>,
    crash: Crash,
    /// Assets listed after the start, priced by a market of their own.
    listed: Option<Synthetic>,
}

impl CrashMarket {
    pub fn new(inner: Synthetic, crypto: Vec<bool>, crash: Crash) -> Self {
        Self {
            inner,
            crypto,
            crash,
            listed: None,
        }
    }

    /// Appends the prices of `listed` after the reserve's first assets: a
    /// listing leaves every other series as it was (one synthetic market
    /// draws all its assets from one stream, so adding an asset to it
    /// would redraw the rest).
    pub fn with_listed(mut self, listed: Synthetic) -> Self {
        self.listed = Some(listed);
        self
    }
}

impl MarketSource for CrashMarket {
    fn window(&mut self, index: u64, chain: &mut dyn Chain) -> Result<MarketWindow, SourceError> {
        let mut window = self.inner.window(index, chain)?;
        let factor = self.crash.factor(index);
        for (price, _) in window
            .prices
            .iter_mut()
            .zip(&self.crypto)
            .filter(|(_, crypto)| **crypto)
        {
            *price *= factor;
        }
        if let Some(listed) = &mut self.listed {
            window.prices.extend(listed.window(index, chain)?.prices);
        }
        Ok(window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crash_falls_on_its_day_and_recovers_the_stated_fraction() {
        let crash = Crash {
            day: 10,
            depth: 0.4,
            recovered: 0.5,
            recovery_days: 4,
        };
        assert_eq!(crash.factor(9), 1.0);
        assert!((crash.factor(10) - 0.6).abs() < 1e-12);
        assert!((crash.factor(12) - 0.7).abs() < 1e-12);
        assert!((crash.factor(40) - 0.8).abs() < 1e-12);
    }
}
