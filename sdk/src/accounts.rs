//! Decoding program accounts into plain Rust types with f64 views.

use anchor_lang::{AccountDeserialize, Discriminator};
use ballast::math::{meets_quorum, passes_supermajority};
use ballast::state::{Asset, AssetKind, Governance, OracleRounds, Proposal, ProposalKind, Protocol, StakePosition};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;

use crate::chain::{Chain, ChainError};
use crate::{pda, to_f64};

/// Decodes a program account, checking its owner and discriminator.
pub fn decode<T: AccountDeserialize>(address: &Pubkey, account: &Account) -> Result<T, ChainError> {
    let fail = |reason: String| ChainError::Decode {
        address: *address,
        reason,
    };
    if account.owner != ballast::ID {
        return Err(fail(format!("owned by {}, not the Ballast program", account.owner)));
    }
    T::try_deserialize(&mut &account.data[..]).map_err(|e| fail(e.to_string()))
}

/// The oracle network's rounds (a zero-copy account, read by copy).
pub fn oracle_rounds(chain: &mut dyn Chain) -> Result<OracleRounds, ChainError> {
    let address = pda::oracle_rounds();
    let account = chain.account(&address)?.ok_or_else(|| ChainError::Decode {
        address,
        reason: "no such account".into(),
    })?;
    let fail = |reason: &str| ChainError::Decode {
        address,
        reason: reason.into(),
    };
    if account.owner != ballast::ID {
        return Err(fail("not owned by the Ballast program"));
    }
    let size = std::mem::size_of::<OracleRounds>();
    let data = account.data.get(..8 + size).ok_or_else(|| fail("too short for OracleRounds"))?;
    if data[..8] != *OracleRounds::DISCRIMINATOR {
        return Err(fail("not an OracleRounds account"));
    }
    Ok(bytemuck::pod_read_unaligned(&data[8..]))
}

/// Fetches and decodes a program account that must exist.
pub fn fetch<T: AccountDeserialize>(chain: &mut dyn Chain, address: &Pubkey) -> Result<T, ChainError> {
    let account = chain.account(address)?.ok_or_else(|| ChainError::Decode {
        address: *address,
        reason: "no such account".into(),
    })?;
    decode(address, &account)
}

#[derive(Clone, Debug)]
pub struct ProtocolView {
    pub address: Pubkey,
    pub authority: Pubkey,
    pub stable_mint: Pubkey,
    pub paused: u8,
    pub assets: Vec<Pubkey>,
    pub cr_crit: f64,
    pub cr_min: f64,
    pub cr_target: f64,
    pub fee_mint: f64,
    pub fee_redeem: f64,
    pub fee_min: f64,
    pub fee_max: f64,
    pub redemption_rate: f64,
    /// S in stablecoin units.
    pub supply: u64,
    pub total_minted: u64,
    pub total_redeemed: u64,
    pub total_mint_fees: u64,
    pub total_redeem_fees: u64,
    /// The account as stored, for exact (fixed-point) work.
    pub raw: Protocol,
}

impl From<(Pubkey, Protocol)> for ProtocolView {
    fn from((address, raw): (Pubkey, Protocol)) -> Self {
        let params = raw.params;
        Self {
            address,
            authority: raw.authority,
            stable_mint: raw.stable_mint,
            paused: raw.paused,
            assets: raw.assets[..raw.asset_count as usize].to_vec(),
            cr_crit: to_f64(params.cr_crit),
            cr_min: to_f64(params.cr_min),
            cr_target: to_f64(params.cr_target),
            fee_mint: to_f64(raw.fee_mint),
            fee_redeem: to_f64(raw.fee_redeem),
            fee_min: to_f64(params.fee_min),
            fee_max: to_f64(params.fee_max),
            redemption_rate: to_f64(raw.redemption_rate),
            supply: raw.supply,
            total_minted: raw.total_minted,
            total_redeemed: raw.total_redeemed,
            total_mint_fees: raw.total_mint_fees,
            total_redeem_fees: raw.total_redeem_fees,
            raw,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AssetView {
    pub address: Pubkey,
    pub mint: Pubkey,
    pub vault: Pubkey,
    pub index: u8,
    pub decimals: u8,
    pub kind: AssetKind,
    pub enabled: bool,
    pub price: f64,
    pub price_confidence: f64,
    pub price_slot: u64,
    pub smoothed_price: f64,
    pub target_weight: f64,
    pub weight_cap: f64,
    pub risk_weight: f64,
    pub risk_score: f64,
    /// The vault balance as the program accounts it, in base units.
    pub vault_amount: u64,
    pub raw: Asset,
}

impl From<(Pubkey, Asset)> for AssetView {
    fn from((address, raw): (Pubkey, Asset)) -> Self {
        let config = raw.config;
        Self {
            address,
            mint: raw.mint,
            vault: raw.vault,
            index: raw.index,
            decimals: raw.decimals,
            kind: raw.kind,
            enabled: raw.enabled,
            price: to_f64(raw.price),
            price_confidence: to_f64(raw.price_confidence),
            price_slot: raw.price_slot,
            smoothed_price: to_f64(raw.smoothed_price),
            target_weight: to_f64(config.target_weight),
            weight_cap: to_f64(config.weight_cap),
            risk_weight: to_f64(config.risk_weight),
            risk_score: to_f64(config.risk_score),
            vault_amount: raw.vault_amount,
            raw,
        }
    }
}

pub fn protocol(chain: &mut dyn Chain) -> Result<ProtocolView, ChainError> {
    let address = pda::protocol();
    Ok((address, fetch::<Protocol>(chain, &address)?).into())
}

pub fn asset(chain: &mut dyn Chain, address: &Pubkey) -> Result<AssetView, ChainError> {
    Ok((*address, fetch::<Asset>(chain, address)?).into())
}

/// Every reserve asset, in index order.
pub fn assets(chain: &mut dyn Chain, protocol: &ProtocolView) -> Result<Vec<AssetView>, ChainError> {
    protocol.assets.iter().map(|address| asset(chain, address)).collect()
}

#[derive(Clone, Debug)]
pub struct GovernanceView {
    pub address: Pubkey,
    pub stake_vault: Pubkey,
    pub voting_slots: u64,
    pub timelock_slots: u64,
    pub execution_window_slots: u64,
    pub quorum: f64,
    pub min_proposal_stake: u64,
    pub epoch_slots: u64,
    pub max_step: f64,
    pub total_staked: u64,
    pub proposal_count: u64,
    pub raw: Governance,
}

impl From<(Pubkey, Governance)> for GovernanceView {
    fn from((address, raw): (Pubkey, Governance)) -> Self {
        let config = raw.config;
        Self {
            address,
            stake_vault: raw.stake_vault,
            voting_slots: config.voting_slots,
            timelock_slots: config.timelock_slots,
            execution_window_slots: config.execution_window_slots,
            quorum: to_f64(config.quorum),
            min_proposal_stake: config.min_proposal_stake,
            epoch_slots: config.epoch_slots,
            max_step: to_f64(config.max_step),
            total_staked: raw.total_staked,
            proposal_count: raw.proposal_count,
            raw,
        }
    }
}

/// Where a proposal stands at a given slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    Voting,
    /// Voting ended without quorum (or, for an action, without 66%).
    Failed,
    Timelocked,
    Executable,
    Expired,
    Executed,
}

#[derive(Clone, Debug)]
pub struct ProposalView {
    pub address: Pubkey,
    pub id: u64,
    pub proposer: Pubkey,
    pub kind: ProposalKind,
    pub created_slot: u64,
    pub voting_end_slot: u64,
    pub stake_snapshot: u64,
    /// Parameter proposals: the value when proposed.
    pub reference_value: f64,
    /// Stake that voted, and for actions how it split.
    pub total_weight: u128,
    pub yes_weight: u128,
    pub no_weight: u128,
    /// Parameter proposals with votes: the stake-weighted mean so far.
    pub mean: Option<f64>,
    pub executed: bool,
    pub raw: Proposal,
}

impl From<(Pubkey, Proposal)> for ProposalView {
    fn from((address, raw): (Pubkey, Proposal)) -> Self {
        let mean = match raw.kind {
            ProposalKind::Param(key) if raw.total_weight > 0 => raw.mean_value(key).ok().map(|m| m.to_num()),
            _ => None,
        };
        Self {
            address,
            id: raw.id,
            proposer: raw.proposer,
            kind: raw.kind,
            created_slot: raw.created_slot,
            voting_end_slot: raw.voting_end_slot,
            stake_snapshot: raw.stake_snapshot,
            reference_value: to_f64(raw.reference_value),
            total_weight: raw.total_weight,
            yes_weight: raw.yes_weight,
            no_weight: raw.no_weight,
            mean,
            executed: raw.executed,
            raw,
        }
    }
}

impl ProposalView {
    pub fn status(&self, slot: u64, governance: &GovernanceView) -> ProposalStatus {
        let config = &governance.raw.config;
        let opens = self.raw.timelock_end_slot(config.timelock_slots);
        let carried = meets_quorum(self.total_weight, self.stake_snapshot, config.quorum.get()).unwrap_or(false)
            && match self.kind {
                ProposalKind::Param(_) => true,
                ProposalKind::Action(_) => passes_supermajority(self.yes_weight, self.no_weight),
            };
        if self.executed {
            ProposalStatus::Executed
        } else if slot < self.voting_end_slot {
            ProposalStatus::Voting
        } else if !carried {
            ProposalStatus::Failed
        } else if slot < opens {
            ProposalStatus::Timelocked
        } else if slot < opens.saturating_add(config.execution_window_slots) {
            ProposalStatus::Executable
        } else {
            ProposalStatus::Expired
        }
    }
}

pub fn governance(chain: &mut dyn Chain) -> Result<GovernanceView, ChainError> {
    let address = pda::governance();
    Ok((address, fetch::<Governance>(chain, &address)?).into())
}

pub fn proposal(chain: &mut dyn Chain, id: u64) -> Result<ProposalView, ChainError> {
    let address = pda::proposal(id);
    Ok((address, fetch::<Proposal>(chain, &address)?).into())
}

/// Every proposal, oldest first.
pub fn proposals(chain: &mut dyn Chain) -> Result<Vec<ProposalView>, ChainError> {
    let count = governance(chain)?.proposal_count;
    (0..count).map(|id| proposal(chain, id)).collect()
}

/// `owner`'s stake position, if it has ever staked.
pub fn stake_position(chain: &mut dyn Chain, owner: &Pubkey) -> Result<Option<StakePosition>, ChainError> {
    let address = pda::stake_position(owner);
    match chain.account(&address)? {
        Some(account) => decode(&address, &account).map(Some),
        None => Ok(None),
    }
}
