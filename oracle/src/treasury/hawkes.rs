//! Exponential-kernel Hawkes processes: exact simulation, the intensity filter
//! (17)–(18) and the log-likelihood with the O(n) recursion.

use rand::Rng;
use rand_distr::{Distribution, Gamma};

use super::params::HawkesParams;

/// Simulates a Hawkes process with constant baseline `params.mu` on `(0, horizon]`,
/// starting from excitation `excitation` (the sum Σ α e^{−β(t − t_i)} of past events).
///
/// Exact, by the Dassios–Zhao decomposition: the next arrival is the earlier of
/// a baseline arrival, Exp(mu), and an excitation arrival, whose survival function
/// exp(−E (1 − e^{−βs})/β) inverts in closed form (it may never fire).
/// `on_event(t, intensity_before)` sees each event time and λ(t−).
/// Returns the excitation just after `horizon`.
pub fn simulate<R: Rng + ?Sized>(
    params: &HawkesParams,
    mut excitation: f64,
    horizon: f64,
    rng: &mut R,
    mut on_event: impl FnMut(f64, f64),
) -> f64 {
    let HawkesParams { mu, alpha, beta } = *params;
    let mut time = 0.0;
    loop {
        let baseline_wait = if mu > 0.0 {
            -open_unit(rng).ln() / mu
        } else {
            f64::INFINITY
        };
        let excitation_wait = if excitation > 0.0 {
            let d = 1.0 + beta * open_unit(rng).ln() / excitation;
            if d > 0.0 {
                -d.ln() / beta
            } else {
                f64::INFINITY
            }
        } else {
            f64::INFINITY
        };
        let wait = baseline_wait.min(excitation_wait);
        if time + wait > horizon {
            return excitation * (-beta * (horizon - time)).exp();
        }
        time += wait;
        excitation *= (-beta * wait).exp();
        on_event(time, mu + excitation);
        excitation += alpha;
    }
}

/// Event times of a process started empty (E(0) = 0) on `(0, horizon]`.
pub fn simulate_times<R: Rng + ?Sized>(
    params: &HawkesParams,
    horizon: f64,
    rng: &mut R,
) -> Vec<f64> {
    let mut times = Vec::new();
    simulate(params, 0.0, horizon, rng, |t, _| times.push(t));
    times
}

/// Total dollar volume of `count` exponential marks with mean `mean_ticket`:
/// a Gamma(count, mean_ticket) draw, one draw per window instead of one per event.
pub fn mark_volume<R: Rng + ?Sized>(count: usize, mean_ticket: f64, rng: &mut R) -> f64 {
    if count == 0 {
        return 0.0;
    }
    match Gamma::new(count as f64, mean_ticket) {
        Ok(gamma) => gamma.sample(rng),
        Err(_) => count as f64 * mean_ticket,
    }
}

fn open_unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // (0, 1]: ln never sees zero.
    1.0 - rng.random::<f64>()
}

/// The recursive intensity filter (17)–(18): between events the excitation decays
/// at β toward the baseline, at each event it jumps by α.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntensityFilter {
    pub alpha: f64,
    pub beta: f64,
    /// Excitation Ê at `time`, after any event at `time`.
    pub excitation: f64,
    pub time: f64,
}

impl IntensityFilter {
    pub fn new(alpha: f64, beta: f64) -> Self {
        Self {
            alpha,
            beta,
            excitation: 0.0,
            time: 0.0,
        }
    }

    /// Excitation at `t ≥ self.time`, before any event at `t`.
    pub fn excitation_at(&self, t: f64) -> f64 {
        self.excitation * (-self.beta * (t - self.time)).exp()
    }

    /// Records an event at `t ≥ self.time` (eq. 18).
    pub fn observe(&mut self, t: f64) {
        self.excitation = self.excitation_at(t) + self.alpha;
        self.time = t;
    }

    /// Moves the clock to `t ≥ self.time` without an event (eq. 17).
    pub fn advance(&mut self, t: f64) {
        self.excitation = self.excitation_at(t);
        self.time = t;
    }

    /// Intensity λ̂(t−) = `baseline` + Ê(t−).
    pub fn intensity_at(&self, baseline: f64, t: f64) -> f64 {
        baseline + self.excitation_at(t)
    }
}

/// Exponential-kernel log-likelihood of sorted event times on `(0, horizon]`:
/// Σ log λ(t_i) − ∫_0^T λ, with λ(t_i) = mu + α A_i and
/// A_i = e^{−β(t_i − t_{i−1})}(1 + A_{i−1}), A_1 = 0 (Ozaki's recursion).
pub fn log_likelihood(params: &HawkesParams, times: &[f64], horizon: f64) -> f64 {
    let HawkesParams { mu, alpha, beta } = *params;
    let mut log_sum = 0.0;
    let mut a = 0.0;
    let mut previous: Option<f64> = None;
    let mut kernel_mass = 0.0;
    for &t in times {
        if let Some(p) = previous {
            a = (-beta * (t - p)).exp() * (1.0 + a);
        }
        let intensity = mu + alpha * a;
        if intensity <= 0.0 {
            return f64::NEG_INFINITY;
        }
        log_sum += intensity.ln();
        kernel_mass -= (-beta * (horizon - t)).exp_m1();
        previous = Some(t);
    }
    log_sum - mu * horizon - alpha / beta * kernel_mass
}
