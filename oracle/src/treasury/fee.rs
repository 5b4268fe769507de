//! The fee law (41): a clipped linear feedback on the window-averaged peg costate.

use super::params::ModelParams;

/// f_k = Π_[0, f_max](γ p̄_δ,k / (2 w_f)).
pub fn fee_law(model: &ModelParams, mean_peg_costate: f64) -> f64 {
    (model.fee_effectiveness * mean_peg_costate / (2.0 * model.fee_weight))
        .clamp(0.0, model.max_fee)
}
