//! The dashboard's own record of what it has seen: one SQLite row per read
//! slot, so that a restarted dashboard keeps its series.

use std::path::Path;

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::events::Event;
use crate::read::Snapshot;

/// One point of the history series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    pub slot: u64,
    pub read_at: u64,
    pub value: f64,
    pub supply: f64,
    pub collateral_ratio: Option<f64>,
    pub insurance_pool: f64,
    pub sigma_p: f64,
    pub breaker_tripped: bool,
}

/// An event as the history file keeps it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredEvent {
    pub slot: u64,
    pub read_at: u64,
    pub kind: String,
    pub what: String,
}

pub struct History {
    connection: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS points (
    slot             INTEGER PRIMARY KEY,
    read_at          INTEGER NOT NULL,
    value            REAL NOT NULL,
    supply           REAL NOT NULL,
    collateral_ratio REAL,
    insurance_pool   REAL NOT NULL,
    sigma_p          REAL NOT NULL,
    breaker_tripped  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    slot    INTEGER NOT NULL,
    read_at INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    what    TEXT NOT NULL
);";

impl History {
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.execute_batch(SCHEMA)?;
        Ok(Self { connection })
    }

    /// Records `snapshot`; a second read of the same slot replaces the first.
    pub fn record(&self, snapshot: &Snapshot) -> rusqlite::Result<()> {
        self.connection.execute(
            "INSERT OR REPLACE INTO points VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                snapshot.slot as i64,
                snapshot.read_at as i64,
                snapshot.reserve.value,
                snapshot.reserve.supply,
                snapshot.reserve.collateral_ratio,
                snapshot.safety.insurance_pool,
                snapshot.oracle.sigma_p,
                snapshot.safety.breaker_tripped,
            ],
        )?;
        Ok(())
    }

    pub fn record_events(&self, events: &[Event]) -> rusqlite::Result<()> {
        for event in events {
            self.connection.execute(
                "INSERT INTO events (slot, read_at, kind, what) VALUES (?1, ?2, ?3, ?4)",
                params![event.slot as i64, event.read_at as i64, event.kind, event.what],
            )?;
        }
        Ok(())
    }

    /// The newest `limit` events, newest first.
    pub fn latest_events(&self, limit: usize) -> rusqlite::Result<Vec<StoredEvent>> {
        let mut statement = self.connection.prepare("SELECT slot, read_at, kind, what FROM events ORDER BY id DESC LIMIT ?1")?;
        let rows = statement.query_map([limit as i64], |row| {
            Ok(StoredEvent {
                slot: row.get::<_, i64>(0)? as u64,
                read_at: row.get::<_, i64>(1)? as u64,
                kind: row.get(2)?,
                what: row.get(3)?,
            })
        })?;
        rows.collect()
    }

    /// The newest `limit` points, oldest first.
    pub fn latest(&self, limit: usize) -> rusqlite::Result<Vec<Point>> {
        let mut statement = self.connection.prepare(
            "SELECT * FROM (SELECT slot, read_at, value, supply, collateral_ratio, insurance_pool, sigma_p, breaker_tripped
             FROM points ORDER BY slot DESC LIMIT ?1) ORDER BY slot",
        )?;
        let rows = statement.query_map([limit as i64], |row| {
            Ok(Point {
                slot: row.get::<_, i64>(0)? as u64,
                read_at: row.get::<_, i64>(1)? as u64,
                value: row.get(2)?,
                supply: row.get(3)?,
                collateral_ratio: row.get(4)?,
                insurance_pool: row.get(5)?,
                sigma_p: row.get(6)?,
                breaker_tripped: row.get(7)?,
            })
        })?;
        rows.collect()
    }
}
