//! Signed by the protocol authority.

pub mod add_asset;
pub mod initialize;
pub mod set_asset_enabled;
pub mod set_pause;

pub use add_asset::*;
pub use initialize::*;
pub use set_asset_enabled::*;
pub use set_pause::*;
