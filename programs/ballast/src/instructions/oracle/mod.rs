//! Price and policy updates.

pub mod set_prices;

pub use set_prices::*;
