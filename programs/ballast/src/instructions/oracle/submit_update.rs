use anchor_lang::prelude::*;
use anchor_lang::compat::solana_instructions_sysvar as instructions_sysvar;

use crate::events::log_event;
use crate::constants::{bounds, MAX_ASSETS, MAX_ORACLES, PROTOCOL_SEED};
use crate::errors::BallastError;
use crate::events::{OracleUpdateAccepted, PriceSet};
use crate::math::{self, ratio, FixedBits, I80F48};
use crate::state::{Asset, Protocol, RiskState};

/// One asset's price and the half-width of its confidence interval.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct PriceInput {
    pub price: FixedBits,
    pub confidence: FixedBits,
}

/// A price, risk and policy update computed off-chain (Monte Carlo, QP, MPC).
/// `prices` and `target_weights` hold one entry per reserve asset, in index order.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct OracleUpdate {
    /// Strictly larger than the last accepted update's.
    pub nonce: u64,
    /// The last slot at which the update may land.
    pub expiry_slot: u64,
    pub prices: Vec<PriceInput>,
    pub target_weights: Vec<FixedBits>,
    pub sigma_p: FixedBits,
    pub lambda: FixedBits,
    pub reference_value: FixedBits,
    pub fee_mint: FixedBits,
    pub fee_redeem: FixedBits,
}

#[derive(Accounts)]
pub struct SubmitUpdate<'info> {
    #[account(mut, seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
    /// CHECK: the instructions sysvar, by address.
    #[account(address = instructions_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,
}

/// Accepts an oracle update signed by at least M of the N registered oracle
/// keys. The oracles sign as transaction signers: the runtime has verified
/// every signature before the program runs, so there is no precompile data
/// to parse and no offset to get wrong; one relayer collects the M
/// signatures on the same message and submits it.
///
/// Remaining accounts: every `Asset` (writable, in index order), then the
/// oracle accounts that signed.
pub fn handle_submit_update<'info>(ctx: Context<'info, SubmitUpdate<'info>>, update: OracleUpdate) -> Result<()> {
    // Signatures cover the whole transaction, and signer status carries into
    // cross-program calls: only a top-level instruction may use them, so no
    // other program can wrap the oracles' signatures around its own payload.
    let current = instructions_sysvar::load_current_index_checked(&ctx.accounts.instructions)?;
    let top_level = instructions_sysvar::load_instruction_at_checked(current as usize, &ctx.accounts.instructions)?;
    require_keys_eq!(top_level.program_id, crate::ID, BallastError::OracleUpdateNotTopLevel);
    require!(
        update.sigma_p.get() >= 0 && update.lambda.get() >= 0 && update.reference_value.get() >= 0,
        BallastError::InvalidRiskFigures
    );
    let protocol = &mut ctx.accounts.protocol;
    let asset_count = protocol.asset_count as usize;
    require!(
        update.prices.len() == asset_count && update.target_weights.len() == asset_count,
        BallastError::UpdateLengthMismatch
    );
    require!(ctx.remaining_accounts.len() >= asset_count, BallastError::IncompleteReserve);
    let (assets, signers) = ctx.remaining_accounts.split_at(asset_count);
    let signer_count = verify_oracle_quorum(protocol, signers)?;

    let slot = Clock::get()?.slot;
    require!(update.nonce > protocol.oracle_nonce, BallastError::OracleReplay);
    require!(
        update.nonce - protocol.oracle_nonce <= bounds::ORACLE_NONCE_STEP_HIGHEST,
        BallastError::OracleNonceTooFar
    );
    require!(slot <= update.expiry_slot, BallastError::OracleUpdateExpired);
    protocol.params.check_fee(update.fee_mint.get())?;
    protocol.params.check_fee(update.fee_redeem.get())?;
    check_weights(&update.target_weights)?;

    let mut old_weights = [I80F48::ZERO; MAX_ASSETS];
    for (index, info) in assets.iter().enumerate() {
        require_keys_eq!(info.key(), protocol.assets[index], BallastError::IncompleteReserve);
        let mut asset = Account::<Asset>::try_from(info)?;
        let input = update.prices[index];
        asset.apply_price(
            input.price.get(),
            input.confidence.get(),
            slot,
            protocol.params.price_ema_slots,
            protocol.params.max_price_jump.get(),
        )?;
        let new_weight = update.target_weights[index];
        old_weights[index] = asset.config.target_weight.get();
        asset.config.target_weight = new_weight;
        asset.exit(&crate::ID)?;
        log_event(&PriceSet {
            asset: info.key(),
            price_bits: asset.price.bits,
            confidence_bits: asset.price_confidence.bits,
            smoothed_price_bits: asset.smoothed_price.bits,
            target_weight_bits: new_weight.bits,
            slot,
        });
    }
    let turnover = weight_turnover(&old_weights[..asset_count], &update.target_weights)?;
    protocol.record_weight_turnover(slot, turnover)?;

    protocol.oracle_nonce = update.nonce;
    protocol.fee_mint = update.fee_mint;
    protocol.fee_redeem = update.fee_redeem;
    protocol.risk = RiskState {
        sigma_p: update.sigma_p,
        lambda: update.lambda,
        reference_value: update.reference_value,
        updated_slot: slot,
    };
    log_event(&OracleUpdateAccepted {
        nonce: update.nonce,
        signers: signer_count,
        slot,
        sigma_p_bits: update.sigma_p.bits,
        fee_mint_bits: update.fee_mint.bits,
        fee_redeem_bits: update.fee_redeem.bits,
    });
    Ok(())
}

/// Counts the distinct registered oracles among `signers`, each of which
/// must have signed, and checks the quorum.
fn verify_oracle_quorum(protocol: &Protocol, signers: &[AccountInfo]) -> Result<u8> {
    let registered = &protocol.oracles[..protocol.oracle_count as usize];
    let mut seen = [Pubkey::default(); MAX_ORACLES];
    let mut count = 0usize;
    for info in signers {
        require!(registered.contains(info.key), BallastError::UnknownOracleSigner);
        require!(!seen[..count].contains(info.key), BallastError::DuplicateOracleSigner);
        require!(info.is_signer, BallastError::OracleSignatureMissing);
        seen[count] = info.key();
        count += 1;
    }
    require!(count >= protocol.oracle_quorum as usize, BallastError::OracleQuorumNotMet);
    Ok(count as u8)
}

fn check_weights(weights: &[FixedBits]) -> Result<()> {
    let mut sum = I80F48::ZERO;
    for weight in weights {
        let w = weight.get();
        require!(w >= 0 && w <= I80F48::ONE, BallastError::WeightsDoNotSumToOne);
        sum = math::add(sum, w)?;
    }
    let tolerance = ratio(bounds::WEIGHT_SUM_TOLERANCE.0, bounds::WEIGHT_SUM_TOLERANCE.1);
    require!((sum - I80F48::ONE).abs() <= tolerance, BallastError::WeightsDoNotSumToOne);
    Ok(())
}

/// Half the sum of the weight moves, so each unit of weight counts once.
/// The stored targets are normalised first when they do not sum to one,
/// which happens after an asset joins with a target of its own: the move
/// is then measured from the mix those targets describe, not from weights
/// that no update could ever reach.
fn weight_turnover(old: &[I80F48], new: &[FixedBits]) -> Result<I80F48> {
    let mut old_sum = I80F48::ZERO;
    for weight in old {
        old_sum = math::add(old_sum, *weight)?;
    }
    if old_sum == 0 {
        // No targets yet: the first ones move nothing.
        return Ok(I80F48::ZERO);
    }
    let tolerance = ratio(bounds::WEIGHT_SUM_TOLERANCE.0, bounds::WEIGHT_SUM_TOLERANCE.1);
    let normalise = (old_sum - I80F48::ONE).abs() > tolerance;
    let mut moved = I80F48::ZERO;
    for (old_weight, new_weight) in old.iter().zip(new) {
        let from = if normalise { math::div_floor(*old_weight, old_sum)? } else { *old_weight };
        moved = math::add(moved, (new_weight.get() - from).abs())?;
    }
    Ok(moved / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(weights: &[f64]) -> Vec<FixedBits> {
        weights.iter().map(|w| I80F48::from_num(*w).into()).collect()
    }

    fn fixed(weights: &[f64]) -> Vec<I80F48> {
        weights.iter().map(|w| I80F48::from_num(*w)).collect()
    }

    #[test]
    fn turnover_is_half_the_moves() {
        let turnover = weight_turnover(&fixed(&[0.5, 0.5]), &bits(&[0.4, 0.6])).unwrap();
        assert!((turnover.to_num::<f64>() - 0.1).abs() < 1e-12);
    }

    #[test]
    fn a_joined_asset_target_is_measured_from_the_normalised_mix() {
        // 0.4 / 0.3 / 0.3 and a new asset at 0.3: the stored sum is 1.3.
        let old = fixed(&[0.4, 0.3, 0.3, 0.3]);
        let keep = bits(&[0.4 / 1.3, 0.3 / 1.3, 0.3 / 1.3, 0.3 / 1.3]);
        assert!(weight_turnover(&old, &keep).unwrap() < I80F48::from_num(1e-9));
        let no_targets = fixed(&[0.0, 0.0]);
        assert_eq!(weight_turnover(&no_targets, &bits(&[0.2, 0.8])).unwrap(), I80F48::ZERO);
    }
}
