//! How people name what the program stores as codes: proposals and pause
//! masks. The CLI and the dashboard say the same thing.

use ballast::constants::pause;
use ballast::state::{Action, ProposalKind};

/// The pause bits and the operations they stop.
pub const PAUSE_OPERATIONS: [(&str, u8); 4] = [
    ("mint", pause::MINT),
    ("redeem", pause::REDEEM),
    ("rebalance", pause::REBALANCE),
    ("liquidate", pause::LIQUIDATE),
];

/// The operations `mask` pauses, in the order above.
pub fn pause_names(mask: u8) -> Vec<&'static str> {
    PAUSE_OPERATIONS.iter().filter(|(_, bit)| mask & bit != 0).map(|(name, _)| *name).collect()
}

/// What a proposal would change, in a few words.
pub fn describe_proposal(kind: &ProposalKind) -> String {
    match kind {
        ProposalKind::Param(key) => match key.asset_index() {
            Some(index) => format!("set {} of asset {index}", key.name()),
            None => format!("set {}", key.name()),
        },
        ProposalKind::Action(Action::AddAsset { mint, kind, .. }) => format!("add {kind:?} asset {mint}"),
        ProposalKind::Action(Action::SetAssetEnabled { index, enabled }) => {
            format!("{} asset {index}", if *enabled { "enable" } else { "disable" })
        }
        ProposalKind::Action(Action::SetOracles { count, quorum, .. }) => format!("set a {quorum}-of-{count} oracle set"),
        ProposalKind::Action(Action::SetGuardian { guardian }) => format!("set the guardian to {guardian}"),
        ProposalKind::Action(Action::SetPause { paused }) => match pause_names(*paused).as_slice() {
            [] => "unpause every operation".to_string(),
            names => format!("pause {}", names.join(", ")),
        },
    }
}
