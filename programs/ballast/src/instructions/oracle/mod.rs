//! The oracle network: each registered oracle submits its own observation
//! to the current round, which finalizes once a quorum agrees.

pub mod aggregate;
pub mod submit_observation;

pub use submit_observation::*;
