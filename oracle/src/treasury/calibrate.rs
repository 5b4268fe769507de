//! Maximum-likelihood calibration of (mu, alpha, beta) from event times.
//!
//! Nelder–Mead on log-parameters (positivity for free, scale-free simplex), restarted
//! from its own optimum until the restart no longer improves; standard errors from
//! the observed information, the negative Hessian of the log-likelihood.

use nalgebra::{Matrix3, Vector3};
use serde::{Deserialize, Serialize};

use super::hawkes::log_likelihood;
use super::params::HawkesParams;
use super::TreasuryError;

/// A fitted Hawkes process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub params: HawkesParams,
    /// Standard errors of (mu, alpha, beta) from the observed information.
    pub standard_errors: HawkesParams,
    pub log_likelihood: f64,
    pub events: usize,
}

/// Fewest events for which the three parameters are meaningfully identified.
pub const MIN_EVENTS: usize = 10;

/// Fits an exponential-kernel Hawkes process to sorted `times` in `(0, horizon]`.
pub fn calibrate(times: &[f64], horizon: f64) -> Result<Calibration, TreasuryError> {
    validate_times(times, horizon)?;
    let objective = |theta: &Vector3<f64>| -log_likelihood(&from_log(theta), times, horizon);
    // Start from a Poisson fit with moderate clustering at a decay of 10 mean gaps.
    let rate = times.len() as f64 / horizon;
    let beta0 = 0.1 * rate;
    let mut theta = Vector3::new((0.5 * rate).ln(), (0.5 * beta0).ln(), beta0.ln());
    let mut best = objective(&theta);
    for _ in 0..10 {
        let (next, value) = nelder_mead(&objective, theta, 0.5, 1e-12, 4000);
        let improved = best - value > 1e-9 * best.abs().max(1.0);
        theta = next;
        best = value;
        if !improved {
            break;
        }
    }
    let params = from_log(&theta);
    let information = -log_likelihood_hessian(&params, times, horizon);
    let covariance = information
        .cholesky()
        .ok_or(TreasuryError::NotIdentified)?
        .inverse();
    let se = |i: usize| covariance[(i, i)].sqrt();
    Ok(Calibration {
        params,
        standard_errors: HawkesParams {
            mu: se(0),
            alpha: se(1),
            beta: se(2),
        },
        log_likelihood: -best,
        events: times.len(),
    })
}

fn validate_times(times: &[f64], horizon: f64) -> Result<(), TreasuryError> {
    super::check("horizon", horizon, horizon > 0.0, "must be > 0")?;
    if times.len() < MIN_EVENTS {
        return Err(TreasuryError::TooFewEvents {
            needed: MIN_EVENTS,
            got: times.len(),
            horizon,
        });
    }
    let mut previous = 0.0;
    for (index, &time) in times.iter().enumerate() {
        if !(time.is_finite() && time > 0.0 && time >= previous && time <= horizon) {
            return Err(TreasuryError::BadEventTime {
                index,
                time,
                horizon,
            });
        }
        previous = time;
    }
    Ok(())
}

fn from_log(theta: &Vector3<f64>) -> HawkesParams {
    HawkesParams {
        mu: theta[0].exp(),
        alpha: theta[1].exp(),
        beta: theta[2].exp(),
    }
}

/// Hessian of the log-likelihood in (mu, alpha, beta) by central differences with
/// relative steps: at the optimum the curvature is O(n), far above the rounding
/// error O(ε n / h²) of the differences.
fn log_likelihood_hessian(params: &HawkesParams, times: &[f64], horizon: f64) -> Matrix3<f64> {
    let x = Vector3::new(params.mu, params.alpha, params.beta);
    let h = x.map(|v| 1e-4 * v);
    let f = |v: Vector3<f64>| {
        let p = HawkesParams {
            mu: v[0],
            alpha: v[1],
            beta: v[2],
        };
        log_likelihood(&p, times, horizon)
    };
    let unit = |i: usize| Vector3::ith(i, 1.0);
    Matrix3::from_fn(|i, j| {
        let (ei, ej) = (unit(i) * h[i], unit(j) * h[j]);
        (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4.0 * h[i] * h[j])
    })
}

/// Nelder–Mead minimisation from `start` with an initial simplex of edge `scale`;
/// stops when the simplex's value spread falls below `tolerance` (relative) or
/// after `max_evaluations`. Returns the best vertex and its value.
pub fn nelder_mead<const N: usize>(
    f: &impl Fn(&nalgebra::SVector<f64, N>) -> f64,
    start: nalgebra::SVector<f64, N>,
    scale: f64,
    tolerance: f64,
    max_evaluations: usize,
) -> (nalgebra::SVector<f64, N>, f64) {
    type V<const N: usize> = nalgebra::SVector<f64, N>;
    let value = |x: &V<N>| {
        let y = f(x);
        if y.is_nan() {
            f64::INFINITY
        } else {
            y
        }
    };
    let mut simplex: Vec<(V<N>, f64)> = (0..=N)
        .map(|i| {
            let mut x = start;
            if i > 0 {
                x[i - 1] += scale;
            }
            (x, value(&x))
        })
        .collect();
    let mut evaluations = N + 1;
    while evaluations < max_evaluations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[N].1);
        if (worst - best).abs() <= tolerance * best.abs().max(1e-300) {
            break;
        }
        let centroid = simplex[..N].iter().map(|v| v.0).sum::<V<N>>() / N as f64;
        let toward = |t: f64| centroid + (simplex[N].0 - centroid) * t;
        let reflected = toward(-1.0);
        let fr = value(&reflected);
        evaluations += 1;
        if fr < best {
            let expanded = toward(-2.0);
            let fe = value(&expanded);
            evaluations += 1;
            simplex[N] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < simplex[N - 1].1 {
            simplex[N] = (reflected, fr);
        } else {
            let contracted = if fr < worst {
                toward(-0.5)
            } else {
                toward(0.5)
            };
            let fc = value(&contracted);
            evaluations += 1;
            if fc < fr.min(worst) {
                simplex[N] = (contracted, fc);
            } else {
                let anchor = simplex[0].0;
                for vertex in simplex.iter_mut().skip(1) {
                    vertex.0 = anchor + (vertex.0 - anchor) * 0.5;
                    vertex.1 = value(&vertex.0);
                }
                evaluations += N;
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    (simplex[0].0, simplex[0].1)
}
