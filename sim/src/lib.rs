//! Agent-based simulation of the reserve (issue 20): agents act in the
//! demo's world (its holders, keeper, oracle nodes and crash, on the real
//! program) and around it, on a secondary market. This first part is the
//! market side: a constant-product pool, noise traders with a panic on the
//! crash day, and an arbitrageur who mints and redeems against the pool.

pub mod agents;
pub mod pool;
pub mod run;
