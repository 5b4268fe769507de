//! Simulated holders: mints and redemptions arrive as Hawkes processes (one
//! redemption makes the next more likely), and the redemption baseline rises
//! while CR is below its target, the peg feedback of the treasury spec.

use ballast_oracle::treasury::hawkes;
use ballast_oracle::treasury::params::HawkesParams;
use rand::Rng;
use rand_distr::{Distribution, Exp};

/// Flow parameters, per window (one simulated day).
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct FlowModel {
    pub mint: HawkesParams,
    pub redeem: HawkesParams,
    /// Extra redemptions per window for each unit of (CR_target − CR)⁺.
    pub panic: f64,
    /// Mean ticket sizes, in whole stablecoins (exponential marks).
    pub mean_mint: f64,
    pub mean_redeem: f64,
}

impl Default for FlowModel {
    fn default() -> Self {
        let clustered = |mu| HawkesParams {
            mu,
            alpha: 0.6,
            beta: 1.5,
        };
        Self {
            mint: clustered(1.5),
            redeem: clustered(1.5),
            panic: 40.0,
            mean_mint: 3_000.0,
            mean_redeem: 3_000.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Flow {
    Mint(f64),
    Redeem(f64),
}

/// The two processes, carrying their excitation from window to window.
pub struct Flows {
    model: FlowModel,
    mint_excitation: f64,
    redeem_excitation: f64,
}

impl Flows {
    pub fn new(model: FlowModel) -> Self {
        Self {
            model,
            mint_excitation: 0.0,
            redeem_excitation: 0.0,
        }
    }

    /// The mint and redemption processes from now on (their excitation carries over).
    pub fn set_processes(&mut self, mint: HawkesParams, redeem: HawkesParams) {
        self.model.mint = mint;
        self.model.redeem = redeem;
    }

    /// One window's flows, in arrival order, given how far CR is below target.
    pub fn window(&mut self, cr_shortfall: f64, rng: &mut impl Rng) -> Vec<Flow> {
        let model = self.model;
        let mut arrivals: Vec<(f64, Flow)> = Vec::new();
        let mint_size = Exp::new(1.0 / model.mean_mint).expect("a positive mean");
        let redeem_size = Exp::new(1.0 / model.mean_redeem).expect("a positive mean");
        let mut mint_times = Vec::new();
        self.mint_excitation =
            hawkes::simulate(&model.mint, self.mint_excitation, 1.0, rng, |t, _| {
                mint_times.push(t)
            });
        let redeem = HawkesParams {
            mu: model.redeem.mu + model.panic * cr_shortfall.max(0.0),
            ..model.redeem
        };
        let mut redeem_times = Vec::new();
        self.redeem_excitation =
            hawkes::simulate(&redeem, self.redeem_excitation, 1.0, rng, |t, _| {
                redeem_times.push(t)
            });
        arrivals.extend(
            mint_times
                .into_iter()
                .map(|t| (t, Flow::Mint(mint_size.sample(rng)))),
        );
        arrivals.extend(
            redeem_times
                .into_iter()
                .map(|t| (t, Flow::Redeem(redeem_size.sample(rng)))),
        );
        arrivals.sort_by(|a, b| a.0.total_cmp(&b.0));
        arrivals.into_iter().map(|(_, flow)| flow).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_oracle::rng::stream;

    #[test]
    fn panic_raises_redemptions_and_flows_are_seeded() {
        let count = |shortfall: f64, seed| {
            let mut flows = Flows::new(FlowModel::default());
            let mut rng = stream(seed, 0);
            (0..200)
                .flat_map(|_| flows.window(shortfall, &mut rng))
                .filter(|f| matches!(f, Flow::Redeem(_)))
                .count()
        };
        assert_eq!(count(0.0, 1), count(0.0, 1));
        // Stationary rate mu / (1 − alpha/beta): 1.5 / 0.6 = 2.5 a window in calm,
        // (1.5 + 40 × 0.1) / 0.6 ≈ 9.2 with CR 0.1 below target.
        let (calm, panic) = (count(0.0, 2) as f64 / 200.0, count(0.1, 2) as f64 / 200.0);
        assert!((1.8..3.3).contains(&calm), "{calm}");
        assert!((7.5..11.0).contains(&panic), "{panic}");
    }
}
