use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token};

use crate::constants::{MAX_ASSETS, PROTOCOL_SEED, STABLE_DECIMALS, STABLE_MINT_SEED};
use crate::events::ProtocolInitialized;
use crate::math::{FixedBits, I80F48};
use crate::state::{LimitWindow, Params, Protocol};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct InitializeArgs {
    pub params: Params,
    pub fee_mint: FixedBits,
    pub fee_redeem: FixedBits,
}

#[derive(Accounts)]
pub struct Initialize<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    /// A singleton: a second `initialize` fails because the account exists.
    #[account(
        init,
        payer = authority,
        space = 8 + Protocol::INIT_SPACE,
        seeds = [PROTOCOL_SEED],
        bump,
    )]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(
        init,
        payer = authority,
        seeds = [STABLE_MINT_SEED, protocol.key().as_ref()],
        bump,
        mint::decimals = STABLE_DECIMALS,
        mint::authority = protocol,
        mint::freeze_authority = protocol,
    )]
    pub stable_mint: Box<Account<'info, Mint>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handle_initialize(ctx: Context<Initialize>, args: InitializeArgs) -> Result<()> {
    args.params.validate()?;
    args.params.check_fee(args.fee_mint.get())?;
    args.params.check_fee(args.fee_redeem.get())?;

    let protocol = &mut ctx.accounts.protocol;
    protocol.authority = ctx.accounts.authority.key();
    protocol.stable_mint = ctx.accounts.stable_mint.key();
    protocol.bump = ctx.bumps.protocol;
    protocol.stable_mint_bump = ctx.bumps.stable_mint;
    protocol.paused = 0;
    protocol.asset_count = 0;
    protocol.assets = [Pubkey::default(); MAX_ASSETS];
    protocol.params = args.params;
    protocol.fee_mint = args.fee_mint;
    protocol.fee_redeem = args.fee_redeem;
    protocol.redemption_rate = I80F48::ONE.into();
    protocol.supply = 0;
    let slot = Clock::get()?.slot;
    protocol.window = LimitWindow {
        start_slot: slot - slot % args.params.limit_window_slots,
        ..LimitWindow::default()
    };

    emit!(ProtocolInitialized {
        authority: protocol.authority,
        stable_mint: protocol.stable_mint,
    });
    Ok(())
}
