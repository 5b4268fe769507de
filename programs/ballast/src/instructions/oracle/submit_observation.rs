use anchor_lang::compat::solana_instructions_sysvar as instructions_sysvar;
use anchor_lang::prelude::*;

use crate::constants::{bounds, MAX_ASSETS, ORACLE_ROUNDS_SEED, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::events::{
    log_event, ObservationSubmitted, OracleOutlier, OracleSetActivated, PriceSet, RoundFinalized, RoundLapsed,
    RoundTriggered,
};
use crate::instructions::reserve::{value_reserve, Valuation};
use crate::math::{self, ratio, FixedBits, I80F48};
use crate::state::{
    round_status, Asset, OracleRounds, PodFixed, Protocol, RebalanceTrigger, RiskState, RoundSummary, Submission,
};

use super::aggregate::{aggregate, outliers, spreads, step_toward, Aggregate};

/// One asset's price and the half-width of its confidence interval.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct PriceInput {
    pub price: FixedBits,
    pub confidence: FixedBits,
}

/// One oracle's observation for one round: per asset a price with its
/// confidence from its own source, its risk figures, and the policy its own
/// pipeline proposes. `prices` and `target_weights` hold one entry per
/// reserve asset, in index order.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct Observation {
    pub round: u64,
    pub prices: Vec<PriceInput>,
    pub target_weights: Vec<FixedBits>,
    pub sigma_p: FixedBits,
    /// P(CR < 1) over the horizon, and the upper end of its confidence
    /// interval (the certificate's bound; the program keeps no lower end,
    /// so none is sent: bytes count, eight assets must fit one packet).
    pub breach_probability: FixedBits,
    pub breach_upper: FixedBits,
    pub lambda: FixedBits,
    pub reference_value: FixedBits,
    pub fee_mint: FixedBits,
    pub fee_redeem: FixedBits,
    /// R_i per asset, in index order: the listing's static part plus the
    /// data-driven one (spec section 2: alpha sigma_i + beta / L_i + gamma E_i).
    pub risk_scores: Vec<FixedBits>,
    /// The spec's stability condition as this oracle evaluated it:
    /// dCR/dt >= 0 or CR >= 1.
    pub stable: bool,
    /// Whether the posted targets passed the certificate (P(CR < 1) of the
    /// allocation under epsilon); false when they are the safest it found.
    pub allocation_certified: bool,
    /// Seed 001's loan book gamma and theta per unit of its value (zero
    /// without loans), which its governed bounds are checked against.
    pub loan_gamma: FixedBits,
    pub loan_theta: FixedBits,
}

#[derive(Accounts)]
pub struct SubmitObservation<'info> {
    pub oracle: Signer<'info>,
    #[account(mut, seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut, seeds = [ORACLE_ROUNDS_SEED], bump)]
    pub rounds: AccountLoader<'info, OracleRounds>,
    /// CHECK: the instructions sysvar, by address.
    #[account(address = instructions_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,
}

/// Records one registered oracle's observation in the current round (each
/// oracle signs and sends its own), and finalizes the round once at least
/// the quorum of observations agree within the outlier tolerance: median
/// prices whose confidence covers the inliers' spread, median risk
/// figures, and the median policy (weights moved toward it within u_max).
/// Observations farther than the tolerance from the median are kept out
/// and counted against their oracles. A round is open for `round_slots`;
/// the first observation after that opens the next one, and a round that
/// had no quorum by then lapses. No one waits on anyone: any quorum of live
/// oracles finalizes. A trigger for a new target (seed 000: CR < CR_crit
/// or sigma_p > sigma_threshold; seed 001: the loan book's gamma or theta
/// past its bound) lets the next round open early, once per scheduled round
/// and not before a quarter of its time, for a new target on the same
/// market window.
///
/// Remaining accounts: every `Asset` (writable), in index order.
pub fn handle_submit_observation<'info>(
    ctx: Context<'info, SubmitObservation<'info>>,
    observation: Observation,
) -> Result<()> {
    // Signer status carries into cross-program calls: only a top-level
    // instruction may use an oracle's signature.
    let current = instructions_sysvar::load_current_index_checked(&ctx.accounts.instructions)?;
    let top_level = instructions_sysvar::load_instruction_at_checked(current as usize, &ctx.accounts.instructions)?;
    require_keys_eq!(top_level.program_id, crate::ID, BallastError::ObservationNotTopLevel);

    let protocol = &mut ctx.accounts.protocol;
    check_observation(protocol, &observation)?;
    let reserve = ReserveTargets::load(protocol, ctx.remaining_accounts)?;
    for (weight, cap) in observation.target_weights.iter().zip(reserve.caps()) {
        require!(weight.get() <= *cap, BallastError::TargetAboveCap);
    }
    let slot = Clock::get()?.slot;
    let mut rounds = ctx.accounts.rounds.load_mut()?;
    open_round(&mut rounds, protocol, observation.round, slot, ctx.remaining_accounts)?;

    let oracle = ctx.accounts.oracle.key();
    let registered = &protocol.oracles[..protocol.oracle_count as usize];
    let index = registered.iter().position(|k| *k == oracle).ok_or(error!(BallastError::UnknownOracle))?;
    let bit = 1u8 << index;
    require!(rounds.status == round_status::OPEN, BallastError::RoundAlreadyFinalized);
    require!(rounds.submitted_mask & bit == 0, BallastError::DuplicateObservation);
    rounds.submissions[index] = submission(&observation, slot);
    rounds.submitted_mask |= bit;
    if let Some(stats) = rounds.stats_for(&oracle) {
        stats.submitted += 1;
        stats.last_round = observation.round;
    }
    log_event(&ObservationSubmitted {
        round: observation.round,
        oracle,
        slot,
    });

    if rounds.submitted() >= protocol.oracle_quorum as usize {
        finalize_if_agreed(&mut rounds, protocol, &reserve, ctx.remaining_accounts, slot)?;
    }
    Ok(())
}

/// The reserve's stored target weights and weight caps, by asset index,
/// from its `Asset` accounts (every one, in order).
struct ReserveTargets {
    count: usize,
    targets: [I80F48; MAX_ASSETS],
    caps: [I80F48; MAX_ASSETS],
}

impl ReserveTargets {
    fn load<'info>(protocol: &Protocol, assets: &'info [AccountInfo<'info>]) -> Result<Self> {
        let count = protocol.asset_count as usize;
        require!(assets.len() == count, BallastError::IncompleteReserve);
        let mut reserve = Self {
            count,
            targets: [I80F48::ZERO; MAX_ASSETS],
            caps: [I80F48::ZERO; MAX_ASSETS],
        };
        for (index, info) in assets.iter().enumerate() {
            require_keys_eq!(info.key(), protocol.assets[index], BallastError::IncompleteReserve);
            let asset = Account::<Asset>::try_from(info)?;
            reserve.targets[index] = asset.config.target_weight.get();
            reserve.caps[index] = asset.config.weight_cap.get();
        }
        Ok(reserve)
    }

    fn targets(&self) -> &[I80F48] {
        &self.targets[..self.count]
    }

    fn caps(&self) -> &[I80F48] {
        &self.caps[..self.count]
    }
}

/// Refuses an observation that could never be part of an update.
fn check_observation(protocol: &Protocol, observation: &Observation) -> Result<()> {
    let assets = protocol.asset_count as usize;
    require!(
        observation.prices.len() == assets
            && observation.target_weights.len() == assets
            && observation.risk_scores.len() == assets,
        BallastError::UpdateLengthMismatch
    );
    let score_high = I80F48::from_num(bounds::RISK_LIMIT_HIGHEST);
    require!(
        observation.risk_scores.iter().all(|score| score.get() >= 0 && score.get() <= score_high),
        BallastError::InvalidRiskFigures
    );
    for input in &observation.prices {
        Asset::validate_price_update(input.price.get(), input.confidence.get())?;
    }
    let mut sum = I80F48::ZERO;
    for weight in &observation.target_weights {
        let w = weight.get();
        require!(w >= 0 && w <= I80F48::ONE, BallastError::WeightsDoNotSumToOne);
        sum = math::add(sum, w)?;
    }
    let tolerance = ratio(bounds::WEIGHT_SUM_TOLERANCE.0, bounds::WEIGHT_SUM_TOLERANCE.1);
    require!((sum - I80F48::ONE).abs() <= tolerance, BallastError::WeightsDoNotSumToOne);
    protocol.params.check_fee(observation.fee_mint.get())?;
    protocol.params.check_fee(observation.fee_redeem.get())?;
    require!(
        observation.sigma_p.get() >= 0 && observation.lambda.get() >= 0 && observation.reference_value.get() >= 0,
        BallastError::InvalidRiskFigures
    );
    let (p, high) = (observation.breach_probability.get(), observation.breach_upper.get());
    require!(
        I80F48::ZERO <= p && p <= high && high <= I80F48::ONE,
        BallastError::InvalidObservation
    );
    Ok(())
}

fn submission(observation: &Observation, slot: u64) -> Submission {
    let mut submission = Submission {
        sigma_p: observation.sigma_p.into(),
        breach_probability: observation.breach_probability.into(),
        breach_upper: observation.breach_upper.into(),
        lambda: observation.lambda.into(),
        reference_value: observation.reference_value.into(),
        fee_mint: observation.fee_mint.into(),
        fee_redeem: observation.fee_redeem.into(),
        slot,
        stable: observation.stable.into(),
        allocation_certified: observation.allocation_certified.into(),
        loan_gamma: observation.loan_gamma.into(),
        loan_theta: observation.loan_theta.into(),
        ..Submission::default()
    };
    for (i, input) in observation.prices.iter().enumerate() {
        submission.prices[i] = input.price.into();
        submission.confidences[i] = input.confidence.into();
        submission.target_weights[i] = observation.target_weights[i].into();
        submission.risk_scores[i] = observation.risk_scores[i].into();
    }
    submission
}

/// Checks that `round` is the round open at `slot`, opening it when it is
/// the next one: the current round takes observations until `round_slots`
/// after it opened; after that the next one opens with its first
/// observation, the old one lapsing if it never finalized, and a set of
/// oracles that governance chose takes over. Before that, the next round
/// opens only on a trigger (`early_trigger`).
fn open_round<'info>(
    rounds: &mut OracleRounds,
    protocol: &mut Protocol,
    round: u64,
    slot: u64,
    assets: &'info [AccountInfo<'info>],
) -> Result<()> {
    let current = rounds.round;
    let over = current == 0 || slot >= rounds.opened_slot.saturating_add(protocol.params.round_slots);
    if round == current && !over {
        return Ok(());
    }
    require!(round > current, BallastError::RoundLate);
    require!(round == current + 1, BallastError::RoundNotOpen);
    let trigger = if over { None } else { Some(early_trigger(rounds, protocol, slot, assets)?) };
    if current > 0 && rounds.status == round_status::OPEN {
        let summary = RoundSummary {
            round: current,
            opened_slot: rounds.opened_slot,
            closed_slot: slot,
            status: round_status::LAPSED,
            submitted_mask: rounds.submitted_mask,
            asset_count: protocol.asset_count,
            trigger: rounds.trigger,
            ..RoundSummary::default()
        };
        rounds.record(summary);
        log_event(&RoundLapsed {
            round: current,
            submitted: rounds.submitted() as u8,
            slot,
        });
    }
    if rounds.pending_count > 0 {
        let count = rounds.pending_count as usize;
        let pending = rounds.pending_oracles;
        protocol.set_oracles(&pending[..count], rounds.pending_quorum)?;
        rounds.rekey_stats(&pending[..count]);
        rounds.pending_count = 0;
        log_event(&OracleSetActivated {
            round,
            oracles: count as u8,
            quorum: protocol.oracle_quorum,
        });
    }
    rounds.round = round;
    rounds.opened_slot = slot;
    rounds.status = round_status::OPEN;
    rounds.submitted_mask = 0;
    rounds.trigger = trigger.map_or(0, |t| t as u8);
    if trigger.is_some() {
        rounds.early_rounds += 1;
    }
    // Zeroed in place: a fresh array would be kilobytes on the SBF stack.
    bytemuck::bytes_of_mut(&mut rounds.submissions).fill(0);
    Ok(())
}

/// Why the next round may open while the current one still has time: the
/// current round finalized, is itself scheduled (at most one triggered round
/// follows each), a quarter of `round_slots` has passed since it opened
/// (`EarlyRoundTooSoon` otherwise; `RoundNotOpen` while it still takes
/// observations), and a trigger holds (`Protocol::rebalance_trigger`) on the
/// reserve valued now, with assets whose price cannot be used counted as
/// worthless (`EarlyRoundNotTriggered` otherwise).
fn early_trigger<'info>(
    rounds: &OracleRounds,
    protocol: &Protocol,
    slot: u64,
    assets: &'info [AccountInfo<'info>],
) -> Result<RebalanceTrigger> {
    require!(rounds.status != round_status::OPEN, BallastError::RoundNotOpen);
    let from = rounds.early_round_from(protocol.params.round_slots);
    require!(from.is_some_and(|from| slot >= from), BallastError::EarlyRoundTooSoon);
    let value = value_reserve(protocol, None, assets, slot, Valuation::Lenient)?.total;
    let trigger = protocol.rebalance_trigger(value)?.ok_or(error!(BallastError::EarlyRoundNotTriggered))?;
    log_event(&RoundTriggered {
        round: rounds.round + 1,
        trigger: trigger as u8,
        value_bits: value.to_bits(),
        sigma_p_bits: protocol.risk.sigma_p.bits,
        slot,
    });
    Ok(trigger)
}

/// Finalizes the round if a quorum of its observations are inliers.
fn finalize_if_agreed<'info>(
    rounds: &mut OracleRounds,
    protocol: &mut Protocol,
    reserve: &ReserveTargets,
    assets: &'info [AccountInfo<'info>],
    slot: u64,
) -> Result<()> {
    let asset_count = protocol.asset_count as usize;
    let submitted = rounds.submitted_mask;
    let tolerance = protocol.params.outlier_tolerance.get();
    let kept_out = outliers(&rounds.submissions, submitted, asset_count, tolerance)?;
    let inliers = submitted & !kept_out;
    if (inliers.count_ones() as usize) < protocol.oracle_quorum as usize {
        return Ok(());
    }
    let agreed = aggregate(&rounds.submissions, inliers, reserve.caps())?;
    apply(protocol, &agreed, reserve, assets, slot)?;

    let round = rounds.round;
    let oracles = protocol.oracles;
    for (index, oracle) in oracles.iter().enumerate().take(protocol.oracle_count as usize) {
        let bit = 1u8 << index;
        if submitted & bit == 0 {
            continue;
        }
        let Some(stats) = rounds.stats_for(oracle) else { continue };
        if kept_out & bit != 0 {
            stats.outliers += 1;
            log_event(&OracleOutlier {
                round,
                oracle: *oracle,
                slot,
            });
        } else {
            stats.included += 1;
        }
    }
    let spread = spreads(&rounds.submissions, submitted, asset_count)?;
    let mut summary = RoundSummary {
        round,
        opened_slot: rounds.opened_slot,
        closed_slot: slot,
        status: round_status::FINALIZED,
        submitted_mask: submitted,
        outlier_mask: kept_out,
        asset_count: protocol.asset_count,
        trigger: rounds.trigger,
        ..RoundSummary::default()
    };
    for asset in 0..asset_count {
        summary.prices[asset] = PodFixed::from(agreed.prices[asset]);
        summary.spreads[asset] = PodFixed::from(spread[asset]);
    }
    rounds.record(summary);
    rounds.status = round_status::FINALIZED;
    protocol.last_oracle_round = round;
    log_event(&RoundFinalized {
        round,
        submitted: submitted.count_ones() as u8,
        outliers: kept_out.count_ones() as u8,
        sigma_p_bits: agreed.sigma_p.to_bits(),
        breach_upper_bits: agreed.breach_upper.to_bits(),
        fee_mint_bits: agreed.fee_mint.to_bits(),
        slot,
    });
    Ok(())
}

/// Writes an agreed update: prices to the assets, target weights moved
/// toward the agreed ones as far as this window's u_max allows (a convex
/// step, so targets within their caps stay within them), fees within their
/// bounds, and the risk figures.
fn apply<'info>(
    protocol: &mut Protocol,
    agreed: &Aggregate,
    reserve: &ReserveTargets,
    assets: &'info [AccountInfo<'info>],
    slot: u64,
) -> Result<()> {
    let count = reserve.count;
    let old = normalised(reserve.targets())?;
    let wanted = turnover(&old[..count], &agreed.target_weights[..count])?;
    let room = protocol.weight_turnover_room(slot);
    let step = if wanted <= room || wanted == 0 { I80F48::ONE } else { math::div_floor(room, wanted)? };
    let mut targets = [I80F48::ZERO; MAX_ASSETS];
    step_toward(&old[..count], &agreed.target_weights[..count], step, &mut targets[..count])?;
    let moved = turnover(&old[..count], &targets[..count])?.min(room);
    protocol.record_weight_turnover(slot, moved)?;

    for (index, info) in assets.iter().enumerate() {
        let mut asset = Account::<Asset>::try_from(info)?;
        asset.apply_price(
            agreed.prices[index],
            agreed.confidences[index],
            slot,
            protocol.params.price_ema_slots,
            protocol.params.max_price_jump.get(),
        )?;
        asset.config.target_weight = targets[index].into();
        asset.posted_risk_score = agreed.risk_scores[index].into();
        asset.exit(&crate::ID)?;
        log_event(&PriceSet {
            asset: info.key(),
            price_bits: asset.price.bits,
            confidence_bits: asset.price_confidence.bits,
            smoothed_price_bits: asset.smoothed_price.bits,
            target_weight_bits: asset.config.target_weight.bits,
            slot,
        });
    }
    let clamp = |fee: I80F48| fee.clamp(protocol.params.fee_min.get(), protocol.params.fee_max.get());
    protocol.fee_mint = clamp(agreed.fee_mint).into();
    protocol.fee_redeem = clamp(agreed.fee_redeem).into();
    protocol.risk = RiskState {
        sigma_p: agreed.sigma_p.into(),
        lambda: agreed.lambda.into(),
        reference_value: agreed.reference_value.into(),
        reference_supply: protocol.supply,
        updated_slot: slot,
        breach_probability: agreed.breach_probability.into(),
        breach_upper: agreed.breach_upper.into(),
        stable: agreed.stable,
        allocation_certified: agreed.allocation_certified,
        loan_gamma: agreed.loan_gamma.into(),
        loan_theta: agreed.loan_theta.into(),
    };
    Ok(())
}

/// `weights` scaled to sum to one, if they do not already within tolerance
/// (after an asset joined with a target of its own); all zero stays zero.
fn normalised(weights: &[I80F48]) -> Result<[I80F48; MAX_ASSETS]> {
    let mut out = [I80F48::ZERO; MAX_ASSETS];
    out[..weights.len()].copy_from_slice(weights);
    let mut sum = I80F48::ZERO;
    for weight in weights {
        sum = math::add(sum, *weight)?;
    }
    let tolerance = ratio(bounds::WEIGHT_SUM_TOLERANCE.0, bounds::WEIGHT_SUM_TOLERANCE.1);
    if sum > 0 && (sum - I80F48::ONE).abs() > tolerance {
        for weight in out[..weights.len()].iter_mut() {
            *weight = math::div_floor(*weight, sum)?;
        }
    }
    Ok(out)
}

/// Half the sum of the weight moves, so each unit of weight counts once.
/// With no targets yet (all zero) the first ones move nothing.
fn turnover(old: &[I80F48], new: &[I80F48]) -> Result<I80F48> {
    if old.iter().all(|w| *w == 0) {
        return Ok(I80F48::ZERO);
    }
    let mut moved = I80F48::ZERO;
    for (from, to) in old.iter().zip(new) {
        moved = math::add(moved, (*to - *from).abs())?;
    }
    Ok(moved / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx(weights: &[f64]) -> Vec<I80F48> {
        weights.iter().map(|w| I80F48::from_num(*w)).collect()
    }

    #[test]
    fn turnover_is_half_the_moves() {
        let turnover = turnover(&fx(&[0.5, 0.5]), &fx(&[0.4, 0.6])).unwrap();
        assert!((turnover.to_num::<f64>() - 0.1).abs() < 1e-12);
    }

    #[test]
    fn a_joined_asset_target_is_measured_from_the_normalised_mix() {
        // 0.4 / 0.3 / 0.3 and a new asset at 0.3: the stored sum is 1.3.
        let old = normalised(&fx(&[0.4, 0.3, 0.3, 0.3])).unwrap();
        let keep = fx(&[0.4 / 1.3, 0.3 / 1.3, 0.3 / 1.3, 0.3 / 1.3]);
        assert!(turnover(&old[..4], &keep).unwrap() < I80F48::from_num(1e-9));
        assert_eq!(turnover(&fx(&[0.0, 0.0]), &fx(&[0.2, 0.8])).unwrap(), I80F48::ZERO);
    }
}
