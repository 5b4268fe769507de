//! One simulated path of the reserve under a strategy (spec §5.3).

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::forecast::{forecast, FlowState};
use super::hawkes::{mark_volume, simulate};
use super::params::{FlowParams, HawkesParams, ModelParams, ShortfallClosure, WINDOWS_PER_DAY};
use super::peg::{next_deviation, planned_shortfall, realised_shortfall};
use super::scenario::{Scenario, ScenarioSettings};
use super::strategy::{Observation, Policy, WindowEvents};
use super::{check, TreasuryError};

/// Path-level simulation choices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimulationOptions {
    /// Days simulated: 92 (1 Aug – 31 Oct 2025) [S], three windows a day.
    pub days: usize,
    /// [C] The path is dead once δ reaches this (price 0): 1.
    pub absorbing_deviation: f64,
    /// [C] ... or once supply falls to this fraction of S_0: 0.05.
    pub absorbing_supply_fraction: f64,
    /// [C] Credit fee income f·(R + M) to cash (spec §2.4 option; irrelevant when f ≡ 0).
    pub fee_revenue_to_cash: bool,
    /// Settlement window Δ in hours: 8 [S]. Only relabels windows as days; the
    /// per-window parameters must match it (see `sensitivity::rescale_window`).
    pub window_hours: f64,
}

impl Default for SimulationOptions {
    fn default() -> Self {
        Self {
            days: 92,
            absorbing_deviation: 1.0,
            absorbing_supply_fraction: 0.05,
            fee_revenue_to_cash: false,
            window_hours: 24.0 / WINDOWS_PER_DAY as f64,
        }
    }
}

impl SimulationOptions {
    /// Windows per day, 24/Δ.
    pub fn windows_per_day(&self) -> f64 {
        24.0 / self.window_hours
    }

    /// Windows simulated.
    pub fn windows(&self) -> usize {
        (self.days as f64 * self.windows_per_day()).round() as usize
    }

    /// The day on which window `k` starts.
    pub fn day_of_window(&self, k: usize) -> f64 {
        k as f64 / self.windows_per_day()
    }

    /// The window starting on `day` (rounded to the nearest window boundary).
    pub fn window_of_day(&self, day: f64) -> usize {
        (day * self.windows_per_day()).round() as usize
    }

    /// Δ must divide a day, so that days (and every scenario's regime
    /// boundaries) fall on window boundaries.
    pub fn validate(&self) -> Result<(), TreasuryError> {
        let per_day = self.windows_per_day();
        check(
            "window_hours",
            self.window_hours,
            self.window_hours > 0.0 && (per_day - per_day.round()).abs() < 1e-9,
            "must divide 24 hours",
        )
    }
}

/// Importance-sampling change of measure on the windows `first_window..` it covers
/// (the identity elsewhere): the exponential tilt of each window's redeemed and
/// minted volume. In window k the whole redemption intensity λ_R (baseline, peg
/// feedback and excitation) and the mean redemption ticket are both multiplied by
/// θ_k = `redemption[k − first_window]`, and the mint intensity and ticket by χ_k.
/// The proposal stays a Hawkes process with Gamma window volumes, and its
/// likelihood ratio is in closed form; see [`PathRecord::log_likelihood_ratio`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowTilt {
    pub first_window: usize,
    /// θ_k.
    pub redemption: Vec<f64>,
    /// χ_k.
    pub mint: Vec<f64>,
}

impl FlowTilt {
    /// Redemptions tilted by `factor` on every window of `windows`, mints untilted.
    pub fn redemptions(factor: f64, windows: std::ops::Range<usize>) -> Self {
        Self {
            first_window: windows.start,
            redemption: vec![factor; windows.len()],
            mint: vec![1.0; windows.len()],
        }
    }

    /// (θ_k, χ_k) of window k: (1, 1) outside the tilted windows.
    pub fn factors(&self, window: usize) -> (f64, f64) {
        match window.checked_sub(self.first_window) {
            Some(i) if i < self.redemption.len() => (self.redemption[i], self.mint[i]),
            _ => (1.0, 1.0),
        }
    }

    /// The windows with factors of their own.
    pub fn windows(&self) -> std::ops::Range<usize> {
        self.first_window..self.first_window + self.redemption.len()
    }
}

/// One side's flows in one window (zero on a dead path).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SettledSide {
    /// Events N_k.
    pub count: usize,
    /// Compensator Λ_k = ∫ λ dt of the window under the true law, given the path:
    /// the events expected in the window.
    pub compensator: f64,
    /// Volume V_k, USD.
    pub volume: f64,
}

/// What one window's flows were, for importance-sampling weights and the
/// cross-entropy update.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SettledFlows {
    pub redemption: SettledSide,
    pub mint: SettledSide,
}

/// Simulates one side's events over a window under its intensity scaled by `factor`:
/// the times, the excitation after the window, and the true compensator Λ.
fn tilted_events<R: Rng + ?Sized>(
    params: &HawkesParams,
    excitation: f64,
    factor: f64,
    rng: &mut R,
) -> (Vec<f64>, f64, f64) {
    // The proposal θλ is the Hawkes process (θμ, θα, β) with excitation θE.
    let proposal = HawkesParams {
        mu: factor * params.mu,
        alpha: factor * params.alpha,
        ..*params
    };
    let mut times = Vec::new();
    let excitation_after = simulate(&proposal, factor * excitation, 1.0, rng, |t, _| {
        times.push(t)
    }) / factor;
    // dE = −βE dt + α dN integrates to ∫E dt = (E(0) + αN − E(1))/β.
    let compensator = params.mu
        + (excitation + params.alpha * times.len() as f64 - excitation_after) / params.beta;
    (times, excitation_after, compensator)
}

/// Draws the volume of `count` tickets of mean `factor`·`mean_ticket` and settles
/// the side, with its log dP/dQ (0 when `factor` is 1).
fn tilted_volume<R: Rng + ?Sized>(
    count: usize,
    compensator: f64,
    mean_ticket: f64,
    factor: f64,
    rng: &mut R,
) -> (SettledSide, f64) {
    let volume = mark_volume(count, factor * mean_ticket, rng);
    // Events: Σ log(λ/θλ) − ∫(λ − θλ) = (θ − 1)Λ − N log θ. Volume, Gamma(N, m̄)
    // over Gamma(N, θm̄): N log θ − (V/m̄)(1 − 1/θ). The N log θ terms cancel.
    let log_likelihood_ratio = if factor == 1.0 {
        0.0
    } else {
        (factor - 1.0) * compensator - volume / mean_ticket * (1.0 - 1.0 / factor)
    };
    let settled = SettledSide {
        count,
        compensator,
        volume,
    };
    (settled, log_likelihood_ratio)
}

/// Discounted cost components of a path (positive numbers, USD).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct CostSplit {
    /// Σ D^k r_B B_k^+.
    pub carry: f64,
    /// Σ D^k (c_1|r_k| + c_2 r_k²).
    pub trading_cost: f64,
    /// Σ D^k w_δ δ_{k+1}².
    pub peg_penalty: f64,
    /// Σ D^k w_f f_k².
    pub fee_penalty: f64,
}

impl CostSplit {
    /// Revenue = −cost functional.
    pub fn revenue(&self) -> f64 {
        self.carry - self.trading_cost - self.peg_penalty - self.fee_penalty
    }
}

/// Everything recorded along one path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathRecord {
    /// Applied reallocation r_k per window.
    pub reallocation: Vec<f64>,
    /// Applied fee f_k per window.
    pub fee: Vec<f64>,
    /// Cash C_k at each epoch, k = 0..=K.
    pub cash: Vec<f64>,
    /// Deviation δ_k at each epoch, k = 0..=K.
    pub deviation: Vec<f64>,
    pub costs: CostSplit,
    /// Revenue accrued up to the absorption epoch (all of it if none).
    pub revenue_to_failure: f64,
    /// Epoch at which the path was absorbed.
    pub failure_window: Option<usize>,
    /// log dP/dQ of the path under a [`FlowTilt`] (0 without one). A side tilted by θ
    /// in a window with N events, true compensator Λ = ∫λ dt and volume V of mean
    /// ticket m̄ contributes (θ − 1)Λ − (V/m̄)(1 − 1/θ): the intensity part
    /// (θ − 1)Λ − N log θ plus the volume part N log θ − (V/m̄)(1 − 1/θ). Exact, since
    /// the controller sees only event times and the deviation, whose laws given the
    /// events and volumes are the same under both measures.
    pub log_likelihood_ratio: f64,
    /// The flows of each window.
    pub flows: Vec<SettledFlows>,
}

impl PathRecord {
    pub fn max_deviation(&self) -> f64 {
        self.deviation.iter().copied().fold(0.0, f64::max)
    }
}

/// The fixed inputs of a path: the model, the true scenario and the horizon.
#[derive(Debug, Clone, Copy)]
pub struct PathSetting<'a> {
    pub model: &'a ModelParams,
    pub scenarios: &'a ScenarioSettings,
    pub scenario: Scenario,
    pub options: &'a SimulationOptions,
}

/// A path part-way through the horizon, at a settlement epoch. It is `Clone`, so a
/// path can be restarted from any epoch with a fresh random stream (multilevel
/// splitting); the policy's state lives with the caller and is cloned alongside.
#[derive(Debug, Clone, PartialEq)]
pub struct PathState {
    window: usize,
    reserves: Reserves,
    /// D^window, the discount of the next window's cost.
    discount_weight: f64,
    record: PathRecord,
}

impl PathState {
    /// Epoch 0 with reserves (`cash`, `bills`), supply S_0 and no deviation.
    pub fn new(model: &ModelParams, (cash, bills): (f64, f64)) -> Self {
        Self {
            window: 0,
            reserves: Reserves {
                cash,
                bills,
                supply: model.supply,
                deviation: 0.0,
                redemption_excitation: 0.0,
                mint_excitation: 0.0,
            },
            discount_weight: 1.0,
            record: PathRecord {
                reallocation: Vec::new(),
                fee: Vec::new(),
                cash: vec![cash],
                deviation: vec![0.0],
                costs: CostSplit::default(),
                revenue_to_failure: 0.0,
                failure_window: None,
                log_likelihood_ratio: 0.0,
                flows: Vec::new(),
            },
        }
    }

    /// The current epoch k (windows settled so far).
    pub fn window(&self) -> usize {
        self.window
    }

    /// δ_k at the current epoch.
    pub fn deviation(&self) -> f64 {
        self.reserves.deviation
    }

    /// The reserve and flow state at the current epoch.
    pub fn reserves(&self) -> &Reserves {
        &self.reserves
    }

    pub fn is_absorbed(&self) -> bool {
        self.record.failure_window.is_some()
    }

    /// Whether every window of the horizon has been settled.
    pub fn is_complete(&self, setting: &PathSetting) -> bool {
        self.window >= setting.options.windows()
    }

    /// The peg outlook ξ_k = δ_k + η E[s_k]/S_k: the deviation after the next window
    /// if the reserves did not move, with the window's true flows in the normal
    /// closure of spec §3.1. It is ≥ δ_k and, unlike δ, varies with every part of
    /// the state, so a running maximum of ξ ranks paths that share a deviation.
    /// Infinite on an absorbed path: its failure is decided.
    pub fn peg_outlook(&self, setting: &PathSetting) -> f64 {
        let state = &self.reserves;
        if self.is_absorbed() {
            return f64::INFINITY;
        }
        if self.is_complete(setting) {
            return state.deviation;
        }
        let model = setting.model;
        let day = setting.options.day_of_window(self.window);
        let flows = setting
            .scenarios
            .window_flows(setting.scenario, &model.flows, day);
        let true_flows = FlowParams {
            redemption: flows.redemption,
            mint: flows.mint,
            ..model.flows
        };
        let true_state = FlowState {
            redemption_baseline: flows.redemption.mu,
            mint_baseline: flows.mint.mu,
            redemption_excitation: state.redemption_excitation,
            mint_excitation: state.mint_excitation,
        };
        let next = forecast(&true_flows, &true_state, state.deviation, 1)[0];
        let shortfall = planned_shortfall(
            ShortfallClosure::ExpectedShortfall,
            state.cash,
            next.mean,
            next.variance,
        );
        state.deviation + model.peg_sensitivity * shortfall.value / state.supply
    }

    pub fn record(&self) -> &PathRecord {
        &self.record
    }

    pub fn into_record(self) -> PathRecord {
        self.record
    }

    /// Decides, simulates and settles window k (spec §5.3 steps 1–6), moving to epoch k + 1.
    pub fn step<R: Rng + ?Sized>(
        &mut self,
        setting: &PathSetting,
        policy: &mut dyn Policy,
        tilt: Option<&FlowTilt>,
        rng: &mut R,
    ) {
        let PathSetting {
            model,
            scenarios,
            scenario,
            options,
        } = *setting;
        let k = self.window;
        let state = &mut self.reserves;
        let record = &mut self.record;
        let alive = record.failure_window.is_none();
        let max_reallocation = model.max_reallocation(state.supply);
        let decision = if alive {
            policy.decide(&Observation {
                window: k,
                cash: state.cash,
                bills: state.bills,
                supply: state.supply,
                deviation: state.deviation,
                max_reallocation,
            })
        } else {
            Default::default()
        };
        // Settlement can only buy bills with cash on hand and sell bills it holds.
        let reallocation = decision.reallocation.clamp(
            -max_reallocation.min(state.bills),
            max_reallocation.min(state.cash.max(0.0)),
        );
        let fee = decision.fee.clamp(0.0, model.max_fee);
        let cash_after = state.cash - reallocation;
        let bills_after = state.bills + reallocation;
        if alive {
            let day = options.day_of_window(k);
            let flows = scenarios.window_flows(scenario, &model.flows, day);
            let (redemption_factor, mint_factor) = tilt.map_or((1.0, 1.0), |t| t.factors(k));
            let redemption = HawkesParams {
                mu: flows.redemption.mu + model.flows.peg_feedback * state.deviation.max(0.0),
                ..flows.redemption
            };
            let (redemption_times, redemption_excitation, redemption_compensator) = tilted_events(
                &redemption,
                state.redemption_excitation,
                redemption_factor,
                rng,
            );
            let (mint_times, mint_excitation, mint_compensator) =
                tilted_events(&flows.mint, state.mint_excitation, mint_factor, rng);
            // Both sides' events are drawn before their volumes: the order of the
            // random stream that seeded results have always used.
            let tickets = &model.flows;
            let (redemption_side, redemption_lr) = tilted_volume(
                redemption_times.len(),
                redemption_compensator,
                tickets.redemption_ticket,
                redemption_factor,
                rng,
            );
            let (mint_side, mint_lr) = tilted_volume(
                mint_times.len(),
                mint_compensator,
                tickets.mint_ticket,
                mint_factor,
                rng,
            );
            state.redemption_excitation = redemption_excitation;
            state.mint_excitation = mint_excitation;
            record.log_likelihood_ratio += redemption_lr + mint_lr;
            record.flows.push(SettledFlows {
                redemption: redemption_side,
                mint: mint_side,
            });
            let (redeemed, minted) = (redemption_side.volume, mint_side.volume);
            let net_outflow = redeemed - minted;
            let fee_income = if options.fee_revenue_to_cash {
                fee * (redeemed + minted)
            } else {
                0.0
            };
            let shortfall = realised_shortfall(net_outflow, cash_after);
            let deviation_during = state.deviation;
            state.deviation = next_deviation(model, state.deviation, shortfall, state.supply, fee)
                .min(options.absorbing_deviation);
            state.cash = cash_after - net_outflow + fee_income;
            state.supply -= net_outflow;
            policy.observe(&WindowEvents {
                redemption_times: &redemption_times,
                mint_times: &mint_times,
                deviation: deviation_during,
            });
        } else {
            state.cash = cash_after;
            record.flows.push(SettledFlows::default());
        }
        state.bills = (1.0 + model.bill_rate) * bills_after;
        let weight = self.discount_weight;
        let costs = &mut record.costs;
        costs.carry += weight * model.bill_rate * bills_after;
        costs.trading_cost += weight
            * (model.linear_cost * reallocation.abs()
                + model.quadratic_cost * reallocation * reallocation);
        costs.peg_penalty += weight * model.peg_weight * state.deviation * state.deviation;
        costs.fee_penalty += weight * model.fee_weight * fee * fee;
        self.discount_weight *= model.discount_factor();
        if alive {
            record.revenue_to_failure = costs.revenue();
            let dead = state.deviation >= options.absorbing_deviation
                || state.supply <= options.absorbing_supply_fraction * model.supply;
            if dead {
                record.failure_window = Some(k + 1);
            }
        }
        record.reallocation.push(reallocation);
        record.fee.push(fee);
        record.cash.push(state.cash);
        record.deviation.push(state.deviation);
        self.window += 1;
    }
}

/// Simulates one path of `scenario` under `policy` from reserves (`cash`, `bills`).
// The arguments are the independent inputs of a path; bundling them would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn simulate_path<R: Rng + ?Sized>(
    model: &ModelParams,
    scenarios: &ScenarioSettings,
    scenario: Scenario,
    options: &SimulationOptions,
    reserves: (f64, f64),
    policy: &mut dyn Policy,
    tilt: Option<FlowTilt>,
    rng: &mut R,
) -> PathRecord {
    let setting = PathSetting {
        model,
        scenarios,
        scenario,
        options,
    };
    let mut path = PathState::new(model, reserves);
    while !path.is_complete(&setting) {
        path.step(&setting, policy, tilt.as_ref(), rng);
    }
    path.into_record()
}

/// The reserve and flow state at an epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reserves {
    pub cash: f64,
    pub bills: f64,
    pub supply: f64,
    pub deviation: f64,
    /// The true excitation parts of the Hawkes intensities.
    pub redemption_excitation: f64,
    pub mint_excitation: f64,
}
