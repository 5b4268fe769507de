//! Price, risk and policy updates: M-of-N signed by the oracle set, and the
//! authority-signed stand-in kept until the bootstrap authority renounces.

pub mod set_prices;
pub mod submit_update;

pub use set_prices::*;
pub use submit_update::*;
