//! One read of the chain, shaped for people and for the JSON API: what
//! backs each coin, how close CR is to its thresholds, what is paused, who
//! signed the latest prices and what governance is about to change.

use std::collections::HashMap;

use ballast_sdk::accounts::{self, ProposalStatus};
use ballast_sdk::program::state::{round_status, ProposalKind, RebalanceTrigger};
use ballast_sdk::{names, status, to_f64, token, Chain, ChainError, Pubkey};
use serde::Serialize;

/// Stablecoin base units per coin.
const UNITS: f64 = 1e6;

#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    pub slot: u64,
    /// Unix seconds of the read.
    pub read_at: u64,
    pub reserve: Reserve,
    pub safety: Safety,
    pub oracle: Oracle,
    pub governance: Governance,
}

#[derive(Clone, Debug, Serialize)]
pub struct Reserve {
    pub assets: Vec<Asset>,
    /// V at lower conservative prices, in dollars.
    pub value: f64,
    /// S in whole stablecoins.
    pub supply: f64,
    /// CR = V / S; null while nothing is minted.
    pub collateral_ratio: Option<f64>,
    pub cr_crit: f64,
    pub cr_min: f64,
    pub cr_target: f64,
    /// What a redeemer gets per stablecoin.
    pub redemption_rate: f64,
    pub fee_mint: f64,
    pub fee_redeem: f64,
    pub capital: status::CapitalStatus,
}

#[derive(Clone, Debug, Serialize)]
pub struct Asset {
    pub symbol: String,
    pub mint: String,
    pub kind: String,
    pub amount: f64,
    /// The oracles' last median price.
    pub price: f64,
    /// The lower conservative price the reserve is valued at.
    pub conservative_price: f64,
    pub value: f64,
    pub weight: f64,
    pub target_weight: f64,
    pub weight_cap: f64,
    pub enabled: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Safety {
    /// The operations paused now, by anyone (breaker, guardian, governance).
    pub paused: Vec<&'static str>,
    pub breaker_tripped: bool,
    /// The insurance vault's balance, in stablecoins.
    pub insurance_pool: f64,
    /// The stake that a bail-in burns first, in stablecoins.
    pub backstop_stake: f64,
    /// The rolling limits: what counts against them now (this window's
    /// volume plus what carries over) and the limits, in stablecoins.
    pub mint_limit_used: f64,
    pub mint_limit: f64,
    pub redeem_limit_used: f64,
    pub redeem_limit: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Oracle {
    pub last_round: u64,
    pub quorum: u8,
    pub oracles: usize,
    /// sigma_p, P(CR < 1) and the upper end of its interval as the last
    /// round agreed them, against the governed epsilon.
    pub sigma_p: f64,
    pub breach_probability: f64,
    pub breach_upper: f64,
    pub breach_epsilon: f64,
    /// Whether most of the round's nodes found their allocation certified.
    pub certified: bool,
    pub stable: bool,
    /// Seed 001's loan book gamma and theta per unit of the reserve's value (zero
    /// without loans) and their governed bounds (zero: none).
    pub loan_book: LoanGreeks,
    /// The latest closed rounds, newest first.
    pub rounds: Vec<Round>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LoanGreeks {
    pub gamma: f64,
    pub theta: f64,
    pub max_gamma: f64,
    pub max_theta: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Round {
    pub round: u64,
    pub status: &'static str,
    pub opened_slot: u64,
    pub closed_slot: u64,
    /// Why it opened before its predecessor's time was up (seed 000's
    /// trigger), or null for a scheduled round.
    pub trigger: Option<&'static str>,
    /// The oracles whose observations were in the round.
    pub submitted_by: Vec<String>,
    /// Those kept out as outliers.
    pub outliers: Vec<String>,
    /// Per asset, (highest - lowest) / median over every submission.
    pub price_spreads: Vec<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Governance {
    /// Null before governance is initialised.
    pub total_staked: Option<f64>,
    pub proposals: Vec<Proposal>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Proposal {
    pub id: u64,
    pub what: String,
    pub status: &'static str,
    /// For a parameter: the running stake-weighted mean of the ballots.
    pub mean: Option<f64>,
    /// For an action: the yes share of the stake voted.
    pub yes_share: Option<f64>,
    /// The share of the stake snapshot that has voted, against the quorum.
    pub turnout: f64,
    pub quorum: f64,
    /// Slots until the timelock ends (0 once it has).
    pub timelock_slots_left: u64,
}

/// Reads everything the page shows, in one pass.
pub fn read(chain: &mut dyn Chain, symbols: &HashMap<Pubkey, String>, now: u64) -> Result<Snapshot, ChainError> {
    let protocol = accounts::protocol(chain)?;
    let assets = accounts::assets(chain, &protocol)?;
    let rounds = accounts::oracle_rounds(chain)?;
    let slot = chain.slot()?;
    let summary = status::summarise(&protocol, &assets);
    let raw = &protocol.raw;
    let reserve = Reserve {
        assets: assets
            .iter()
            .zip(&summary.assets)
            .map(|(asset, row)| Asset {
                symbol: symbols.get(&asset.mint).cloned().unwrap_or_else(|| short(&asset.mint)),
                mint: asset.mint.to_string(),
                kind: row.kind.to_lowercase(),
                amount: row.amount,
                price: asset.price,
                conservative_price: row.price,
                value: row.value,
                weight: row.weight,
                target_weight: row.target_weight,
                weight_cap: row.weight_cap,
                enabled: row.enabled,
            })
            .collect(),
        value: summary.value,
        supply: summary.supply,
        collateral_ratio: summary.collateral_ratio,
        cr_crit: protocol.cr_crit,
        cr_min: protocol.cr_min,
        cr_target: protocol.cr_target,
        redemption_rate: protocol.redemption_rate,
        fee_mint: protocol.fee_mint,
        fee_redeem: protocol.fee_redeem,
        capital: summary.capital,
    };
    let paused_mask = raw.paused_at(slot);
    let (minted, redeemed) = raw.limits_used_at(slot).map_err(|error| ChainError::Decode {
        address: protocol.address,
        reason: format!("rolling limits: {error}"),
    })?;
    let governance_view = accounts::governance(chain).ok();
    let safety = Safety {
        paused: names::pause_names(paused_mask),
        breaker_tripped: raw.breaker_paused_at(slot) != 0,
        insurance_pool: token::balance(chain, &raw.insurance_vault)? as f64 / UNITS,
        backstop_stake: governance_view.as_ref().map_or(0.0, |g| g.total_staked as f64 / UNITS),
        mint_limit_used: minted as f64 / UNITS,
        mint_limit: raw.params.mint_limit_per_window as f64 / UNITS,
        redeem_limit_used: redeemed as f64 / UNITS,
        redeem_limit: raw.params.redeem_limit_per_window as f64 / UNITS,
    };
    let oracles = &raw.oracles[..raw.oracle_count as usize];
    let name = |mask: u8| -> Vec<String> {
        oracles.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, key)| key.to_string()).collect()
    };
    let count = rounds.history_count.min(rounds.history.len() as u64) as usize;
    let newest = rounds.history_count as usize;
    let oracle = Oracle {
        last_round: raw.last_oracle_round,
        quorum: raw.oracle_quorum,
        oracles: oracles.len(),
        sigma_p: to_f64(raw.risk.sigma_p),
        breach_probability: to_f64(raw.risk.breach_probability),
        breach_upper: to_f64(raw.risk.breach_upper),
        breach_epsilon: to_f64(raw.params.policy.breach_epsilon),
        certified: raw.risk.allocation_certified,
        stable: raw.risk.stable,
        loan_book: LoanGreeks {
            gamma: to_f64(raw.risk.loan_gamma),
            theta: to_f64(raw.risk.loan_theta),
            max_gamma: to_f64(raw.params.policy.max_loan_gamma),
            max_theta: to_f64(raw.params.policy.max_loan_theta),
        },
        rounds: (1..=count)
            .map(|back| &rounds.history[(newest - back) % rounds.history.len()])
            .map(|summary| Round {
                round: summary.round,
                status: match summary.status {
                    round_status::FINALIZED => "finalized",
                    round_status::LAPSED => "lapsed",
                    _ => "open",
                },
                opened_slot: summary.opened_slot,
                closed_slot: summary.closed_slot,
                trigger: RebalanceTrigger::from_code(summary.trigger).map(RebalanceTrigger::describe),
                submitted_by: name(summary.submitted_mask),
                outliers: name(summary.outlier_mask),
                price_spreads: summary.spreads[..summary.asset_count as usize].iter().map(|s| s.get().to_num()).collect(),
            })
            .collect(),
    };
    let governance = match governance_view {
        None => Governance { total_staked: None, proposals: Vec::new() },
        Some(view) => Governance {
            total_staked: Some(view.total_staked as f64 / UNITS),
            proposals: accounts::proposals(chain)?
                .iter()
                .rev()
                .map(|p| {
                    let status = p.status(slot, &view);
                    let voted = p.total_weight as f64;
                    Proposal {
                        id: p.id,
                        what: names::describe_proposal(&p.kind),
                        status: status_name(status),
                        mean: p.mean,
                        yes_share: matches!(p.kind, ProposalKind::Action(_))
                            .then(|| if voted > 0.0 { p.yes_weight as f64 / voted } else { 0.0 }),
                        turnout: if p.stake_snapshot > 0 { voted / p.stake_snapshot as f64 } else { 0.0 },
                        quorum: view.quorum,
                        timelock_slots_left: (p.voting_end_slot + view.timelock_slots).saturating_sub(slot),
                    }
                })
                .collect(),
        },
    };
    Ok(Snapshot { slot, read_at: now, reserve, safety, oracle, governance })
}

fn status_name(status: ProposalStatus) -> &'static str {
    match status {
        ProposalStatus::Voting => "voting",
        ProposalStatus::Failed => "failed",
        ProposalStatus::Timelocked => "timelocked",
        ProposalStatus::Executable => "executable",
        ProposalStatus::Expired => "expired",
        ProposalStatus::Executed => "executed",
    }
}

fn short(key: &Pubkey) -> String {
    key.to_string()[..8].to_string()
}
