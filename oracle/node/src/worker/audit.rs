//! The audit log: one SQLite row per market window and the oracle round it
//! went to (a triggered round re-describes its scheduled round's window),
//! with the hash and canonical JSON of the decision's inputs, its outputs
//! and the transaction signatures, so that any decision can be replayed and
//! any observation traced. It is also the node's memory across restarts.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OpenFlags};

use super::pipeline::{decide, sha256_hex, DecisionInputs};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit log: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("audit log: window {window}: unknown status `{status}`")]
    UnknownStatus { window: u64, status: String },
    #[error("audit log: window {window}: stored {what} does not parse: {source}")]
    Corrupt {
        window: u64,
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("audit log: window {window}: {what}")]
    Mismatch { window: u64, what: String },
    #[error("{path}: an audit log of schema version {found}; this node writes version {expected}: move it aside and start a new one")]
    OldSchema { path: String, found: i64, expected: i64 },
}

/// Where a window stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowStatus {
    /// Decided and recorded, not yet sent.
    Planned,
    /// Sent at least once; whether it landed is for the chain to say.
    Submitted,
    /// The observation is in its round.
    Confirmed,
    /// The program refused the observation, or its round closed first.
    UpdateRejected,
    /// The window's market data was malformed; nothing was sent.
    DataRejected,
    /// The pipeline could not decide (for example too little history).
    DecisionFailed,
}

impl WindowStatus {
    const ALL: [WindowStatus; 6] = [
        Self::Planned,
        Self::Submitted,
        Self::Confirmed,
        Self::UpdateRejected,
        Self::DataRejected,
        Self::DecisionFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Submitted => "submitted",
            Self::Confirmed => "confirmed",
            Self::UpdateRejected => "update_rejected",
            Self::DataRejected => "data_rejected",
            Self::DecisionFailed => "decision_failed",
        }
    }

    pub fn is_finished(self) -> bool {
        !matches!(self, Self::Planned | Self::Submitted)
    }
}

/// One window as recorded for one round.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowRecord {
    pub window: u64,
    pub status: WindowStatus,
    /// The oracle round the window's observation went to.
    pub round: u64,
    /// The slot until which that round took observations.
    pub deadline_slot: Option<u64>,
    pub input_hash: Option<String>,
    pub inputs_json: Option<String>,
    pub outputs_json: Option<String>,
    /// The signature of the last transaction sent for this window.
    pub signature: Option<String>,
    pub error: Option<String>,
}

pub struct AuditLog {
    connection: Connection,
}

/// `PRAGMA user_version` of the layout below; 0 is a new file.
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS windows (
    window       INTEGER NOT NULL,
    round        INTEGER NOT NULL,
    status       TEXT NOT NULL,
    deadline_slot INTEGER,
    input_hash   TEXT,
    inputs_json  TEXT,
    outputs_json TEXT,
    signature    TEXT,
    error        TEXT,
    planned_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (window, round)
);
CREATE TABLE IF NOT EXISTS submissions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    window    INTEGER NOT NULL,
    round     INTEGER NOT NULL,
    signature TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    at        INTEGER NOT NULL,
    FOREIGN KEY (window, round) REFERENCES windows(window, round)
);";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl AuditLog {
    /// Opens (or creates) the log at `path`.
    pub fn open(path: &Path) -> Result<Self, AuditError> {
        let connection = Connection::open(path)?;
        // Every write is durable before the worker acts on it: a crash can
        // lose at most the step in flight, which the restart reconciles.
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        let log = Self { connection };
        match log.schema_version()? {
            0 => {
                log.connection.execute_batch(SCHEMA)?;
                log.connection.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            SCHEMA_VERSION => {}
            found => return Err(old_schema(path, found)),
        }
        Ok(log)
    }

    /// Opens an existing log without writing to it, for readers such as the
    /// dashboard that must not touch another process's file.
    pub fn open_read_only(path: &Path) -> Result<Self, AuditError> {
        let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let log = Self { connection };
        match log.schema_version()? {
            SCHEMA_VERSION => Ok(log),
            found => Err(old_schema(path, found)),
        }
    }

    fn schema_version(&self) -> Result<i64, AuditError> {
        let version: i64 = self.connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let tables: i64 = self
            .connection
            .query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'windows'", [], |row| row.get(0))?;
        // Version 1 logs (one row per window) predate the version number.
        Ok(if version == 0 && tables > 0 { 1 } else { version })
    }

    /// Records a decided window about to be submitted to `round`, which
    /// takes observations until `deadline_slot`.
    pub fn record_plan(
        &self,
        window: u64,
        round: u64,
        deadline_slot: u64,
        input_hash: &str,
        inputs_json: &str,
        outputs_json: &str,
    ) -> Result<(), AuditError> {
        self.connection.execute(
            "INSERT OR REPLACE INTO windows
             (window, status, round, deadline_slot, input_hash, inputs_json, outputs_json, planned_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            params![
                window as i64,
                WindowStatus::Planned.as_str(),
                round as i64,
                deadline_slot as i64,
                input_hash,
                inputs_json,
                outputs_json,
                now()
            ],
        )?;
        Ok(())
    }

    /// Records a window that ends without an update (bad data, no decision).
    pub fn record_skipped(
        &self,
        window: u64,
        round: u64,
        status: WindowStatus,
        error: &str,
        inputs_json: Option<&str>,
    ) -> Result<(), AuditError> {
        self.connection.execute(
            "INSERT OR REPLACE INTO windows (window, round, status, input_hash, inputs_json, error, planned_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![
                window as i64,
                round as i64,
                status.as_str(),
                inputs_json.map(sha256_hex),
                inputs_json,
                error,
                now()
            ],
        )?;
        Ok(())
    }

    /// Records one send of the window's transaction, before its outcome is known.
    pub fn record_attempt(&self, window: u64, round: u64, signature: &str) -> Result<(), AuditError> {
        let tx = self.connection.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO submissions (window, round, signature, outcome, at) VALUES (?1, ?2, ?3, 'sent', ?4)",
            params![window as i64, round as i64, signature, now()],
        )?;
        tx.execute(
            "UPDATE windows SET status = ?3, signature = ?4, updated_at = ?5 WHERE window = ?1 AND round = ?2",
            params![window as i64, round as i64, WindowStatus::Submitted.as_str(), signature, now()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records how the last send of `signature` went.
    pub fn record_attempt_outcome(&self, signature: &str, outcome: &str) -> Result<(), AuditError> {
        self.connection.execute(
            "UPDATE submissions SET outcome = ?2 WHERE id = (SELECT MAX(id) FROM submissions WHERE signature = ?1)",
            params![signature, outcome],
        )?;
        Ok(())
    }

    /// Closes a planned window's round with its final status.
    pub fn finish(&self, window: u64, round: u64, status: WindowStatus, error: Option<&str>) -> Result<(), AuditError> {
        self.connection.execute(
            "UPDATE windows SET status = ?3, error = ?4, updated_at = ?5 WHERE window = ?1 AND round = ?2",
            params![window as i64, round as i64, status.as_str(), error, now()],
        )?;
        Ok(())
    }

    /// The window planned or sent but not finished, if a run stopped mid-cycle.
    pub fn unfinished(&self) -> Result<Option<WindowRecord>, AuditError> {
        let mut records = self.query(
            "WHERE status IN (?1, ?2) ORDER BY round LIMIT 1",
            params![WindowStatus::Planned.as_str(), WindowStatus::Submitted.as_str()],
        )?;
        Ok(records.pop())
    }

    /// The window after the last one recorded, if any is.
    pub fn next_window(&self) -> Result<Option<u64>, AuditError> {
        let last: Option<i64> = self
            .connection
            .query_row("SELECT MAX(window) FROM windows", [], |row| row.get(0))?;
        Ok(last.map(|w| w as u64 + 1))
    }

    /// The record of `window` in `round`, if there is one.
    pub fn entry(&self, window: u64, round: u64) -> Result<Option<WindowRecord>, AuditError> {
        let mut records = self.query("WHERE window = ?1 AND round = ?2", params![window as i64, round as i64])?;
        Ok(records.pop())
    }

    /// The last record of `window` (its triggered round's, if it had one).
    pub fn window(&self, window: u64) -> Result<Option<WindowRecord>, AuditError> {
        let mut records = self.query("WHERE window = ?1 ORDER BY round", params![window as i64])?;
        Ok(records.pop())
    }

    /// Every record, in round order.
    pub fn windows(&self) -> Result<Vec<WindowRecord>, AuditError> {
        self.query("ORDER BY round, window", params![])
    }

    /// The last `count` records, in round order.
    pub fn latest(&self, count: usize) -> Result<Vec<WindowRecord>, AuditError> {
        let mut records = self.query("ORDER BY round DESC, window DESC LIMIT ?1", params![count as i64])?;
        records.reverse();
        Ok(records)
    }

    /// Every signature sent for `window` in `round`, oldest first, with its outcome.
    pub fn submissions(&self, window: u64, round: u64) -> Result<Vec<(String, String)>, AuditError> {
        let mut statement = self
            .connection
            .prepare("SELECT signature, outcome FROM submissions WHERE window = ?1 AND round = ?2 ORDER BY id")?;
        let rows = statement.query_map(params![window as i64, round as i64], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn query(&self, filter: &str, parameters: impl rusqlite::Params) -> Result<Vec<WindowRecord>, AuditError> {
        let sql = format!(
            "SELECT window, status, round, deadline_slot, input_hash, inputs_json, outputs_json, signature, error
             FROM windows {filter}"
        );
        let mut statement = self.connection.prepare(&sql)?;
        let rows = statement.query_map(parameters, |row| {
            Ok((
                row.get::<_, i64>(0)? as u64,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)? as u64,
                row.get::<_, Option<i64>>(3)?.map(|n| n as u64),
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
                row.get(8)?,
            ))
        })?;
        let mut records = Vec::new();
        for row in rows {
            let (window, status, round, deadline_slot, input_hash, inputs_json, outputs_json, signature, error) = row?;
            let status = WindowStatus::ALL
                .into_iter()
                .find(|s| s.as_str() == status)
                .ok_or(AuditError::UnknownStatus { window, status })?;
            records.push(WindowRecord {
                window,
                status,
                round,
                deadline_slot,
                input_hash,
                inputs_json,
                outputs_json,
                signature,
                error,
            });
        }
        Ok(records)
    }
}

fn old_schema(path: &Path, found: i64) -> AuditError {
    AuditError::OldSchema {
        path: path.display().to_string(),
        found,
        expected: SCHEMA_VERSION,
    }
}

/// Replays every recorded decision: each stored input must hash to its
/// recorded hash and decide to exactly its recorded outputs. Returns how
/// many decisions were checked.
pub fn verify(log: &AuditLog) -> Result<usize, AuditError> {
    let mut checked = 0;
    for record in log.windows()? {
        let (Some(inputs_json), Some(outputs_json)) = (&record.inputs_json, &record.outputs_json) else {
            continue;
        };
        let window = record.window;
        let mismatch = |what: String| AuditError::Mismatch { window, what };
        let hash = sha256_hex(inputs_json);
        if record.input_hash.as_deref() != Some(hash.as_str()) {
            return Err(mismatch(format!(
                "inputs hash to {hash}, the log says {:?}",
                record.input_hash
            )));
        }
        let inputs: DecisionInputs = serde_json::from_str(inputs_json).map_err(|source| AuditError::Corrupt {
            window,
            what: "inputs",
            source,
        })?;
        let replayed = decide(&inputs).map_err(|e| mismatch(format!("replay fails: {e}")))?;
        let replayed = serde_json::to_string(&replayed).map_err(|source| AuditError::Corrupt {
            window,
            what: "replayed outputs",
            source,
        })?;
        if replayed != *outputs_json {
            return Err(mismatch(format!(
                "replay gives {replayed}, the log says {outputs_json}"
            )));
        }
        checked += 1;
    }
    Ok(checked)
}
