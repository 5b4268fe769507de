pub mod asset;
pub mod governable;
pub mod governance;
pub mod oracle_rounds;
pub mod proposal;
pub mod protocol;
pub mod stake_position;
pub mod vote_record;

pub use asset::*;
pub use governable::*;
pub use governance::*;
pub use oracle_rounds::*;
pub use proposal::*;
pub use protocol::*;
pub use stake_position::*;
pub use vote_record::*;
