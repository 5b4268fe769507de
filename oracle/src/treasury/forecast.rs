//! The moment-closure forecast of the window flows (eqs. 19–20), in closed form
//! per window with the peg deviation frozen at its current value.

use super::params::{FlowParams, HawkesParams};

/// The controller's view of the flows at a roll time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlowState {
    /// Baselines μ̂_R, μ̂_M per window (nominal or re-estimated), without peg feedback.
    pub redemption_baseline: f64,
    pub mint_baseline: f64,
    /// Filtered excitations Ê_R, Ê_M at the roll time.
    pub redemption_excitation: f64,
    pub mint_excitation: f64,
}

/// Expected flows of one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowForecast {
    /// Expected event counts Λ_R, Λ_M.
    pub redemptions: f64,
    pub mints: f64,
    /// Mean m_j and variance v_j of the net dollar outflow.
    pub mean: f64,
    pub variance: f64,
}

/// Expected count Λ = ∫_0^Δ λ̄ and the mean excitation at Δ for baseline `mu_star`,
/// from excitation `e0`. The mean excitation obeys dĒ/ds = α(μ* + Ē) − βĒ, so it
/// relaxes at k = β − α to Ē^∞ = αμ*/k.
pub fn expected_count(kernel: &HawkesParams, mu_star: f64, e0: f64, window: f64) -> (f64, f64) {
    let k = kernel.beta - kernel.alpha;
    let e_inf = kernel.alpha * mu_star / k;
    let decay = (-k * window).exp();
    let count = (mu_star + e_inf) * window - (e0 - e_inf) * (-k * window).exp_m1() / k;
    (count, e_inf + (e0 - e_inf) * decay)
}

/// Forecast of `windows` consecutive windows of length 1 from `state`, with the
/// nominal kernels of `flows` and the peg deviation frozen at `deviation`.
pub fn forecast(
    flows: &FlowParams,
    state: &FlowState,
    deviation: f64,
    windows: usize,
) -> Vec<WindowForecast> {
    let mut out = Vec::with_capacity(windows);
    forecast_into(flows, state, deviation, windows, &mut out);
    out
}

/// [`forecast`] into a reused buffer.
pub fn forecast_into(
    flows: &FlowParams,
    state: &FlowState,
    deviation: f64,
    windows: usize,
    out: &mut Vec<WindowForecast>,
) {
    out.clear();
    let mu_r = state.redemption_baseline + flows.peg_feedback * deviation.max(0.0);
    let mu_m = state.mint_baseline;
    let (mut e_r, mut e_m) = (state.redemption_excitation, state.mint_excitation);
    let dispersion = |kernel: &HawkesParams| 1.0 + (1.0 - kernel.branching_ratio()).powi(-2);
    let (d_r, d_m) = (dispersion(&flows.redemption), dispersion(&flows.mint));
    let (t_r, t_m) = (flows.redemption_ticket, flows.mint_ticket);
    for _ in 0..windows {
        let (redemptions, next_r) = expected_count(&flows.redemption, mu_r, e_r, 1.0);
        let (mints, next_m) = expected_count(&flows.mint, mu_m, e_m, 1.0);
        (e_r, e_m) = (next_r, next_m);
        out.push(WindowForecast {
            redemptions,
            mints,
            mean: t_r * redemptions - t_m * mints,
            // Long-window Hawkes count variance Λ/(1 − n)² compounded with
            // exponential marks (E ξ² = 2 m̄²).
            variance: t_r * t_r * redemptions * d_r + t_m * t_m * mints * d_m,
        });
    }
}
