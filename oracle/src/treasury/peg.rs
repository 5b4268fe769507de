//! The window shortfall and the peg dynamics (4), window-aggregated (spec §2.2).

use statrs::function::erf::erfc;

use super::params::{ModelParams, ShortfallClosure};

/// A shortfall and its first two derivatives in the cash buffer C.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shortfall {
    /// Expected unmet net outflow s(C).
    pub value: f64,
    /// π(C) = −∂s/∂C ∈ [0, 1]: the probability (or indicator) that the buffer is exhausted.
    pub exhaustion: f64,
    /// ∂²s/∂C² ≥ 0 (zero for the certainty equivalent).
    pub curvature: f64,
}

/// Planned shortfall of buffer `cash` against a window net outflow with mean `mean`
/// and variance `variance`.
///
/// The expected-shortfall closure is Σ(C; m, v) = √v φ(z) + (m − C)(1 − Φ(z)),
/// z = (C − m)/√v; it reduces to (m − C)^+ as v → 0, which is also the
/// certainty-equivalent closure.
pub fn planned_shortfall(
    closure: ShortfallClosure,
    cash: f64,
    mean: f64,
    variance: f64,
) -> Shortfall {
    let sd = variance.max(0.0).sqrt();
    if closure == ShortfallClosure::CertaintyEquivalent || sd == 0.0 {
        let exhausted = mean > cash;
        return Shortfall {
            value: (mean - cash).max(0.0),
            exhaustion: if exhausted { 1.0 } else { 0.0 },
            curvature: 0.0,
        };
    }
    let z = (cash - mean) / sd;
    let density = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let upper_tail = 0.5 * erfc(z / std::f64::consts::SQRT_2);
    Shortfall {
        value: sd * density + (mean - cash) * upper_tail,
        exhaustion: upper_tail,
        curvature: density / sd,
    }
}

/// Realised shortfall of a settled window: net outflow the post-trade cash cannot meet.
pub fn realised_shortfall(net_outflow: f64, cash_after_trade: f64) -> f64 {
    (net_outflow - cash_after_trade).max(0.0)
}

/// δ_{k+1} = (1 − ψ)δ_k + η s_k/S_k − γ f_k.
pub fn next_deviation(
    params: &ModelParams,
    deviation: f64,
    shortfall: f64,
    supply: f64,
    fee: f64,
) -> f64 {
    (1.0 - params.peg_relaxation) * deviation + params.peg_sensitivity * shortfall / supply
        - params.fee_effectiveness * fee
}
