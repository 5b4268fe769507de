use anchor_lang::prelude::*;

use crate::events::log_event;
use crate::constants::PROTOCOL_SEED;
use crate::errors::BallastError;
use crate::events::AssetEnabledSet;
use crate::state::{Asset, Protocol};

#[derive(Accounts)]
pub struct SetAssetEnabled<'info> {
    pub authority: Signer<'info>,
    #[account(
        seeds = [PROTOCOL_SEED],
        bump = protocol.bump,
        has_one = authority @ BallastError::Unauthorized,
    )]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut, has_one = protocol @ BallastError::InvalidAssetAccount)]
    pub asset: Box<Account<'info, Asset>>,
}

pub fn handle_set_asset_enabled(ctx: Context<SetAssetEnabled>, enabled: bool) -> Result<()> {
    let asset = &mut ctx.accounts.asset;
    asset.enabled = enabled;
    log_event(&AssetEnabledSet {
        asset: asset.key(),
        enabled,
    });
    Ok(())
}
