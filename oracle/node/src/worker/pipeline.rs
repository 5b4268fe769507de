//! One window's decision: estimation → Monte Carlo → allocation QP → treasury
//! MPC, as a pure function of recorded inputs. The audit log stores the
//! inputs' canonical JSON and its SHA-256, so anyone can replay a decision.

use ballast_oracle::allocate::{solve_within_volatility, AllocationError, AllocationProblem, BoundedAllocation, CollateralModel};
use ballast_oracle::data::{PriceHistory, DAYS_PER_YEAR};
use ballast_oracle::estimate::{
    capital_ratios, estimate_returns, portfolio_volatility, CapitalRatios, CovarianceMethod, DynamicLambda, EstimationConfig,
    Holding, Tier,
};
use ballast_oracle::montecarlo::{simulate_reserve, McConfig, ReserveModel, Shocks};
use ballast_oracle::treasury::params::{ControllerOptions, ModelParams};
use ballast_oracle::treasury::strategy::{Observation as TreasuryObservation, OptimalController, Policy, WindowEvents};
use ballast_sdk::program::instructions::aggregate::fit_to_caps;
use ballast_sdk::program::instructions::{Observation, PriceInput};
use ballast_sdk::program::math::I80F48;
use ballast_sdk::{fixed, to_f64};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::loans::{value_loan_book, HeldLoan, LoanBook, LoanBookError, LoanTerms};
use super::source::MarketWindow;

/// The oracle's modelling choices; recorded with every decision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Windows of price history behind each estimate (this one included).
    pub lookback: usize,
    /// How risk (the covariance behind sigma_p, the QP and the Monte Carlo)
    /// is estimated. Short memory by default (EWMA, lambda 0.9: a half-life
    /// of 6.6 windows), so a shock moves sigma_p and the targets in the
    /// window it happens, and sigma_p, taken on the current weights, falls
    /// as de-risking moves them: the breaker's reset reads a risk the
    /// protocol's own actions can lower. Expected returns are the median
    /// return over the whole lookback: a short-memory mean is mostly noise,
    /// and one crash day would flip a plain mean for the whole lookback.
    pub risk_estimation: EstimationConfig,
    /// The targets' forward-looking volatility stays under this share of
    /// the chain's sigma_reset: the risk limit R_max is tightened until it
    /// does, so the reserve aims where the breaker could reset.
    pub target_volatility_share: f64,
    pub monte_carlo_paths: usize,
    pub horizon_days: f64,
    /// The posted confidence half-width, as a fraction of the price.
    pub confidence_fraction: f64,
    /// The floor under lambda (whose coefficients governance sets on chain):
    /// the QP's objective is concave only for lambda >= 0.
    pub lambda_floor: f64,
    /// alpha in R_i = alpha sigma_i + (beta / L_i + gamma E_i): how much
    /// each unit of an asset's estimated volatility adds to the static score
    /// it was listed with.
    pub risk_score_per_volatility: f64,
    /// Transaction cost per unit of weight moved.
    pub trade_cost: f64,
    pub treasury: ControllerOptions,
    /// Seed 001: the term sheets of the reserve's loan assets (`[[loans]]`).
    pub loans: Vec<LoanTerms>,
    /// Monte Carlo paths for the loan book's value and Greeks.
    pub loan_monte_carlo_paths: u64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            lookback: 60,
            risk_estimation: EstimationConfig {
                covariance: CovarianceMethod::Ewma { lambda: 0.9 },
                factors: None,
            },
            target_volatility_share: 0.8,
            monte_carlo_paths: 20_000,
            horizon_days: 1.0,
            confidence_fraction: 0.001,
            lambda_floor: 0.5,
            risk_score_per_volatility: 0.25,
            trade_cost: 0.001,
            treasury: ControllerOptions {
                fees_enabled: true,
                ..ControllerOptions::default()
            },
            loans: Vec::new(),
            loan_monte_carlo_paths: 20_000,
        }
    }
}

/// One reserve asset as the chain holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssetState {
    pub symbol: String,
    /// `cash`, `bill`, `loan` or `crypto`.
    pub kind: String,
    /// Vault balance in whole tokens.
    pub amount: f64,
    pub target_weight: f64,
    pub weight_cap: f64,
    /// The static part of R_i it was listed with.
    pub risk_score: f64,
    /// rw_i, its weight in seed 003's risk-weighted assets.
    #[serde(default)]
    pub risk_weight: f64,
}

/// The chain state a decision reads, in whole units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReserveState {
    pub slot: u64,
    /// The last finalized oracle round.
    pub last_round: u64,
    /// S in whole stablecoins.
    pub supply: f64,
    /// Lifetime mint and redeem totals in stablecoin units: the flow events.
    pub total_minted: u64,
    pub total_redeemed: u64,
    pub redemption_rate: f64,
    pub cr_min: f64,
    pub cr_target: f64,
    /// The breaker resets below this sigma_p (0 in logs from before it was read).
    #[serde(default)]
    pub sigma_reset: f64,
    pub fee_min: f64,
    pub fee_max: f64,
    pub fee_mint: f64,
    pub fee_redeem: f64,
    /// Target-weight turnover still allowed in the current limit window.
    pub turnover_budget: f64,
    /// The policy coefficients governance sets.
    #[serde(default)]
    pub policy: GovernedPolicy,
    pub assets: Vec<AssetState>,
}

/// The policy coefficients as the chain holds them (`PolicyParams`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GovernedPolicy {
    pub lambda0: f64,
    pub lambda_eta: f64,
    pub lambda_zeta: f64,
    pub psi: f64,
    /// R_max.
    pub risk_limit: f64,
    /// epsilon, the certificate's bound on P(CR < 1).
    pub breach_epsilon: f64,
    /// The least cash, as a fraction of the supply, the split keeps.
    #[serde(default)]
    pub min_cash_ratio: f64,
    /// Seed 003's floors on MCR and CCB.
    #[serde(default)]
    pub min_capital_ratio: f64,
    #[serde(default)]
    pub min_countercyclical_buffer: f64,
}

impl Default for GovernedPolicy {
    /// The embedded deployment's values.
    fn default() -> Self {
        Self {
            lambda0: 2.0,
            lambda_eta: 5.0,
            lambda_zeta: -10.0,
            psi: 0.0,
            risk_limit: 0.5,
            breach_epsilon: 0.05,
            min_cash_ratio: 0.1,
            min_capital_ratio: 1.0,
            min_countercyclical_buffer: 0.2,
        }
    }
}

/// The chain's lifetime mint and redeem totals as a node read them at one
/// window: the differences between windows are the flows the treasury
/// controller learns from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowTotals {
    pub window: u64,
    /// Stablecoin base units.
    pub total_minted: u64,
    pub total_redeemed: u64,
    /// delta = 1 - r, the peg deviation that held.
    pub deviation: f64,
}

/// Everything a decision depends on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionInputs {
    pub window: u64,
    /// Good windows, oldest first; the last is this window.
    pub history: Vec<MarketWindow>,
    /// The flow totals read at past windows, oldest first; the last is
    /// this window's.
    #[serde(default)]
    pub flows: Vec<FlowTotals>,
    pub reserve: ReserveState,
    pub config: PipelineConfig,
}

impl DecisionInputs {
    /// The canonical JSON the audit log stores and hashes.
    pub fn canonical_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// SHA-256 of `json`, in hex.
pub fn sha256_hex(json: &str) -> String {
    Sha256::digest(json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How the target weights were chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Allocation {
    /// The QP's weights, moved toward by `step` (1 = all the way) to stay within u_max.
    Solved {
        qp_weights: Vec<f64>,
        step: f64,
        status: String,
        /// The risk limit R_max the QP was solved under (tightened to keep
        /// the targets under the volatility ceiling).
        #[serde(default)]
        risk_limit: f64,
        /// The targets' annualised volatility, and whether it is under the ceiling.
        #[serde(default)]
        volatility: f64,
        #[serde(default = "yes")]
        within_ceiling: bool,
        /// When CR_min was out of reach: the best CR any portfolio reached.
        #[serde(default)]
        collateral_floor_dropped: Option<f64>,
        /// The certificate: the upper confidence bound on P(CR < 1) of the
        /// posted targets, and whether it is under epsilon (if not, these
        /// are the safest targets the risk limit allows).
        #[serde(default)]
        breach_upper: f64,
        #[serde(default = "yes")]
        certified: bool,
    },
    /// The QP had no solution; the targets stay as they are.
    Kept { reason: String },
}

/// Risk of the current reserve by Monte Carlo (only with a supply).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReserveRisk {
    pub collateral_ratio: f64,
    /// P(CR < 1) at the horizon, with its 95% Wilson interval.
    pub breach_probability: f64,
    pub breach_interval: (f64, f64),
    pub value_at_risk: f64,
    pub expected_shortfall: f64,
}

/// The decision of one window: what the update posts and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub prices: Vec<f64>,
    pub confidences: Vec<f64>,
    pub target_weights: Vec<f64>,
    pub sigma_p: f64,
    pub lambda: f64,
    pub reference_value: f64,
    pub fee_mint: f64,
    pub fee_redeem: f64,
    pub volatilities: Vec<f64>,
    /// R_i per asset: the listed static part plus alpha sigma_i.
    #[serde(default)]
    pub risk_scores: Vec<f64>,
    /// The spec's stability condition: dCR/dt >= 0 or CR >= 1.
    #[serde(default = "yes")]
    pub stable: bool,
    pub risk: Option<ReserveRisk>,
    pub allocation: Allocation,
    /// The treasury MPC's cash ↔ bills move, folded into the targets.
    pub treasury: TreasuryPlan,
    /// Seed 003's capital ratios of the reserve and of the targets.
    #[serde(default)]
    pub capital: CapitalReport,
    /// Seed 001's loan book, when the reserve holds loans.
    #[serde(default)]
    pub loan_book: Option<LoanBook>,
    /// The annual arithmetic expected returns mu_i and covariance Sigma the
    /// allocation was solved with: what a staker needs to judge a weighting
    /// by seed 000's U_j = w_j1 CR + w_j2 sum_i w_i mu_i - w_j3 sigma_p^2.
    #[serde(default)]
    pub expected_returns: Vec<f64>,
    #[serde(default)]
    pub covariance: Vec<Vec<f64>>,
}

/// Seed 003's capital ratios this window (tiers by kind: cash 1, bills 2,
/// the rest 3; rw_i each asset's on-chain `risk_weight`). The reserve holds
/// no perpetual swaps, so its hedge ratio is 0.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CapitalReport {
    /// Of the chain's reserve, with ILR against the recorded redemptions
    /// (None while the reserve is empty).
    pub reserve: Option<CapitalRatios>,
    /// Of the posted targets, weights taken as values.
    pub targets: Option<CapitalRatios>,
    /// How far toward all-cash the targets were moved to meet the floors
    /// (0: not at all), before the turnover limit.
    pub repair: f64,
    /// Whether the posted targets keep both governed floors; when the
    /// turnover limit stops the move short, the next windows go on.
    pub floors_met: bool,
}

/// The treasury controller's decision (seed 004) for this window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TreasuryPlan {
    /// r_k, cash → bills when positive (USD).
    pub reallocation: f64,
    /// C_k − r_k: the cash the controller keeps (USD); below zero it would
    /// rather leave redemptions to the bills than hold any.
    pub cash_target: f64,
    /// The share of the liquidity tier (cash and bills) the targets keep in
    /// cash: (C_k − r_k) / (C_k + B_k), or the floor's if higher.
    pub cash_share: f64,
    /// The controller's re-estimated redemption baseline μ_R, as a multiple
    /// of the nominal: above 1 it expects a redemption wave.
    pub redemption_pressure: f64,
    /// The fee from the costate of the peg, before the governed bounds.
    pub fee: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("{0} windows of history, at least 3 are needed to estimate returns")]
    ShortHistory(usize),
    #[error("window {window} has {found} prices for {expected} reserve assets")]
    AssetCount { window: u64, found: usize, expected: usize },
    #[error("price history: {0}")]
    History(#[from] ballast_oracle::data::DataError),
    #[error("estimation: {0}")]
    Estimate(#[from] ballast_oracle::estimate::EstimateError),
    #[error("Monte Carlo: {0}")]
    MonteCarlo(#[from] ballast_oracle::montecarlo::McError),
    #[error("loan book: {0}")]
    LoanBook(#[from] LoanBookError),
}

/// Decides one window from its inputs; the same inputs give the same decision.
pub fn decide(inputs: &DecisionInputs) -> Result<Decision, DecisionError> {
    let reserve = &inputs.reserve;
    let config = &inputs.config;
    let n = reserve.assets.len();
    if inputs.history.len() < 3 {
        return Err(DecisionError::ShortHistory(inputs.history.len()));
    }
    for window in &inputs.history {
        if window.prices.len() != n {
            return Err(DecisionError::AssetCount {
                window: window.index,
                found: window.prices.len(),
                expected: n,
            });
        }
    }
    let symbols: Vec<String> = reserve.assets.iter().map(|a| a.symbol.clone()).collect();
    let history = PriceHistory::new(
        inputs.history.iter().map(|w| w.date).collect(),
        symbols.clone(),
        (0..n)
            .map(|i| inputs.history.iter().map(|w| w.prices[i]).collect())
            .collect(),
    )?;
    let returns = history.log_returns();
    let estimates = estimate_returns(&returns, &config.risk_estimation)?;
    let covariance = estimates.moments().covariance;
    let mean_log_return = median_log_returns(&returns);

    let prices = inputs.history[inputs.history.len() - 1].prices.clone();
    let loans: Vec<HeldLoan> = reserve
        .assets
        .iter()
        .zip(prices.iter().zip(&estimates.volatility))
        .filter(|(asset, _)| asset.kind == "loan")
        .map(|(asset, (&spot, &volatility))| HeldLoan { symbol: &asset.symbol, amount: asset.amount, spot, volatility })
        .collect();
    let mut loan_book = value_loan_book(&loans, &config.loans, config.loan_monte_carlo_paths, inputs.window)?;
    let values: Vec<f64> = reserve.assets.iter().zip(&prices).map(|(a, p)| a.amount * p).collect();
    let value: f64 = values.iter().sum();
    if let Some(book) = loan_book.as_mut().filter(|_| value > 0.0) {
        book.share_of_reserve = book.value / value;
    }
    let targets = normalised(reserve.assets.iter().map(|a| a.target_weight).collect());
    // An empty reserve is judged by the weights it is aiming for.
    let holdings = if value > 0.0 {
        values.iter().map(|v| v / value).collect()
    } else {
        targets.clone()
    };
    let sigma_p = portfolio_volatility(&holdings, &covariance)?;
    // The breaker compares V with the posted reference: the same holdings at
    // the previous window's prices, so that ΔV/V is the market's move over one
    // window and not the holders' flows (a reference of today's V could never trip it).
    let reference_value = match inputs.history.len() {
        0 | 1 => value,
        len => reserve.assets.iter().zip(&inputs.history[len - 2].prices).map(|(a, p)| a.amount * p).sum(),
    };
    let value_change = if reference_value > 0.0 { value / reference_value - 1.0 } else { 0.0 };
    let policy = &reserve.policy;
    let lambda = DynamicLambda {
        lambda0: policy.lambda0,
        eta: policy.lambda_eta,
        zeta: policy.lambda_zeta,
        floor: config.lambda_floor,
    }
    .lambda(sigma_p, value_change);
    let horizon_years = config.horizon_days / DAYS_PER_YEAR;

    let collateral_ratio = (reserve.supply > 0.0 && value > 0.0).then(|| value / reserve.supply);
    let reserve_model = |weights: &[f64]| ReserveModel {
        assets: symbols.clone(),
        weights: weights.to_vec(),
        reserve_value: value,
        supply: reserve.supply,
        mean_log_return: mean_log_return.clone(),
        covariance: estimates.covariance.clone(),
        impact: Vec::new(),
        weight_changes: Vec::new(),
        shocks: Shocks::Normal,
    };
    // The same seed for every weighting: common random numbers, so that
    // allocations are compared on the same scenarios.
    let mc = McConfig {
        paths: config.monte_carlo_paths,
        seed: inputs.window,
        horizon_years,
        horizon_steps: 1,
        cr_thresholds: vec![1.0],
        ..McConfig::default()
    };
    let risk = match collateral_ratio {
        Some(cr) => {
            let result = simulate_reserve(&reserve_model(&holdings), &mc)?;
            let breach = &result.breach[0];
            Some(ReserveRisk {
                collateral_ratio: cr,
                breach_probability: breach.probability,
                breach_interval: (breach.wilson.lower, breach.wilson.upper),
                value_at_risk: result.loss.value_at_risk,
                expected_shortfall: result.loss.expected_shortfall,
            })
        }
        None => None,
    };
    // The certificate's figure for a weighting: the upper bound on P(CR < 1).
    let breach_upper = |weights: &[f64]| -> Result<f64, DecisionError> {
        if collateral_ratio.is_none() {
            return Ok(0.0);
        }
        Ok(simulate_reserve(&reserve_model(weights), &mc)?.breach[0].wilson.upper)
    };
    // Expected arithmetic returns, annual, from the log moments.
    let expected_returns: Vec<f64> =
        (0..n).map(|i| mean_log_return[i] + 0.5 * estimates.covariance[i][i]).collect();
    // Spec section 6: dCR/dt = (1/S) sum_i w_i dV_i/dt >= 0, or CR >= 1.
    let drift: f64 = holdings.iter().zip(&expected_returns).map(|(w, mu)| w * mu).sum();
    let stable = collateral_ratio.is_none_or(|cr| cr >= 1.0) || drift >= 0.0;
    // R_i = alpha sigma_i + (beta / L_i + gamma E_i), the last two the listing's.
    let risk_scores: Vec<f64> = reserve
        .assets
        .iter()
        .zip(&estimates.volatility)
        .map(|(asset, sigma)| asset.risk_score + config.risk_score_per_volatility * sigma)
        .collect();

    let problem = AllocationProblem {
        assets: symbols.clone(),
        mu: expected_returns.iter().map(|mu| mu * horizon_years).collect(),
        sigma: estimates.sigma_over(horizon_years),
        lambda,
        costs: vec![config.trade_cost; n],
        w0: targets.clone(),
        risk_scores: risk_scores.clone(),
        r_max: policy.risk_limit,
        liquidity_caps: reserve.assets.iter().map(|a| a.weight_cap).collect(),
        psi: policy.psi,
        cr_now: collateral_ratio.unwrap_or(reserve.cr_target),
        cr_target: reserve.cr_target,
        cr_min: reserve.cr_min,
        collateral: CollateralModel::Horizon { horizon: 1.0 },
    };
    // The QP's Sigma is over the horizon; the ceiling is annual, as sigma_p is.
    let ceiling = match reserve.sigma_reset {
        reset if reset > 0.0 => config.target_volatility_share * reset * horizon_years.sqrt(),
        _ => f64::INFINITY,
    };
    let (target_weights, allocation) = match certified_allocation(
        &problem,
        ceiling,
        &targets,
        reserve.turnover_budget,
        policy.breach_epsilon,
        breach_upper,
    )? {
        Ok(certified) => {
            let solution = certified.bounded.allocation;
            (
                certified.targets,
                Allocation::Solved {
                    qp_weights: solution.weights,
                    step: certified.step,
                    status: solution.status,
                    risk_limit: certified.bounded.risk_limit,
                    volatility: solution.volatility / horizon_years.sqrt(),
                    within_ceiling: certified.bounded.within_ceiling,
                    collateral_floor_dropped: certified.bounded.collateral_floor_dropped,
                    breach_upper: certified.breach_upper,
                    certified: certified.breach_upper <= policy.breach_epsilon,
                },
            )
        }
        Err(error) => (
            targets.clone(),
            Allocation::Kept {
                reason: error.to_string(),
            },
        ),
    };

    let mut treasury = treasury_plan(reserve, &values, &inputs.flows, &config.treasury);
    // The governed floor (min_cash_ratio of the supply): on chain, bills
    // turn into cash only through swaps and auctions at a discount, not at
    // the model's small quadratic cost.
    let tier = kind_sum(reserve, &values, "cash") + kind_sum(reserve, &values, "bill");
    if tier > 0.0 {
        treasury.cash_share = treasury.cash_share.max((policy.min_cash_ratio * reserve.supply / tier).min(1.0));
    }
    let desired = liquidity_split(reserve, &target_weights, treasury.cash_share).unwrap_or(target_weights);
    let (desired, repair) = meet_capital_floors(reserve, &desired);
    let target_weights = within_turnover(&targets, &desired, reserve.turnover_budget).0;
    let capital = CapitalReport {
        reserve: capital_ratios(&holdings_of(reserve, &values), 0.0, recorded_redemptions_120h(&inputs.flows)).ok(),
        targets: capital_ratios(&holdings_of(reserve, &target_weights), 0.0, 0.0).ok(),
        repair,
        floors_met: capital_slack(reserve, &target_weights).iter().all(|&slack| slack >= -FLOOR_TOLERANCE),
    };
    let fee = treasury.fee.clamp(reserve.fee_min, reserve.fee_max);
    Ok(Decision {
        confidences: prices.iter().map(|p| p * config.confidence_fraction).collect(),
        prices,
        target_weights,
        sigma_p,
        lambda,
        reference_value,
        fee_mint: fee,
        fee_redeem: fee,
        volatilities: estimates.volatility,
        risk_scores,
        stable,
        risk,
        allocation,
        treasury,
        capital,
        loan_book,
        expected_returns,
        covariance: estimates.covariance,
    })
}

/// Windows are market days: 120 hours is five of them.
const WINDOWS_PER_120_HOURS: f64 = 5.0;
/// Slack within which a floor counts as met (weights are posted in fixed point).
const FLOOR_TOLERANCE: f64 = 1e-9;

fn holdings_of(reserve: &ReserveState, per_asset: &[f64]) -> Vec<Holding> {
    reserve
        .assets
        .iter()
        .zip(per_asset)
        .map(|(asset, &value)| Holding {
            value,
            tier: match asset.kind.as_str() {
                "cash" => Tier::Tier1,
                "bill" => Tier::Tier2_1,
                _ => Tier::Tier3,
            },
            risk_weight: asset.risk_weight,
        })
        .collect()
}

/// ILR's denominator: five times the mean redemption per window over the
/// recorded flows, in whole stablecoins (zero without a record).
fn recorded_redemptions_120h(flows: &[FlowTotals]) -> f64 {
    let (Some(first), Some(last)) = (flows.first(), flows.last()) else { return 0.0 };
    let windows = last.window.saturating_sub(first.window);
    if windows == 0 {
        return 0.0;
    }
    let redeemed = last.total_redeemed.saturating_sub(first.total_redeemed) as f64 / STABLE_UNITS_PER_COIN;
    WINDOWS_PER_120_HOURS * redeemed / windows as f64
}

/// The floors as linear constraints on the weights, g(w) >= 0:
/// MCR >= m is sum_{tier 1, 2} w_i - m sum_i rw_i w_i >= 0, and
/// CCB >= c is sum_{tier 1} w_i - c sum_i rw_i w_i >= 0.
fn capital_slack(reserve: &ReserveState, weights: &[f64]) -> [f64; 2] {
    let policy = &reserve.policy;
    let risk_weighted: f64 = reserve.assets.iter().zip(weights).map(|(a, w)| a.risk_weight * w).sum();
    let tier1 = kind_sum(reserve, weights, "cash");
    let tier2 = kind_sum(reserve, weights, "bill");
    [
        tier1 + tier2 - policy.min_capital_ratio * risk_weighted,
        tier1 - policy.min_countercyclical_buffer * risk_weighted,
    ]
}

/// `targets` moved along the line toward the all-cash portfolio (cash
/// shared as the targets share it) just far enough that both floors hold,
/// with the share of the way moved. With floors at most 1 and cash weighted
/// at most 1, all-cash meets both, and both constraints are linear, so the
/// least such move is the largest of the two crossing points. Without a
/// cash asset the targets stay as they are.
fn meet_capital_floors(reserve: &ReserveState, targets: &[f64]) -> (Vec<f64>, f64) {
    let cash_total = kind_sum(reserve, targets, "cash");
    let cash_count = reserve.assets.iter().filter(|a| a.kind == "cash").count();
    if cash_count == 0 {
        return (targets.to_vec(), 0.0);
    }
    let anchor: Vec<f64> = reserve
        .assets
        .iter()
        .zip(targets)
        .map(|(asset, &w)| match asset.kind.as_str() {
            "cash" if cash_total > 0.0 => w / cash_total,
            "cash" => 1.0 / cash_count as f64,
            _ => 0.0,
        })
        .collect();
    let (at_targets, at_anchor) = (capital_slack(reserve, targets), capital_slack(reserve, &anchor));
    let step = at_targets
        .iter()
        .zip(&at_anchor)
        .filter(|(&g, &a)| g < 0.0 && a > g)
        .map(|(&g, &a)| (-g / (a - g) * (1.0 + 1e-6)).min(1.0))
        .fold(0.0, f64::max);
    let moved = targets.iter().zip(&anchor).map(|(w, a)| w + step * (a - w)).collect();
    (moved, step)
}

/// Targets that pass the certificate, and how they were found.
struct CertifiedAllocation {
    bounded: BoundedAllocation,
    /// The targets posted: the QP's weights moved toward within u_max.
    targets: Vec<f64>,
    step: f64,
    breach_upper: f64,
}

/// Seed 000's certificate on the allocation: the targets posted must carry
/// an upper bound on P(CR < 1) under epsilon. The QP is solved under the
/// governed risk limit and, while its targets fail, again under limits
/// halving the way down to the least risky portfolio's score; the first
/// targets that pass are posted, else the safest ones (flagged as not
/// certified). The outer error is the Monte Carlo's; the inner one says
/// the QP could not decide at all.
fn certified_allocation(
    problem: &AllocationProblem,
    ceiling: f64,
    targets: &[f64],
    turnover_budget: f64,
    epsilon: f64,
    breach_upper: impl Fn(&[f64]) -> Result<f64, DecisionError>,
) -> Result<Result<CertifiedAllocation, AllocationError>, DecisionError> {
    const HALVINGS: i32 = 10;
    let attempt = |risk_limit: f64| -> Result<Result<CertifiedAllocation, AllocationError>, DecisionError> {
        let mut problem = problem.clone();
        problem.r_max = risk_limit;
        let bounded = match solve_within_volatility(&problem, ceiling) {
            Ok(bounded) => bounded,
            Err(error) => return Ok(Err(error)),
        };
        let (posted, step) = within_turnover(targets, &bounded.allocation.weights, turnover_budget);
        let breach_upper = breach_upper(&posted)?;
        Ok(Ok(CertifiedAllocation {
            bounded,
            targets: posted,
            step,
            breach_upper,
        }))
    };
    let first = match attempt(problem.r_max)? {
        Ok(first) if first.breach_upper > epsilon => first,
        done => return Ok(done),
    };
    let least = least_risk(&problem.risk_scores, &problem.liquidity_caps);
    let used = first.bounded.allocation.risk_used;
    let mut safest = first;
    for halving in 1..=HALVINGS {
        let limit = least + (used - least) * 0.5_f64.powi(halving);
        let Ok(candidate) = attempt(limit)? else { continue };
        if candidate.breach_upper <= epsilon {
            return Ok(Ok(candidate));
        }
        safest = candidate;
    }
    Ok(Ok(safest))
}

/// The least risk score any weighting within the caps reaches: the lowest
/// scores filled first.
fn least_risk(scores: &[f64], caps: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut left = 1.0_f64;
    let mut total = 0.0;
    for i in order {
        let weight = caps[i].min(left);
        total += weight * scores[i];
        left -= weight;
    }
    total
}

/// Each asset's median log return per period, annualised.
fn median_log_returns(returns: &ballast_oracle::data::LogReturns) -> Vec<f64> {
    let per_year = returns.periods_per_year();
    returns
        .values
        .column_iter()
        .map(|column| {
            let mut values: Vec<f64> = column.iter().copied().collect();
            values.sort_by(f64::total_cmp);
            let middle = values.len() / 2;
            let median = if values.len() % 2 == 1 { values[middle] } else { 0.5 * (values[middle - 1] + values[middle]) };
            median * per_year
        })
        .collect()
}

/// The program's bound on a posted risk score.
const MAX_RISK_SCORE: f64 = ballast_sdk::program::constants::bounds::RISK_LIMIT_HIGHEST as f64;

fn yes() -> bool {
    true
}

fn normalised(weights: Vec<f64>) -> Vec<f64> {
    let sum: f64 = weights.iter().sum();
    if sum > 0.0 {
        weights.iter().map(|w| w / sum).collect()
    } else {
        vec![1.0 / weights.len() as f64; weights.len()]
    }
}

/// Moves from `from` toward `to` as far as `budget` of turnover (half the
/// sum of absolute moves, as the program counts it) allows, keeping a
/// margin for fixed-point rounding.
fn within_turnover(from: &[f64], to: &[f64], budget: f64) -> (Vec<f64>, f64) {
    const ROUNDING_MARGIN: f64 = 1e-6;
    let turnover: f64 = from.iter().zip(to).map(|(a, b)| (b - a).abs()).sum::<f64>() / 2.0;
    let allowed = (budget - ROUNDING_MARGIN).max(0.0);
    let step = if turnover <= allowed { 1.0 } else { allowed / turnover };
    // Clamped: a solver's -1e-12 must not become a negative weight.
    (from.iter().zip(to).map(|(a, b)| (a + step * (b - a)).max(0.0)).collect(), step)
}

/// The treasury controller (seed 004) at this window. Its model, calibrated
/// to a $10bn reserve, is scaled to this supply; each node window is one
/// settlement window. The controller replays the flows between the recorded
/// totals (each window's volume as that many mean tickets, spread evenly),
/// so its intensity filter and re-estimated baselines come from the chain
/// alone and nodes reading the same chain agree.
fn treasury_plan(reserve: &ReserveState, values: &[f64], flows: &[FlowTotals], options: &ControllerOptions) -> TreasuryPlan {
    let (cash, bills) = (kind_sum(reserve, values, "cash"), kind_sum(reserve, values, "bill"));
    if reserve.supply <= 0.0 || cash + bills <= 0.0 {
        return TreasuryPlan { fee: reserve.fee_mint, cash_share: 1.0, redemption_pressure: 1.0, ..TreasuryPlan::default() };
    }
    let mut model = ModelParams::default();
    let scale = reserve.supply / model.supply;
    model.supply = reserve.supply;
    model.flows.redemption_ticket *= scale;
    model.flows.mint_ticket *= scale;
    model.peg_weight *= scale;
    model.fee_weight *= scale;
    model.quadratic_cost /= scale;
    let mut controller = OptimalController::new(model, *options);
    for (before, after) in flows.iter().zip(flows.iter().skip(1)) {
        let windows = after.window.saturating_sub(before.window).max(1);
        let per_window = |total_after: u64, total_before: u64, ticket: f64| -> usize {
            let volume = total_after.saturating_sub(total_before) as f64 / STABLE_UNITS_PER_COIN;
            // Bounded so a single huge flow cannot stall the replay.
            ((volume / ticket / windows as f64).round() as usize).min(MAX_EVENTS_PER_WINDOW)
        };
        let redemptions = per_window(after.total_redeemed, before.total_redeemed, model.flows.redemption_ticket);
        let mints = per_window(after.total_minted, before.total_minted, model.flows.mint_ticket);
        let (redemption_times, mint_times) = (evenly_spaced(redemptions), evenly_spaced(mints));
        for _ in 0..windows.min(MAX_REPLAYED_GAP) {
            controller.observe(&WindowEvents {
                redemption_times: &redemption_times,
                mint_times: &mint_times,
                deviation: after.deviation,
            });
        }
    }
    let decision = controller.decide(&TreasuryObservation {
        window: 0,
        cash,
        bills,
        supply: reserve.supply,
        deviation: (1.0 - reserve.redemption_rate).max(0.0),
        max_reallocation: model.max_reallocation(reserve.supply),
    });
    TreasuryPlan {
        reallocation: decision.reallocation,
        cash_target: cash - decision.reallocation,
        cash_share: ((cash - decision.reallocation) / (cash + bills)).clamp(0.0, 1.0),
        redemption_pressure: controller.flow_state().redemption_baseline / model.flows.redemption.mu,
        fee: decision.fee,
    }
}

/// The sum of `per_asset` over the reserve's assets of `kind`.
fn kind_sum(reserve: &ReserveState, per_asset: &[f64], kind: &str) -> f64 {
    reserve.assets.iter().zip(per_asset).filter(|(a, _)| a.kind == kind).map(|(_, x)| x).sum()
}

/// One stablecoin in base units (6 decimals).
const STABLE_UNITS_PER_COIN: f64 = 1e6;
/// A hundred times the nominal stationary redemption count of a window.
const MAX_EVENTS_PER_WINDOW: usize = 160_000;
/// Windows of a gap in the node's record replayed one by one; the filter
/// forgets within a few anyway.
const MAX_REPLAYED_GAP: u64 = 16;

/// `count` event times spread evenly over a window, (0, 1].
fn evenly_spaced(count: usize) -> Vec<f64> {
    (1..=count).map(|i| i as f64 / count as f64).collect()
}

/// The QP's targets with its liquidity tier (cash and bills together) split
/// as the treasury controller wants: `cash_share` of it in cash, the rest
/// in bills, each kind's part shared among its assets as the QP shared it.
/// None when the reserve has no cash or no bill asset.
fn liquidity_split(reserve: &ReserveState, targets: &[f64], cash_share: f64) -> Option<Vec<f64>> {
    let count = |kind: &str| reserve.assets.iter().filter(|a| a.kind == kind).count();
    if count("cash") == 0 || count("bill") == 0 {
        return None;
    }
    let (cash, bills) = (kind_sum(reserve, targets, "cash"), kind_sum(reserve, targets, "bill"));
    let tier = cash + bills;
    let split = reserve
        .assets
        .iter()
        .zip(targets)
        .map(|(asset, &w)| {
            let (share, total) = match asset.kind.as_str() {
                "cash" => (cash_share, cash),
                "bill" => (1.0 - cash_share, bills),
                _ => return w,
            };
            let within = if total > 0.0 { w / total } else { 1.0 / count(&asset.kind) as f64 };
            tier * share * within
        })
        .collect();
    Some(split)
}

impl Decision {
    /// This decision as an observation for `round`, for a reserve whose
    /// weight caps are `caps`. Target weights are rounded to fixed point,
    /// held under their caps and fitted to sum to one with the program's own
    /// arithmetic, so rounding can never get an observation refused.
    pub fn to_observation(&self, round: u64, caps: &[I80F48]) -> Observation {
        let (loan_gamma, loan_theta) = self.loan_book.as_ref().map_or((0.0, 0.0), LoanBook::greeks_of_reserve);
        let mut weights: Vec<I80F48> =
            self.target_weights.iter().zip(caps).map(|(w, cap)| fixed(*w).get().clamp(I80F48::ZERO, *cap)).collect();
        if weights.iter().any(|w| *w > 0) {
            // It fails only for weights summing to zero, which the test excludes.
            fit_to_caps(&mut weights, caps).expect("weights with a positive sum fit");
        }
        let (probability, upper) = match &self.risk {
            Some(risk) => (risk.breach_probability, risk.breach_interval.1),
            None => (0.0, 0.0),
        };
        // Rounded so that p <= upper survives the conversion.
        let (probability, upper) = (fixed(probability), fixed(upper.max(probability)));
        Observation {
            round,
            prices: self
                .prices
                .iter()
                .zip(&self.confidences)
                .map(|(price, confidence)| PriceInput {
                    price: fixed(*price),
                    confidence: fixed(*confidence),
                })
                .collect(),
            target_weights: weights.into_iter().map(Into::into).collect(),
            sigma_p: fixed(self.sigma_p),
            breach_probability: probability,
            breach_upper: upper,
            lambda: fixed(self.lambda),
            reference_value: fixed(self.reference_value),
            risk_scores: self.risk_scores.iter().map(|score| fixed(score.clamp(0.0, MAX_RISK_SCORE))).collect(),
            stable: self.stable,
            allocation_certified: match &self.allocation {
                Allocation::Solved { certified, .. } => *certified,
                Allocation::Kept { .. } => false,
            },
            fee_mint: fixed(self.fee_mint),
            fee_redeem: fixed(self.fee_redeem),
            loan_gamma: fixed(loan_gamma),
            loan_theta: fixed(loan_theta),
        }
    }
}

/// The posted target weights as f64, for tests and reports.
pub fn posted_weights(update: &Observation) -> Vec<f64> {
    update.target_weights.iter().map(|w| to_f64(*w)).collect()
}

#[cfg(test)]
mod tests {
    use ballast_oracle::data::Date;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    use super::*;

    /// Sixty windows of cash (flat), bills (slow drift) and crypto with a
    /// strong drift, whose daily volatility is 3% and, over the last
    /// `stressed` windows, 9% (the same draws, scaled).
    fn inputs(stressed: usize) -> DecisionInputs {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let normal = Normal::new(0.0, 1.0).unwrap();
        let start = Date::from_ymd(2026, 1, 1).unwrap();
        let mut crypto = 60_000.0;
        let history: Vec<MarketWindow> = (0..60u64)
            .map(|index| {
                let volatility = if index as usize >= 60 - stressed { 0.09 } else { 0.03 };
                crypto *= f64::exp(0.004 + volatility * normal.sample(&mut rng));
                MarketWindow {
                    index,
                    date: start.add_days(index as i64),
                    prices: vec![1.0, 1.0 + 0.0001 * index as f64, crypto],
                }
            })
            .collect();
        let asset = |symbol: &str, kind: &str, amount: f64, target: f64, cap: f64, score: f64| AssetState {
            symbol: symbol.into(),
            kind: kind.into(),
            amount,
            target_weight: target,
            weight_cap: cap,
            risk_score: score,
            risk_weight: match kind {
                "cash" => 1.0,
                "bill" => 0.7,
                _ => 0.2,
            },
        };
        DecisionInputs {
            window: 59,
            reserve: ReserveState {
                slot: 0,
                last_round: 1,
                supply: 100_000.0,
                total_minted: 0,
                total_redeemed: 0,
                redemption_rate: 1.0,
                cr_min: 1.1,
                cr_target: 1.2,
                sigma_reset: 0.5,
                fee_min: 0.0,
                fee_max: 0.01,
                fee_mint: 0.003,
                fee_redeem: 0.002,
                turnover_budget: 1.0,
                policy: GovernedPolicy::default(),
                assets: vec![
                    asset("USDC", "cash", 40_000.0, 0.4, 1.0, 0.05),
                    asset("TBILL", "bill", 30_000.0, 0.3, 0.7, 0.1),
                    asset("WBTC", "crypto", 50_000.0 / crypto, 0.3, 0.35, 0.6),
                ],
            },
            history,
            flows: Vec::new(),
            config: PipelineConfig {
                monte_carlo_paths: 1_000,
                ..PipelineConfig::default()
            },
        }
    }

    #[test]
    fn targets_that_would_break_a_capital_floor_move_toward_cash_until_they_keep_it() {
        let mut strict = inputs(0);
        strict.reserve.policy.min_countercyclical_buffer = 0.8;
        let decision = decide(&strict).unwrap();
        let targets = decision.capital.targets.unwrap();
        assert!(decision.capital.repair > 0.0 && decision.capital.floors_met, "{:?}", decision.capital);
        assert!(targets.countercyclical_buffer >= 0.8 - 1e-6, "{targets:?}");
        // Just far enough: a floor that is met does not move the targets.
        assert!(targets.countercyclical_buffer < 0.81, "{targets:?}");
        let mut off = inputs(0);
        off.reserve.policy.min_capital_ratio = 0.0;
        off.reserve.policy.min_countercyclical_buffer = 0.0;
        assert_eq!(decide(&off).unwrap().capital.repair, 0.0);
        // The reserve's own ratios: cash 40,000, bills 30,000 at 1.0059,
        // crypto 50,000 weighted 1 / 0.7 / 0.2.
        let reserve = decision.capital.reserve.unwrap();
        let bills = 30_000.0 * 1.0059;
        let rwa = 40_000.0 + 0.7 * bills + 0.2 * 50_000.0;
        assert!((reserve.minimum_capital_ratio - (40_000.0 + bills) / rwa).abs() < 1e-6, "{reserve:?}");
        assert!((reserve.countercyclical_buffer - 40_000.0 / rwa).abs() < 1e-6, "{reserve:?}");
        assert_eq!((reserve.hedge_ratio, reserve.instant_liquidity_ratio), (0.0, None));
    }

    #[test]
    fn the_instant_liquidity_ratio_reads_the_recorded_redemptions() {
        // 2,000 redeemed over 4 windows: 500 a window, 2,500 over 120 hours.
        let mut inputs = inputs(0);
        inputs.flows = flow_record(59, &[(0.0, 0.0), (500.0, 0.0), (500.0, 0.0), (500.0, 0.0), (500.0, 0.0)]);
        let reserve = decide(&inputs).unwrap().capital.reserve.unwrap();
        assert!((reserve.instant_liquidity_ratio.unwrap() - 40_000.0 / 2_500.0).abs() < 1e-9, "{reserve:?}");
    }

    #[test]
    fn the_target_of_an_asset_whose_volatility_triples_falls() {
        let calm = decide(&inputs(0)).unwrap();
        let stressed = decide(&inputs(15)).unwrap();
        let (before, after) = (calm.target_weights[2], stressed.target_weights[2]);
        assert!(
            after < before - 0.05,
            "crypto's target {before} then {after}: {:?} then {:?}",
            calm.allocation,
            stressed.allocation
        );
        // The targets' volatility stays under the ceiling, 0.8 × sigma_reset.
        match &stressed.allocation {
            Allocation::Solved { volatility, within_ceiling, .. } => {
                assert!(*within_ceiling && *volatility <= 0.4 + 1e-9, "{volatility}");
            }
            kept => panic!("the QP must decide under stress: {kept:?}"),
        }
        assert!(stressed.sigma_p > 2.0 * calm.sigma_p, "sigma_p {} then {}", calm.sigma_p, stressed.sigma_p);
    }

    fn solved(decision: &Decision) -> (f64, f64, bool, f64) {
        match &decision.allocation {
            Allocation::Solved { risk_limit, breach_upper, certified, .. } => {
                (*risk_limit, *breach_upper, *certified, decision.target_weights[2])
            }
            kept => panic!("the QP must decide: {kept:?}"),
        }
    }

    #[test]
    fn an_allocation_failing_the_certificate_is_re_solved_tighter_or_flagged() {
        // CR 1.014 under stress: at the governed R_max the targets' bound on
        // P(CR < 1) is far above epsilon 0.05 ...
        let mut near = inputs(15);
        near.reserve.supply = 118_500.0;
        near.reserve.policy.breach_epsilon = 1.0;
        let (governed_limit, loose_bound, certified, loose_crypto) = solved(&decide(&near).unwrap());
        assert!(certified && loose_bound > 0.1, "bound {loose_bound}");
        // ... so the worker re-solves under a tighter limit, with less crypto.
        near.reserve.policy.breach_epsilon = 0.05;
        let (limit, bound, certified, crypto) = solved(&decide(&near).unwrap());
        assert!(certified && bound <= 0.05, "bound {bound}");
        assert!(limit < governed_limit && crypto < loose_crypto, "R_max {limit}, crypto {crypto}");
        let caps = [I80F48::ONE, fixed(0.7).get(), fixed(0.35).get()];
        assert!(decide(&near).unwrap().to_observation(1, &caps).allocation_certified);

        // Under water (CR 0.99) nothing passes: the safest targets (no
        // crypto) are posted, flagged.
        let mut under = inputs(15);
        under.reserve.supply = 121_000.0;
        let decision = decide(&under).unwrap();
        let (_, bound, certified, crypto) = solved(&decision);
        assert!(!certified && bound > 0.05, "bound {bound}");
        assert!(crypto < 1e-6, "crypto {crypto}");
        assert!(!decision.to_observation(1, &caps).allocation_certified);
    }

    /// Flow totals for windows `0..` with these (redeemed, minted) volumes in
    /// whole stablecoins, ending at the decision's window.
    fn flow_record(window: u64, volumes: &[(f64, f64)]) -> Vec<FlowTotals> {
        let first = window + 1 - volumes.len() as u64;
        let (mut redeemed, mut minted) = (0u64, 0u64);
        volumes
            .iter()
            .enumerate()
            .map(|(i, (r, m))| {
                redeemed += (r * STABLE_UNITS_PER_COIN) as u64;
                minted += (m * STABLE_UNITS_PER_COIN) as u64;
                FlowTotals { window: first + i as u64, total_minted: minted, total_redeemed: redeemed, deviation: 0.0 }
            })
            .collect()
    }

    #[test]
    fn the_cash_buffer_builds_when_redemptions_cluster_and_not_in_a_false_alarm() {
        // At a supply of 100,000 the model's baseline is $320 of redemptions
        // and $320 of mints a window; the wave redeems $780 a window more.
        let calm = [(320.0, 320.0); 12];
        let mut wave = calm;
        for volumes in &mut wave[8..] {
            volumes.0 = 1_100.0;
        }
        let mut false_alarm = calm;
        false_alarm[8].1 = 960.0;
        false_alarm[9].1 = 960.0;
        false_alarm[10].0 = 480.0;
        false_alarm[11].0 = 480.0;
        let plan = |volumes: &[(f64, f64)]| {
            let mut inputs = inputs(0);
            // $10,000 of cash and $60,000 of bills.
            inputs.reserve.assets[0].amount = 10_000.0;
            inputs.reserve.assets[1].amount = 60_000.0 / (1.0 + 0.0001 * 59.0);
            inputs.flows = flow_record(inputs.window, volumes);
            // The controller alone: no cash floor, no capital floors.
            inputs.reserve.policy.min_cash_ratio = 0.0;
            inputs.reserve.policy.min_capital_ratio = 0.0;
            inputs.reserve.policy.min_countercyclical_buffer = 0.0;
            decide(&inputs).unwrap()
        };
        let (calm, wave, false_alarm) = (plan(&calm), plan(&wave), plan(&false_alarm));
        let kept = |d: &Decision| d.treasury.cash_target;
        assert!(wave.treasury.redemption_pressure > 2.0, "{:?}", wave.treasury);
        assert!(kept(&wave) > kept(&calm) + 780.0, "wave {:?}, calm {:?}", wave.treasury, calm.treasury);
        // A mint surge then a modest rise in redemptions: it invests more.
        assert!(kept(&false_alarm) < kept(&calm), "false alarm {:?}, calm {:?}", false_alarm.treasury, calm.treasury);
        // The split is what the targets carry: the cash part of the
        // liquidity tier is the controller's share.
        for decision in [&calm, &wave, &false_alarm] {
            let (cash, bills) = (decision.target_weights[0], decision.target_weights[1]);
            assert!((cash / (cash + bills) - decision.treasury.cash_share).abs() < 1e-6, "{:?}", decision.target_weights);
        }
    }
}
