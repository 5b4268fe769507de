//! Market data, one settlement window at a time: a replayed price CSV, the
//! seeded synthetic market (with a node's own noise on top), or on-chain
//! price accounts in the Pyth pull-oracle layout (`pyth`). Each window is
//! validated on its own, so one bad row costs that window and not the rest
//! of the file; a live feed that is stale or too uncertain is refused.

use std::path::{Path, PathBuf};

use ballast_oracle::data::{
    read_prices_from, AssetDynamics, DataError, Date, PriceHistory, SyntheticAsset, SyntheticMarket,
};
use ballast_sdk::Chain;
use serde::{Deserialize, Serialize};

/// Every reserve asset's price at one window, in reserve order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketWindow {
    pub index: u64,
    pub date: Date,
    pub prices: Vec<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A row of the window is malformed; the error names file, line and column.
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("{file}: window {index} lacks a price for {symbol}")]
    MissingAsset { file: String, index: u64, symbol: String },
    #[error("{file}, line {line}: window {index} mixes dates {first} and {other}")]
    MixedDates {
        file: String,
        line: u64,
        index: u64,
        first: Date,
        other: Date,
    },
    #[error("{file}, line {line}: {symbol} is not a reserve asset (expected one of {expected:?})")]
    UnknownAsset {
        file: String,
        line: u64,
        symbol: String,
        expected: Vec<String>,
    },
    #[error("{file}, line {line}: {symbol} is priced twice in window {index}")]
    DuplicateAsset {
        file: String,
        line: u64,
        index: u64,
        symbol: String,
    },
    #[error("the source has no window {index} (it has {available})")]
    Exhausted { index: u64, available: u64 },
    #[error("{0}: cannot read: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0}: the file has no header line")]
    Empty(PathBuf),
    #[error("{symbol}: the price account {account} is {age} s old, more than the {max} s allowed")]
    Stale {
        symbol: String,
        account: String,
        age: i64,
        max: i64,
    },
    #[error("{symbol}: the price account {account} has confidence {ratio:.4} of its price, more than {max}")]
    Unconfident {
        symbol: String,
        account: String,
        ratio: f64,
        max: f64,
    },
    #[error("{symbol}: the price account {account}: {reason}")]
    Feed {
        symbol: String,
        account: String,
        reason: String,
    },
    #[error("the chain could not be read for prices: {0}")]
    Chain(String),
}

/// Where a node's market data comes from. Sources that read the chain (a
/// price account) use `chain`; the others ignore it.
pub trait MarketSource {
    /// The prices of window `index` (0-based), in reserve order.
    fn window(&mut self, index: u64, chain: &mut dyn Chain) -> Result<MarketWindow, SourceError>;
}

/// Replays a long-format price CSV (`date,asset,price`, as the quant CLI
/// reads and writes it), one window per block of one row per reserve asset.
pub struct CsvReplay {
    file: String,
    symbols: Vec<String>,
    header: String,
    /// Data lines as (1-based line number, text), blank lines left out.
    rows: Vec<(u64, String)>,
}

impl CsvReplay {
    /// Opens `path`; `symbols` are the reserve's assets in reserve order.
    pub fn open(path: &Path, symbols: &[String]) -> Result<Self, SourceError> {
        let text = std::fs::read_to_string(path).map_err(|e| SourceError::Io(path.to_owned(), e))?;
        let mut lines = text.lines();
        let header = lines
            .next()
            .ok_or_else(|| SourceError::Empty(path.to_owned()))?
            .to_owned();
        let rows = lines
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(offset, line)| (offset as u64 + 2, line.to_owned()))
            .collect();
        Ok(Self {
            file: path.display().to_string(),
            symbols: symbols.to_vec(),
            header,
            rows,
        })
    }

    /// How many windows the file holds.
    pub fn windows(&self) -> u64 {
        (self.rows.len() / self.symbols.len()) as u64
    }
}

impl MarketSource for CsvReplay {
    fn window(&mut self, index: u64, _chain: &mut dyn Chain) -> Result<MarketWindow, SourceError> {
        let per_window = self.symbols.len();
        let start = index as usize * per_window;
        let Some(block) = self.rows.get(start..start + per_window) else {
            return Err(SourceError::Exhausted {
                index,
                available: self.windows(),
            });
        };
        // The library's reader validates every field; blank lines in front of
        // the block keep its line numbers those of the file.
        let mut text = self.header.clone();
        let mut line = 1;
        for (number, row) in block {
            while line + 1 < *number {
                text.push('\n');
                line += 1;
            }
            text.push('\n');
            text.push_str(row);
            line += 1;
        }
        let observations = read_prices_from(text.as_bytes(), &self.file)?;
        let mut prices = vec![None; per_window];
        let first_date = observations[0].date;
        for (observation, (line, _)) in observations.iter().zip(block) {
            let (file, line) = (self.file.clone(), *line);
            if observation.date != first_date {
                return Err(SourceError::MixedDates {
                    file,
                    line,
                    index,
                    first: first_date,
                    other: observation.date,
                });
            }
            let Some(position) = self.symbols.iter().position(|s| *s == observation.asset) else {
                let (symbol, expected) = (observation.asset.clone(), self.symbols.clone());
                return Err(SourceError::UnknownAsset {
                    file,
                    line,
                    symbol,
                    expected,
                });
            };
            if prices[position].replace(observation.price).is_some() {
                return Err(SourceError::DuplicateAsset {
                    file,
                    line,
                    index,
                    symbol: observation.asset.clone(),
                });
            }
        }
        let prices = prices
            .into_iter()
            .zip(&self.symbols)
            .map(|(price, symbol)| {
                price.ok_or_else(|| SourceError::MissingAsset {
                    file: self.file.clone(),
                    index,
                    symbol: symbol.clone(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(MarketWindow {
            index,
            date: first_date,
            prices,
        })
    }
}

/// The seeded synthetic market, one window per simulated day.
pub struct Synthetic {
    history: PriceHistory,
}

/// How a reserve asset behaves in the synthetic market.
#[derive(Clone, Copy, Debug)]
pub struct SyntheticSpec<'a> {
    pub symbol: &'a str,
    pub kind: ballast_sdk::program::state::AssetKind,
    pub price: f64,
}

impl Synthetic {
    /// A market of the reserve's own assets: cash at 1, bills accruing their
    /// yield, and everything else moving like the demo market's BTC, from
    /// each asset's initial price; `days` windows from `seed`.
    pub fn for_reserve(seed: u64, days: usize, assets: &[SyntheticSpec]) -> Result<Self, SourceError> {
        use ballast_sdk::program::state::AssetKind;
        let mut market = SyntheticMarket::demo(seed);
        // The demo market's first asset (BTC) is the template for risky assets.
        let risky = market.assets.first().map(|asset| asset.dynamics.clone());
        market.days = days;
        market.assets = assets
            .iter()
            .map(|asset| {
                let dynamics = match (asset.kind, &risky) {
                    (AssetKind::Cash, _) => AssetDynamics::Cash,
                    (
                        _,
                        Some(AssetDynamics::Crypto {
                            drift,
                            volatility,
                            jump_intensity,
                            jump_mean,
                            jump_volatility,
                            ..
                        }),
                    ) if asset.kind == AssetKind::Crypto => AssetDynamics::Crypto {
                        price: asset.price,
                        drift: *drift,
                        volatility: *volatility,
                        jump_intensity: *jump_intensity,
                        jump_mean: *jump_mean,
                        jump_volatility: *jump_volatility,
                    },
                    // Bills and loans accrue a yield with little noise.
                    _ => AssetDynamics::Bill {
                        price: asset.price,
                        annual_yield: 0.05,
                        noise_volatility: 0.001,
                    },
                };
                SyntheticAsset {
                    name: asset.symbol.to_owned(),
                    dynamics,
                }
            })
            .collect();
        Ok(Self {
            history: market.generate()?,
        })
    }
}

impl MarketSource for Synthetic {
    fn window(&mut self, index: u64, _chain: &mut dyn Chain) -> Result<MarketWindow, SourceError> {
        let available = self.history.dates().len() as u64;
        let day = usize::try_from(index).ok().filter(|&day| (day as u64) < available);
        let Some(day) = day else {
            return Err(SourceError::Exhausted { index, available });
        };
        Ok(MarketWindow {
            index,
            date: self.history.dates()[day],
            prices: (0..self.history.assets().len())
                .map(|i| self.history.series(i)[day])
                .collect(),
        })
    }
}

impl<T: MarketSource + ?Sized> MarketSource for Box<T> {
    fn window(&mut self, index: u64, chain: &mut dyn Chain) -> Result<MarketWindow, SourceError> {
        (**self).window(index, chain)
    }
}

/// Another source as one node sees it: each price times (1 + bias) and a
/// normal draw of standard deviation `noise`, from the node's own `seed`,
/// the same for a given window however often it is read. Independent nodes
/// watch the same market through different venues; a bias far from zero
/// is a faulty or lying feed, for drills.
pub struct NodeView<S> {
    pub inner: S,
    pub seed: u64,
    pub noise: f64,
    pub bias: f64,
}

impl<S: MarketSource> MarketSource for NodeView<S> {
    fn window(&mut self, index: u64, chain: &mut dyn Chain) -> Result<MarketWindow, SourceError> {
        use rand::Rng;
        use rand_distr::StandardNormal;
        let mut window = self.inner.window(index, chain)?;
        let mut rng = ballast_oracle::rng::stream(self.seed, index);
        for price in window.prices.iter_mut() {
            let draw: f64 = rng.sample(StandardNormal);
            *price *= (1.0 + self.bias) * (1.0 + self.noise * draw).max(0.5);
        }
        Ok(window)
    }
}
