//! The layout of `$GSA_DATA_DIR/gsa.db`, the event store written by the logging worker and read
//! (read-only) by the gateway.
//!
//! The logging worker owns writes; this module only says what the tables are and how to open the
//! file, so that the writer and the reader agree without one service importing the other.
//!
//! Tables (schema version [`SCHEMA_VERSION`]):
//! * `events`: every event once, keyed by CloudEvents id.
//! * `listings`: the latest merged view of each listing (`data` is a [`gsa_schemas::Listing`] JSON).
//! * `scores`: the latest score card per listing (`card` is a [`gsa_schemas::ScoreCard`] JSON).
//! * `score_history`: every score card, keyed by event id.
//! * `alerts`: every high-score alert, keyed by event id.
//! * `logs`: every service log record, keyed by event id.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// File name of the event store inside the data directory.
pub const DB_FILE: &str = "gsa.db";

/// Current schema version, stored in `schema_version`.
pub const SCHEMA_VERSION: i64 = 1;

/// How long a connection waits on a lock before failing with `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// DDL of schema version 1. Applied in one transaction by [`migrate`].
pub const SCHEMA_V1: &str = r#"
CREATE TABLE IF NOT EXISTS events (
    id          TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    type        TEXT NOT NULL,
    source      TEXT NOT NULL,
    time        TEXT NOT NULL,
    listing_id  TEXT,
    data        TEXT NOT NULL,
    stored_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_subject_time ON events(subject, time);
CREATE INDEX IF NOT EXISTS events_listing ON events(listing_id);

CREATE TABLE IF NOT EXISTS listings (
    listing_id    TEXT PRIMARY KEY,
    data          TEXT NOT NULL,
    title         TEXT,
    state         TEXT,
    category      TEXT,
    asking_price  INTEGER,
    cash_flow     INTEGER,
    content_hash  TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    first_seen    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS scores (
    listing_id     TEXT PRIMARY KEY,
    score          INTEGER,
    applicable     INTEGER NOT NULL,
    model_version  TEXT NOT NULL,
    real_estate    INTEGER,
    card           TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    scored_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scores_score ON scores(score DESC, listing_id);

CREATE TABLE IF NOT EXISTS score_history (
    event_id       TEXT PRIMARY KEY,
    listing_id     TEXT NOT NULL,
    score          INTEGER,
    model_version  TEXT NOT NULL,
    card           TEXT NOT NULL,
    scored_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS score_history_listing ON score_history(listing_id, scored_at);

CREATE TABLE IF NOT EXISTS alerts (
    event_id    TEXT PRIMARY KEY,
    listing_id  TEXT NOT NULL,
    score       INTEGER NOT NULL,
    data        TEXT NOT NULL,
    time        TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS logs (
    event_id  TEXT PRIMARY KEY,
    time      TEXT NOT NULL,
    service   TEXT NOT NULL,
    level     TEXT NOT NULL,
    target    TEXT NOT NULL,
    message   TEXT NOT NULL,
    fields    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_time ON logs(time);
"#;

/// Errors opening or migrating the store.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer gsa.
    #[error("database schema version {found} is newer than this gsa supports ({supported})")]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Version this build knows.
        supported: i64,
    },
}

/// Opens (creating if needed) the store for writing: WAL journal, `synchronous=NORMAL`,
/// busy timeout [`BUSY_TIMEOUT`], schema migrated to [`SCHEMA_VERSION`].
pub fn open_rw(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrate(&conn)?;
    Ok(conn)
}

/// Opens the store read-only (the gateway's view). Fails when the file does not exist yet.
pub fn open_ro(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Brings the schema up to [`SCHEMA_VERSION`], recording the version in `schema_version`.
pub fn migrate(conn: &Connection) -> Result<(), DbError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")?;
    let found: i64 = conn
        .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(DbError::TooNew { found, supported: SCHEMA_VERSION });
    }
    if found < 1 {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(SCHEMA_V1)?;
        tx.execute("INSERT INTO schema_version (version) VALUES (1)", [])?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrate_is_idempotent_and_ro_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let rw = open_rw(&path).unwrap();
        migrate(&rw).unwrap();
        let v: i64 = rw.query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, 1);
        let mode: String = rw.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let ro = open_ro(&path).unwrap();
        assert!(ro.execute("INSERT INTO logs VALUES ('a','t','s','l','t','m','{}')", []).is_err());
    }
}
