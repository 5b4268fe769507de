//! What the demo saw, window by window: the reserve, the policy the oracles
//! posted, the flows and the keeper's work; with the plots and the report.

use std::path::{Path, PathBuf};

use anyhow::Result;
use ballast_oracle::plot::{line_chart_with_spans, Labels, Series, Spans};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct WindowRecord {
    pub day: u64,
    pub slot: u64,
    pub collateral_ratio: Option<f64>,
    pub value: f64,
    pub supply: f64,
    pub redemption_rate: f64,
    /// Reserve weights and the targets the oracles posted, in reserve order.
    pub weights: Vec<f64>,
    pub target_weights: Vec<f64>,
    pub fee_mint: f64,
    pub fee_redeem: f64,
    /// The governed CR_min in force at the window's end.
    pub cr_min: f64,
    /// Stablecoins in the insurance vault.
    pub insurance: f64,
    pub sigma_p: f64,
    /// Pause bits a tripped breaker holds at the window's end (none once it
    /// has lapsed).
    pub breaker_paused: u8,
    /// The pause bits in force when the holders traded (the breaker's, a
    /// guardian's or governance's).
    pub paused_for_holders: u8,
    /// Stablecoins staked in the backstop.
    pub staked: f64,
    /// What the loss waterfall has taken so far, as the program counts it:
    /// paid by the insurance pool, and burned from the backstop.
    pub insurance_paid_out: f64,
    pub backstop_burned: f64,
    /// Stablecoins redeemers did not get back because the rate min(r, CR)
    /// was below one.
    pub redemption_haircut: f64,
    /// Cash that liquidation auctions gave away below par, in stablecoins.
    pub cash_sold_below_par: f64,
    pub mints: usize,
    pub redemptions: usize,
    /// Holder requests the program refused (paused, limits, caps).
    pub refused: usize,
    pub keeper_actions: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Event {
    pub day: u64,
    pub what: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Timeline {
    pub symbols: Vec<String>,
    pub windows: Vec<WindowRecord>,
    pub events: Vec<Event>,
}

impl Timeline {
    pub fn event(&mut self, day: u64, what: impl Into<String>) {
        self.events.push(Event {
            day,
            what: what.into(),
        });
    }

    /// The windows the breaker held, merged into day ranges.
    fn breaker_spans(&self) -> Vec<(f64, f64)> {
        let mut spans: Vec<(f64, f64)> = Vec::new();
        for window in self.windows.iter().filter(|w| w.breaker_paused != 0) {
            let (from, to) = (window.day as f64 - 0.5, window.day as f64 + 0.5);
            match spans.last_mut() {
                Some(last) if last.1 >= from => last.1 = to,
                _ => spans.push((from, to)),
            }
        }
        spans
    }

    /// CR with its regime lines, weights against targets, fees, and the
    /// insurance pool; the breaker's days shaded on the first two.
    pub fn write_plots(&self, dir: &Path, thresholds: &[(&str, f64)]) -> Result<Vec<PathBuf>> {
        let day = |w: &WindowRecord| w.day as f64;
        let over_time = |name: &str, value: &dyn Fn(&WindowRecord) -> f64| {
            Series::line(
                name,
                self.windows.iter().map(|w| (day(w), value(w))).collect(),
            )
        };
        let breaker = self.breaker_spans();
        let mut plots = Vec::new();
        let mut chart = |file: &str, title: &str, y: &str, series: Vec<Series>, spans: Spans| -> Result<()> {
            let path = dir.join(file);
            line_chart_with_spans(&path, Labels { title, x: "day", y }, &series, spans)?;
            plots.push(path);
            Ok(())
        };
        let breaker = Spans {
            label: "breaker tripped",
            ranges: &breaker,
        };

        let mut cr = vec![over_time("CR", &|w| w.collateral_ratio.unwrap_or(f64::NAN))];
        cr.extend(
            thresholds
                .iter()
                .map(|(name, level)| over_time(name, &|_| *level)),
        );
        chart(
            "cr.svg",
            "Collateral ratio through the crash",
            "CR = V / S",
            cr,
            breaker,
        )?;

        let mut weights = Vec::new();
        for (i, symbol) in self.symbols.iter().enumerate() {
            weights.push(over_time(symbol, &|w| w.weights[i]));
        }
        for (i, symbol) in self.symbols.iter().enumerate() {
            weights.push(over_time(&format!("{symbol} target"), &|w| w.target_weights[i]).dashed_like(i));
        }
        chart(
            "weights.svg",
            "Reserve weights and the oracles' targets",
            "weight",
            weights,
            breaker,
        )?;

        let fees = vec![
            over_time("mint fee (bp)", &|w| 1e4 * w.fee_mint),
            over_time("redeem fee (bp)", &|w| 1e4 * w.fee_redeem),
        ];
        chart(
            "fees.svg",
            "Fees set by the treasury controller",
            "basis points",
            fees,
            Spans::default(),
        )?;

        let insurance = vec![over_time("insurance pool", &|w| w.insurance)];
        chart("insurance.svg", "Insurance pool", "stablecoins", insurance, Spans::default())?;
        Ok(plots)
    }
}
