//! Reserve strategies: the optimal controller (MPC with the intensity filter and
//! baseline re-estimation) and the two benchmarks of spec §5.2.

use serde::{Deserialize, Serialize};

use super::fee::fee_law;
use super::forecast::{forecast, FlowState};
use super::hawkes::IntensityFilter;
use super::mpc::{Plan, WindowProblem};
use super::params::{ControllerOptions, HawkesParams, ModelParams};

/// What a strategy sees at a settlement epoch t_k.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub window: usize,
    /// Cash C_k; negative is an unpaid redemption backlog.
    pub cash: f64,
    pub bills: f64,
    pub supply: f64,
    pub deviation: f64,
    pub max_reallocation: f64,
}

/// The controls of one window: reallocation r_k (cash → bills when positive) and fee f_k.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Decision {
    pub reallocation: f64,
    pub fee: f64,
}

/// The observed event stream of a settled window, times in (0, 1] from its start.
#[derive(Debug, Clone, Copy)]
pub struct WindowEvents<'a> {
    pub redemption_times: &'a [f64],
    pub mint_times: &'a [f64],
    /// The deviation δ_k that held during the window.
    pub deviation: f64,
}

/// A causal reserve strategy.
pub trait Policy {
    fn decide(&mut self, observation: &Observation) -> Decision;
    /// Learns from the window just settled; the default ignores it.
    fn observe(&mut self, _events: &WindowEvents) {}
}

/// The strategies compared in the experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Optimal,
    MaxYield,
    MaxLiquidity,
}

impl Strategy {
    pub const ALL: [Strategy; 3] = [
        Strategy::Optimal,
        Strategy::MaxYield,
        Strategy::MaxLiquidity,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Strategy::Optimal => "optimal (OC)",
            Strategy::MaxYield => "max yield (MY)",
            Strategy::MaxLiquidity => "max liquidity (ML)",
        }
    }

    /// Initial (cash, bills) [S]: OC and MY hold 10 % cash, ML holds everything in cash.
    pub fn initial_reserves(self, supply: f64) -> (f64, f64) {
        match self {
            Strategy::Optimal | Strategy::MaxYield => (0.1 * supply, 0.9 * supply),
            Strategy::MaxLiquidity => (supply, 0.0),
        }
    }

    pub fn policy(
        self,
        model: &ModelParams,
        options: &ControllerOptions,
    ) -> Box<dyn Policy + Send> {
        match self {
            Strategy::Optimal => Box::new(OptimalController::new(*model, *options)),
            Strategy::MaxYield => Box::new(MaxYield),
            Strategy::MaxLiquidity => Box::new(MaxLiquidity),
        }
    }
}

/// Invests all cash; sells bills only to clear a redemption backlog [S].
#[derive(Debug, Clone, Copy, Default)]
pub struct MaxYield;

impl Policy for MaxYield {
    fn decide(&mut self, o: &Observation) -> Decision {
        let reallocation = if o.cash >= 0.0 {
            o.cash.min(o.max_reallocation)
        } else {
            -(-o.cash).min(o.max_reallocation).min(o.bills)
        };
        Decision {
            reallocation,
            fee: 0.0,
        }
    }
}

/// Never trades [S].
#[derive(Debug, Clone, Copy, Default)]
pub struct MaxLiquidity;

impl Policy for MaxLiquidity {
    fn decide(&mut self, _: &Observation) -> Decision {
        Decision::default()
    }
}

/// The MPC controller of spec §3 with the [E] baseline re-estimation of §6.2.
#[derive(Debug, Clone)]
pub struct OptimalController {
    model: ModelParams,
    options: ControllerOptions,
    redemption_filter: IntensityFilter,
    mint_filter: IntensityFilter,
    redemption_baseline: f64,
    mint_baseline: f64,
    last: Option<(WindowProblem, Plan)>,
}

impl OptimalController {
    /// Starts with nominal baselines and empty excitations (λ(0) = μ [S]).
    pub fn new(model: ModelParams, options: ControllerOptions) -> Self {
        let (r, m) = (model.flows.redemption, model.flows.mint);
        Self {
            model,
            options,
            redemption_filter: IntensityFilter::new(r.alpha, r.beta),
            mint_filter: IntensityFilter::new(m.alpha, m.beta),
            redemption_baseline: r.mu,
            mint_baseline: m.mu,
            last: None,
        }
    }

    /// The last roll's problem and solution (for audit and tests).
    pub fn last_plan(&self) -> Option<&(WindowProblem, Plan)> {
        self.last.as_ref()
    }

    pub fn flow_state(&self) -> FlowState {
        FlowState {
            redemption_baseline: self.redemption_baseline,
            mint_baseline: self.mint_baseline,
            redemption_excitation: self.redemption_filter.excitation,
            mint_excitation: self.mint_filter.excitation,
        }
    }

    /// The roll at `observation`, without solving it.
    pub fn problem(&self, o: &Observation) -> WindowProblem {
        roll_problem(&self.model, &self.options, &self.flow_state(), o)
    }
}

/// The MPC roll the controller solves at `o` when its view of the flows is `flows`.
pub fn roll_problem(
    model: &ModelParams,
    options: &ControllerOptions,
    flows: &FlowState,
    o: &Observation,
) -> WindowProblem {
    WindowProblem {
        model: *model,
        closure: options.closure,
        short_bill_penalty: options.short_bill_penalty,
        cash: o.cash,
        bills: o.bills,
        supply: o.supply,
        deviation: o.deviation,
        max_reallocation: o.max_reallocation,
        forecast: forecast(&model.flows, flows, o.deviation, options.horizon_windows),
    }
}

impl Policy for OptimalController {
    fn decide(&mut self, o: &Observation) -> Decision {
        let problem = self.problem(o);
        // Warm start: the previous plan shifted by one window.
        let warm: Vec<f64> = match &self.last {
            Some((_, plan)) => plan.reallocation.iter().skip(1).copied().collect(),
            None => Vec::new(),
        };
        let plan = problem.solve(&warm);
        let fee = if self.options.fees_enabled {
            fee_law(&self.model, plan.peg_costate[0])
        } else {
            0.0
        };
        let decision = Decision {
            reallocation: plan.reallocation[0],
            fee,
        };
        self.last = Some((problem, plan));
        decision
    }

    fn observe(&mut self, events: &WindowEvents) {
        for (filter, times) in [
            (&mut self.redemption_filter, events.redemption_times),
            (&mut self.mint_filter, events.mint_times),
        ] {
            for &t in times {
                filter.observe(t);
            }
            filter.advance(1.0);
            filter.time = 0.0;
        }
        if self.options.reestimate_baseline {
            let weight = 1.0 - 0.5f64.powf(1.0 / self.options.baseline_half_life_windows);
            let floor = self.options.baseline_floor_fraction;
            let flows = self.model.flows;
            let feedback = flows.peg_feedback * events.deviation.max(0.0);
            let update = |estimate: f64, nominal: &HawkesParams, count: usize, feedback: f64| {
                // A stationary window has E[N] = μ*/(1 − n): invert for μ*, remove the feedback.
                let implied = (1.0 - nominal.branching_ratio()) * count as f64 - feedback;
                ((1.0 - weight) * estimate + weight * implied).max(floor * nominal.mu)
            };
            self.redemption_baseline = update(
                self.redemption_baseline,
                &flows.redemption,
                events.redemption_times.len(),
                feedback,
            );
            self.mint_baseline = update(
                self.mint_baseline,
                &flows.mint,
                events.mint_times.len(),
                0.0,
            );
        }
    }
}
