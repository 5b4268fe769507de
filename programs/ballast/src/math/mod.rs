//! Pure fixed-point arithmetic. No accounts, no syscalls: every function here
//! is a value-in, value-out computation with its tests beside it.
//!
//! Prices, values and ratios are I80F48; token amounts are `u64` base units
//! with their decimals. Every conversion that can lose precision says in its
//! name which way it rounds, and callers pick the direction that favours the
//! protocol: what the protocol pays out rounds down, what it charges rounds up.

pub mod auction;
pub mod capital;
pub mod conversion;
pub mod fixed_point;
pub mod quote;
pub mod reserve;
pub mod tally;
pub mod wide;

pub use auction::*;
pub use capital::*;
pub use conversion::*;
pub use fixed_point::*;
pub use quote::*;
pub use reserve::*;
pub use tally::*;
pub use wide::*;
