//! Depeg probability of the optimal controller far below 1/N: the curve
//! x ↦ P(max_k δ_k ≥ x) down to 10⁻⁶ and below.
//!
//! **Adaptive multilevel splitting** (the default; Cérou & Guyader 2007, with the
//! tie handling of Bréhier, Lelièvre & Rousset 2016). N particles are full paths
//! scored by S = max_k Φ_k for a per-epoch score Φ_k ≥ δ_k. Each iteration takes the
//! level L = k-th smallest score, kills every particle with S ≤ L (K ≥ k of them),
//! and replaces each by a copy of a uniformly drawn survivor restarted, with a fresh
//! random stream, from the epoch at which that survivor first exceeded L. Every
//! particle counts toward p̂(x) when it leaves the system, with weight
//! Π_j (1 − K_j/N)/N, which makes p̂ unbiased whatever the score; the score decides
//! the variance. Independent replicates run in parallel give the interval (Student t
//! over replicates), with no appeal to the idealised-AMS variance.
//!
//! The default score is δ plus the rise still to come ([`SplittingScore::PredictedRise`]):
//! max_{j≥k} δ_j − δ_k predicted by a least-squares fit per epoch, linear in the
//! reserves, the true excitations and the controller's flow estimates, on a few
//! hundred plain pilot paths. It ranks paths by where they are headed, so copies
//! restart before or early in the nine windows after the onset that decide max δ.
//! The one-window peg outlook ξ_k = δ_k + η E[s_k]/S_k ([`SplittingScore::PegOutlook`])
//! only sees a rise as it happens: high levels are first passed in the last onset
//! windows, copies restart there and end where their parent did, and the ties kill
//! whole replicates ([`TailEstimate::extinct_replicates`]).
//!
//! At the defaults (single shock, 92 days; 100 particles × 16 replicates, about
//! 7 minutes on 2 cores) it gives P(max δ ≥ 24 bp) = 0.219 ± 3 %, 25 bp
//! 0.027 ± 6 % (plain Monte Carlo over 4000 paths: 0.210 ± 3 % and 0.029 ± 9 %),
//! 26 bp 1.1·10⁻³ ± 8 %, 27 bp 2.4·10⁻⁵ ± 32 %, 27.5 bp 1.6·10⁻⁶ ± 29 % and
//! 28 bp 7.0·10⁻⁸ ± 23 % (relative standard errors over the replicates); seed 7
//! gives 1.7·10⁻⁷ ± 35 % at 28 bp. The replicates' estimates are skewed at the highest levels, so the
//! interval there is good to a factor of about 2.
//!
//! **Importance sampling with the cross-entropy method** (an option). The proposal
//! exponentially tilts each window's redeemed and minted volume ([`FlowTilt`]):
//! redemption intensity and mean ticket both × θ_k, mints × χ_k, so a hit is weighted
//! by the exact dP/dQ = exp(Σ_k (θ_k − 1)Λ_k − (V_k/m̄)(1 − 1/θ_k) + mints), which
//! depends on the path only through the window volumes V_k and compensators Λ_k.
//! The cross-entropy method fits θ_k and χ_k per onset window (one shared pair
//! before it) level by level (see the `cross_entropy` function). It agrees with
//! splitting up to 25 bp (effective sample sizes in the hundreds), but from 26 bp on
//! its weights degenerate (effective sample size in single digits) and it
//! underestimates: 27 bp about 6·10⁻⁶ against splitting's 2.4·10⁻⁵. The window
//! volumes explain only about 60 % of the variance of max δ (the controller's state
//! does the rest), so no fixed tilt of them fits the event, and the per-window
//! factors, barely above their estimation noise, add variance of their own (one
//! shared factor over the onset windows, or a factor scaled by δ, did worse). Points
//! are reported with their hits' effective sample size; below about 30 their
//! intervals are not to be trusted.

use std::sync::atomic::{AtomicUsize, Ordering};

use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::params::{ControllerOptions, ModelParams};
use super::scenario::{Scenario, ScenarioSettings};
use super::simulate::{
    simulate_path, FlowTilt, PathSetting, PathState, SettledFlows, SimulationOptions,
};
use super::strategy::{OptimalController, Strategy};
use super::{check, TreasuryError};
use crate::plot::{line_chart, Labels, Series};
use crate::rng::stream;

/// The tail-risk estimation; deserialisable from TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TailConfig {
    pub seed: u64,
    pub model: ModelParams,
    pub controller: ControllerOptions,
    pub scenario: Scenario,
    pub scenarios: ScenarioSettings,
    /// Horizon; paths stop once δ reaches the largest threshold (the event is decided).
    pub simulation: SimulationOptions,
    /// Depeg thresholds x of the curve P(max δ ≥ x), strictly increasing. [C] 24–28 bp
    /// (splitting tallies every threshold from one run; the largest sets the cost):
    /// at the defaults max δ is about 24 bp ± 1 bp (the onset windows' shortfalls plus
    /// many small ones before), and P falls ~20× per bp at 25 bp and ~150× at 28 bp,
    /// so 28 bp is already below 10⁻⁶ and δ_fail = 1 % is far beyond reach.
    pub thresholds: Vec<f64>,
    pub method: TailMethod,
    /// Two-sided confidence level of the intervals: 95 %.
    pub confidence: f64,
}

impl Default for TailConfig {
    fn default() -> Self {
        Self {
            seed: 6,
            model: ModelParams::default(),
            controller: ControllerOptions::default(),
            scenario: Scenario::SingleShock,
            scenarios: ScenarioSettings::default(),
            simulation: SimulationOptions::default(),
            thresholds: vec![0.0024, 0.0025, 0.0026, 0.0027, 0.00275, 0.0028],
            method: TailMethod::Splitting(SplittingOptions::default()),
            confidence: 0.95,
        }
    }
}

/// How the rare event is sampled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TailMethod {
    CrossEntropy(CrossEntropyOptions),
    Splitting(SplittingOptions),
    ImportanceSampling(TiltOptions),
}

/// Adaptive multilevel splitting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SplittingOptions {
    /// Particles N per replicate: the relative error of one replicate is about
    /// √(−log p / N) (1.2 at p = 10⁻⁶ with N = 10).
    pub particles: usize,
    /// Independent replicates, run in parallel; the interval comes from their spread.
    pub replicates: usize,
    /// Particles k below the level of each iteration (k = 1 has the least variance).
    pub killed_per_iteration: usize,
    /// Guard against a score that stops rising: at most this many iterations per
    /// replicate (N log(1/p)/k are needed).
    pub max_iterations: usize,
    /// [C] The importance function whose running maximum ranks the particles.
    pub score: SplittingScore,
}

/// The per-epoch score Φ_k ≥ δ_k of splitting; a particle's score is max_k Φ_k.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplittingScore {
    /// The peg outlook ξ_k = δ_k + η E[s_k]/S_k, one window ahead
    /// ([`PathState::peg_outlook`]).
    PegOutlook,
    /// δ_k plus the rise still to come, max_{j≥k} δ_j − δ_k, predicted by a
    /// least-squares fit linear in the epoch's reserves, true excitations and the
    /// controller's flow estimates, one fit per epoch over `pilot_runs` plain paths.
    /// It ranks paths by where they are headed, not by what they have already done.
    PredictedRise { pilot_runs: usize },
}

impl Default for SplittingOptions {
    fn default() -> Self {
        Self {
            particles: 100,
            replicates: 16,
            killed_per_iteration: 1,
            max_iterations: 100_000,
            score: SplittingScore::PredictedRise { pilot_runs: 400 },
        }
    }
}

/// Importance sampling with a per-window exponential tilt of the redeemed and minted
/// volume chosen by the cross-entropy method; an option (splitting is the default).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrossEntropyOptions {
    /// Paths M of each cross-entropy iteration. The optimal factors are close to 1
    /// (at the defaults θ_k − 1 is 0.1–2.5 %, not far above the sampling noise of
    /// ρM = 50 elite paths' volumes), so M must not be small.
    pub pilot_runs: usize,
    /// Elite fraction ρ: each iteration's level is the (1 − ρ) quantile of max δ.
    pub elite_fraction: f64,
    /// Smoothing s of the update θ ← s θ_CE + (1 − s) θ.
    pub smoothing: f64,
    /// Guard against a level that stops rising: at most this many iterations in all;
    /// thresholds not reached by then are reported as unreached.
    pub max_iterations: usize,
    /// Tilted windows K after the onset window (the shortfalls happen in these).
    pub windows_after_onset: usize,
    /// Upper bound of θ_k and of 1/χ_k: the proposal's branching ratio θn must
    /// stay below 1.
    pub max_factor: f64,
    /// Paths of the final importance-sampling run at each threshold.
    pub runs: usize,
}

impl Default for CrossEntropyOptions {
    fn default() -> Self {
        Self {
            pilot_runs: 500,
            elite_fraction: 0.1,
            smoothing: 0.7,
            max_iterations: 40,
            windows_after_onset: 9,
            max_factor: 1.6,
            runs: 2000,
        }
    }
}

/// Importance sampling with one factor on the redeemed volume (see [`FlowTilt`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TiltOptions {
    pub runs: usize,
    /// Factor θ on the redemption intensity and mean ticket (1 = plain Monte Carlo).
    pub factor: f64,
    /// Days [from, to) on which redemptions are tilted (the shock).
    pub days: (f64, f64),
}

impl Default for TiltOptions {
    fn default() -> Self {
        Self {
            runs: 2000,
            factor: 1.0,
            days: (30.0, 45.0),
        }
    }
}

/// The estimate of P(max δ ≥ threshold).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TailPoint {
    pub threshold: f64,
    pub probability: f64,
    pub standard_error: f64,
    /// Confidence interval, clipped at 0.
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// Paths at or above the threshold: final splitting particles over all
    /// replicates, or importance-sampling paths that hit under the proposal.
    pub hits: usize,
    /// Importance sampling: Kish's effective sample size (Σw)²/Σw² of the hits'
    /// weights, the number of equally weighted hits the estimate is worth.
    pub effective_sample_size: Option<f64>,
}

impl TailPoint {
    /// standard_error / probability (infinite when nothing hit).
    pub fn relative_error(&self) -> f64 {
        self.standard_error / self.probability
    }
}

/// The curve and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TailEstimate {
    pub points: Vec<TailPoint>,
    /// Independent samples behind each interval: replicates or paths.
    pub samples: usize,
    /// Settlement windows simulated in all, the cost of the estimate.
    pub simulated_windows: usize,
    /// Splitting replicates whose particles all tied at a level below the failure
    /// threshold, so that their estimates above that level are 0. Still unbiased, but
    /// if this is not 0 the highest points' intervals understate the uncertainty.
    pub extinct_replicates: usize,
    /// Cross-entropy: the proposal of each threshold's final run.
    pub proposals: Vec<FlowTilt>,
    /// Cross-entropy iterations in all (0 for the other methods).
    pub cross_entropy_iterations: usize,
    /// Cross-entropy: the thresholds whose level `max_iterations` did not reach, in
    /// order; the points before them stand.
    pub unreached_thresholds: Vec<f64>,
}

impl TailConfig {
    pub fn validate(&self) -> Result<(), TreasuryError> {
        self.model.validate()?;
        self.controller.validate()?;
        self.simulation.validate()?;
        check(
            "thresholds",
            self.thresholds.len() as f64,
            !self.thresholds.is_empty(),
            "need at least one",
        )?;
        let mut previous = 0.0;
        for &x in &self.thresholds {
            check("thresholds", x, x > previous, "must be > 0 and increasing")?;
            previous = x;
        }
        match &self.method {
            TailMethod::CrossEntropy(o) => {
                let in_range = |n: usize| (2..=MAX_RUNS).contains(&n);
                let m = o.pilot_runs;
                check("pilot_runs", m as f64, in_range(m), "must lie in [2, 2^32]")?;
                check(
                    "runs",
                    o.runs as f64,
                    in_range(o.runs),
                    "must lie in [2, 2^32]",
                )?;
                let rho = o.elite_fraction;
                check(
                    "elite_fraction",
                    rho,
                    0.0 < rho && rho < 1.0,
                    "must lie in (0, 1)",
                )?;
                let s = o.smoothing;
                check("smoothing", s, 0.0 < s && s <= 1.0, "must lie in (0, 1]")?;
                let i = o.max_iterations;
                check(
                    "max_iterations",
                    i as f64,
                    (1..MAX_INDEX).contains(&i),
                    "must lie in [1, 65536)",
                )?;
                check(
                    "max_factor",
                    o.max_factor,
                    o.max_factor >= 1.0,
                    "must be >= 1",
                )?;
            }
            TailMethod::Splitting(s) => {
                let n = s.particles as f64;
                check(
                    "particles",
                    n,
                    (2..=MAX_INDEX).contains(&s.particles),
                    "must lie in [2, 65536]",
                )?;
                let r = s.replicates as f64;
                check(
                    "replicates",
                    r,
                    (2..=MAX_INDEX).contains(&s.replicates),
                    "must lie in [2, 65536] (the interval needs two)",
                )?;
                let k = s.killed_per_iteration;
                check(
                    "killed_per_iteration",
                    k as f64,
                    k >= 1 && k < s.particles,
                    "must lie in [1, particles)",
                )?;
                let m = s.max_iterations as f64;
                check("max_iterations", m, m < 2f64.powi(32), "must be < 2^32")?;
                if let SplittingScore::PredictedRise { pilot_runs } = s.score {
                    check(
                        "pilot_runs",
                        pilot_runs as f64,
                        (MIN_PILOT_RUNS..=MAX_RUNS).contains(&pilot_runs),
                        "must lie in [20, 2^32] (a fit of 9 regressors per epoch)",
                    )?;
                }
            }
            TailMethod::ImportanceSampling(t) => {
                check("runs", t.runs as f64, t.runs >= 2, "must be >= 2")?;
                check("factor", t.factor, t.factor > 0.0, "must be > 0")?;
                let (from, to) = t.days;
                check(
                    "days",
                    from,
                    0.0 <= from && from <= to,
                    "need 0 <= from <= to",
                )?;
            }
        }
        let c = self.confidence;
        check("confidence", c, 0.0 < c && c < 1.0, "must lie in (0, 1)")
    }

    /// The horizon with absorption at the largest threshold: beyond it nothing is learnt.
    fn stopped_simulation(&self) -> SimulationOptions {
        let largest = self.thresholds.last().copied().unwrap_or(f64::INFINITY);
        SimulationOptions {
            absorbing_deviation: self.simulation.absorbing_deviation.min(largest),
            ..self.simulation
        }
    }
}

/// Estimates P(max δ ≥ x) of the optimal controller at every threshold x.
/// `progress` receives the number of finished paths (splitting: initial particles
/// and restarted copies). Results do not depend on the thread count.
pub fn estimate_tail(
    config: &TailConfig,
    progress: impl Fn(usize) + Sync,
) -> Result<TailEstimate, TreasuryError> {
    config.validate()?;
    let finished = AtomicUsize::new(0);
    let tick = || progress(finished.fetch_add(1, Ordering::Relaxed) + 1);
    match &config.method {
        TailMethod::CrossEntropy(options) => cross_entropy(config, options, &tick),
        TailMethod::Splitting(options) => splitting(config, options, &tick),
        TailMethod::ImportanceSampling(options) => Ok(importance_sampling(config, options, &tick)),
    }
}

/// Upper bound of the replicate, iteration and particle indices packed into a stream id.
const MAX_INDEX: usize = 1 << 16;

/// Stream id of particle `slot` drawn at `iteration` (0: the initial draw) of `replicate`.
fn splitting_stream(replicate: usize, iteration: usize, slot: usize) -> u64 {
    ((replicate as u64) << 48) | ((iteration as u64) << 16) | slot as u64
}

/// Epoch 0 of a path of the optimal controller: its reserves and a fresh controller.
fn optimal_start(config: &TailConfig) -> (PathState, OptimalController) {
    let path = PathState::new(
        &config.model,
        Strategy::Optimal.initial_reserves(config.model.supply),
    );
    (
        path,
        OptimalController::new(config.model, config.controller),
    )
}

/// A restart point: the path and the controller's state at one epoch.
#[derive(Debug, Clone)]
struct Snapshot {
    path: PathState,
    controller: OptimalController,
    /// The score Φ at this epoch.
    score: f64,
}

/// The splitting score, ready to evaluate.
enum Importance {
    PegOutlook,
    PredictedRise(RiseForecast),
}

impl Importance {
    /// Φ_k at the epoch of `path`: ∞ once absorbed (its failure is decided), δ at the end.
    fn score(
        &self,
        setting: &PathSetting,
        path: &PathState,
        controller: &OptimalController,
    ) -> f64 {
        match self {
            Importance::PegOutlook => path.peg_outlook(setting),
            Importance::PredictedRise(_) if path.is_absorbed() => f64::INFINITY,
            Importance::PredictedRise(forecast) => {
                let rise = forecast.predict(path.window(), &state_features(path, controller));
                path.deviation() + rise.max(0.0)
            }
        }
    }
}

/// Regressors of the predicted rise: reserves over supply, supply, δ, the true excitations and
/// the controller's estimates of the baselines and the redemption excitation.
const FEATURES: usize = 9;

fn state_features(path: &PathState, controller: &OptimalController) -> [f64; FEATURES] {
    let r = path.reserves();
    let belief = controller.flow_state();
    [
        r.cash / r.supply,
        r.bills / r.supply,
        r.supply,
        r.deviation,
        r.redemption_excitation,
        r.mint_excitation,
        belief.redemption_baseline,
        belief.mint_baseline,
        belief.redemption_excitation,
    ]
}

/// Per-epoch least-squares predictions of max_{j≥k} δ_j − δ_k from the state at k.
#[derive(Debug, Clone)]
struct RiseForecast {
    /// Per epoch: intercept and coefficients on the raw features.
    epochs: Vec<(f64, [f64; FEATURES])>,
}

impl RiseForecast {
    fn predict(&self, epoch: usize, features: &[f64; FEATURES]) -> f64 {
        self.epochs
            .get(epoch)
            .map_or(0.0, |(intercept, coefficients)| {
                intercept
                    + coefficients
                        .iter()
                        .zip(features)
                        .map(|(c, z)| c * z)
                        .sum::<f64>()
            })
    }

    /// Fits every epoch on `runs` plain paths (stream ids `PILOT_STREAMS + i`);
    /// also returns the windows they simulated.
    fn fit(
        config: &TailConfig,
        setting: &PathSetting,
        runs: usize,
        tick: &(impl Fn() + Sync),
    ) -> (Self, usize) {
        let windows = setting.options.windows();
        // Per path: the features at each epoch it reached alive, and δ at every epoch.
        let paths: Vec<(Vec<[f64; FEATURES]>, Vec<f64>)> = (0..runs as u64)
            .into_par_iter()
            .map(|i| {
                let mut rng = stream(config.seed, PILOT_STREAMS | i);
                let (mut path, mut controller) = optimal_start(config);
                let mut features = Vec::with_capacity(windows);
                while !path.is_complete(setting) && !path.is_absorbed() {
                    features.push(state_features(&path, &controller));
                    path.step(setting, &mut controller, None, &mut rng);
                }
                tick();
                (features, path.record().deviation.clone())
            })
            .collect();
        let epochs = (0..windows)
            .map(|k| {
                let rows: Vec<(&[f64; FEATURES], f64)> = paths
                    .iter()
                    .filter(|(features, _)| k < features.len())
                    .map(|(features, deviation)| {
                        let rise =
                            deviation[k..].iter().copied().fold(f64::MIN, f64::max) - deviation[k];
                        (&features[k], rise)
                    })
                    .collect();
                least_squares(&rows)
            })
            .collect();
        let simulated_windows = paths.iter().map(|(features, _)| features.len()).sum();
        (Self { epochs }, simulated_windows)
    }
}

/// Stream ids of the pilot paths of [`SplittingScore::PredictedRise`].
const PILOT_STREAMS: u64 = 1 << 62;

/// Fewest pilot paths: more than twice the regressors.
const MIN_PILOT_RUNS: usize = 2 * FEATURES + 2;

/// Ridge-stabilised least squares of y on standardised x, mapped back to raw x.
/// Constant columns get coefficient 0; too few rows give the mean.
fn least_squares(rows: &[(&[f64; FEATURES], f64)]) -> (f64, [f64; FEATURES]) {
    let n = rows.len();
    if n == 0 {
        return (0.0, [0.0; FEATURES]);
    }
    let mean_y = rows.iter().map(|r| r.1).sum::<f64>() / n as f64;
    if n <= 2 * FEATURES {
        return (mean_y, [0.0; FEATURES]);
    }
    let mut mean = [0.0; FEATURES];
    let mut scale = [0.0; FEATURES];
    for i in 0..FEATURES {
        mean[i] = rows.iter().map(|r| r.0[i]).sum::<f64>() / n as f64;
        let variance = rows.iter().map(|r| (r.0[i] - mean[i]).powi(2)).sum::<f64>() / n as f64;
        scale[i] = variance.sqrt();
    }
    let varying: Vec<usize> = (0..FEATURES)
        .filter(|&i| scale[i] > 1e-12 * (1.0 + mean[i].abs()))
        .collect();
    let z = DMatrix::from_fn(n, varying.len(), |row, j| {
        let i = varying[j];
        (rows[row].0[i] - mean[i]) / scale[i]
    });
    let y = DVector::from_fn(n, |row, _| rows[row].1 - mean_y);
    let ridge = 1e-9 * n as f64;
    let gram = z.transpose() * &z + DMatrix::identity(varying.len(), varying.len()) * ridge;
    let mut coefficients = [0.0; FEATURES];
    let mut intercept = mean_y;
    if let Some(cholesky) = gram.cholesky() {
        let beta = cholesky.solve(&(z.transpose() * y));
        for (j, &i) in varying.iter().enumerate() {
            coefficients[i] = beta[j] / scale[i];
            intercept -= coefficients[i] * mean[i];
        }
    }
    (intercept, coefficients)
}

/// One splitting particle: its score max_k Φ_k (≥ δ_k), its maximum deviation, and
/// its restart points: the snapshots at the epochs where the running maximum of Φ
/// rose.
#[derive(Debug)]
struct Particle {
    score: f64,
    max_deviation: f64,
    rises: Vec<Snapshot>,
    simulated_windows: usize,
}

impl Particle {
    /// The state at the first epoch with Φ > `level`, where a copy restarts.
    fn restart_point(&self, level: f64) -> &Snapshot {
        self.rises
            .iter()
            .find(|s| s.score > level)
            .expect("a particle above the level rose past it")
    }
}

/// Simulates from `start` to the end of the horizon (or absorption), recording a
/// snapshot each time the running maximum of the score rises.
fn grow<R: Rng + ?Sized>(
    setting: &PathSetting,
    importance: &Importance,
    start: Snapshot,
    rng: &mut R,
) -> Particle {
    let mut particle = Particle {
        score: start.score,
        max_deviation: start.path.record().max_deviation(),
        rises: vec![start.clone()],
        simulated_windows: 0,
    };
    let mut current = start;
    while !current.path.is_complete(setting) && !current.path.is_absorbed() {
        current
            .path
            .step(setting, &mut current.controller, None, rng);
        particle.simulated_windows += 1;
        particle.max_deviation = particle.max_deviation.max(current.path.deviation());
        current.score = importance.score(setting, &current.path, &current.controller);
        if current.score > particle.score {
            particle.score = current.score;
            particle.rises.push(current.clone());
        }
    }
    particle
}

/// One replicate's estimate at a threshold and its particles at or above it.
type LevelEstimate = (f64, usize);

/// What one splitting replicate returns.
struct Replicate {
    estimates: Vec<LevelEstimate>,
    simulated_windows: usize,
    /// Whether every particle tied at a level before the largest threshold failed.
    extinct: bool,
}

/// Per-threshold estimates of one splitting replicate, and the windows it simulated.
fn splitting_replicate(
    config: &TailConfig,
    setting: &PathSetting,
    options: &SplittingOptions,
    importance: &Importance,
    replicate: usize,
    tick: &(impl Fn() + Sync),
) -> Result<Replicate, TreasuryError> {
    let n = options.particles;
    let rng = |iteration, slot| stream(config.seed, splitting_stream(replicate, iteration, slot));
    let (path, controller) = optimal_start(config);
    let fresh = Snapshot {
        score: importance.score(setting, &path, &controller),
        path,
        controller,
    };
    let mut particles: Vec<Particle> = (0..n)
        .into_par_iter()
        .map(|slot| {
            let particle = grow(setting, importance, fresh.clone(), &mut rng(0, slot));
            tick();
            particle
        })
        .collect();
    let mut simulated_windows: usize = particles.iter().map(|p| p.simulated_windows).sum();
    let mut tally = Tally::new(&config.thresholds);
    let mut log_survival: f64 = 0.0;
    let mut extinct = false;
    for iteration in 1.. {
        let mut scores: Vec<f64> = particles.iter().map(|p| p.score).collect();
        scores.sort_by(f64::total_cmp);
        let level = scores[options.killed_per_iteration - 1];
        let weight = log_survival.exp() / n as f64;
        // Failed (absorbed at the largest threshold) particles score ∞: stop once
        // all but k − 1 have failed.
        if level == f64::INFINITY {
            particles.iter().for_each(|p| tally.add(p, weight));
            break;
        }
        let (killed, survivors): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| particles[i].score <= level);
        killed
            .iter()
            .for_each(|&i| tally.add(&particles[i], weight));
        if survivors.is_empty() {
            extinct = true;
            break;
        }
        if iteration > options.max_iterations {
            return Err(TreasuryError::SplittingStalled {
                iterations: options.max_iterations,
                level,
            });
        }
        log_survival += (-(killed.len() as f64) / n as f64).ln_1p();
        let offspring: Vec<Particle> = killed
            .par_iter()
            .map(|&slot| {
                let mut rng = rng(iteration, slot);
                let parent = &particles[survivors[rng.random_range(0..survivors.len())]];
                let start = parent.restart_point(level).clone();
                let particle = grow(setting, importance, start, &mut rng);
                tick();
                particle
            })
            .collect();
        for (slot, particle) in killed.into_iter().zip(offspring) {
            simulated_windows += particle.simulated_windows;
            particles[slot] = particle;
        }
    }
    Ok(Replicate {
        estimates: tally.estimates,
        simulated_windows,
        extinct,
    })
}

/// The weighted empirical measure of the event at each threshold: every particle
/// counts, when it leaves the system (killed, or alive at the end), with its weight
/// Π_{i<j}(1 − K_i/N)/N. Over all particles the weights sum to 1.
struct Tally<'a> {
    thresholds: &'a [f64],
    estimates: Vec<LevelEstimate>,
}

impl<'a> Tally<'a> {
    fn new(thresholds: &'a [f64]) -> Self {
        Self {
            thresholds,
            estimates: vec![(0.0, 0); thresholds.len()],
        }
    }

    fn add(&mut self, particle: &Particle, weight: f64) {
        for (x, (probability, hits)) in self.thresholds.iter().zip(&mut self.estimates) {
            if particle.max_deviation >= *x {
                *probability += weight;
                *hits += 1;
            }
        }
    }
}

fn splitting(
    config: &TailConfig,
    options: &SplittingOptions,
    tick: &(impl Fn() + Sync),
) -> Result<TailEstimate, TreasuryError> {
    let simulation = config.stopped_simulation();
    let setting = PathSetting {
        model: &config.model,
        scenarios: &config.scenarios,
        scenario: config.scenario,
        options: &simulation,
    };
    let (importance, pilot_windows) = match options.score {
        SplittingScore::PegOutlook => (Importance::PegOutlook, 0),
        SplittingScore::PredictedRise { pilot_runs } => {
            let (forecast, windows) = RiseForecast::fit(config, &setting, pilot_runs, tick);
            (Importance::PredictedRise(forecast), windows)
        }
    };
    let replicates = (0..options.replicates)
        .into_par_iter()
        .map(|r| splitting_replicate(config, &setting, options, &importance, r, tick))
        .collect::<Result<Vec<_>, _>>()?;
    let t = StudentsT::new(0.0, 1.0, (options.replicates - 1) as f64)
        .expect("at least two replicates")
        .inverse_cdf(0.5 + config.confidence / 2.0);
    let points = config
        .thresholds
        .iter()
        .enumerate()
        .map(|(i, &threshold)| {
            let values: Vec<f64> = replicates.iter().map(|r| r.estimates[i].0).collect();
            let hits = replicates.iter().map(|r| r.estimates[i].1).sum();
            TailPoint {
                hits,
                ..interval(threshold, &values, t)
            }
        })
        .collect();
    Ok(TailEstimate {
        points,
        samples: options.replicates,
        simulated_windows: pilot_windows
            + replicates
                .iter()
                .map(|r| r.simulated_windows)
                .sum::<usize>(),
        extinct_replicates: replicates.iter().filter(|r| r.extinct).count(),
        proposals: Vec::new(),
        cross_entropy_iterations: 0,
        unreached_thresholds: Vec::new(),
    })
}

fn importance_sampling(
    config: &TailConfig,
    options: &TiltOptions,
    tick: &(impl Fn() + Sync),
) -> TailEstimate {
    let window = |day: f64| config.simulation.window_of_day(day);
    let tilt = FlowTilt::redemptions(
        options.factor,
        window(options.days.0)..window(options.days.1),
    );
    let paths = weighted_paths(config, &tilt, 0..options.runs as u64, tick);
    TailEstimate {
        points: config
            .thresholds
            .iter()
            .map(|&x| weighted_point(x, &paths, config.confidence))
            .collect(),
        samples: options.runs,
        simulated_windows: paths.len() * config.simulation.windows(),
        extinct_replicates: 0,
        proposals: Vec::new(),
        cross_entropy_iterations: 0,
        unreached_thresholds: Vec::new(),
    }
}

/// What importance sampling keeps of a path simulated under a proposal.
struct WeightedPath {
    max_deviation: f64,
    log_likelihood_ratio: f64,
    /// The flows of the proposal's windows (the cross-entropy statistics).
    flows: Vec<SettledFlows>,
}

/// Paths of the optimal controller under `tilt`, one per stream id, in parallel.
fn weighted_paths(
    config: &TailConfig,
    tilt: &FlowTilt,
    streams: std::ops::Range<u64>,
    tick: &(impl Fn() + Sync),
) -> Vec<WeightedPath> {
    let simulation = config.stopped_simulation();
    let windows = tilt.windows();
    streams
        .into_par_iter()
        .map(|id| {
            let mut controller = OptimalController::new(config.model, config.controller);
            let record = simulate_path(
                &config.model,
                &config.scenarios,
                config.scenario,
                &simulation,
                Strategy::Optimal.initial_reserves(config.model.supply),
                &mut controller,
                Some(tilt.clone()),
                &mut stream(config.seed, id),
            );
            tick();
            WeightedPath {
                max_deviation: record.max_deviation(),
                log_likelihood_ratio: record.log_likelihood_ratio,
                flows: record.flows[windows.clone()].to_vec(),
            }
        })
        .collect()
}

/// The importance-sampling estimate of P(max δ ≥ threshold): the mean of
/// w_i 1{max δ_i ≥ x} with w = dP/dQ, its CLT interval and the hits' Kish ESS.
fn weighted_point(threshold: f64, paths: &[WeightedPath], confidence: f64) -> TailPoint {
    let z = Normal::standard().inverse_cdf(0.5 + confidence / 2.0);
    let weights: Vec<f64> = paths
        .iter()
        .map(|p| {
            if p.max_deviation >= threshold {
                p.log_likelihood_ratio.exp()
            } else {
                0.0
            }
        })
        .collect();
    let sum: f64 = weights.iter().sum();
    let sum_of_squares: f64 = weights.iter().map(|w| w * w).sum();
    TailPoint {
        hits: weights.iter().filter(|&&w| w > 0.0).count(),
        effective_sample_size: Some(if sum > 0.0 {
            sum * sum / sum_of_squares
        } else {
            0.0
        }),
        ..interval(threshold, &weights, z)
    }
}

/// Largest number of paths per run: the path index fills the low 32 bits of a stream id.
const MAX_RUNS: usize = 1 << 32;

/// Stream id of path `path` of cross-entropy iteration `iteration` (≥ 1), or of the
/// final run at threshold `j` (iteration 0 stands for the final runs, offset by j).
fn cross_entropy_stream(iteration: usize, final_run: Option<usize>, path: u64) -> u64 {
    let stage = match final_run {
        None => iteration as u64,
        Some(j) => (MAX_INDEX + j) as u64,
    };
    (1 << 63) | (stage << 32) | path
}

/// Importance sampling with the cross-entropy method (Rubinstein 1999; de Boer,
/// Kroese, Mannor & Rubinstein 2005).
///
/// The proposal ([`FlowTilt`]) exponentially tilts each window k up to K windows
/// after the onset: redemption intensity and mean ticket both × θ_k,
/// mint intensity and ticket both × χ_k. Its log-density relative to the true law is
/// Σ_k [(V_k/m̄)(1 − 1/θ_k) − (θ_k − 1)Λ_k] plus the same for mints, with
/// Λ_k = ∫_k λ_R dt the true compensator and V_k the redeemed volume: concave in
/// each factor. The cross-entropy program max E_P[1{max δ ≥ γ} log q] therefore has
/// the closed-form solution θ_k = √(Σ w V_k / (m̄ Σ w Λ_k)), the square root of
/// the ratio of the volume on the event to the volume expected, with weights
/// w = dP/dQ over the paths that reach γ (and likewise χ_k), clipped toward the
/// event ([1, max_factor] for θ, [1/max_factor, 1] for χ), then smoothed. The
/// windows before the onset share one θ and one χ (their shortfalls are small and
/// alike, but there are many of them: at the defaults they add about half as much
/// spread to max δ as the onset windows do); the sums then run over the group.
///
/// Tilting the counts alone is weak (the controller re-estimates its baseline from
/// the very counts it raises) and tilting the tickets alone leaves N log θ in the
/// weight, whose Hawkes overdispersion degenerates the weights; the joint tilt is
/// the natural exponential family of the window volume, and its weight depends on
/// the path only through V and Λ.
///
/// Level γ is the (1 − ρ) quantile of max δ, capped at the next threshold x_j; once
/// it reaches x_j the proposal is frozen and a final run with fresh streams gives
/// p̂(x_j), then the iterations continue from there toward x_{j+1}.
fn cross_entropy(
    config: &TailConfig,
    options: &CrossEntropyOptions,
    tick: &(impl Fn() + Sync),
) -> Result<TailEstimate, TreasuryError> {
    let windows = config.simulation.windows();
    let onset = config
        .simulation
        .window_of_day(config.scenarios.onset_day)
        .min(windows);
    let end = (onset + options.windows_after_onset + 1).min(windows);
    let mut tilt = FlowTilt::redemptions(1.0, 0..end);
    let groups: Vec<std::ops::Range<usize>> = std::iter::once(0..onset)
        .filter(|before| !before.is_empty())
        .chain((onset..end).map(|k| k..k + 1))
        .collect();
    let mut level = f64::NEG_INFINITY;
    let mut iteration = 0;
    let mut points = Vec::new();
    let mut proposals = Vec::new();
    let mut simulated_paths = 0;
    let mut unreached_thresholds = Vec::new();
    'thresholds: for (j, &threshold) in config.thresholds.iter().enumerate() {
        while level < threshold {
            iteration += 1;
            if iteration > options.max_iterations {
                unreached_thresholds = config.thresholds[j..].to_vec();
                break 'thresholds;
            }
            let m = options.pilot_runs as u64;
            let streams =
                cross_entropy_stream(iteration, None, 0)..cross_entropy_stream(iteration, None, m);
            let pilot = weighted_paths(config, &tilt, streams, tick);
            simulated_paths += pilot.len();
            level = elite_level(&pilot, options.elite_fraction).min(threshold);
            tilt = cross_entropy_update(&pilot, level, &tilt, &groups, config, options);
        }
        let n = options.runs as u64;
        let streams = cross_entropy_stream(0, Some(j), 0)..cross_entropy_stream(0, Some(j), n);
        let paths = weighted_paths(config, &tilt, streams, tick);
        simulated_paths += paths.len();
        points.push(weighted_point(threshold, &paths, config.confidence));
        proposals.push(tilt.clone());
    }
    Ok(TailEstimate {
        points,
        samples: options.runs,
        simulated_windows: simulated_paths * config.simulation.windows(),
        extinct_replicates: 0,
        proposals,
        cross_entropy_iterations: iteration.min(options.max_iterations),
        unreached_thresholds,
    })
}

/// The (1 − ρ) quantile of max δ over `paths`: at least ⌈ρM⌉ paths reach it.
fn elite_level(paths: &[WeightedPath], elite_fraction: f64) -> f64 {
    let mut scores: Vec<f64> = paths.iter().map(|p| p.max_deviation).collect();
    scores.sort_by(f64::total_cmp);
    let elite = ((elite_fraction * scores.len() as f64).ceil() as usize).clamp(1, scores.len());
    scores[scores.len() - elite]
}

/// The next proposal: the cross-entropy solutions over the paths with max δ ≥ `level`
/// (weights dP/dQ, rescaled by the largest: only ratios matter), clipped and smoothed
/// toward `tilt`. A window no elite path reached alive keeps its factors.
fn cross_entropy_update(
    paths: &[WeightedPath],
    level: f64,
    tilt: &FlowTilt,
    groups: &[std::ops::Range<usize>],
    config: &TailConfig,
    options: &CrossEntropyOptions,
) -> FlowTilt {
    let elite: Vec<&WeightedPath> = paths.iter().filter(|p| p.max_deviation >= level).collect();
    let largest = elite
        .iter()
        .map(|p| p.log_likelihood_ratio)
        .fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = elite
        .iter()
        .map(|p| (p.log_likelihood_ratio - largest).exp())
        .collect();
    let weighted = |group: &std::ops::Range<usize>, value: fn(&SettledFlows) -> f64| -> f64 {
        elite
            .iter()
            .zip(&weights)
            .map(|(p, w)| w * p.flows[group.clone()].iter().map(value).sum::<f64>())
            .sum()
    };
    let tickets = &config.model.flows;
    let max = options.max_factor;
    let fitted = |current: f64, volume: f64, expected_volume: f64, bounds: (f64, f64)| {
        if expected_volume > 0.0 {
            let target = (volume / expected_volume).sqrt().clamp(bounds.0, bounds.1);
            options.smoothing * target + (1.0 - options.smoothing) * current
        } else {
            current
        }
    };
    let mut next = tilt.clone();
    for group in groups {
        let first = group.start;
        let redemption = fitted(
            tilt.redemption[first],
            weighted(group, |f| f.redemption.volume),
            weighted(group, |f| f.redemption.compensator) * tickets.redemption_ticket,
            (1.0, max),
        );
        let mint = fitted(
            tilt.mint[first],
            weighted(group, |f| f.mint.volume),
            weighted(group, |f| f.mint.compensator) * tickets.mint_ticket,
            (1.0 / max, 1.0),
        );
        next.redemption[group.clone()].fill(redemption);
        next.mint[group.clone()].fill(mint);
    }
    next
}

/// Mean of i.i.d. unbiased `values` and the interval mean ± quantile·SE, clipped at 0.
fn interval(threshold: f64, values: &[f64], quantile: f64) -> TailPoint {
    let n = values.len() as f64;
    let probability = values.iter().sum::<f64>() / n;
    let variance = values
        .iter()
        .map(|v| (v - probability).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    let standard_error = (variance / n).sqrt();
    TailPoint {
        threshold,
        probability,
        standard_error,
        ci_lower: (probability - quantile * standard_error).max(0.0),
        ci_upper: probability + quantile * standard_error,
        hits: 0,
        effective_sample_size: None,
    }
}

/// Wilson score interval of a binomial proportion `hits`/`runs`: the reference
/// interval of plain Monte Carlo, sound even with few hits.
pub fn wilson_interval(hits: usize, runs: usize, confidence: f64) -> (f64, f64) {
    let z = Normal::standard().inverse_cdf(0.5 + confidence / 2.0);
    let n = runs as f64;
    let p = hits as f64 / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Writes the curve as an SVG chart: log10 P(max δ ≥ x) against x in bp, with the
/// confidence band (at level `confidence`) where its lower end is positive, and a
/// reference line at 10⁻⁶.
pub fn write_tail_plot(
    estimate: &TailEstimate,
    confidence: f64,
    path: &std::path::Path,
) -> Result<(), TreasuryError> {
    let resolved: Vec<&TailPoint> = estimate
        .points
        .iter()
        .filter(|p| p.probability > 0.0)
        .collect();
    let bp = |x: f64| 1e4 * x;
    let curve = Series::line(
        "P(max δ ≥ x)",
        resolved
            .iter()
            .map(|p| (bp(p.threshold), p.probability.log10()))
            .collect(),
    )
    .with_band(
        resolved
            .iter()
            .filter(|p| p.ci_lower > 0.0)
            .map(|p| (bp(p.threshold), p.ci_lower.log10(), p.ci_upper.log10()))
            .collect(),
    );
    let span: Vec<f64> = estimate.points.iter().map(|p| bp(p.threshold)).collect();
    let reference = Series::line(
        "10⁻⁶",
        vec![
            (span.first().copied().unwrap_or(0.0), -6.0),
            (span.last().copied().unwrap_or(0.0), -6.0),
        ],
    );
    let title = format!(
        "Optimal controller: depeg probability ({:.0} % band)",
        100.0 * confidence
    );
    line_chart(
        path,
        Labels {
            title: &title,
            x: "depeg threshold x (bp)",
            y: "log10 P(max δ ≥ x)",
        },
        &[curve, reference],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fit recovers an exact linear law in raw units, however differently the
    /// features are scaled, and ignores a constant feature.
    #[test]
    fn least_squares_recovers_a_linear_law() {
        let truth = [2.0, -3e-6, 0.0, 5e4, 0.0, 0.0, 0.0, 0.0, 1.0];
        let features: Vec<[f64; FEATURES]> = (0..50)
            .map(|i| {
                let t = i as f64;
                [
                    t.sin(),
                    1e6 * t.cos(),
                    7.0,
                    1e-5 * (t * 0.3).sin(),
                    t,
                    0.0,
                    1.0,
                    -2.0,
                    t * t,
                ]
            })
            .collect();
        let rows: Vec<(&[f64; FEATURES], f64)> = features
            .iter()
            .map(|z| {
                (
                    z,
                    0.5 + truth.iter().zip(z).map(|(b, x)| b * x).sum::<f64>(),
                )
            })
            .collect();
        let (intercept, coefficients) = least_squares(&rows);
        for (z, y) in &rows {
            let fitted = intercept
                + coefficients
                    .iter()
                    .zip(z.iter())
                    .map(|(b, x)| b * x)
                    .sum::<f64>();
            assert!(
                (fitted - y).abs() < 1e-4 * (1.0 + y.abs()),
                "{fitted} vs {y}"
            );
        }
        assert_eq!(
            coefficients[2], 0.0,
            "a constant feature has no coefficient"
        );
    }

    #[test]
    fn least_squares_with_too_few_rows_predicts_the_mean() {
        let z = [1.0; FEATURES];
        let (intercept, coefficients) = least_squares(&[(&z, 1.0), (&z, 3.0)]);
        assert_eq!((intercept, coefficients), (2.0, [0.0; FEATURES]));
    }
}
