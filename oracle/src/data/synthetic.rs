//! Seeded synthetic data for tests and the demo: daily prices of crypto
//! (correlated GBM with Merton jumps), tokenised T-bills (steady accrual) and
//! cash, and loan tapes with defaults. The same seed gives the same data.

use rand::Rng;
use rand_distr::{Distribution, Normal, Poisson, StandardNormal};
use serde::{Deserialize, Serialize};

use super::{DataError, Date, LoanPath, PriceHistory, DAYS_PER_YEAR};
use crate::rng::stream;

/// How one synthetic asset's price moves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AssetDynamics {
    /// Merton jump diffusion: per day of length dt,
    /// ln S += (mu - sigma²/2 - lambda kappa) dt + sigma sqrt(dt) Z + sum of
    /// N ~ Poisson(lambda dt) jumps J ~ N(jump_mean, jump_volatility²), with
    /// kappa = exp(jump_mean + jump_volatility²/2) - 1 so that E S_t = S_0 e^(mu t).
    /// The Z of all crypto assets share one correlation (see [`SyntheticMarket`]).
    Crypto {
        /// Initial price.
        price: f64,
        /// Expected return per year, mu.
        drift: f64,
        /// Diffusion volatility per sqrt(year), sigma.
        volatility: f64,
        /// Expected jumps per year, lambda.
        jump_intensity: f64,
        /// Mean log jump size.
        jump_mean: f64,
        /// Standard deviation of the log jump size.
        jump_volatility: f64,
    },
    /// A tokenised bill accruing `annual_yield` (effective) with tiny noise:
    /// ln S += ln(1 + annual_yield) dt + noise_volatility sqrt(dt) Z.
    Bill {
        /// Initial price.
        price: f64,
        /// Effective annual yield, e.g. 0.05.
        annual_yield: f64,
        /// Volatility of the accrual noise per sqrt(year).
        noise_volatility: f64,
    },
    /// A stable unit of account, always priced 1.
    Cash,
}

/// One named synthetic asset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticAsset {
    /// Asset symbol.
    pub name: String,
    /// Its price dynamics.
    #[serde(flatten)]
    pub dynamics: AssetDynamics,
}

/// A daily market of synthetic assets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticMarket {
    /// First date.
    pub start: Date,
    /// Number of daily prices per asset (including the first).
    pub days: usize,
    /// Seed; the whole market draws from `stream(seed, 0)`.
    pub seed: u64,
    /// Correlation of the diffusion shocks between any two crypto assets,
    /// in [0, 1): Z_i = sqrt(rho) F + sqrt(1 - rho) E_i, one common factor F.
    pub crypto_correlation: f64,
    /// The assets.
    pub assets: Vec<SyntheticAsset>,
}

impl SyntheticMarket {
    /// Two years of BTC, ETH, SOL, a 5% T-bill token and USDC, plausible in
    /// 2024 terms (crypto vols 55–85%, a few jumps a year).
    pub fn demo(seed: u64) -> Self {
        let crypto = |name: &str, price, drift, volatility, jump_intensity| SyntheticAsset {
            name: name.into(),
            dynamics: AssetDynamics::Crypto {
                price,
                drift,
                volatility,
                jump_intensity,
                jump_mean: -0.04,
                jump_volatility: 0.08,
            },
        };
        Self {
            start: Date::from_ymd(2023, 1, 1).expect("valid date"),
            days: 731,
            seed,
            crypto_correlation: 0.6,
            assets: vec![
                crypto("BTC", 42_000.0, 0.15, 0.55, 4.0),
                crypto("ETH", 2_300.0, 0.12, 0.65, 5.0),
                crypto("SOL", 100.0, 0.10, 0.85, 6.0),
                SyntheticAsset {
                    name: "TBILL".into(),
                    dynamics: AssetDynamics::Bill {
                        price: 100.0,
                        annual_yield: 0.05,
                        noise_volatility: 0.001,
                    },
                },
                SyntheticAsset {
                    name: "USDC".into(),
                    dynamics: AssetDynamics::Cash,
                },
            ],
        }
    }

    /// Generates the price history.
    pub fn generate(&self) -> Result<PriceHistory, DataError> {
        let invalid = |why: String| Err(DataError::InvalidHistory(why));
        if !(0.0..1.0).contains(&self.crypto_correlation) {
            return invalid(format!(
                "crypto correlation {} is outside [0, 1)",
                self.crypto_correlation
            ));
        }
        let dt = 1.0 / DAYS_PER_YEAR;
        let mut rng = stream(self.seed, 0);
        let mut log_prices = Vec::with_capacity(self.assets.len());
        for asset in &self.assets {
            let price = match asset.dynamics {
                AssetDynamics::Crypto { price, .. } | AssetDynamics::Bill { price, .. } => price,
                AssetDynamics::Cash => 1.0,
            };
            log_prices.push(price.ln());
        }
        let mut prices: Vec<Vec<f64>> = log_prices.iter().map(|&x| vec![x.exp()]).collect();
        let loading = self.crypto_correlation.sqrt();
        let idiosyncratic = (1.0 - self.crypto_correlation).sqrt();
        for _ in 1..self.days {
            let common: f64 = rng.sample(StandardNormal);
            for (k, asset) in self.assets.iter().enumerate() {
                log_prices[k] += match asset.dynamics {
                    AssetDynamics::Crypto {
                        drift,
                        volatility,
                        jump_intensity,
                        jump_mean,
                        jump_volatility,
                        ..
                    } => {
                        let own: f64 = rng.sample(StandardNormal);
                        let shock = loading * common + idiosyncratic * own;
                        let compensator = jump_intensity
                            * ((jump_mean + 0.5 * jump_volatility.powi(2)).exp() - 1.0);
                        let jumps = poisson_count(&mut rng, jump_intensity * dt)?;
                        let jump_sizes: f64 = (0..jumps)
                            .map(|_| {
                                jump_mean + jump_volatility * rng.sample::<f64, _>(StandardNormal)
                            })
                            .sum();
                        (drift - 0.5 * volatility * volatility - compensator) * dt
                            + volatility * dt.sqrt() * shock
                            + jump_sizes
                    }
                    AssetDynamics::Bill {
                        annual_yield,
                        noise_volatility,
                        ..
                    } => {
                        let noise: f64 = rng.sample(StandardNormal);
                        annual_yield.ln_1p() * dt + noise_volatility * dt.sqrt() * noise
                    }
                    AssetDynamics::Cash => 0.0,
                };
                prices[k].push(log_prices[k].exp());
            }
        }
        let dates = (0..self.days)
            .map(|day| self.start.add_days(day as i64))
            .collect();
        let names = self.assets.iter().map(|asset| asset.name.clone()).collect();
        PriceHistory::new(dates, names, prices)
    }
}

fn poisson_count(rng: &mut impl Rng, mean: f64) -> Result<u64, DataError> {
    if mean == 0.0 {
        return Ok(0);
    }
    let poisson = Poisson::new(mean).map_err(|_| {
        DataError::InvalidHistory(format!("jump intensity gives invalid Poisson mean {mean}"))
    })?;
    Ok(poisson.sample(rng) as u64)
}

/// A synthetic loan tape: each loan's value follows a GBM whose drift comes
/// from its base rate; some loans default and are closed out at a recovery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticLoanTape {
    /// Seed; loan k draws from `stream(seed, k)`.
    pub seed: u64,
    /// Number of loans.
    pub loans: usize,
    /// Base rates are uniform on this range, percent per year.
    pub rate_range_pct: (f64, f64),
    /// Durations are drawn uniformly from these, in days.
    pub durations_days: Vec<u32>,
    /// Length of one compounding period in days (periods = duration / this, rounded up).
    pub period_days: u32,
    /// Volatility of the loan value per sqrt(year).
    pub volatility: f64,
    /// Probability that a loan defaults at some period before maturity.
    pub default_probability: f64,
    /// Fraction of the value recovered at default, in (0, 1].
    pub recovery_rate: f64,
}

impl Default for SyntheticLoanTape {
    /// 200 loans at 6–14%, 90/180/365 days, weekly periods, 3% vol,
    /// 8% of them defaulting with 40% recovery.
    fn default() -> Self {
        Self {
            seed: 1,
            loans: 200,
            rate_range_pct: (6.0, 14.0),
            durations_days: vec![90, 180, 365],
            period_days: 7,
            volatility: 0.03,
            default_probability: 0.08,
            recovery_rate: 0.4,
        }
    }
}

impl SyntheticLoanTape {
    /// Generates the loans. A defaulting loan's path stops at its default
    /// period, whose value is multiplied by the recovery rate.
    pub fn generate(&self) -> Result<Vec<LoanPath>, DataError> {
        let invalid = |why: &str| Err(DataError::InvalidHistory(why.to_owned()));
        let (low, high) = self.rate_range_pct;
        if !(low.is_finite() && high.is_finite() && low <= high) {
            return invalid("rate range must be finite with low <= high");
        }
        if self.durations_days.is_empty()
            || self.durations_days.contains(&0)
            || self.period_days == 0
        {
            return invalid("durations and period length must be positive");
        }
        if !(0.0..=1.0).contains(&self.default_probability)
            || !(self.recovery_rate > 0.0 && self.recovery_rate <= 1.0)
        {
            return invalid("default probability must lie in [0, 1] and recovery in (0, 1]");
        }
        let volatility = Normal::new(0.0, self.volatility).map_err(|_| {
            DataError::InvalidHistory("loan volatility must be finite and >= 0".into())
        })?;
        Ok((0..self.loans)
            .map(|k| {
                let mut rng = stream(self.seed, k as u64);
                let rate = rng.random_range(low..=high);
                let duration = self.durations_days[rng.random_range(0..self.durations_days.len())];
                let periods = duration.div_ceil(self.period_days);
                let mut loan = LoanPath {
                    loan_id: format!("L{k:05}"),
                    base_interest_rate_pct: rate,
                    loan_duration_days: duration,
                    compounding_periods: periods,
                    normalized_cumulative_returns: Vec::with_capacity(periods as usize),
                };
                let dt = loan.period_years();
                let log_drift = loan.drift_from_base_rate() - 0.5 * self.volatility.powi(2);
                let default_period = rng
                    .random_bool(self.default_probability)
                    .then(|| rng.random_range(1..=periods));
                let mut value = 1.0;
                for period in 1..=periods {
                    value *= (log_drift * dt + dt.sqrt() * volatility.sample(&mut rng)).exp();
                    if default_period == Some(period) {
                        loan.normalized_cumulative_returns
                            .push(value * self.recovery_rate);
                        break;
                    }
                    loan.normalized_cumulative_returns.push(value);
                }
                loan
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{read_loan_tape, read_prices, write_loan_tape, write_prices};

    #[test]
    fn same_seed_same_market_and_csv_round_trip() {
        let market = SyntheticMarket::demo(7);
        let history = market.generate().unwrap();
        assert_eq!(history, market.generate().unwrap());
        assert_ne!(history, SyntheticMarket::demo(8).generate().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prices.csv");
        write_prices(&path, &history).unwrap();
        let read_back = PriceHistory::from_observations(&read_prices(&path).unwrap()).unwrap();
        assert_eq!(read_back, history);
    }

    #[test]
    fn demo_market_has_realistic_levels() {
        let history = SyntheticMarket::demo(3).generate().unwrap();
        let returns = history.log_returns();
        let years = returns.year_fractions.iter().sum::<f64>();
        let bill = history.asset_index("TBILL").unwrap();
        let accrued = (history.series(bill).last().unwrap() / history.series(bill)[0]).ln() / years;
        // Accrual noise 0.1%/sqrt(yr) over 2 years moves the rate by < 0.5 bp a std.
        assert!(
            (accrued - 0.05f64.ln_1p()).abs() < 4.0 * 0.001 / years.sqrt(),
            "{accrued}"
        );
        let cash = history.asset_index("USDC").unwrap();
        assert!(history.series(cash).iter().all(|&p| p == 1.0));
        let btc = history.asset_index("BTC").unwrap();
        let daily = returns.values.column(btc);
        let realised = (daily.map(|r| r * r).sum() / daily.len() as f64 * 365.25).sqrt();
        // Diffusion 55% plus jumps (4/yr of ~9% rms) ≈ 0.56; loose band.
        assert!((0.45..0.70).contains(&realised), "{realised}");
    }

    #[test]
    fn loan_tape_has_defaults_and_round_trips() {
        let spec = SyntheticLoanTape::default();
        let loans = spec.generate().unwrap();
        assert_eq!(loans, spec.generate().unwrap());
        let defaulted = loans
            .iter()
            .filter(|loan| {
                loan.normalized_cumulative_returns.len() < loan.compounding_periods as usize
            })
            .count();
        // Binomial(200, 0.08) minus the few defaulting at the last period: mean ~15, sd ~4.
        assert!((3..=30).contains(&defaulted), "{defaulted}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loans.csv");
        write_loan_tape(&path, &loans).unwrap();
        assert_eq!(read_loan_tape(&path).unwrap(), loans);
    }
}
