use anchor_lang::prelude::*;
use anchor_lang::solana_program::bpf_loader_upgradeable;
use anchor_lang::solana_program::program_pack::Pack;
use anchor_spl::token::{self, spl_token, InitializeAccount3, InitializeMint2, Token};

use crate::events::log_event;
use crate::constants::{
    INSURANCE_SEED, MAX_ASSETS, MAX_ORACLES, NATIVE_BOOTSTRAP_AUTHORITY, ORACLE_ROUNDS_SEED, PROTOCOL_SEED, STABLE_DECIMALS,
    STABLE_MINT_SEED,
};
use crate::errors::BallastError;
use crate::events::ProtocolInitialized;
use crate::instructions::account_creation::{create_pda_account, is_uncreated};
use crate::math::{FixedBits, I80F48};
use crate::state::{validate_oracle_set, InsuranceTotals, LimitWindow, OracleRounds, Params, Protocol, RiskState};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct InitializeArgs {
    pub params: Params,
    pub fee_mint: FixedBits,
    pub fee_redeem: FixedBits,
    pub guardian: Pubkey,
    /// The oracle set, at most `MAX_ORACLES` (a list, not a fixed array,
    /// so that the transaction stays under the packet size).
    pub oracles: Vec<Pubkey>,
    pub oracle_quorum: u8,
}

#[derive(Accounts)]
pub struct Initialize<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    /// CHECK: the singleton protocol PDA, created by the handler.
    #[account(mut, seeds = [PROTOCOL_SEED], bump)]
    pub protocol: UncheckedAccount<'info>,
    /// CHECK: the stablecoin mint PDA, created by the handler.
    #[account(mut, seeds = [STABLE_MINT_SEED, protocol.key().as_ref()], bump)]
    pub stable_mint: UncheckedAccount<'info>,
    /// CHECK: the insurance pool's stablecoin account, created by the handler.
    #[account(mut, seeds = [INSURANCE_SEED], bump)]
    pub insurance_vault: UncheckedAccount<'info>,
    /// CHECK: the oracle network's rounds (zero-copy), created by the handler.
    #[account(mut, seeds = [ORACLE_ROUNDS_SEED], bump)]
    pub oracle_rounds: UncheckedAccount<'info>,
    /// CHECK: this program's ProgramData account under the upgradeable
    /// loader, by address; read by `require_deployer`.
    #[account(seeds = [crate::ID.as_ref()], bump, seeds::program = bpf_loader_upgradeable::ID)]
    pub program_data: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Creates the protocol, its stablecoin mint and the insurance pool. Only
/// the deployer may: whoever sent it first would otherwise choose the
/// oracles, the guardian and every parameter.
pub fn handle_initialize(ctx: Context<Initialize>, args: InitializeArgs) -> Result<()> {
    let accounts = &ctx.accounts;
    require_deployer(&accounts.program_data, &accounts.authority.key())?;
    require!(is_uncreated(&accounts.protocol), BallastError::AlreadyInitialized);
    args.params.validate()?;
    args.params.check_fee(args.fee_mint.get())?;
    args.params.check_fee(args.fee_redeem.get())?;
    require!(args.oracles.len() <= MAX_ORACLES, BallastError::InvalidOracleSet);
    let oracles = &args.oracles[..];
    validate_oracle_set(oracles, args.oracle_quorum)?;
    let mut oracle_set = [Pubkey::default(); MAX_ORACLES];
    oracle_set[..oracles.len()].copy_from_slice(oracles);

    let payer = accounts.authority.to_account_info();
    let system = accounts.system_program.to_account_info();
    let protocol_bump = ctx.bumps.protocol;
    let mint_bump = ctx.bumps.stable_mint;
    let protocol_key = accounts.protocol.key();
    create_pda_account(
        &payer,
        &accounts.protocol,
        &system,
        8 + Protocol::INIT_SPACE,
        &crate::ID,
        &[PROTOCOL_SEED, &[protocol_bump]],
    )?;
    create_pda_account(
        &payer,
        &accounts.stable_mint,
        &system,
        spl_token::state::Mint::LEN,
        &token::ID,
        &[STABLE_MINT_SEED, protocol_key.as_ref(), &[mint_bump]],
    )?;
    let mint = InitializeMint2 {
        mint: accounts.stable_mint.to_account_info(),
    };
    token::initialize_mint2(
        CpiContext::new(accounts.token_program.key(), mint),
        STABLE_DECIMALS,
        &protocol_key,
        Some(&protocol_key),
    )?;
    create_pda_account(
        &payer,
        &accounts.insurance_vault,
        &system,
        spl_token::state::Account::LEN,
        &token::ID,
        &[INSURANCE_SEED, &[ctx.bumps.insurance_vault]],
    )?;
    let pool = InitializeAccount3 {
        account: accounts.insurance_vault.to_account_info(),
        mint: accounts.stable_mint.to_account_info(),
        authority: accounts.protocol.to_account_info(),
    };
    token::initialize_account3(CpiContext::new(accounts.token_program.key(), pool))?;

    create_oracle_rounds(&payer, &accounts.oracle_rounds, &system, ctx.bumps.oracle_rounds, oracles)?;

    let slot = Clock::get()?.slot;
    let protocol = Box::new(Protocol {
        authority: accounts.authority.key(),
        guardian: args.guardian,
        oracles: oracle_set,
        oracle_count: oracles.len() as u8,
        oracle_quorum: args.oracle_quorum,
        last_oracle_round: 0,
        risk: RiskState::default(),
        stable_mint: accounts.stable_mint.key(),
        bump: protocol_bump,
        stable_mint_bump: mint_bump,
        paused: 0,
        guardian_paused: 0,
        guardian_pause_until: 0,
        breaker_paused: 0,
        breaker_tripped_slot: 0,
        breaker_trip_sigma: FixedBits::ZERO,
        asset_count: 0,
        assets: [Pubkey::default(); MAX_ASSETS],
        params: args.params,
        fee_mint: args.fee_mint,
        fee_redeem: args.fee_redeem,
        redemption_rate: I80F48::ONE.into(),
        supply: 0,
        window: LimitWindow {
            start_slot: slot - slot % args.params.limit_window_slots,
            ..LimitWindow::default()
        },
        total_minted: 0,
        total_redeemed: 0,
        total_mint_fees: 0,
        total_redeem_fees: 0,
        insurance_vault: accounts.insurance_vault.key(),
        insurance_vault_bump: ctx.bumps.insurance_vault,
        premium_accrued_slot: slot,
        insurance: InsuranceTotals::default(),
        auctions_in_flight: 0,
        reserved: [0; 144],
    });
    protocol.try_serialize(&mut &mut accounts.protocol.try_borrow_mut_data()?[..])?;

    log_event(&ProtocolInitialized {
        authority: protocol.authority,
        stable_mint: protocol.stable_mint,
    });
    Ok(())
}

/// The signer must be the program's upgrade authority, as its ProgramData
/// account records it. A program without ProgramData under the upgradeable
/// loader (a native builtin) has no upgrade authority; there the signer
/// must be `NATIVE_BOOTSTRAP_AUTHORITY`. A program made immutable before it
/// was initialised can never be: initialise first.
fn require_deployer(program_data: &AccountInfo, signer: &Pubkey) -> Result<()> {
    let deployer = if *program_data.owner == bpf_loader_upgradeable::ID {
        let data = program_data.try_borrow_data()?;
        let state = ProgramData::try_deserialize(&mut &data[..])?;
        state.upgrade_authority_address
    } else {
        Some(NATIVE_BOOTSTRAP_AUTHORITY)
    };
    require!(deployer == Some(*signer), BallastError::NotUpgradeAuthority);
    Ok(())
}

/// Creates the zero-copy `OracleRounds` account: no round yet, the stats
/// keyed to the first oracle set.
fn create_oracle_rounds<'info>(
    payer: &AccountInfo<'info>,
    account: &AccountInfo<'info>,
    system: &AccountInfo<'info>,
    bump: u8,
    oracles: &[Pubkey],
) -> Result<()> {
    let space = 8 + std::mem::size_of::<OracleRounds>();
    create_pda_account(payer, account, system, space, &crate::ID, &[ORACLE_ROUNDS_SEED, &[bump]])?;
    let mut data = account.try_borrow_mut_data()?;
    data[..8].copy_from_slice(OracleRounds::DISCRIMINATOR);
    let rounds: &mut OracleRounds = bytemuck::from_bytes_mut(&mut data[8..space]);
    rounds.bump = bump;
    rounds.rekey_stats(oracles);
    Ok(())
}
