//! Holder commands: mint stablecoins with a reserve asset and redeem them
//! for one, through the holder's associated token accounts. Everything a
//! holder can get wrong (an unknown asset, a zero amount, a short balance, a
//! paused operation or a disabled asset) is checked before anything is sent.

use ballast_migrations::AssetSpec;
use ballast_sdk::accounts::{self, AssetView};
use ballast_sdk::program::constants::{pause, STABLE_DECIMALS};
use ballast_sdk::{pda, token, Chain, ChainError, Keypair, Pubkey, Signer};
use serde::Serialize;

use crate::amount::{format_amount, parse_amount};

#[derive(Debug, thiserror::Error)]
pub enum HolderError {
    #[error("unknown asset `{given}`: give a reserve asset's mint or symbol ({known})")]
    UnknownAsset { given: String, known: String },
    #[error("the deployment's asset {symbol} does not match the chain's asset {index}: {reason}")]
    DeploymentMismatch {
        symbol: String,
        index: usize,
        reason: String,
    },
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    #[error("the amount must be greater than zero")]
    ZeroAmount,
    #[error("insufficient balance: {account} holds {held} {token}, {needed} needed")]
    InsufficientBalance {
        account: Pubkey,
        held: String,
        needed: String,
        token: String,
    },
    #[error("{0} is paused")]
    Paused(&'static str),
    #[error("asset {0} is disabled")]
    AssetDisabled(String),
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// A reserve asset as a holder names it.
#[derive(Clone, Debug)]
pub struct NamedAsset {
    pub view: AssetView,
    /// The deployment's symbol, or the mint address when it has none.
    pub label: String,
}

/// Finds the reserve asset named by `given`: a mint address, or a symbol of
/// `deployment` (whose assets are listed in reserve order), case-insensitively.
pub fn resolve_asset(
    chain: &mut dyn Chain,
    deployment: &[AssetSpec],
    given: &str,
) -> Result<NamedAsset, HolderError> {
    let protocol = accounts::protocol(chain)?;
    let assets = accounts::assets(chain, &protocol)?;
    let label_of = |index: usize, mint: &Pubkey| {
        deployment
            .get(index)
            .map_or_else(|| mint.to_string(), |spec| spec.symbol.clone())
    };
    if let Ok(mint) = given.parse::<Pubkey>() {
        if let Some(index) = assets.iter().position(|asset| asset.mint == mint) {
            return Ok(NamedAsset {
                label: label_of(index, &mint),
                view: assets[index].clone(),
            });
        }
    } else if let Some(index) = deployment
        .iter()
        .position(|spec| spec.symbol.eq_ignore_ascii_case(given))
    {
        let spec = &deployment[index];
        let mismatch = |reason: String| HolderError::DeploymentMismatch {
            symbol: spec.symbol.clone(),
            index,
            reason,
        };
        let view = assets
            .get(index)
            .ok_or_else(|| mismatch(format!("the reserve has only {} assets", assets.len())))?;
        if let Some(mint) = &spec.mint {
            if *mint != view.mint.to_string() {
                return Err(mismatch(format!(
                    "mint {mint} in the deployment, {} on chain",
                    view.mint
                )));
            }
        }
        if spec.decimals != view.decimals {
            return Err(mismatch(format!(
                "{} decimals in the deployment, {} on chain",
                spec.decimals, view.decimals
            )));
        }
        return Ok(NamedAsset {
            label: spec.symbol.clone(),
            view: view.clone(),
        });
    }
    let known = assets
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{} {}", label_of(i, &a.mint), a.mint))
        .collect::<Vec<_>>();
    Err(HolderError::UnknownAsset {
        given: given.into(),
        known: known.join(", "),
    })
}

fn positive_amount(text: &str, decimals: u8) -> Result<u64, HolderError> {
    match parse_amount(text, decimals).map_err(|e| HolderError::InvalidAmount(e.to_string()))? {
        0 => Err(HolderError::ZeroAmount),
        amount => Ok(amount),
    }
}

/// Refuses an operation the protocol has paused, or an asset it has disabled.
fn check_open(
    chain: &mut dyn Chain,
    asset: &NamedAsset,
    operation: u8,
    name: &'static str,
) -> Result<(), HolderError> {
    let protocol = accounts::protocol(chain)?;
    if protocol.raw.paused_at(chain.slot()?) & operation != 0 {
        return Err(HolderError::Paused(name));
    }
    if !asset.view.enabled {
        return Err(HolderError::AssetDisabled(asset.label.clone()));
    }
    Ok(())
}

/// The holder's associated account for `mint` if it holds at least `needed`.
fn funded_account(
    chain: &mut dyn Chain,
    owner: &Pubkey,
    mint: &Pubkey,
    needed: u64,
    decimals: u8,
    token_name: &str,
) -> Result<Pubkey, HolderError> {
    let held = token::associated_balance(chain, owner, mint)?.unwrap_or(0);
    let account = token::associated_address(owner, mint);
    if held < needed {
        return Err(HolderError::InsufficientBalance {
            account,
            held: format_amount(held, decimals),
            needed: format_amount(needed, decimals),
            token: token_name.into(),
        });
    }
    Ok(account)
}

#[derive(Debug, Serialize)]
pub struct MintReceipt {
    pub signature: String,
    pub asset: String,
    pub deposited: String,
    pub minted: String,
    /// The holder's stablecoin balance afterwards.
    pub stable_balance: String,
}

/// Deposits `amount` (whole tokens, e.g. "0.5") of `asset` from the
/// holder's associated account and mints stablecoins into its associated
/// stablecoin account, opening it if needed.
pub fn mint(
    chain: &mut dyn Chain,
    holder: &Keypair,
    deployment: &[AssetSpec],
    asset: &str,
    amount: &str,
) -> Result<MintReceipt, HolderError> {
    let asset = resolve_asset(chain, deployment, asset)?;
    let (mint, decimals) = (asset.view.mint, asset.view.decimals);
    let amount = positive_amount(amount, decimals)?;
    check_open(chain, &asset, pause::MINT, "minting")?;
    let owner = holder.pubkey();
    let source = funded_account(chain, &owner, &mint, amount, decimals, &asset.label)?;
    let destination = token::associated_account(chain, holder, &owner, &pda::stable_mint())?;
    let before = token::balance(chain, &destination)?;
    let reserve = accounts::protocol(chain)?.assets;
    let accounts = ballast_sdk::instructions::HolderAccounts {
        user: owner,
        asset_mint: mint,
        source,
        destination,
    };
    let signature = chain.send(
        &[ballast_sdk::instructions::mint(&accounts, amount, &reserve)],
        holder,
        &[],
    )?;
    let after = token::balance(chain, &destination)?;
    Ok(MintReceipt {
        signature: signature.to_string(),
        asset: asset.label,
        deposited: format_amount(amount, decimals),
        minted: format_amount(after - before, STABLE_DECIMALS),
        stable_balance: format_amount(after, STABLE_DECIMALS),
    })
}

#[derive(Debug, Serialize)]
pub struct RedeemReceipt {
    pub signature: String,
    pub asset: String,
    pub burned: String,
    pub received: String,
    /// The holder's balance of the asset afterwards.
    pub asset_balance: String,
}

/// Burns `amount` whole stablecoins from the holder's associated account
/// and receives `asset` in its associated account, opening it if needed.
pub fn redeem(
    chain: &mut dyn Chain,
    holder: &Keypair,
    deployment: &[AssetSpec],
    asset: &str,
    amount: &str,
) -> Result<RedeemReceipt, HolderError> {
    let asset = resolve_asset(chain, deployment, asset)?;
    let (mint, decimals) = (asset.view.mint, asset.view.decimals);
    let amount = positive_amount(amount, STABLE_DECIMALS)?;
    check_open(chain, &asset, pause::REDEEM, "redeeming")?;
    let owner = holder.pubkey();
    let source = funded_account(
        chain,
        &owner,
        &pda::stable_mint(),
        amount,
        STABLE_DECIMALS,
        "stablecoins",
    )?;
    let destination = token::associated_account(chain, holder, &owner, &mint)?;
    let before = token::balance(chain, &destination)?;
    let reserve = accounts::protocol(chain)?.assets;
    let accounts = ballast_sdk::instructions::HolderAccounts {
        user: owner,
        asset_mint: mint,
        source,
        destination,
    };
    let signature = chain.send(
        &[ballast_sdk::instructions::redeem(
            &accounts, amount, &reserve,
        )],
        holder,
        &[],
    )?;
    let after = token::balance(chain, &destination)?;
    Ok(RedeemReceipt {
        signature: signature.to_string(),
        asset: asset.label,
        burned: format_amount(amount, STABLE_DECIMALS),
        received: format_amount(after - before, decimals),
        asset_balance: format_amount(after, decimals),
    })
}
