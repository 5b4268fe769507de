//! One file per instruction, grouped by who may send it.

pub mod account_creation;
pub mod admin;
pub mod governance;
pub mod holder;
pub mod keeper;
pub mod oracle;
pub mod reserve;
pub mod stablecoin;
pub mod vault;

pub use admin::*;
pub use governance::*;
pub use holder::*;
pub use keeper::*;
pub use oracle::*;
