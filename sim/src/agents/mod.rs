//! The agents around the reserve, acting each window in the demo's world
//! (its holders, keeper, oracle nodes and crash) through the real program:
//! noise traders and a panic on the secondary market, an arbitrageur who
//! mints and redeems against it whenever the gap beats the fees, a market
//! maker and its manipulator, stakers who govern, and a bank run.

pub mod arbitrageur;
pub mod bank_run;
pub mod governance;
pub mod manipulator;
pub mod market_maker;
pub mod noise;

use anyhow::{Context, Result};
use ballast_app::demo::{WindowAgents, World};
use ballast_sdk::program::constants::STABLE_DECIMALS;
use ballast_sdk::{pda, token, Chain, Keypair, Pubkey, Signer};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::pool::{Pool, Trade};
use arbitrageur::{Arbitrage, Arbitrageur, Band};
use bank_run::{BankRun, BankRunConfig};
use governance::{GovernanceConfig, Stakers};
use manipulator::{Manipulator, ManipulatorBook};
use market_maker::{MakerBook, MarketMaker, SpreadPolicy};
use noise::NoiseTraders;

/// The agent mix and the market's shape.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    /// Each run's own seed.
    #[serde(skip_deserializing)]
    pub seed: u64,
    /// Stablecoins (and as many dollars) the liquidity provider puts in the pool.
    pub pool_depth: f64,
    pub pool_fee: f64,
    /// Noise trades per window, and their mean size in stablecoins.
    pub noise_trades: usize,
    pub noise_size: f64,
    /// The share of the pool's stablecoins dumped on it on the crash day: a
    /// run on the secondary market.
    pub panic_sell: f64,
    /// The arbitrageur's dollars (USDC).
    pub arbitrage_capital: f64,
    /// A market maker quoting around the TWAP, if there is one (in a
    /// scenario file a `[market.maker]` table, or `maker = "none"`).
    #[serde(deserialize_with = "maker_or_none")]
    pub maker: Option<MakerConfig>,
    /// An adversary dragging the maker's TWAP: dollars of stablecoins it
    /// buys at each close (it needs a maker to prey on).
    pub manipulator_push: Option<f64>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MakerConfig {
    pub policy: SpreadPolicy,
    /// Its dollars, half of them minted into stablecoins at the start.
    pub capital: f64,
    /// The most stablecoins it fills in one trade.
    pub quote_size: f64,
}

impl MakerConfig {
    /// 0.4% plus twice the recent volatility plus half the pool's thinning.
    pub fn adaptive() -> Self {
        Self {
            policy: SpreadPolicy::Adaptive {
                base: 0.004,
                per_volatility: 2.0,
                per_thinness: 0.5,
            },
            capital: 40_000.0,
            quote_size: 500.0,
        }
    }

    /// The same maker with a fixed spread.
    pub fn fixed(spread: f64) -> Self {
        Self {
            policy: SpreadPolicy::Fixed { spread },
            ..Self::adaptive()
        }
    }
}

fn maker_or_none<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<MakerConfig>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Maker {
        Quoting(MakerConfig),
        Word(String),
    }
    match Maker::deserialize(deserializer)? {
        Maker::Quoting(maker) => Ok(Some(maker)),
        Maker::Word(word) if word == "none" => Ok(None),
        Maker::Word(word) => Err(serde::de::Error::custom(format!("maker = \"{word}\": a [market.maker] table or \"none\""))),
    }
}

impl Default for MakerConfig {
    fn default() -> Self {
        Self::adaptive()
    }
}

impl Default for MarketConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            pool_depth: 50_000.0,
            pool_fee: 0.003,
            noise_trades: 12,
            // 0.2% of the pool's depth: about 1.4% of price noise a window.
            noise_size: 100.0,
            panic_sell: 0.2,
            arbitrage_capital: 200_000.0,
            maker: Some(MakerConfig::adaptive()),
            manipulator_push: None,
        }
    }
}

/// Everyone a run adds to the demo's world: the market always, stakers
/// who govern and a bank run when asked for.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentMix {
    pub market: MarketConfig,
    pub governance: Option<GovernanceConfig>,
    pub bank_run: Option<BankRunConfig>,
}

/// The demo's own: four holders, a keeper and three oracle nodes.
const DEMO_AGENTS: usize = 8;

impl AgentMix {
    /// The yield-seeking coalition's share of the stake (0 without stakers).
    pub fn yield_seeker_share(&self) -> f64 {
        self.governance.as_ref().map_or(0.0, |g| g.yield_seeker_share)
    }

    /// Agents acting in each window: the demo's, the pool's liquidity
    /// provider, the noise traders and the arbitrageur, and the rest of the mix.
    pub fn agents(&self) -> usize {
        let market = &self.market;
        DEMO_AGENTS
            + 3
            + usize::from(market.maker.is_some())
            + usize::from(market.manipulator_push.is_some())
            + self.governance.as_ref().map_or(0, GovernanceConfig::agents)
            + self.bank_run.map_or(0, |run| run.holders)
    }
}

/// A mix's agents acting in the demo's world.
pub struct Simulation {
    seed: u64,
    pub market: Market,
    pub governance: Option<Stakers>,
    pub bank_run: Option<BankRun>,
}

impl Simulation {
    pub fn new(mix: &AgentMix, seed: u64) -> Self {
        Self {
            seed,
            market: Market::new(MarketConfig { seed, ..mix.market.clone() }),
            governance: mix.governance.clone().map(Stakers::new),
            bank_run: mix.bank_run.map(BankRun::new),
        }
    }
}

impl WindowAgents for Simulation {
    fn open(&mut self, chain: &mut dyn Chain, world: &World) -> Result<()> {
        self.market.open(chain, world)?;
        if let Some(stakers) = self.governance.as_mut() {
            stakers.open(chain, world, self.seed)?;
        }
        if let Some(run) = self.bank_run.as_mut() {
            run.open(chain, world)?;
        }
        Ok(())
    }

    fn window(&mut self, chain: &mut dyn Chain, world: &World, day: u64) -> Result<()> {
        self.market.window(chain, world, day)?;
        if let Some(run) = self.bank_run.as_mut() {
            run.window(chain, world, day)?;
        }
        if let Some(stakers) = self.governance.as_mut() {
            stakers.window(chain, world, day)?;
        }
        Ok(())
    }

    fn govern(&self) -> bool {
        self.governance.is_some()
    }
}

/// One window of the secondary market.
#[derive(Clone, Debug, Serialize)]
pub struct MarketWindow {
    pub day: u64,
    /// The pool's price after the noise (and the panic), before arbitrage.
    pub price_before_arbitrage: f64,
    /// ...and after it: the window's peg.
    pub price: f64,
    /// The no-arbitrage band the arbitrageur read.
    pub band: Band,
    pub arbitrage: Arbitrage,
    /// The arbitrageur's profit so far, its coins marked at the window's price.
    pub arbitrage_profit: f64,
}

/// The pool's token accounts on chain, owned by its liquidity provider.
struct PoolAccounts {
    owner: Keypair,
    stable: Pubkey,
    usd: Pubkey,
    fee: f64,
}

impl PoolAccounts {
    fn read(&self, chain: &mut dyn Chain) -> Result<Pool> {
        Ok(Pool {
            stable: whole(token::balance(chain, &self.stable)?),
            usd: whole(token::balance(chain, &self.usd)?),
            fee: self.fee,
        })
    }

    /// Trades with the pool for `trader`: the input moves in, the pool's
    /// price for it moves out, in one transaction. Returns what came out.
    fn trade(&self, chain: &mut dyn Chain, usdc: &Pubkey, trader: &Keypair, trade: Trade) -> Result<f64> {
        let pool = self.read(chain)?;
        let (_, out) = pool.after(trade);
        let stable_mint = pda::stable_mint();
        let trader_stable = token::associated_account(chain, trader, &trader.pubkey(), &stable_mint)?;
        let trader_usd = token::associated_account(chain, trader, &trader.pubkey(), usdc)?;
        let (amount_in, source, into, from, destination) = match trade {
            Trade::SellStable(stable) => (stable, trader_stable, self.stable, self.usd, trader_usd),
            Trade::BuyStable(usd) => (usd, trader_usd, self.usd, self.stable, trader_stable),
        };
        let (amount_in, amount_out) = (units(amount_in), units(out));
        if amount_in == 0 || amount_out == 0 {
            return Ok(0.0);
        }
        let instructions = [
            token::transfer_instruction(&source, &into, &trader.pubkey(), amount_in),
            token::transfer_instruction(&from, &destination, &self.owner.pubkey(), amount_out),
        ];
        chain.send(&instructions, trader, &[&self.owner]).context("a trade with the pool")?;
        Ok(whole(amount_out))
    }
}

/// The market's agents once it is open.
struct Agents {
    usdc: Pubkey,
    pool: PoolAccounts,
    noise: NoiseTraders,
    arbitrageur: Arbitrageur,
    maker: Option<MarketMaker>,
    manipulator: Option<Manipulator>,
}

/// The secondary market and its agents, as `WindowAgents` for the demo.
pub struct Market {
    config: MarketConfig,
    rng: StdRng,
    crash_day: u64,
    agents: Option<Agents>,
    pub windows: Vec<MarketWindow>,
}

impl Market {
    pub fn new(config: MarketConfig) -> Self {
        Self {
            rng: StdRng::seed_from_u64(config.seed),
            config,
            crash_day: 0,
            agents: None,
            windows: Vec::new(),
        }
    }

    /// The demo day of the crash (and the panic), once the market is open.
    pub fn crash_day(&self) -> u64 {
        self.crash_day
    }

    /// The market maker's book, if there is one.
    pub fn maker_book(&self) -> Option<&MakerBook> {
        self.agents.as_ref()?.maker.as_ref().map(|maker| &maker.book)
    }

    /// The manipulator's book, if there is one.
    pub fn manipulator_book(&self) -> Option<&ManipulatorBook> {
        self.agents.as_ref()?.manipulator.as_ref().map(|manipulator| &manipulator.book)
    }
}

impl WindowAgents for Market {
    /// The liquidity provider mints `pool_depth` stablecoins with USDC and
    /// pairs them with as many dollars; the traders get their stakes.
    fn open(&mut self, chain: &mut dyn Chain, world: &World) -> Result<()> {
        let config = &self.config;
        let usdc = mint_of(world, "USDC")?;
        self.crash_day = world.crash_day;
        let provider = world.fund(chain, &[("USDC", config.pool_depth)])?;
        let minted = mint_stable(chain, world, &provider, config.pool_depth)?;
        // As many dollars as stablecoins: the pool opens at par.
        world.give(chain, &provider.pubkey(), &[("USDC", minted)])?;
        let pool = PoolAccounts {
            stable: token::associated_address(&provider.pubkey(), &pda::stable_mint()),
            usd: token::associated_address(&provider.pubkey(), &usdc),
            owner: provider,
            fee: config.pool_fee,
        };
        let noise = NoiseTraders::open(chain, world, config)?;
        let arbitrageur = Arbitrageur::open(chain, world, config.arbitrage_capital)?;
        let maker = match config.maker {
            Some(maker) => Some(MarketMaker::open(
                chain,
                world,
                maker.policy,
                maker.capital,
                maker.quote_size,
                config.pool_depth,
            )?),
            None => None,
        };
        let manipulator = match config.manipulator_push {
            Some(push) if maker.is_some() => Some(Manipulator::open(chain, world, 4.0 * push, push)?),
            Some(_) => anyhow::bail!("a manipulator of the TWAP needs a market maker to prey on"),
            None => None,
        };
        self.agents = Some(Agents { usdc, pool, noise, arbitrageur, maker, manipulator });
        Ok(())
    }

    fn window(&mut self, chain: &mut dyn Chain, world: &World, day: u64) -> Result<()> {
        let panic = (day == world.crash_day).then_some(self.config.panic_sell);
        let Agents { usdc, pool, noise, arbitrageur, maker, manipulator } =
            self.agents.as_mut().context("a market window before the market opened")?;
        if let (Some(manipulator), Some(maker)) = (manipulator.as_mut(), maker.as_mut()) {
            manipulator.unload(chain, pool, usdc, maker)?;
        }
        noise.trade(chain, pool, usdc, &mut self.rng, maker.as_mut(), panic)?;
        let price_before_arbitrage = pool.read(chain)?.price();
        let band = Band::read(chain, pool.fee)?;
        let arbitrage = arbitrageur.act(chain, world, pool, usdc, band)?;
        // The window's peg, at which books are marked; a manipulator's push
        // moves only the close the maker averages.
        let price = pool.read(chain)?.price();
        if let Some(manipulator) = manipulator.as_mut() {
            manipulator.push(chain, pool, usdc, price)?;
        }
        let close = pool.read(chain)?.price();
        if let Some(maker) = maker {
            maker.close_window(chain, usdc, close, price)?;
        }
        let arbitrage_profit = arbitrageur.profit(chain, usdc, price)?;
        self.windows.push(MarketWindow {
            day,
            price_before_arbitrage,
            price,
            band,
            arbitrage,
            arbitrage_profit,
        });
        Ok(())
    }
}

/// The mint of the deployment's asset `symbol`.
fn mint_of(world: &World, symbol: &str) -> Result<Pubkey> {
    let spec = world.deployment().assets.iter().find(|a| a.symbol == symbol);
    let spec = spec.with_context(|| format!("the deployment has no {symbol}"))?;
    let mint = spec.mint.as_deref().with_context(|| format!("{symbol} has no mint yet"))?;
    mint.parse().with_context(|| format!("{symbol}'s mint address"))
}

/// Mints stablecoins with `usd` of USDC through the program; returns how
/// many it got.
fn mint_stable(chain: &mut dyn Chain, world: &World, who: &Keypair, usd: f64) -> Result<f64> {
    let receipt = ballast_app::holder::mint(chain, who, &world.deployment().assets, "USDC", &format!("{usd:.6}"))?;
    receipt.minted.parse().context("the minted amount")
}

/// `owner`'s stablecoins and dollars (USDC), in whole tokens; none while
/// an account does not exist.
fn holdings(chain: &mut dyn Chain, owner: &Pubkey, usdc: &Pubkey) -> Result<(f64, f64)> {
    let stable = token::associated_balance(chain, owner, &pda::stable_mint())?.unwrap_or(0);
    let usd = token::associated_balance(chain, owner, usdc)?.unwrap_or(0);
    Ok((whole(stable), whole(usd)))
}

fn whole(units: u64) -> f64 {
    units as f64 / 10f64.powi(i32::from(STABLE_DECIMALS))
}

/// Whole tokens (stablecoins or USDC, both 6 decimals) in base units, rounded down.
fn units(whole: f64) -> u64 {
    (whole.max(0.0) * 10f64.powi(i32::from(STABLE_DECIMALS))).floor() as u64
}
