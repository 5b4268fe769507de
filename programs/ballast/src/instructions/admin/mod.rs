//! Signed by the protocol authority, or by the guardian.

pub mod add_asset;
pub mod guardian_pause;
pub mod initialize;
pub mod register_oracles;
pub mod renounce_authority;
pub mod set_asset_enabled;
pub mod set_pause;

pub use add_asset::*;
pub use guardian_pause::*;
pub use initialize::*;
pub use register_oracles::*;
pub use renounce_authority::*;
pub use set_asset_enabled::*;
pub use set_pause::*;
