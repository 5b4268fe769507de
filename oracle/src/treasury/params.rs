//! Model parameters (spec §4.2), in per-window units (Δ = 8 h, 1095 windows a year).
//!
//! Every default is the spec's; each doc comment carries the spec's tag:
//! [S] stated, [D] derived, [R] reconstructed, [C] chosen, [E] extension.

use serde::{Deserialize, Serialize};

use super::{check, TreasuryError};

/// Settlement windows per year (3 a day).
pub const WINDOWS_PER_YEAR: f64 = 1095.0;
/// Settlement windows per day [S].
pub const WINDOWS_PER_DAY: usize = 3;
/// δ_ref of eqs. (59)–(60): deviations are to stay below 10 bp [S].
pub const REFERENCE_DEVIATION: f64 = 1.0e-3;
/// f_ref of eq. (60): fees around 10 bp [S].
pub const REFERENCE_FEE: f64 = 1.0e-3;

/// A univariate Hawkes process with exponential kernel:
/// λ(t) = mu + Σ alpha·exp(−beta (t − t_i)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HawkesParams {
    /// Baseline intensity, events per window.
    pub mu: f64,
    /// Jump of the intensity at each event, per window.
    pub alpha: f64,
    /// Decay rate of the excitation, per window.
    pub beta: f64,
}

impl HawkesParams {
    /// Branching ratio n = alpha/beta: the mean number of direct offspring of an event.
    pub fn branching_ratio(&self) -> f64 {
        self.alpha / self.beta
    }

    /// Stationary mean intensity mu/(1 − n) of a subcritical process.
    pub fn stationary_intensity(&self) -> f64 {
        self.mu / (1.0 - self.branching_ratio())
    }

    /// Rejects negative or non-finite values and supercritical kernels (n ≥ 1).
    pub fn validate(&self) -> Result<(), TreasuryError> {
        check("mu", self.mu, self.mu >= 0.0, "baseline must be >= 0")?;
        check("alpha", self.alpha, self.alpha >= 0.0, "jump must be >= 0")?;
        check("beta", self.beta, self.beta > 0.0, "decay must be > 0")?;
        let n = self.branching_ratio();
        check("alpha/beta", n, n < 1.0, "the process must be subcritical")
    }
}

/// Mint and redemption flows, eqs. (1)–(3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowParams {
    /// Redemptions: mu_R = 800 [S]/[D] (100/h), beta_R = 16 [C] (2/h), alpha_R = 8 [C] (n_R = 0.5).
    pub redemption: HawkesParams,
    /// Mints: mu_M = 640 [S]/[D] (80/h), beta_M = 12 [C] (1.5/h), alpha_M = 6 [C] (n_M = 0.5).
    pub mint: HawkesParams,
    /// Mean redemption ticket m̄_R in USD, exponential marks [S]; $20,000 [C].
    pub redemption_ticket: f64,
    /// Mean mint ticket m̄_M in USD; $25,000 [C], so that mean net flow is 0 at baseline.
    pub mint_ticket: f64,
    /// Peg feedback κ of eq. (1), redemptions per window per unit δ: a 1 % deviation
    /// doubles the redemption baseline, κ = mu_R/0.01 = 8·10⁴ [D].
    pub peg_feedback: f64,
}

impl Default for FlowParams {
    fn default() -> Self {
        Self {
            redemption: HawkesParams {
                mu: 800.0,
                alpha: 8.0,
                beta: 16.0,
            },
            mint: HawkesParams {
                mu: 640.0,
                alpha: 6.0,
                beta: 12.0,
            },
            redemption_ticket: 20_000.0,
            mint_ticket: 25_000.0,
            peg_feedback: 8.0e4,
        }
    }
}

/// The reserve model and the cost functional (9), per window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelParams {
    pub flows: FlowParams,
    /// Initial supply S_0, USD [S].
    pub supply: f64,
    /// T-bill rate r_B per window: 5.4 % p.a. / 1095 [S]/[D].
    pub bill_rate: f64,
    /// Discount rate ρ per window: 8 % p.a. / 1095 [S]/[D].
    pub discount_rate: f64,
    /// Maximum reallocation u_max as a fraction of supply per window: 10 % [S].
    pub max_reallocation_fraction: f64,
    /// [C] Whether u_max tracks the current supply S(t) rather than S_0 (default false: 0.1·S_0).
    pub max_reallocation_tracks_supply: bool,
    /// Supply–peg sensitivity η: a 10 % shortfall moves the peg by 1 % [D].
    pub peg_sensitivity: f64,
    /// Fee effectiveness γ: a 50 bp fee counters 10 bp of deviation [D].
    pub fee_effectiveness: f64,
    /// [E] Peg relaxation ψ per window of eq. (4); 0 is the paper's literal v1 reading.
    pub peg_relaxation: f64,
    /// Linear trading cost c_1 per USD: 1 bp bid–ask [S].
    pub linear_cost: f64,
    /// [C] Quadratic impact c_2 per USD²: average impact 1 bp at $1 bn per window.
    pub quadratic_cost: f64,
    /// [C] Peg penalty w_δ, eq. (59): S_0/(N_w δ_ref) with δ_ref = 10 bp.
    pub peg_weight: f64,
    /// [C] Fee penalty w_f, eq. (60): γ T_h w_δ δ_ref/f_ref with f_ref = 10 bp.
    pub fee_weight: f64,
    /// [C] Maximum fee f_max: 50 bp.
    pub max_fee: f64,
}

impl Default for ModelParams {
    fn default() -> Self {
        let supply = 1.0e10;
        let peg_weight = supply / (WINDOWS_PER_YEAR * REFERENCE_DEVIATION);
        let fee_effectiveness = 0.2;
        let horizon_windows = ControllerOptions::default().horizon_windows as f64;
        Self {
            flows: FlowParams::default(),
            supply,
            bill_rate: 0.054 / WINDOWS_PER_YEAR,
            discount_rate: 0.08 / WINDOWS_PER_YEAR,
            max_reallocation_fraction: 0.1,
            max_reallocation_tracks_supply: false,
            peg_sensitivity: 0.1,
            fee_effectiveness,
            peg_relaxation: 0.0,
            linear_cost: 1.0e-4,
            quadratic_cost: 1.0e-13,
            peg_weight,
            fee_weight: fee_effectiveness * horizon_windows * peg_weight * REFERENCE_DEVIATION
                / REFERENCE_FEE,
            max_fee: 0.005,
        }
    }
}

impl ModelParams {
    /// Per-window discount factor D = e^{−ρ}.
    pub fn discount_factor(&self) -> f64 {
        (-self.discount_rate).exp()
    }

    /// u_max for the current supply.
    pub fn max_reallocation(&self, current_supply: f64) -> f64 {
        let base = if self.max_reallocation_tracks_supply {
            current_supply.max(0.0)
        } else {
            self.supply
        };
        self.max_reallocation_fraction * base
    }

    pub fn validate(&self) -> Result<(), TreasuryError> {
        self.flows.redemption.validate()?;
        self.flows.mint.validate()?;
        let f = &self.flows;
        check(
            "redemption_ticket",
            f.redemption_ticket,
            f.redemption_ticket > 0.0,
            "must be > 0",
        )?;
        check(
            "mint_ticket",
            f.mint_ticket,
            f.mint_ticket > 0.0,
            "must be > 0",
        )?;
        check(
            "peg_feedback",
            f.peg_feedback,
            f.peg_feedback >= 0.0,
            "must be >= 0",
        )?;
        check("supply", self.supply, self.supply > 0.0, "must be > 0")?;
        check(
            "bill_rate",
            self.bill_rate,
            self.bill_rate >= 0.0,
            "must be >= 0",
        )?;
        check(
            "discount_rate",
            self.discount_rate,
            self.discount_rate > 0.0,
            "must be > 0",
        )?;
        let u = self.max_reallocation_fraction;
        check("max_reallocation_fraction", u, u > 0.0, "must be > 0")?;
        check(
            "peg_sensitivity",
            self.peg_sensitivity,
            self.peg_sensitivity >= 0.0,
            "must be >= 0",
        )?;
        check(
            "fee_effectiveness",
            self.fee_effectiveness,
            self.fee_effectiveness >= 0.0,
            "must be >= 0",
        )?;
        let psi = self.peg_relaxation;
        check(
            "peg_relaxation",
            psi,
            (0.0..=1.0).contains(&psi),
            "must lie in [0, 1]",
        )?;
        check(
            "linear_cost",
            self.linear_cost,
            self.linear_cost >= 0.0,
            "must be >= 0",
        )?;
        check(
            "quadratic_cost",
            self.quadratic_cost,
            self.quadratic_cost > 0.0,
            "must be > 0 (strict convexity)",
        )?;
        check(
            "peg_weight",
            self.peg_weight,
            self.peg_weight >= 0.0,
            "must be >= 0",
        )?;
        check(
            "fee_weight",
            self.fee_weight,
            self.fee_weight > 0.0,
            "must be > 0",
        )?;
        check("max_fee", self.max_fee, self.max_fee >= 0.0, "must be >= 0")
    }
}

/// How the planner turns the forecast window flow into an expected shortfall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortfallClosure {
    /// [E] Expected shortfall under a normal window flow N(m, v) (spec §3.1, default).
    ExpectedShortfall,
    /// The paper-literal certainty equivalent (m − C)^+.
    CertaintyEquivalent,
}

/// The optimal controller's planning choices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControllerOptions {
    /// [C] MPC horizon T_h in windows: 9 (3 days); must exceed c_1/r_B ≈ 2.
    pub horizon_windows: usize,
    /// [E] Shortfall closure of the planner (default: expected shortfall).
    pub closure: ShortfallClosure,
    /// [E] Re-estimate the baselines mu_i by an EWMA of the window counts (spec §6.2).
    pub reestimate_baseline: bool,
    /// [E]/[C] Half-life h_μ of the baseline EWMA, in windows: 3 (one day).
    pub baseline_half_life_windows: f64,
    /// [E] Floor of the re-estimated baseline as a fraction of the nominal: 0.25.
    pub baseline_floor_fraction: f64,
    /// [C] Planner-only linear penalty per USD of negative bill holdings B^+ < 0: 1.
    pub short_bill_penalty: f64,
    /// [C] Apply the fee law (41); off by default because f ≡ 0 in the paper's experiments [S].
    pub fees_enabled: bool,
}

impl Default for ControllerOptions {
    fn default() -> Self {
        Self {
            horizon_windows: 9,
            closure: ShortfallClosure::ExpectedShortfall,
            reestimate_baseline: true,
            baseline_half_life_windows: 3.0,
            baseline_floor_fraction: 0.25,
            short_bill_penalty: 1.0,
            fees_enabled: false,
        }
    }
}

impl ControllerOptions {
    pub fn validate(&self) -> Result<(), TreasuryError> {
        let h = self.horizon_windows as f64;
        check(
            "horizon_windows",
            h,
            self.horizon_windows >= 1,
            "must be >= 1",
        )?;
        let hl = self.baseline_half_life_windows;
        check("baseline_half_life_windows", hl, hl > 0.0, "must be > 0")?;
        let fl = self.baseline_floor_fraction;
        check(
            "baseline_floor_fraction",
            fl,
            (0.0..=1.0).contains(&fl),
            "must lie in [0, 1]",
        )?;
        let p = self.short_bill_penalty;
        check("short_bill_penalty", p, p >= 0.0, "must be >= 0")
    }
}
