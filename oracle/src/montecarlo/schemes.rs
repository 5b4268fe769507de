//! Discretisation schemes for GBM, dS = mu S dt + sigma S dW (seed 001), each
//! a pure step over a given Brownian increment dW, so that schemes can be
//! compared path by path on the same Brownian path:
//!
//! * log-exact: S e^((mu - sigma²/2) dt + sigma dW), no discretisation error;
//! * Euler–Maruyama: S (1 + mu dt + sigma dW), strong order 1/2, weak order 1;
//! * Milstein: Euler–Maruyama + S sigma²/2 (dW² - dt), strong order 1.

use serde::{Deserialize, Serialize};

/// A geometric Brownian motion.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gbm {
    /// Drift mu per year.
    pub mu: f64,
    /// Volatility sigma per sqrt(year).
    pub sigma: f64,
}

/// A discretisation scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// Exact solution of the SDE over each step.
    LogExact,
    /// Euler–Maruyama.
    EulerMaruyama,
    /// Milstein.
    Milstein,
}

impl Scheme {
    /// S after one step of length `dt` of `gbm` with Brownian increment `dw`.
    pub fn step(self, gbm: &Gbm, s: f64, dt: f64, dw: f64) -> f64 {
        let Gbm { mu, sigma } = *gbm;
        match self {
            Scheme::LogExact => s * ((mu - 0.5 * sigma * sigma) * dt + sigma * dw).exp(),
            Scheme::EulerMaruyama => s * (1.0 + mu * dt + sigma * dw),
            // Euler plus 1/2 b b' (dW² - dt) with b(S) = sigma S.
            Scheme::Milstein => {
                s * (1.0 + mu * dt + sigma * dw + 0.5 * sigma * sigma * (dw * dw - dt))
            }
        }
    }
}

impl Gbm {
    /// Value after steps of length `dt` driven by `increments`, from `s0`.
    pub fn terminal(&self, scheme: Scheme, s0: f64, dt: f64, increments: &[f64]) -> f64 {
        increments
            .iter()
            .fold(s0, |s, &dw| scheme.step(self, s, dt, dw))
    }

    /// S_T from `s0` over `horizon` in `normals.len()` equal steps, the k-th
    /// Brownian increment being sqrt(dt)·normals[k]. Reusing `normals` for
    /// another spot or horizon gives common random numbers.
    pub fn terminal_from_normals(
        &self,
        scheme: Scheme,
        s0: f64,
        horizon: f64,
        normals: &[f64],
    ) -> f64 {
        let dt = horizon / normals.len() as f64;
        let sqrt_dt = dt.sqrt();
        normals
            .iter()
            .fold(s0, |s, z| scheme.step(self, s, dt, sqrt_dt * z))
    }

    /// The whole path, `increments.len() + 1` values starting at `s0`.
    pub fn path(&self, scheme: Scheme, s0: f64, dt: f64, increments: &[f64]) -> Vec<f64> {
        let mut path = Vec::with_capacity(increments.len() + 1);
        path.push(s0);
        for &dw in increments {
            path.push(scheme.step(self, path[path.len() - 1], dt, dw));
        }
        path
    }
}

/// Increments of the same Brownian path on a grid twice as coarse.
pub fn coarsen(increments: &[f64]) -> Vec<f64> {
    increments.chunks(2).map(|pair| pair.iter().sum()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use rand::Rng;
    use rand_distr::StandardNormal;

    const PATHS: usize = 2000;
    const FINEST_STEPS: usize = 256;

    /// Least-squares slope of ln(error) on ln(dt).
    fn log_log_slope(dts: &[f64], errors: &[f64]) -> f64 {
        let xs: Vec<f64> = dts.iter().map(|d| d.ln()).collect();
        let ys: Vec<f64> = errors.iter().map(|e| e.ln()).collect();
        let (mx, my) = (
            xs.iter().sum::<f64>() / xs.len() as f64,
            ys.iter().sum::<f64>() / ys.len() as f64,
        );
        let covariance: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        covariance / xs.iter().map(|x| (x - mx).powi(2)).sum::<f64>()
    }

    /// Per path, the Brownian increments on grids of 256, 128, ..., 8 steps over
    /// [0, 1], all refinements of one path (coupled).
    fn coupled_paths() -> Vec<Vec<Vec<f64>>> {
        (0..PATHS as u64)
            .map(|k| {
                let mut rng = stream(99, k);
                let dt = 1.0 / FINEST_STEPS as f64;
                let fine: Vec<f64> = (0..FINEST_STEPS)
                    .map(|_| dt.sqrt() * rng.sample::<f64, _>(StandardNormal))
                    .collect();
                std::iter::successors(Some(fine), |grid| (grid.len() > 8).then(|| coarsen(grid)))
                    .collect()
            })
            .collect()
    }

    /// For each grid, mean over paths of f(scheme value, exact value).
    fn mean_over_paths(
        gbm: &Gbm,
        scheme: Scheme,
        paths: &[Vec<Vec<f64>>],
        f: impl Fn(f64, f64) -> f64,
    ) -> Vec<f64> {
        let grids = paths[0].len();
        (0..grids)
            .map(|g| {
                paths
                    .iter()
                    .map(|grids| {
                        let increments = &grids[g];
                        let dt = 1.0 / increments.len() as f64;
                        let exact = Scheme::LogExact.step(gbm, 1.0, 1.0, increments.iter().sum());
                        f(gbm.terminal(scheme, 1.0, dt, increments), exact)
                    })
                    .sum::<f64>()
                    / paths.len() as f64
            })
            .collect()
    }

    fn grid_dts(paths: &[Vec<Vec<f64>>]) -> Vec<f64> {
        paths[0]
            .iter()
            .map(|grid| 1.0 / grid.len() as f64)
            .collect()
    }

    #[test]
    fn log_exact_steps_compose_to_the_exact_solution() {
        let gbm = Gbm {
            mu: 0.3,
            sigma: 0.7,
        };
        let increments = [0.1, -0.25, 0.05, 0.3];
        let stepped = gbm.terminal(Scheme::LogExact, 2.0, 0.25, &increments);
        let direct = Scheme::LogExact.step(&gbm, 2.0, 1.0, increments.iter().sum());
        assert!((stepped - direct).abs() < 1e-14);
        assert_eq!(gbm.path(Scheme::Milstein, 2.0, 0.25, &increments).len(), 5);
    }

    #[test]
    fn strong_orders_one_half_for_euler_and_one_for_milstein() {
        // Small drift, large volatility: the diffusion error dominates.
        let gbm = Gbm {
            mu: 0.05,
            sigma: 0.8,
        };
        let paths = coupled_paths();
        let dts = grid_dts(&paths);
        let strong =
            |scheme| mean_over_paths(&gbm, scheme, &paths, |approx, exact| (approx - exact).abs());
        let euler = log_log_slope(&dts, &strong(Scheme::EulerMaruyama));
        let milstein = log_log_slope(&dts, &strong(Scheme::Milstein));
        assert!(
            (euler - 0.5).abs() < 0.1,
            "Euler-Maruyama strong order {euler}"
        );
        assert!(
            (milstein - 1.0).abs() < 0.1,
            "Milstein strong order {milstein}"
        );
    }

    #[test]
    fn weak_order_one_for_euler_matching_its_closed_form_bias() {
        // Large drift: the weak error E S_EM(1) - E S(1) = (1 + mu dt)^N - e^mu is
        // sizeable. Estimating it as the mean of the coupled difference
        // S_EM - S_exact (unbiased, as E S_exact = e^mu) cancels most noise.
        let gbm = Gbm {
            mu: 1.5,
            sigma: 0.3,
        };
        let paths = coupled_paths();
        let dts = grid_dts(&paths);
        let differences = mean_over_paths(&gbm, Scheme::EulerMaruyama, &paths, |approx, exact| {
            approx - exact
        });
        let errors: Vec<f64> = differences.iter().map(|d| d.abs()).collect();
        let slope = log_log_slope(&dts, &errors);
        assert!(
            (slope - 1.0).abs() < 0.1,
            "Euler-Maruyama weak order {slope}"
        );
        for (dt, difference) in dts.iter().zip(&differences) {
            let closed_form = (1.0 + gbm.mu * dt).powf(1.0 / dt) - gbm.mu.exp();
            assert!(
                (difference - closed_form).abs() < 0.1 * closed_form.abs(),
                "dt {dt}: {difference} vs {closed_form}"
            );
        }
    }
}
