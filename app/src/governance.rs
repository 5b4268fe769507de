//! Governance commands: stake, unstake, propose, vote, execute, and the list
//! of proposals with their tallies. Each works on any `Chain`.

use anyhow::{bail, Context, Result};
use ballast_sdk::accounts::{self, ProposalStatus, ProposalView};
use ballast_sdk::program::math::I80F48;
use ballast_sdk::program::state::{Action, Ballot, ParamKey, ProposalKind};
use ballast_sdk::{instructions, pda, token, Chain, Keypair, Signer};
use serde::Serialize;

use crate::amount::format_amount;

use ballast_sdk::names::{describe_proposal, PAUSE_OPERATIONS};

const STABLE_DECIMALS: u8 = ballast_sdk::program::constants::STABLE_DECIMALS;

/// The parameter names, as the CLI accepts them.
pub fn param_names() -> Vec<&'static str> {
    ParamKey::all(0).iter().map(|k| k.name()).collect()
}

/// The parameter called `name`; asset parameters also need the asset's index.
pub fn param_key(name: &str, asset: Option<u8>) -> Result<ParamKey> {
    let key = ParamKey::all(asset.unwrap_or(0))
        .into_iter()
        .find(|key| key.name() == name)
        .with_context(|| format!("unknown parameter `{name}`; the parameters are: {}", param_names().join(", ")))?;
    match (key.asset_index(), asset) {
        (Some(_), None) => bail!("`{name}` is an asset parameter: add --asset INDEX"),
        (None, Some(_)) => bail!("`{name}` is a protocol parameter: drop --asset"),
        _ => Ok(key),
    }
}

/// The pause mask for the named operations.
pub fn pause_mask(operations: &[String]) -> Result<u8> {
    operations.iter().try_fold(0u8, |mask, name| {
        let (_, bit) = PAUSE_OPERATIONS
            .iter()
            .find(|(known, _)| known == name)
            .with_context(|| format!("unknown operation `{name}`; the operations are mint, redeem, rebalance, liquidate"))?;
        Ok(mask | bit)
    })
}

/// A decimal vote value, exactly as the program stores it.
pub fn parse_value(text: &str) -> Result<I80F48> {
    text.parse::<I80F48>()
        .map_err(|e| anyhow::anyhow!("`{text}` is not a number the program can store: {e}"))
}

#[derive(Debug, Serialize)]
pub struct StakeReceipt {
    pub signature: String,
    pub staked: String,
    pub position: String,
    pub locked_until_slot: u64,
    pub total_staked: String,
}

fn stake_receipt(chain: &mut dyn Chain, owner: &Keypair, signature: String, staked: String) -> Result<StakeReceipt> {
    let position = accounts::stake_position(chain, &owner.pubkey())?;
    let governance = accounts::governance(chain)?;
    let value = position.as_ref().map_or(0, |p| governance.raw.position_value(p));
    let total = governance.total_staked;
    Ok(StakeReceipt {
        signature,
        staked,
        position: format_amount(value, STABLE_DECIMALS),
        locked_until_slot: position.map_or(0, |p| p.locked_until_slot),
        total_staked: format_amount(total, STABLE_DECIMALS),
    })
}

/// Stakes `amount` stablecoin units from the owner's associated account.
pub fn stake(chain: &mut dyn Chain, owner: &Keypair, amount: u64) -> Result<StakeReceipt> {
    let source = token::associated_account(chain, owner, &owner.pubkey(), &pda::stable_mint())?;
    let ix = instructions::stake(&owner.pubkey(), &source, amount);
    let signature = chain.send(&[ix], owner, &[])?.to_string();
    stake_receipt(chain, owner, signature, format_amount(amount, STABLE_DECIMALS))
}

pub fn unstake(chain: &mut dyn Chain, owner: &Keypair, amount: u64) -> Result<StakeReceipt> {
    let position = accounts::stake_position(chain, &owner.pubkey())?.context("this keypair has never staked")?;
    let slot = chain.slot()?;
    if slot < position.locked_until_slot {
        bail!(
            "the stake is locked until slot {} (now {slot}) by a vote it joined",
            position.locked_until_slot
        );
    }
    let destination = token::associated_account(chain, owner, &owner.pubkey(), &pda::stable_mint())?;
    let reserve = accounts::protocol(chain)?.assets;
    let ix = instructions::unstake(&owner.pubkey(), &destination, amount, &reserve);
    let signature = chain.send(&[ix], owner, &[])?.to_string();
    stake_receipt(chain, owner, signature, format!("-{}", format_amount(amount, STABLE_DECIMALS)))
}

/// Opens a proposal and returns its id.
pub fn propose(chain: &mut dyn Chain, proposer: &Keypair, kind: ProposalKind) -> Result<u64> {
    let id = accounts::governance(chain)?.proposal_count;
    let asset = match kind {
        ProposalKind::Param(key) => match key.asset_index() {
            Some(index) => Some(asset_address(chain, index)?),
            None => None,
        },
        ProposalKind::Action(_) => None,
    };
    let ix = instructions::propose(&proposer.pubkey(), id, kind, asset);
    chain.send(&[ix], proposer, &[])?;
    Ok(id)
}

fn asset_address(chain: &mut dyn Chain, index: u8) -> Result<ballast_sdk::Pubkey> {
    let assets = accounts::protocol(chain)?.assets;
    assets
        .get(index as usize)
        .copied()
        .with_context(|| format!("there is no asset {index}: the reserve has {}", assets.len()))
}

pub fn vote(chain: &mut dyn Chain, voter: &Keypair, id: u64, ballot: Ballot) -> Result<String> {
    let ix = instructions::vote(&voter.pubkey(), id, ballot);
    Ok(chain.send(&[ix], voter, &[])?.to_string())
}

/// Executes proposal `id` with the instruction and accounts its kind needs,
/// after checking what the program would check, so that a refusal says why.
pub fn execute(chain: &mut dyn Chain, payer: &Keypair, id: u64) -> Result<String> {
    let proposal = accounts::proposal(chain, id)?;
    let governance = accounts::governance(chain)?;
    let status = proposal.status(chain.slot()?, &governance);
    if status != ProposalStatus::Executable {
        bail!("proposal {id} is not executable: it is {status:?}");
    }
    let ix = match proposal.kind {
        ProposalKind::Param(key) => {
            let asset = key.asset_index().map(|i| asset_address(chain, i)).transpose()?;
            instructions::execute_param(id, asset)
        }
        ProposalKind::Action(Action::AddAsset { mint, .. }) => instructions::execute_add_asset(&payer.pubkey(), id, &mint),
        ProposalKind::Action(Action::SetAssetEnabled { index, .. }) => {
            instructions::execute_action(id, Some(asset_address(chain, index)?))
        }
        ProposalKind::Action(_) => instructions::execute_action(id, None),
    };
    Ok(chain.send(&[ix], payer, &[])?.to_string())
}

#[derive(Debug, Serialize)]
pub struct ProposalSummary {
    pub id: u64,
    pub proposal: String,
    pub status: ProposalStatus,
    pub voting_end_slot: u64,
    pub executable_from_slot: u64,
    pub expires_at_slot: u64,
    /// Stake that voted, as a share of the stake when proposed.
    pub participation: f64,
    pub quorum: f64,
    /// Parameter proposals: the value when proposed and the weighted mean of the votes.
    pub current_value: Option<f64>,
    pub weighted_mean: Option<f64>,
    /// Action proposals: the yes share of the votes cast.
    pub yes_share: Option<f64>,
}

pub fn list(chain: &mut dyn Chain) -> Result<Vec<ProposalSummary>> {
    let governance = accounts::governance(chain)?;
    let slot = chain.slot()?;
    let proposals = accounts::proposals(chain)?;
    Ok(proposals.iter().map(|p| summarise(p, slot, &governance)).collect())
}

fn summarise(p: &ProposalView, slot: u64, governance: &accounts::GovernanceView) -> ProposalSummary {
    let executable_from = p.voting_end_slot + governance.timelock_slots;
    let is_param = matches!(p.kind, ProposalKind::Param(_));
    let cast = p.yes_weight + p.no_weight;
    ProposalSummary {
        id: p.id,
        proposal: describe_proposal(&p.kind),
        status: p.status(slot, governance),
        voting_end_slot: p.voting_end_slot,
        executable_from_slot: executable_from,
        expires_at_slot: executable_from + governance.execution_window_slots,
        participation: if p.stake_snapshot == 0 { 0.0 } else { p.total_weight as f64 / p.stake_snapshot as f64 },
        quorum: governance.quorum,
        current_value: is_param.then_some(p.reference_value),
        weighted_mean: p.mean,
        yes_share: (!is_param && cast > 0).then(|| p.yes_weight as f64 / cast as f64),
    }
}

pub fn print_proposals(proposals: &[ProposalSummary]) {
    if proposals.is_empty() {
        println!("no proposals");
        return;
    }
    for p in proposals {
        let tally = match (p.weighted_mean, p.yes_share, p.current_value) {
            (Some(mean), _, Some(current)) => format!("now {current:.6}, votes average {mean:.6}"),
            (None, _, Some(current)) => format!("now {current:.6}, no votes"),
            (_, Some(yes), _) => format!("{:.2}% yes (66% needed)", yes * 100.0),
            _ => "no votes".into(),
        };
        println!(
            "#{:<4} {:<11} {}\n      {tally}; {:.1}% of stake voted ({:.0}% quorum); voting ends at slot {}, executable from {} to {}",
            p.id,
            format!("{:?}", p.status).to_lowercase(),
            p.proposal,
            p.participation * 100.0,
            p.quorum * 100.0,
            p.voting_end_slot,
            p.executable_from_slot,
            p.expires_at_slot,
        );
    }
}
