pub mod asset;
pub mod protocol;

pub use asset::*;
pub use protocol::*;
