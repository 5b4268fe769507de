//! Discretisations of dS = mu S dt + sigma S dW (protocol §8, seed 001).

use serde::{Deserialize, Serialize};

/// How one step of the GBM is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// S e^{(mu − sigma²/2)dt + sigma dW}: exact in distribution for any dt.
    LogExact,
    /// S (1 + mu dt + sigma dW): weak order 1, strong order 1/2.
    EulerMaruyama,
    /// Euler plus ½ sigma² S (dW² − dt): strong order 1.
    Milstein,
}

impl Scheme {
    /// S after one step of length dt with Brownian increment dw.
    pub fn step(self, s: f64, mu: f64, sigma: f64, dt: f64, dw: f64) -> f64 {
        match self {
            Scheme::LogExact => s * ((mu - 0.5 * sigma * sigma) * dt + sigma * dw).exp(),
            Scheme::EulerMaruyama => s * (1.0 + mu * dt + sigma * dw),
            Scheme::Milstein => {
                s * (1.0 + mu * dt + sigma * dw + 0.5 * sigma * sigma * (dw * dw - dt))
            }
        }
    }

    /// S_T from S_0 over `maturity` in `normals.len()` equal steps, the k-th
    /// Brownian increment being sqrt(dt)·normals[k]. Reusing `normals` for
    /// another spot or maturity gives common random numbers.
    pub fn terminal(self, s0: f64, mu: f64, sigma: f64, maturity: f64, normals: &[f64]) -> f64 {
        let dt = maturity / normals.len() as f64;
        let sqrt_dt = dt.sqrt();
        normals
            .iter()
            .fold(s0, |s, z| self.step(s, mu, sigma, dt, sqrt_dt * z))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::valuation::monte_carlo::path_normals;

    /// Mean |S_T(scheme) − S_T(exact)| over paths, both driven by the same
    /// Brownian increments on `steps` steps.
    fn strong_error(scheme: Scheme, steps: usize) -> f64 {
        let paths = 2000;
        (0..paths)
            .map(|k| {
                let normals = path_normals(5, k, steps);
                let exact = Scheme::LogExact.terminal(1.0, 0.1, 0.4, 1.0, &normals);
                (scheme.terminal(1.0, 0.1, 0.4, 1.0, &normals) - exact).abs()
            })
            .sum::<f64>()
            / paths as f64
    }

    #[test]
    fn strong_orders_are_one_half_for_euler_and_one_for_milstein() {
        // Quadrupling the steps halves Euler's error and quarters Milstein's.
        let euler =
            strong_error(Scheme::EulerMaruyama, 16) / strong_error(Scheme::EulerMaruyama, 64);
        let milstein = strong_error(Scheme::Milstein, 16) / strong_error(Scheme::Milstein, 64);
        assert!((1.6..2.5).contains(&euler), "Euler ratio {euler}");
        assert!((3.2..5.0).contains(&milstein), "Milstein ratio {milstein}");
    }
}
