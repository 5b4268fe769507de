//! Permissionless cranks: anyone may send them when their condition holds
//! on the posted data.

pub mod auction;
pub mod breaker;
pub mod insurance;
pub mod rebalance;
pub mod waterfall;

pub use auction::*;
pub use breaker::*;
pub use insurance::*;
pub use rebalance::*;
pub use waterfall::*;

use anchor_lang::prelude::*;

use crate::constants::PROTOCOL_SEED;
use crate::state::Protocol;

/// A crank that changes only the protocol account; the reserve's `Asset`
/// accounts follow as remaining accounts where the crank values it.
#[derive(Accounts)]
pub struct ProtocolCrank<'info> {
    #[account(mut, seeds = [PROTOCOL_SEED], bump = protocol.bump)]
    pub protocol: Box<Account<'info, Protocol>>,
}
