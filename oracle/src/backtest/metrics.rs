//! Performance of an equity curve: annualised return and volatility, Sharpe
//! ratio and maximum drawdown (seed 001, section 10).

use serde::Serialize;

/// Summary statistics of one strategy's equity curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Performance {
    /// Compound annual growth rate, (V_T / V_0)^(1/years) − 1.
    pub annualised_return: f64,
    /// Sample standard deviation of period returns × sqrt(periods per year).
    pub annualised_volatility: f64,
    /// Mean period return in excess of the risk-free rate over its standard
    /// deviation, × sqrt(periods per year).
    pub sharpe_ratio: f64,
    /// Largest fall from a running peak, as a fraction of the peak.
    pub max_drawdown: f64,
}

impl Performance {
    /// Statistics of `equity` (one value per period, ≥ 3 values, all > 0)
    /// sampled `periods_per_year` times a year, against an annual
    /// continuously compounded `risk_free_rate`.
    pub fn of(equity: &[f64], periods_per_year: f64, risk_free_rate: f64) -> Self {
        let returns = simple_returns(equity);
        let n = returns.len() as f64;
        let mean = returns.iter().sum::<f64>() / n;
        let variance = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let risk_free_per_period = (risk_free_rate / periods_per_year).exp_m1();
        let years = n / periods_per_year;
        let growth = equity[equity.len() - 1] / equity[0];
        Self {
            annualised_return: growth.powf(1.0 / years) - 1.0,
            annualised_volatility: (variance * periods_per_year).sqrt(),
            sharpe_ratio: (mean - risk_free_per_period) / variance.sqrt() * periods_per_year.sqrt(),
            max_drawdown: max_drawdown(equity),
        }
    }
}

/// r_t = V_t / V_{t−1} − 1.
pub fn simple_returns(equity: &[f64]) -> Vec<f64> {
    equity
        .windows(2)
        .map(|pair| pair[1] / pair[0] - 1.0)
        .collect()
}

/// 1 − V_t / max_{s ≤ t} V_s at each t.
pub fn drawdowns(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    equity
        .iter()
        .map(|&value| {
            peak = peak.max(value);
            1.0 - value / peak
        })
        .collect()
}

/// The largest drawdown.
pub fn max_drawdown(equity: &[f64]) -> f64 {
    drawdowns(equity).into_iter().fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_drawdown_is_the_deepest_fall_from_a_running_peak() {
        // Peaks 110 then 120; falls to 99 (−10%) and to 90 (−25%).
        let equity = [100.0, 110.0, 99.0, 120.0, 90.0, 118.0];
        assert!((drawdowns(&equity)[2] - 0.1).abs() < 1e-15);
        assert!((max_drawdown(&equity) - 0.25).abs() < 1e-15);
        assert_eq!(max_drawdown(&[1.0, 2.0, 3.0]), 0.0);
    }

    #[test]
    fn sharpe_and_volatility_match_a_hand_computed_series() {
        // Returns +2%, 0, +2%, 0: mean 1%, sample variance 4·(1%)²/3.
        let equity = [100.0, 102.0, 102.0, 104.04, 104.04];
        let performance = Performance::of(&equity, 252.0, 0.0);
        let sd = (4.0e-4_f64 / 3.0).sqrt();
        assert!((performance.sharpe_ratio - 0.01 / sd * 252f64.sqrt()).abs() < 1e-9);
        assert!((performance.annualised_volatility - sd * 252f64.sqrt()).abs() < 1e-12);
        // Four periods of a 252-period year: growth 1.02² compounded 63 times.
        let cagr = 1.0404f64.powf(63.0) - 1.0;
        assert!((performance.annualised_return - cagr).abs() < 1e-9 * cagr);
        // A risk-free rate equal to the mean return leaves no excess return.
        let rate = 252.0 * 1.01f64.ln();
        assert!(Performance::of(&equity, 252.0, rate).sharpe_ratio.abs() < 1e-9);
    }
}
