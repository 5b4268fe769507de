//! Agent-based simulation of the reserve (issue 20): agents act in the
//! demo's world (its holders, keeper, oracle nodes and stress, on the real
//! program) and around it: a secondary market with arbitrage, a market
//! maker and a TWAP manipulator; stakers who govern by their own utility,
//! a yield-seeking coalition and a stake buyer; and a bank run.

pub mod agents;
pub mod pool;
pub mod run;
pub mod scenario;
