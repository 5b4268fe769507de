//! A bank run through the program: holders who minted at the open all try
//! to redeem everything on the crash day, and go on trying each window until
//! they are out, at whatever the program pays (min(r, CR), less the fee; in
//! cash while the cash vault can pay, then in bills).

use anyhow::Result;
use ballast_app::demo::World;
use ballast_sdk::{pda, status, token, Chain, Keypair, Signer};
use serde::{Deserialize, Serialize};

use super::{mint_of, mint_stable, whole};

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BankRunConfig {
    pub holders: usize,
    /// Stablecoins they hold between them, minted with USDC at the open.
    pub stablecoins: f64,
}

impl Default for BankRunConfig {
    fn default() -> Self {
        Self { holders: 20, stablecoins: 20_000.0 }
    }
}

/// What the run got.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BankRunBook {
    pub holders: usize,
    pub held: f64,
    /// Stablecoins redeemed, and the dollars they brought (bills at the
    /// program's price).
    pub redeemed: f64,
    pub received: f64,
    /// Holders still holding stablecoins at the end.
    pub holders_left: usize,
    /// The day the last one got out.
    pub last_out_day: Option<u64>,
    /// Each refused redemption: the day and the program's answer.
    pub refusals: Vec<(u64, String)>,
}

impl BankRunBook {
    /// Dollars received per stablecoin redeemed.
    pub fn rate(&self) -> Option<f64> {
        (self.redeemed > 0.0).then(|| self.received / self.redeemed)
    }
}

pub struct BankRun {
    config: BankRunConfig,
    holders: Vec<Keypair>,
    pub book: BankRunBook,
}

impl BankRun {
    pub fn new(config: BankRunConfig) -> Self {
        Self { config, holders: Vec::new(), book: BankRunBook::default() }
    }

    /// Each holder mints its share of the run's stablecoins with USDC.
    pub fn open(&mut self, chain: &mut dyn Chain, world: &World) -> Result<()> {
        let config = self.config;
        anyhow::ensure!(config.holders > 0, "a bank run needs at least one holder");
        let each = config.stablecoins / config.holders as f64;
        self.book.holders = config.holders;
        for _ in 0..config.holders {
            let key = world.fund(chain, &[("USDC", each)])?;
            self.book.held += mint_stable(chain, world, &key, each)?;
            self.holders.push(key);
        }
        Ok(())
    }

    /// From the crash day on, every holder with stablecoins tries to redeem
    /// them all.
    pub fn window(&mut self, chain: &mut dyn Chain, world: &World, day: u64) -> Result<()> {
        if day < world.crash_day {
            return Ok(());
        }
        let assets = &world.deployment().assets;
        // Prices change only with an oracle round, between windows.
        let reserve = status::reserve_status(chain)?;
        let price = |symbol: &str| -> Result<f64> {
            let mint = mint_of(world, symbol)?.to_string();
            Ok(reserve.assets.iter().find(|a| a.mint == mint).map_or(1.0, |a| a.price))
        };
        let mut left = 0;
        for holder in &self.holders {
            let Some(units) = token::associated_balance(chain, &holder.pubkey(), &pda::stable_mint())? else {
                continue;
            };
            if units == 0 {
                continue;
            }
            let amount = format!("{:.6}", whole(units));
            let mut refused = None;
            let mut redeemed = None;
            for asset in ["USDC", "TBILL"] {
                match ballast_app::holder::redeem(chain, holder, assets, asset, &amount) {
                    Ok(receipt) => {
                        redeemed = Some((asset, receipt));
                        break;
                    }
                    Err(error) => refused = Some(format!("{error:#}")),
                }
            }
            match redeemed {
                Some((asset, receipt)) => {
                    self.book.redeemed += whole(units);
                    self.book.received += receipt.received.parse::<f64>().unwrap_or(0.0) * price(asset)?;
                }
                None => {
                    self.book.refusals.extend(refused.map(|error| (day, error)));
                    left += 1;
                }
            }
        }
        self.book.holders_left = left;
        if left == 0 && self.book.last_out_day.is_none() {
            self.book.last_out_day = Some(day);
        }
        Ok(())
    }
}
