//! Sent by anyone holding reserve assets or stablecoins.

pub mod contribute;
pub mod mint;
pub mod redeem;

pub use contribute::*;
pub use mint::*;
pub use redeem::*;
