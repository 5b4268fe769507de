//! The window MPC of spec §6.1: a convex program over the planned reallocations
//! r_0..r_{H−1}, solved by projected Newton with the discrete adjoint (29)–(31)
//! as gradient. Its optimum satisfies Theorem 3.1: r_j = Π(−S_{c1}(σ̄_j)/(2c_2)).
//!
//! Convexity: the shortfall s_j is convex and decreasing in C_j^+, which is affine
//! in r, so δ_{j+1} ≥ 0 is a positive sum of convex functions and δ² is convex;
//! carry is linear and c_1|r| + c_2 r² is convex.

use nalgebra::{DMatrix, DVector};

use super::forecast::WindowForecast;
use super::params::{ModelParams, ShortfallClosure};
use super::peg::planned_shortfall;

/// One roll of the MPC: the state at the roll time and the flow forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowProblem {
    pub model: ModelParams,
    pub closure: ShortfallClosure,
    /// Planner-only penalty per USD of negative bills B_j^+ < 0.
    pub short_bill_penalty: f64,
    pub cash: f64,
    pub bills: f64,
    pub supply: f64,
    pub deviation: f64,
    /// Box of every planned reallocation: |r_j| ≤ max_reallocation.
    pub max_reallocation: f64,
    /// One forecast per planned window; its length is the horizon H.
    pub forecast: Vec<WindowForecast>,
}

/// Value, gradient and switching function of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Full discounted objective, including c_1|r|.
    pub objective: f64,
    /// Gradient of the smooth part (everything but c_1|r|).
    pub gradient: Vec<f64>,
    /// σ̄_j = (g^B_j − g^C_j)/D^j: marginal value of moving one dollar of cash into
    /// bills in window j, trading costs excluded (eq. 39).
    pub switching: Vec<f64>,
    /// p̄_δ,j = a^δ_{j+1}/D^j: marginal cost of one unit of deviation at the end of window j.
    pub peg_costate: Vec<f64>,
    /// Hessian of the smooth part, when requested.
    pub hessian: Option<DMatrix<f64>>,
}

/// A solved roll.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub reallocation: Vec<f64>,
    pub switching: Vec<f64>,
    pub peg_costate: Vec<f64>,
    pub objective: f64,
    pub iterations: usize,
    /// max_j |r_j − Π(−S_{c1}(σ̄_j)/(2c_2))| / u_max at the returned plan.
    pub theorem_residual: f64,
}

/// Soft threshold S_c(z) = sign(z) max(|z| − c, 0).
pub fn soft_threshold(z: f64, c: f64) -> f64 {
    z.signum() * (z.abs() - c).max(0.0)
}

/// Theorem 3.1, eq. (40): the window reallocation for switching function `sigma_bar`.
pub fn theorem_reallocation(
    sigma_bar: f64,
    linear_cost: f64,
    quadratic_cost: f64,
    max_reallocation: f64,
) -> f64 {
    (-soft_threshold(sigma_bar, linear_cost) / (2.0 * quadratic_cost))
        .clamp(-max_reallocation, max_reallocation)
}

/// Relative KKT tolerance at which the solver stops: $1 per $1 bn of u_max.
pub const THEOREM_TOLERANCE: f64 = 1e-9;
const MAX_ITERATIONS: usize = 100;
/// Flow deviations (USD) of the continuation that solves the certainty-equivalent closure.
const CE_SMOOTHING_START: f64 = 1.0e6;
pub const CE_SMOOTHING_FLOOR: f64 = 1.0;

impl WindowProblem {
    pub fn horizon(&self) -> usize {
        self.forecast.len()
    }

    /// Objective, adjoint gradient and (optionally) exact Hessian of `plan`.
    pub fn evaluate(&self, plan: &[f64], with_hessian: bool) -> Evaluation {
        let m = &self.model;
        let h = self.horizon();
        let discount = m.discount_factor();
        let (eta, keep) = (m.peg_sensitivity, 1.0 - m.peg_relaxation);
        let (mut cash, mut bills, mut supply, mut deviation) =
            (self.cash, self.bills, self.supply, self.deviation);
        let mut weight = 1.0;
        let mut objective = 0.0;
        // Forward pass: per window the discount D^j, the exhaustion π_j, the
        // curvature of s_j, η/S_j, δ_{j+1} and whether B_j^+ < 0.
        let mut path = Vec::with_capacity(h);
        for (&r, flow) in plan.iter().zip(&self.forecast) {
            let cash_after = cash - r;
            let bills_after = bills + r;
            let shortfall = planned_shortfall(self.closure, cash_after, flow.mean, flow.variance);
            let impact = eta / supply.max(1.0);
            deviation = keep * deviation + impact * shortfall.value;
            let short_bills = (-bills_after).max(0.0);
            objective += weight
                * (m.linear_cost * r.abs() + m.quadratic_cost * r * r - m.bill_rate * bills_after
                    + m.peg_weight * deviation * deviation
                    + self.short_bill_penalty * short_bills);
            path.push(Step {
                weight,
                exhaustion: shortfall.exhaustion,
                curvature: shortfall.curvature,
                impact,
                deviation,
                short_bills: short_bills > 0.0,
            });
            cash = cash_after - flow.mean;
            bills = (1.0 + m.bill_rate) * bills_after;
            supply -= flow.mean;
            weight *= discount;
        }
        // Backward pass: the discrete adjoint.
        let (mut a_delta, mut g_cash, mut g_bills) = (0.0, 0.0, 0.0);
        let mut gradient = vec![0.0; h];
        let mut switching = vec![0.0; h];
        let mut peg_costate = vec![0.0; h];
        for j in (0..h).rev() {
            let s = &path[j];
            a_delta = s.weight * 2.0 * m.peg_weight * s.deviation + keep * a_delta;
            g_cash += -a_delta * s.impact * s.exhaustion;
            let penalty = if s.short_bills {
                self.short_bill_penalty
            } else {
                0.0
            };
            g_bills = -s.weight * (m.bill_rate + penalty) + (1.0 + m.bill_rate) * g_bills;
            switching[j] = (g_bills - g_cash) / s.weight;
            peg_costate[j] = a_delta / s.weight;
            gradient[j] = s.weight * (2.0 * m.quadratic_cost * plan[j] + switching[j]);
        }
        let hessian = with_hessian.then(|| self.hessian(&path, keep));
        Evaluation {
            objective,
            gradient,
            switching,
            peg_costate,
            hessian,
        }
    }

    /// Exact Hessian of the smooth part: Σ_j 2w_δ D^j (J_j J_jᵀ + δ_{j+1} K_j) plus
    /// the diagonal 2c_2 D^j, where J_j = ∂δ_{j+1}/∂r and K_j = ∂²δ_{j+1}/∂r².
    fn hessian(&self, path: &[Step], keep: f64) -> DMatrix<f64> {
        let h = path.len();
        let m = &self.model;
        let mut hessian = DMatrix::from_fn(h, h, |i, k| {
            if i == k {
                2.0 * m.quadratic_cost * path[i].weight
            } else {
                0.0
            }
        });
        let mut jacobian = vec![0.0; h];
        let mut second = vec![0.0; h];
        for (j, step) in path.iter().enumerate() {
            // ∂δ_{j+1}/∂r_l = Σ_{i=l..j} (1−ψ)^{j−i} (η/S_i) π_i, and likewise for the
            // curvature; both only depend on max(l, m), so accumulate from l = j down.
            let (mut jac, mut sec, mut decay) = (0.0, 0.0, 1.0);
            for l in (0..=j).rev() {
                jac += decay * path[l].impact * path[l].exhaustion;
                sec += decay * path[l].impact * path[l].curvature;
                jacobian[l] = jac;
                second[l] = sec;
                decay *= keep;
            }
            let scale = 2.0 * m.peg_weight * step.weight;
            for l in 0..=j {
                for k in 0..=j {
                    hessian[(l, k)] +=
                        scale * (jacobian[l] * jacobian[k] + step.deviation * second[l.max(k)]);
                }
            }
        }
        hessian
    }

    /// Largest violation of Theorem 3.1 by `plan`, relative to u_max.
    pub fn theorem_residual(&self, plan: &[f64], switching: &[f64]) -> f64 {
        let m = &self.model;
        plan.iter()
            .zip(switching)
            .map(|(&r, &sigma)| {
                (r - theorem_reallocation(
                    sigma,
                    m.linear_cost,
                    m.quadratic_cost,
                    self.max_reallocation,
                ))
                .abs()
            })
            .fold(0.0, f64::max)
            / self.max_reallocation
    }

    /// Solves the roll by projected Newton from `warm_start` (e.g. the previous plan
    /// shifted by one window; missing entries start at 0).
    ///
    /// Each iteration fixes every coordinate whose optimality is already certified
    /// (in the dead zone at 0, or pushed against a bound of ±u_max), takes a Newton
    /// step with the exact Hessian on the rest on the current sign orthant (where
    /// c_1|r| is linear), projects back onto that orthant-box piece and backtracks
    /// (Armijo). A sign change therefore passes through 0, where the next iteration
    /// decides it. If the Newton step fails, a diagonally scaled gradient step is tried.
    ///
    /// The certainty-equivalent closure is not differentiable where C_j^+ = m_j, and
    /// the optimum often sits exactly there; it is solved as the limit of the
    /// expected-shortfall closure with a vanishing flow deviation (continuation down
    /// to [`CE_SMOOTHING_FLOOR`] USD), so its plan is optimal to that precision.
    pub fn solve(&self, warm_start: &[f64]) -> Plan {
        if self.closure == ShortfallClosure::CertaintyEquivalent {
            let mut plan = warm_start.to_vec();
            let mut iterations = 0;
            let mut sd = CE_SMOOTHING_START;
            while sd >= CE_SMOOTHING_FLOOR {
                let smoothed = WindowProblem {
                    closure: ShortfallClosure::ExpectedShortfall,
                    forecast: self
                        .forecast
                        .iter()
                        .map(|f| WindowForecast {
                            variance: sd * sd,
                            ..*f
                        })
                        .collect(),
                    ..self.clone()
                };
                let stage = smoothed.solve_smooth(&plan);
                iterations += stage.iterations;
                plan = stage.reallocation;
                sd *= 0.01;
            }
            let eval = self.evaluate(&plan, false);
            return Plan {
                theorem_residual: self.theorem_residual(&plan, &eval.switching),
                reallocation: plan,
                switching: eval.switching,
                peg_costate: eval.peg_costate,
                objective: eval.objective,
                iterations,
            };
        }
        self.solve_smooth(warm_start)
    }

    fn solve_smooth(&self, warm_start: &[f64]) -> Plan {
        let u = self.max_reallocation;
        let h = self.horizon();
        let snap = 1e-12 * u;
        let mut plan: Vec<f64> = (0..h)
            .map(|j| warm_start.get(j).copied().unwrap_or(0.0).clamp(-u, u))
            .collect();
        let mut eval = self.evaluate(&plan, true);
        let mut iterations = 0;
        while iterations < MAX_ITERATIONS {
            if self.theorem_residual(&plan, &eval.switching) <= THEOREM_TOLERANCE {
                break;
            }
            iterations += 1;
            let pieces = self.pieces(&plan, &eval.gradient);
            let hessian = eval.hessian.as_ref().expect("requested");
            let newton = newton_direction(hessian, &pieces);
            let scaled_gradient: Vec<f64> = pieces
                .iter()
                .enumerate()
                .map(|(j, p)| {
                    if p.free {
                        -p.pseudo_gradient / hessian[(j, j)]
                    } else {
                        0.0
                    }
                })
                .collect();
            let step = [newton, Some(scaled_gradient)]
                .into_iter()
                .flatten()
                .find_map(|direction| {
                    self.line_search(&plan, eval.objective, &pieces, &direction, snap)
                });
            match step {
                Some(next) => {
                    plan = next;
                    eval = self.evaluate(&plan, true);
                }
                None => break,
            }
        }
        let theorem_residual = self.theorem_residual(&plan, &eval.switching);
        Plan {
            reallocation: plan,
            switching: eval.switching,
            peg_costate: eval.peg_costate,
            objective: eval.objective,
            iterations,
            theorem_residual,
        }
    }

    /// The orthant-box piece of each coordinate and its pseudo-gradient there.
    fn pieces(&self, plan: &[f64], gradient: &[f64]) -> Vec<Piece> {
        let u = self.max_reallocation;
        let discount = self.model.discount_factor();
        let mut weight = 1.0;
        plan.iter()
            .zip(gradient)
            .map(|(&r, &g)| {
                let kink = self.model.linear_cost * weight;
                weight *= discount;
                let sign = if r > 0.0 {
                    1.0
                } else if r < 0.0 {
                    -1.0
                } else if g < -kink {
                    1.0
                } else if g > kink {
                    -1.0
                } else {
                    0.0
                };
                let pseudo_gradient = g + kink * sign;
                let (lower, upper) = match sign {
                    s if s > 0.0 => (0.0, u),
                    s if s < 0.0 => (-u, 0.0),
                    _ => (0.0, 0.0),
                };
                let pushed_out =
                    (r >= upper && pseudo_gradient < 0.0) || (r <= lower && pseudo_gradient > 0.0);
                Piece {
                    lower,
                    upper,
                    pseudo_gradient,
                    free: sign != 0.0 && !pushed_out,
                }
            })
            .collect()
    }

    fn line_search(
        &self,
        plan: &[f64],
        objective: f64,
        pieces: &[Piece],
        direction: &[f64],
        snap: f64,
    ) -> Option<Vec<f64>> {
        let mut step = 1.0;
        for _ in 0..60 {
            let trial: Vec<f64> = plan
                .iter()
                .zip(pieces.iter().zip(direction))
                .map(|(&r, (p, &d))| {
                    let x = (r + step * d).clamp(p.lower, p.upper);
                    if (x - p.lower).abs() <= snap {
                        p.lower
                    } else if (x - p.upper).abs() <= snap {
                        p.upper
                    } else {
                        x
                    }
                })
                .collect();
            let predicted: f64 = pieces
                .iter()
                .zip(trial.iter().zip(plan))
                .map(|(p, (x, r))| p.pseudo_gradient * (x - r))
                .sum();
            if trial == plan {
                return None;
            }
            let value = self.evaluate(&trial, false).objective;
            let rounding = 8.0 * f64::EPSILON * objective.abs();
            if value <= objective + 1e-4 * predicted.min(0.0) + rounding
                && value < objective + rounding
            {
                return Some(trial);
            }
            step *= 0.5;
        }
        None
    }
}

#[derive(Debug, Clone, Copy)]
struct Step {
    weight: f64,
    exhaustion: f64,
    curvature: f64,
    impact: f64,
    deviation: f64,
    short_bills: bool,
}

#[derive(Debug, Clone, Copy)]
struct Piece {
    lower: f64,
    upper: f64,
    pseudo_gradient: f64,
    free: bool,
}

/// Newton step −H_FF⁻¹ g_F on the free coordinates F, zero elsewhere.
fn newton_direction(hessian: &DMatrix<f64>, pieces: &[Piece]) -> Option<Vec<f64>> {
    let free: Vec<usize> = (0..pieces.len()).filter(|&j| pieces[j].free).collect();
    if free.is_empty() {
        return None;
    }
    let reduced = DMatrix::from_fn(free.len(), free.len(), |a, b| hessian[(free[a], free[b])]);
    let rhs = DVector::from_iterator(free.len(), free.iter().map(|&j| -pieces[j].pseudo_gradient));
    let solution = reduced.cholesky()?.solve(&rhs);
    let mut direction = vec![0.0; pieces.len()];
    for (a, &j) in free.iter().enumerate() {
        direction[j] = solution[a];
    }
    Some(direction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::treasury::forecast::{forecast, FlowState};

    /// The roll at a calm reserve (10 % cash, no deviation) whose redemption
    /// baseline is ϑ·μ_R: a family λ̄_R^(ϑ) non-decreasing in ϑ.
    fn stressed_roll(closure: ShortfallClosure, theta: f64) -> WindowProblem {
        let model = ModelParams::default();
        let flows = FlowState {
            redemption_baseline: theta * model.flows.redemption.mu,
            mint_baseline: model.flows.mint.mu,
            redemption_excitation: 0.0,
            mint_excitation: 0.0,
        };
        WindowProblem {
            model,
            closure,
            short_bill_penalty: 1.0,
            cash: 0.1 * model.supply,
            bills: 0.9 * model.supply,
            supply: model.supply,
            deviation: 0.0,
            max_reallocation: model.max_reallocation(model.supply),
            forecast: forecast(&model.flows, &flows, 0.0, 9),
        }
    }

    /// r*_k(ϑ): the first window of the solved roll.
    fn decision(closure: ShortfallClosure, theta: f64) -> f64 {
        stressed_roll(closure, theta).solve(&[]).reallocation[0]
    }

    /// The boundary of {ϑ : `side`(r*(ϑ))} inside (lo, hi), by bisection, given
    /// that `side` holds at lo and fails at hi.
    fn boundary(
        closure: ShortfallClosure,
        side: impl Fn(f64) -> bool,
        (mut lo, mut hi): (f64, f64),
    ) -> f64 {
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if side(decision(closure, mid)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    const CLOSURES: [ShortfallClosure; 2] = [
        ShortfallClosure::ExpectedShortfall,
        ShortfallClosure::CertaintyEquivalent,
    ];

    /// Theorem 3.2, part 2: along λ̄_R^(ϑ), r*(ϑ) is non-increasing and crosses
    /// from ≥ 0 to < 0 at one threshold ϑ*, through the dead zone of S_{c_1}
    /// (inaction, r* = 0, on an interval just below ϑ*).
    #[test]
    fn a_stress_threshold_separates_inaction_from_cash_building() {
        for closure in CLOSURES {
            let u_max = stressed_roll(closure, 1.0).max_reallocation;
            let grid: Vec<f64> = (0..=120).map(|i| 1000f64.powf(i as f64 / 120.0)).collect();
            let decisions: Vec<f64> = grid.iter().map(|&t| decision(closure, t)).collect();
            for (i, pair) in decisions.windows(2).enumerate() {
                assert!(
                    pair[1] <= pair[0] + 1e-9 * u_max,
                    "{closure:?}: r* rises from {} to {} between ϑ = {} and {}",
                    pair[0],
                    pair[1],
                    grid[i],
                    grid[i + 1]
                );
            }
            assert!(
                decisions[0] > 0.0,
                "{closure:?}: calm roll does not buy bills"
            );
            let last_buying = boundary(closure, |r| r > 0.0, (1.0, 1000.0));
            let threshold = boundary(closure, |r| r >= 0.0, (1.0, 1000.0));
            assert!(
                threshold > last_buying * (1.0 + 1e-6),
                "{closure:?}: no dead zone between {last_buying} and {threshold}"
            );
            let inactive = decision(closure, 0.5 * (last_buying + threshold));
            assert!(
                inactive.abs() <= 1e-9 * u_max,
                "{closure:?}: r* = {inactive} in the dead zone"
            );
            assert!(decision(closure, threshold * (1.0 + 1e-9)) < 0.0);
            for (&t, &r) in grid.iter().zip(&decisions) {
                assert_eq!(
                    r >= 0.0,
                    t <= threshold,
                    "{closure:?}: ϑ = {t}, r* = {r}, ϑ* = {threshold}"
                );
            }
        }
    }

    /// Theorem 3.2, part 3: as ϑ → ∞, r*(ϑ) → −u_max (maximum cash building), and
    /// once there it stays.
    #[test]
    fn extreme_stress_builds_cash_at_the_maximum_rate() {
        for closure in CLOSURES {
            let u_max = stressed_roll(closure, 1.0).max_reallocation;
            let gaps: Vec<f64> = [3.0, 10.0, 30.0, 100.0, 1e3, 1e4, 1e6]
                .iter()
                .map(|&t| decision(closure, t) + u_max)
                .collect();
            assert!(
                gaps[0] > 1e-3 * u_max,
                "{closure:?}: ϑ = 3 already saturates"
            );
            assert!(
                gaps.windows(2).all(|g| g[1] <= g[0] + 1e-9 * u_max),
                "{closure:?}: {gaps:?}"
            );
            assert!(
                gaps[4..].iter().all(|&g| g.abs() <= 1e-9 * u_max),
                "{closure:?}: {gaps:?}"
            );
        }
    }
}
