//! Stakers who govern. Each epoch each governed parameter gets a proposal,
//! and every staker votes the value that maximises its own utility
//! (seed 000, "Governance Decision"):
//!
//!   U_j = w_j1 CR + w_j2 sum_i w_i mu_i - w_j3 sigma_p^2
//!
//! judged with the oracle's own models: the first node's latest decision
//! inputs, read from its public audit log, decided again with the candidate
//! value in place, give the weights w_i the reserve would be steered to, and
//! with them the yield, the variance and the CR a governance epoch ahead.
//! The program takes the stake-weighted mean of the ballots, one bounded
//! step per epoch.
//!
//! Adversaries: a yield-seeking coalition that votes the lowest value a
//! ballot may take for CR_min and the fee ceiling (and otherwise weighs only
//! yield), and a stake buyer who stakes just before a vote and tries to
//! leave as soon as it has voted.

use std::path::Path;

use anyhow::{Context, Result};
use ballast_app::demo::{World, SLOTS_PER_WINDOW};
use ballast_app::governance;
use ballast_oracle_node::worker::audit::AuditLog;
use ballast_oracle_node::worker::pipeline::{decide, Decision, DecisionInputs};
use ballast_sdk::accounts::{self, ProposalStatus, ProtocolView};
use ballast_sdk::program::math::I80F48;
use ballast_sdk::program::state::{Ballot, ParamKey, ProposalKind};
use ballast_sdk::{fixed, instructions, pda, token, Chain, Keypair, Signer};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::{mint_stable, units, whole};

/// The parameters the stakers govern.
pub const GOVERNED: [ParamKey; 4] = [ParamKey::CrMin, ParamKey::Lambda0, ParamKey::FeeMax, ParamKey::UMax];

/// Values a staker weighs for a parameter: its current value, and a half
/// and a whole step either way, inside every bound a change must keep.
const STEPS: [f64; 5] = [-1.0, -0.5, 0.0, 0.5, 1.0];

/// A staker's weights in U_j.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Utility {
    pub collateral: f64,
    pub yield_weight: f64,
    pub variance: f64,
}

impl Utility {
    pub fn of(&self, outcome: &Outcome) -> f64 {
        self.collateral * outcome.collateral_ratio + self.yield_weight * outcome.expected_return
            - self.variance * outcome.variance
    }

    /// Only yield counts.
    pub const YIELD_ONLY: Self = Self { collateral: 0.0, yield_weight: 1.0, variance: 0.0 };
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum Stance {
    /// Votes the candidate that maximises its utility.
    Maximiser(Utility),
    /// Votes the lowest value a ballot may take for CR_min and the fee
    /// ceiling, and the candidate that maximises yield for the rest.
    YieldSeeker,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GovernanceConfig {
    /// Stakers voting their own utility, each with weights drawn from the
    /// run's seed.
    pub maximisers: usize,
    /// Stablecoins staked by all of them and the coalition together.
    pub total_stake: f64,
    /// The yield-seeking coalition: its members and its share of the stake.
    pub yield_seekers: usize,
    pub yield_seeker_share: f64,
    /// Stablecoins a buyer stakes just before the first vote after the
    /// crash, voting with the coalition, if there is one.
    pub stake_buyer: Option<f64>,
}

impl Default for GovernanceConfig {
    fn default() -> Self {
        Self { maximisers: 10, total_stake: 30_000.0, yield_seekers: 0, yield_seeker_share: 0.0, stake_buyer: None }
    }
}

impl GovernanceConfig {
    pub fn agents(&self) -> usize {
        self.maximisers + self.yield_seekers + usize::from(self.stake_buyer.is_some())
    }
}

/// What a candidate value leads to, by the oracle's models: the reserve a
/// governance epoch ahead at the weights it would be steered to.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Outcome {
    pub collateral_ratio: f64,
    /// sum_i w_i mu_i, annual.
    pub expected_return: f64,
    /// sigma_p^2 = w' Sigma w, annual.
    pub variance: f64,
}

/// One proposal: what was on the ballot and what came of it.
#[derive(Clone, Debug, Serialize)]
pub struct ParamVote {
    pub day: u64,
    pub param: &'static str,
    pub id: u64,
    pub reference: f64,
    /// The stake-weighted mean of the ballots.
    pub mean: Option<f64>,
    /// The value in force after execution and the governance epoch it
    /// executed in, or why it did not execute.
    pub executed: Option<f64>,
    pub executed_epoch: Option<u64>,
    pub refused: Option<String>,
}

/// The governed parameters at the end of a window.
#[derive(Clone, Debug, Serialize)]
pub struct ParamPath {
    pub day: u64,
    pub cr_min: f64,
    pub lambda0: f64,
    pub fee_max: f64,
    pub u_max: f64,
}

/// The stake buyer's story.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StakeBuyerBook {
    pub staked: f64,
    pub voted_day: Option<u64>,
    /// The program's answer to its ballot, when it refused it.
    pub vote_refused: Option<String>,
    /// How far its ballot moved the proposal's mean.
    pub moved_mean_by: f64,
    /// The program's answer when it tried to unstake right after voting.
    pub unstake_refused: Option<String>,
    /// Windows after its lock ended in which the program still would not
    /// let the stake leave, and why (the backstop is frozen in a crisis).
    pub held_back_windows: usize,
    pub held_back_by: Option<String>,
    /// The day it could leave, and the stablecoins it got back; while it
    /// cannot, what its stake is worth.
    pub left_day: Option<u64>,
    pub got_back: f64,
    pub still_staked: f64,
}

struct Staker {
    key: Keypair,
    stance: Stance,
}

struct Pending {
    key: ParamKey,
    id: u64,
    vote: usize,
}

pub struct Stakers {
    config: GovernanceConfig,
    stakers: Vec<Staker>,
    buyer: Option<(Keypair, f64)>,
    audit: Option<AuditLog>,
    pending: Vec<Pending>,
    pub votes: Vec<ParamVote>,
    pub paths: Vec<ParamPath>,
    pub buyer_book: Option<StakeBuyerBook>,
}

impl Stakers {
    pub fn new(config: GovernanceConfig) -> Self {
        Self {
            config,
            stakers: Vec::new(),
            buyer: None,
            audit: None,
            pending: Vec::new(),
            votes: Vec::new(),
            paths: Vec::new(),
            buyer_book: None,
        }
    }

    /// Each staker mints its stake through the program and stakes it.
    pub fn open(&mut self, chain: &mut dyn Chain, world: &World, seed: u64) -> Result<()> {
        let config = &self.config;
        anyhow::ensure!(config.maximisers + config.yield_seekers > 0, "governance needs at least one staker");
        anyhow::ensure!(
            (0.0..1.0).contains(&config.yield_seeker_share),
            "a yield-seeking share of {} of the stake: it is a fraction below 1",
            config.yield_seeker_share
        );
        anyhow::ensure!(
            config.maximisers > 0 || config.yield_seeker_share == 0.0,
            "a coalition needs other stakers to hold the rest of the stake"
        );
        anyhow::ensure!(
            config.yield_seekers > 0 || config.yield_seeker_share == 0.0,
            "a yield-seeking share of the stake needs yield seekers to hold it"
        );
        let mut rng = StdRng::seed_from_u64(seed ^ 0x9e37_79b9);
        let honest = config.total_stake * (1.0 - config.yield_seeker_share) / config.maximisers.max(1) as f64;
        let seeker = config.total_stake * config.yield_seeker_share / config.yield_seekers.max(1) as f64;
        let stances = (0..config.maximisers)
            .map(|_| {
                // Risk aversion w3 / w2 from 0.5 to 8, and some weight on CR.
                let utility = Utility {
                    collateral: rng.random_range(0.5..1.5),
                    yield_weight: 1.0,
                    variance: rng.random_range(0.5..8.0),
                };
                (Stance::Maximiser(utility), honest)
            })
            .chain((0..config.yield_seekers).map(|_| (Stance::YieldSeeker, seeker)));
        for (stance, stake) in stances.collect::<Vec<_>>() {
            let key = staker(chain, world, stake)?;
            self.stakers.push(Staker { key, stance });
        }
        if let Some(stake) = config.stake_buyer {
            // It holds the coin from the start (minting halts below CR_crit)
            // and stakes it only when the vote comes.
            let key = world.fund(chain, &[("USDC", stake)])?;
            let held = mint_stable(chain, world, &key, stake)?;
            self.buyer = Some((key, held));
        }
        self.audit = Some(open_audit(&world.oracle_audit)?);
        Ok(())
    }

    pub fn window(&mut self, chain: &mut dyn Chain, world: &World, day: u64) -> Result<()> {
        self.execute_due(chain)?;
        self.buyer_leaves(chain, day)?;
        let open = self.proposable(chain)?;
        if !open.is_empty() {
            let inputs = self.latest_inputs()?;
            // Votes do not move stake: one read serves every proposal.
            let power = self.voting_power(chain)?;
            for key in open {
                self.propose(chain, world, day, key, inputs.as_ref(), &power)?;
            }
        }
        let protocol = accounts::protocol(chain)?;
        let read = |key: ParamKey| key.read(&protocol.raw, None).map(|v| v.to_num::<f64>()).unwrap_or(f64::NAN);
        self.paths.push(ParamPath {
            day,
            cr_min: read(ParamKey::CrMin),
            lambda0: read(ParamKey::Lambda0),
            fee_max: read(ParamKey::FeeMax),
            u_max: read(ParamKey::UMax),
        });
        Ok(())
    }

    /// Executes every proposal whose timelock is over; records the rest
    /// that failed or expired.
    fn execute_due(&mut self, chain: &mut dyn Chain) -> Result<()> {
        let config = accounts::governance(chain)?;
        let slot = chain.slot()?;
        let payer = &self.stakers[0].key;
        let mut still = Vec::new();
        for pending in std::mem::take(&mut self.pending) {
            let proposal = accounts::proposal(chain, pending.id)?;
            let vote = &mut self.votes[pending.vote];
            vote.mean = proposal.mean;
            match proposal.status(slot, &config) {
                ProposalStatus::Voting | ProposalStatus::Timelocked => still.push(pending),
                ProposalStatus::Executable => match governance::execute(chain, payer, pending.id) {
                    Ok(_) => {
                        let protocol = accounts::protocol(chain)?;
                        vote.executed = Some(pending.key.read(&protocol.raw, None)?.to_num());
                        vote.executed_epoch = Some(config.raw.epoch(slot));
                    }
                    Err(error) => vote.refused = Some(refusal(&error)),
                },
                status => vote.refused = Some(format!("{status:?}")),
            }
        }
        self.pending = still;
        Ok(())
    }

    /// The governed parameters with no proposal open that may change in
    /// this epoch.
    fn proposable(&self, chain: &mut dyn Chain) -> Result<Vec<ParamKey>> {
        let governance = accounts::governance(chain)?;
        let epoch = governance.raw.epoch(chain.slot()?);
        Ok(GOVERNED
            .into_iter()
            .filter(|key| self.pending.iter().all(|p| p.key != *key))
            .filter(|key| {
                let last = governance.raw.last_change_epoch[key.slot()];
                last == u64::MAX || last < epoch
            })
            .collect())
    }

    /// The inputs of the first node's latest decision, if it has made one.
    fn latest_inputs(&self) -> Result<Option<DecisionInputs>> {
        let audit = self.audit.as_ref().context("governance before the stakers opened")?;
        let latest = audit.latest(4)?;
        let Some(json) = latest.iter().rev().find_map(|record| record.inputs_json.as_deref()) else {
            return Ok(None);
        };
        Ok(Some(serde_json::from_str(json).context("the oracle's recorded decision inputs")?))
    }

    fn propose(
        &mut self,
        chain: &mut dyn Chain,
        world: &World,
        day: u64,
        key: ParamKey,
        inputs: Option<&DecisionInputs>,
        power: &[u64],
    ) -> Result<()> {
        let protocol = accounts::protocol(chain)?;
        let governance_config = accounts::governance(chain)?;
        // Bail-ins burn stake: only those with stake left propose and vote.
        let Some(proposer) = power
            .iter()
            .zip(&self.stakers)
            .filter(|(&power, _)| power >= governance_config.min_proposal_stake)
            .max_by_key(|(&power, _)| power)
            .map(|(_, staker)| &staker.key)
        else {
            return Ok(());
        };
        let reference: f64 = key.read(&protocol.raw, None)?.to_num();
        let allowed = Allowed::of(key, &protocol, governance_config.max_step)?;
        let candidates = allowed.candidates(reference);
        let epoch_windows = governance_config.epoch_slots as f64 / SLOTS_PER_WINDOW as f64;
        let outcomes: Vec<Option<Outcome>> = match inputs {
            Some(inputs) => {
                candidates.iter().map(|&value| outcome(inputs, key, value, reference, epoch_windows)).collect()
            }
            None => vec![None; candidates.len()],
        };
        // Without a decision to judge by, maximisers keep the value.
        let best = |utility: &Utility| -> f64 {
            let mut best = (reference, f64::NEG_INFINITY);
            for (&value, outcome) in candidates.iter().zip(&outcomes) {
                let Some(outcome) = outcome else { continue };
                let score = utility.of(outcome);
                let closer = (value - reference).abs() < (best.0 - reference).abs();
                if score > best.1 + 1e-12 || (score > best.1 - 1e-12 && closer) {
                    best = (value, score);
                }
            }
            best.0
        };
        let id = governance::propose(chain, proposer, ProposalKind::Param(key))
            .with_context(|| format!("proposing {}", key.name()))?;
        for (staker, _) in self.stakers.iter().zip(power).filter(|(_, &power)| power > 0) {
            let value = match staker.stance {
                Stance::Maximiser(utility) => best(&utility),
                Stance::YieldSeeker if matches!(key, ParamKey::CrMin | ParamKey::FeeMax) => allowed.low,
                Stance::YieldSeeker => best(&Utility::YIELD_ONLY),
            };
            governance::vote(chain, &staker.key, id, Ballot::Value(fixed(value)))
                .with_context(|| format!("voting {value} on {}", key.name()))?;
        }
        if key == ParamKey::CrMin && day >= world.crash_day && self.buyer_book.is_none() {
            if let Some((buyer, stake)) = &self.buyer {
                self.buyer_book = Some(buy_stake_and_vote(chain, buyer, *stake, id, allowed.low, day)?);
            }
        }
        self.votes.push(ParamVote {
            day,
            param: key.name(),
            id,
            reference,
            mean: None,
            executed: None,
            executed_epoch: None,
            refused: None,
        });
        self.pending.push(Pending { key, id, vote: self.votes.len() - 1 });
        Ok(())
    }

    /// Each staker's stake as it counts in a vote, in stablecoin units.
    fn voting_power(&self, chain: &mut dyn Chain) -> Result<Vec<u64>> {
        let governance = accounts::governance(chain)?;
        self.stakers
            .iter()
            .map(|staker| {
                let position = accounts::stake_position(chain, &staker.key.pubkey())?;
                Ok(position.map_or(0, |p| governance.raw.position_value(&p)))
            })
            .collect()
    }

    /// The stake buyer unstakes everything once its lock is over.
    fn buyer_leaves(&mut self, chain: &mut dyn Chain, day: u64) -> Result<()> {
        let (Some((buyer, _)), Some(book)) = (&self.buyer, self.buyer_book.as_mut()) else { return Ok(()) };
        if book.left_day.is_some() {
            return Ok(());
        }
        let Some(position) = accounts::stake_position(chain, &buyer.pubkey())? else { return Ok(()) };
        if chain.slot()? < position.locked_until_slot {
            return Ok(());
        }
        let value = accounts::governance(chain)?.raw.position_value(&position);
        if value > 0 {
            if let Err(error) = governance::unstake(chain, buyer, value) {
                book.held_back_windows += 1;
                book.held_back_by = Some(refusal(&error));
                book.still_staked = whole(value);
                return Ok(());
            }
        }
        book.left_day = Some(day);
        book.got_back = whole(value);
        book.still_staked = 0.0;
        Ok(())
    }
}

/// A new staker with `stake` stablecoins minted and staked.
fn staker(chain: &mut dyn Chain, world: &World, stake: f64) -> Result<Keypair> {
    let key = world.fund(chain, &[("USDC", stake * 1.01)])?;
    let minted = mint_stable(chain, world, &key, stake * 1.01)?;
    governance::stake(chain, &key, units(minted.min(stake))).context("staking")?;
    Ok(key)
}

/// Sees the proposal, stakes `stake` stablecoins a slot later, votes with
/// the coalition, and tries to leave at once.
fn buy_stake_and_vote(
    chain: &mut dyn Chain,
    buyer: &Keypair,
    stake: f64,
    id: u64,
    value: f64,
    day: u64,
) -> Result<StakeBuyerBook> {
    let slot = chain.slot()?;
    chain.warp_to_slot(slot + 1)?;
    governance::stake(chain, buyer, units(stake)).context("the stake buyer staking")?;
    let before = accounts::proposal(chain, id)?.mean.unwrap_or(value);
    let vote_refused = governance::vote(chain, buyer, id, Ballot::Value(fixed(value))).err().map(|e| refusal(&e));
    let after = accounts::proposal(chain, id)?.mean.unwrap_or(value);
    // Straight to the program, past the CLI's own check, to hear its answer.
    let destination = token::associated_account(chain, buyer, &buyer.pubkey(), &pda::stable_mint())?;
    let reserve = accounts::protocol(chain)?.assets;
    let unstake = instructions::unstake(&buyer.pubkey(), &destination, units(stake), &reserve);
    let unstake_refused = chain.send(&[unstake], buyer, &[]).err().map(|error| refusal(&error.into()));
    Ok(StakeBuyerBook {
        staked: stake,
        voted_day: Some(day),
        vote_refused,
        moved_mean_by: after - before,
        unstake_refused,
        ..StakeBuyerBook::default()
    })
}

/// The values a ballot may take for a parameter now: within one step of
/// its value and the hard bounds, and keeping the orders a change must keep
/// (CR_crit < CR_min <= CR_target; the fees in force within [fee_min, fee_max]).
#[derive(Clone, Copy, Debug)]
struct Allowed {
    low: f64,
    high: f64,
    step: f64,
}

impl Allowed {
    fn of(key: ParamKey, protocol: &ProtocolView, max_step: f64) -> Result<Self> {
        let current = key.read(&protocol.raw, None)?;
        let step: f64 = key.max_move(current, I80F48::from_num(max_step))?.to_num();
        let (hard_low, hard_high) = key.bounds();
        let (order_low, order_high) = match key {
            ParamKey::CrMin => (protocol.cr_crit + 1e-6, protocol.cr_target),
            ParamKey::FeeMax => (protocol.fee_min.max(protocol.fee_mint).max(protocol.fee_redeem), f64::INFINITY),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        };
        let bounds = (order_low.max(hard_low.to_num()), order_high.min(hard_high.to_num()));
        Ok(Self::around(current.to_num(), step, bounds))
    }

    /// Within `step` of `current` and inside `bounds`; a hair inside the
    /// step, so that rounding to fixed point never crosses it.
    fn around(current: f64, step: f64, (low, high): (f64, f64)) -> Self {
        let step = step * (1.0 - 1e-9);
        let low = (current - step).max(low);
        Self { low, high: (current + step).min(high).max(low), step }
    }

    fn candidates(&self, reference: f64) -> Vec<f64> {
        let mut values: Vec<f64> =
            STEPS.iter().map(|k| (reference + k * self.step).clamp(self.low, self.high)).collect();
        values.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
        values
    }
}

/// The oracle's decision with `value` for `key` (now at `current`), judged
/// a governance epoch (`epoch_windows` windows) ahead.
fn outcome(inputs: &DecisionInputs, key: ParamKey, value: f64, current: f64, epoch_windows: f64) -> Option<Outcome> {
    let mut inputs = inputs.clone();
    let reserve = &mut inputs.reserve;
    match key {
        ParamKey::CrMin => reserve.cr_min = value,
        ParamKey::Lambda0 => reserve.policy.lambda0 = value,
        ParamKey::FeeMax => reserve.fee_max = value,
        // The budget left this window moves with the ceiling.
        ParamKey::UMax => reserve.turnover_budget = (reserve.turnover_budget + value - current).max(0.0),
        _ => return None,
    }
    let decision = decide(&inputs).ok()?;
    Some(judge(&inputs, &decision, epoch_windows))
}

/// The reserve `epoch_windows` ahead at the decision's target weights: its
/// value grown at their expected return, plus the fees on the recent flows.
fn judge(inputs: &DecisionInputs, decision: &Decision, epoch_windows: f64) -> Outcome {
    let weights = &decision.target_weights;
    let mu = &decision.expected_returns;
    let sigma = &decision.covariance;
    let expected_return: f64 = weights.iter().zip(mu).map(|(w, m)| w * m).sum();
    let variance: f64 = (0..weights.len())
        .map(|i| (0..weights.len()).map(|j| weights[i] * sigma[i][j] * weights[j]).sum::<f64>())
        .sum();
    let supply = inputs.reserve.supply;
    let collateral_ratio = decision.risk.as_ref().map_or(inputs.reserve.cr_target, |r| r.collateral_ratio);
    let flow_per_window = match (inputs.flows.first(), inputs.flows.last()) {
        (Some(first), Some(last)) if last.window > first.window => {
            let moved = (last.total_minted - first.total_minted) + (last.total_redeemed - first.total_redeemed);
            whole(moved) / (last.window - first.window) as f64
        }
        _ => 0.0,
    };
    let fees = if supply > 0.0 { decision.fee_mint * flow_per_window * epoch_windows / supply } else { 0.0 };
    let years = epoch_windows / 365.0;
    Outcome { collateral_ratio: collateral_ratio * (1.0 + expected_return * years) + fees, expected_return, variance }
}

fn open_audit(path: &Path) -> Result<AuditLog> {
    AuditLog::open_read_only(path).with_context(|| format!("the oracle's audit log {}", path.display()))
}

/// The program's error name when it refused, else the whole message.
fn refusal(error: &anyhow::Error) -> String {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<ballast_sdk::ChainError>())
        .and_then(|e| e.ballast_error())
        .map(|e| format!("{e:?}"))
        .unwrap_or_else(|| format!("{error:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_stay_within_a_step_and_above_cr_crit() {
        // CR_min 1.10, a step of 0.11, CR_crit 1.05 and CR_target 1.20.
        let allowed = Allowed::around(1.10, 0.11, (1.05 + 1e-6, 1.20));
        assert_eq!(allowed.low, 1.05 + 1e-6);
        assert!((allowed.high - 1.20).abs() < 1e-12);
        let candidates = allowed.candidates(1.10);
        assert_eq!(candidates.len(), 4, "{candidates:?}");
        assert!(candidates.contains(&1.10));
        assert!(candidates.iter().all(|&c| c >= allowed.low && c <= allowed.high && (c - 1.10).abs() < 0.11));
    }

    #[test]
    fn utility_trades_yield_against_variance_by_its_weights() {
        let safe = Outcome { collateral_ratio: 1.2, expected_return: 0.04, variance: 0.001 };
        let risky = Outcome { collateral_ratio: 1.2, expected_return: 0.10, variance: 0.04 };
        let averse = Utility { collateral: 1.0, yield_weight: 1.0, variance: 8.0 };
        assert!(averse.of(&safe) > averse.of(&risky));
        assert!(Utility::YIELD_ONLY.of(&risky) > Utility::YIELD_ONLY.of(&safe));
    }
}
