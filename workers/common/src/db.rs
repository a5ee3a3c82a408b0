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
//! * `score_history`: one row per score card (listing, score, model version, event id, time);
//!   the card itself is the `data` of its event in `events` (schema version 6).
//! * `alerts`: every high-score alert, keyed by event id.
//! * `logs`: every service log record, keyed by event id.
//! * `listings_fts`, `logs_fts`: FTS5 full-text indexes over listing titles and descriptions and
//!   over log messages (schema version 2). A `listings_fts` row has the `rowid` of its
//!   `listings` row (schema version 3), so replacing it is a rowid lookup, not a table scan.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// File name of the event store inside the data directory.
pub const DB_FILE: &str = "gsa.db";

/// Current schema version, stored in `schema_version`.
pub const SCHEMA_VERSION: i64 = 6;

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

/// DDL of schema version 2: full-text search (SQLite FTS5) over listing titles and
/// descriptions and over log messages, the price/cash-flow multiple as a column for sorting,
/// and read indexes for the API's filters.
pub const SCHEMA_V2: &str = r#"
ALTER TABLE listings ADD COLUMN multiple REAL;
ALTER TABLE listings ADD COLUMN city TEXT;
UPDATE listings SET
    multiple = CASE WHEN cash_flow > 0 THEN CAST(asking_price AS REAL) / cash_flow END,
    city = json_extract(data, '$.city');
CREATE INDEX IF NOT EXISTS listings_state ON listings(state);
CREATE INDEX IF NOT EXISTS listings_price ON listings(asking_price);
CREATE INDEX IF NOT EXISTS listings_updated ON listings(updated_at);
CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time);
CREATE INDEX IF NOT EXISTS logs_service_time ON logs(service, time);
CREATE VIRTUAL TABLE IF NOT EXISTS listings_fts USING fts5(
    listing_id UNINDEXED, title, description, tokenize = 'porter unicode61'
);
INSERT INTO listings_fts (listing_id, title, description)
    SELECT listing_id, COALESCE(title, ''), COALESCE(json_extract(data, '$.description'), '') FROM listings;
CREATE VIRTUAL TABLE IF NOT EXISTS logs_fts USING fts5(
    event_id UNINDEXED, message, tokenize = 'unicode61'
);
INSERT INTO logs_fts (event_id, message) SELECT event_id, message FROM logs;
"#;

/// DDL of schema version 3: `listings_fts` rows keyed by the `rowid` of their `listings` row,
/// so the writer replaces a listing's text by rowid (an FTS5 `listing_id` column is not
/// indexed: deleting by it scanned the whole index on every listing stored).
pub const SCHEMA_V3: &str = r#"
DELETE FROM listings_fts;
INSERT INTO listings_fts (rowid, listing_id, title, description)
    SELECT rowid, listing_id, COALESCE(title, ''), COALESCE(json_extract(data, '$.description'), '')
    FROM listings;
"#;

/// DDL of schema version 4: indexes that let the read API's price, multiple and newest sorts
/// walk the table in page order and stop after one page (`ORDER BY key, listing_id`, the
/// cursor's tie-break), instead of sorting every matching row: measured at 100,000 listings by
/// `scripts/bench-gateway` (docs/BENCHMARKS.md). `listings_price` is superseded.
pub const SCHEMA_V4: &str = r#"
CREATE INDEX IF NOT EXISTS listings_price_id ON listings(asking_price, listing_id);
CREATE INDEX IF NOT EXISTS listings_multiple_id ON listings(multiple, listing_id);
CREATE INDEX IF NOT EXISTS listings_newest_id ON listings(first_seen DESC, listing_id);
DROP INDEX IF EXISTS listings_price;
"#;

/// DDL of schema version 5: the read API's state filter walks an index in page order and stops
/// after one page under every sort. With only `listings_state` SQLite took every listing of the
/// state and sorted them (`?state=TX&sort=newest` ~1 s a page at 100,000 listings over HTTP,
/// `scripts/bench-gateway`; 35 ms of SQLite CPU in the sqlite3 shell): `(state, key,
/// listing_id)` for the price, multiple and newest sorts, and `(state, listing_id)` for the
/// listings without a score under the score sort (and the state check of a score walk, as a
/// covering lookup). All four start with `state`, so `listings_state` is superseded.
pub const SCHEMA_V5: &str = r#"
CREATE INDEX IF NOT EXISTS listings_state_price_id ON listings(state, asking_price, listing_id);
CREATE INDEX IF NOT EXISTS listings_state_multiple_id ON listings(state, multiple, listing_id);
CREATE INDEX IF NOT EXISTS listings_state_newest_id ON listings(state, first_seen DESC, listing_id);
CREATE INDEX IF NOT EXISTS listings_state_id ON listings(state, listing_id);
DROP INDEX IF EXISTS listings_state;
"#;

/// DDL of schema version 6: `score_history` keeps the history points only (listing, score,
/// model version, event id, time); the card itself is already stored in `events.data` (by
/// `event_id`) and `scores.card` holds the latest one, so the copy per history row (a third
/// copy of every card, ~1.2 KB) goes. The `event_id` unique index goes too: the writer stores
/// a card only after its event was newly inserted into `events` (which dedupes by id), so a
/// second row for one event cannot be written. One B-tree fewer and a third less card JSON
/// per score card written (measured with `bench/src/bin/logger_store.rs`, docs/BENCHMARKS.md).
/// `rowid`s are kept (the gateway's page cache fingerprints on `max(rowid)`).
pub const SCHEMA_V6: &str = r#"
CREATE TABLE score_history_v6 (
    listing_id     TEXT NOT NULL,
    score          INTEGER,
    model_version  TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    scored_at      TEXT NOT NULL
);
INSERT INTO score_history_v6 (rowid, listing_id, score, model_version, event_id, scored_at)
    SELECT rowid, listing_id, score, model_version, event_id, scored_at FROM score_history;
DROP TABLE score_history;
ALTER TABLE score_history_v6 RENAME TO score_history;
CREATE INDEX score_history_listing ON score_history(listing_id, scored_at);
"#;

/// Every migration in order: `(version, DDL)`.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, SCHEMA_V1),
    (2, SCHEMA_V2),
    (3, SCHEMA_V3),
    (4, SCHEMA_V4),
    (5, SCHEMA_V5),
    (6, SCHEMA_V6),
];

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
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Brings the schema up to [`SCHEMA_VERSION`], recording the version in `schema_version`.
pub fn migrate(conn: &Connection) -> Result<(), DbError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")?;
    let found: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    if found > SCHEMA_VERSION {
        return Err(DbError::TooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, ddl) in MIGRATIONS {
        if *version > found {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(ddl)?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                [version],
            )?;
            tx.commit()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_database_migrates_to_the_current_version_keeping_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        {
            // A database exactly as version 1 of gsa made it, with one listing and one log.
            let c = Connection::open(&path).unwrap();
            c.execute_batch("CREATE TABLE schema_version (version INTEGER NOT NULL);")
                .unwrap();
            c.execute_batch(SCHEMA_V1).unwrap();
            c.execute("INSERT INTO schema_version VALUES (1)", [])
                .unwrap();
            c.execute(
                "INSERT INTO listings VALUES ('2365036', json('{\"city\":\"Dayton\",\"description\":\"Contract manufacturer of medical devices\"}'),
                 'Specialty Contract Manufacturer', 'OH', NULL, 1370000, 685000, 'h', 'e', 't', 't')",
                [],
            )
            .unwrap();
            c.execute("INSERT INTO logs VALUES ('l1','t','analyzer','INFO','x','scored listing quickly','{}')", []).unwrap();
            for (id, score) in [("s1", 41), ("s2", 58)] {
                c.execute(
                    "INSERT INTO score_history VALUES (?1, '2365036', ?2, 'm1', '{}', 't')",
                    rusqlite::params![id, score],
                )
                .unwrap();
            }
        }
        let c = open_rw(&path).unwrap();
        let v: i64 = c
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let indexes: Vec<String> = c
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'listings'",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for name in [
            "listings_state_price_id",
            "listings_state_multiple_id",
            "listings_state_newest_id",
            "listings_state_id",
        ] {
            assert!(
                indexes.iter().any(|i| i == name),
                "v5 index {name}: {indexes:?}"
            );
        }
        assert!(
            !indexes.iter().any(|i| i == "listings_state"),
            "superseded by v5: {indexes:?}"
        );
        // v6: the history points keep their rowids (the gateway's cache fingerprint) and
        // values; the card copy is gone (it is the event's data in `events`).
        let history: Vec<(i64, String, i64, String)> = c
            .prepare(
                "SELECT rowid, event_id, score, model_version FROM score_history ORDER BY rowid",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            history,
            vec![
                (1, "s1".into(), 41, "m1".into()),
                (2, "s2".into(), 58, "m1".into())
            ]
        );
        let cols: Vec<String> = c
            .prepare("SELECT name FROM pragma_table_info('score_history')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!cols.iter().any(|c| c == "card"), "{cols:?}");
        let (m, city): (f64, String) = c
            .query_row(
                "SELECT multiple, city FROM listings WHERE listing_id='2365036'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!((m - 2.0).abs() < 1e-9, "multiple backfilled: {m}");
        assert_eq!(city, "Dayton");
        let hit: String = c
            .query_row(
                "SELECT listing_id FROM listings_fts WHERE listings_fts MATCH 'medical'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(hit, "2365036");
        let log: String = c
            .query_row(
                "SELECT event_id FROM logs_fts WHERE logs_fts MATCH 'quickly'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(log, "l1");
    }

    #[test]
    fn migrate_is_idempotent_and_ro_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let rw = open_rw(&path).unwrap();
        migrate(&rw).unwrap();
        let v: i64 = rw
            .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let mode: String = rw
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let ro = open_ro(&path).unwrap();
        assert!(ro
            .execute("INSERT INTO logs VALUES ('a','t','s','l','t','m','{}')", [])
            .is_err());
    }
}
