//! Price, risk and policy updates, signed by M of the N oracle keys.

pub mod submit_update;

pub use submit_update::*;
