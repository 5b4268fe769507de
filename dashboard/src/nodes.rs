//! The oracle nodes' own records, where the dashboard is given their audit
//! files: each node's latest windows, what it decided and what became of
//! its observation.

use std::path::{Path, PathBuf};

use ballast_oracle_node::worker::audit::AuditLog;
use ballast_oracle_node::worker::pipeline::{Allocation, Decision};
use serde::Serialize;

/// Windows shown per node.
const WINDOWS_SHOWN: usize = 10;

#[derive(Clone, Debug, Serialize)]
pub struct NodeRecord {
    pub audit: String,
    /// Newest first; empty with an error when the file cannot be read.
    pub windows: Vec<NodeWindow>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NodeWindow {
    pub window: u64,
    pub round: u64,
    /// planned, submitted, confirmed, update_rejected, data_rejected or decision_failed.
    pub status: &'static str,
    pub error: Option<String>,
    /// The SHA-256 of the decision's inputs: anyone can replay it.
    pub input_hash: Option<String>,
    pub sigma_p: Option<f64>,
    /// The certificate: the upper bound on P(CR < 1) of the targets and
    /// whether it passed.
    pub breach_upper: Option<f64>,
    pub certified: Option<bool>,
    /// The treasury MPC's share of the liquidity tier in cash.
    pub cash_share: Option<f64>,
    pub minimum_capital_ratio: Option<f64>,
    pub countercyclical_buffer: Option<f64>,
}

/// Reads each audit file; a file that is missing or unreadable says so.
pub fn read(audits: &[PathBuf]) -> Vec<NodeRecord> {
    audits.iter().map(|path| read_one(path)).collect()
}

fn read_one(path: &Path) -> NodeRecord {
    let audit = path.display().to_string();
    let windows = if path.exists() {
        AuditLog::open_read_only(path).and_then(|log| log.latest(WINDOWS_SHOWN)).map_err(|e| e.to_string())
    } else {
        Err("no such file".to_string())
    };
    match windows {
        Err(error) => NodeRecord { audit, windows: Vec::new(), error: Some(error) },
        Ok(records) => NodeRecord {
            audit,
            error: None,
            windows: records
                .into_iter()
                .rev()
                .map(|record| {
                    let decision: Option<Decision> = record.outputs_json.as_deref().and_then(|json| serde_json::from_str(json).ok());
                    let solved = decision.as_ref().and_then(|d| match &d.allocation {
                        Allocation::Solved { breach_upper, certified, .. } => Some((*breach_upper, *certified)),
                        Allocation::Kept { .. } => None,
                    });
                    let targets = decision.as_ref().and_then(|d| d.capital.targets);
                    NodeWindow {
                        window: record.window,
                        round: record.round,
                        status: record.status.as_str(),
                        error: record.error,
                        input_hash: record.input_hash,
                        sigma_p: decision.as_ref().map(|d| d.sigma_p),
                        breach_upper: solved.map(|s| s.0),
                        certified: solved.map(|s| s.1),
                        cash_share: decision.as_ref().map(|d| d.treasury.cash_share),
                        minimum_capital_ratio: targets.map(|t| t.minimum_capital_ratio),
                        countercyclical_buffer: targets.map(|t| t.countercyclical_buffer),
                    }
                })
                .collect(),
        },
    }
}
