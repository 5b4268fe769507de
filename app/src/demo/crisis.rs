//! What a crash did to the people who live with the reserve, from a run's
//! timeline: how long holders were locked out, how low CR went, where the
//! weights ended against their targets, and who bore the loss.

use serde::Serialize;

use super::timeline::WindowRecord;
use ballast_sdk::program::constants::pause;

#[derive(Clone, Debug, Serialize)]
pub struct CrisisSummary {
    /// Windows in which holders found redeeming paused (by the breaker or a pause).
    pub days_redeem_paused: usize,
    /// Windows in which holders found minting paused.
    pub days_mint_paused: usize,
    /// The longest run of consecutive windows with redeeming paused.
    pub longest_redeem_pause_days: usize,
    /// Whether redeeming is still paused at the end, and for how many windows by then.
    pub redeem_paused_at_end_days: Option<usize>,
    pub lowest_collateral_ratio: f64,
    pub final_collateral_ratio: f64,
    pub final_weights: Vec<f64>,
    pub final_targets: Vec<f64>,
    /// Σ |w_i − w*_i| at the end.
    pub final_weight_gap: f64,
    /// Stablecoins redeemers did not get back because the rate was below
    /// one, plus the haircut min(r, CR) < 1 on the supply still out at the end.
    pub holders_loss: f64,
    /// Stake burned by bail-ins.
    pub backstop_loss: f64,
    /// Cash that liquidation auctions gave away below par.
    pub cash_sold_below_par: f64,
}

impl CrisisSummary {
    pub fn of(windows: &[WindowRecord]) -> Self {
        let redeem_paused: Vec<bool> = windows.iter().map(|w| w.paused_for_holders & pause::REDEEM != 0).collect();
        let mut longest = 0;
        let mut run = 0;
        for &paused in &redeem_paused {
            run = if paused { run + 1 } else { 0 };
            longest = longest.max(run);
        }
        let ratios: Vec<f64> = windows.iter().filter_map(|w| w.collateral_ratio).collect();
        let last = windows.last();
        let final_weights = last.map(|w| w.weights.clone()).unwrap_or_default();
        let final_targets = last.map(|w| w.target_weights.clone()).unwrap_or_default();
        let outstanding_haircut = last.map_or(0.0, |w| {
            let rate = w.redemption_rate.min(w.collateral_ratio.unwrap_or(1.0)).min(1.0);
            w.supply * (1.0 - rate)
        });
        Self {
            days_redeem_paused: redeem_paused.iter().filter(|p| **p).count(),
            days_mint_paused: windows.iter().filter(|w| w.paused_for_holders & pause::MINT != 0).count(),
            longest_redeem_pause_days: longest,
            redeem_paused_at_end_days: (run > 0).then_some(run),
            lowest_collateral_ratio: ratios.iter().copied().fold(f64::INFINITY, f64::min),
            final_collateral_ratio: ratios.last().copied().unwrap_or(f64::NAN),
            final_weight_gap: final_weights.iter().zip(&final_targets).map(|(w, t)| (w - t).abs()).sum(),
            final_weights,
            final_targets,
            holders_loss: windows.iter().map(|w| w.redemption_haircut).sum::<f64>() + outstanding_haircut,
            // The program's count: a stake deposited in the same window
            // would hide a burn from the staked total's changes.
            backstop_loss: last.map_or(0.0, |w| w.backstop_burned),
            cash_sold_below_par: windows.iter().map(|w| w.cash_sold_below_par).sum(),
        }
    }
}
