//! Writing events into the SQLite event store (layout in [`gsa_common::db`]).
//!
//! Idempotent: an event id already stored is skipped (with its projections), so a redelivered
//! message changes nothing. This module logs nothing per record at INFO or above, and its
//! target (`gsa_logger::store`) is never shipped to NATS, so storing a log record cannot
//! produce another one.
//!
//! A batch is written in one transaction without a savepoint per event: every event is decoded
//! (validated) before anything is written, so only SQLite itself can fail mid-batch, and then
//! the whole transaction is rolled back and each event is retried in a transaction of its own
//! (so one event SQLite refuses cannot fail its neighbours). The payload is kept as the raw
//! JSON text it arrived as ([`Head::data`]) and stored as such in `events.data` and the card
//! columns, instead of being parsed into a tree and serialised again.

use std::path::Path;

use chrono::{DateTime, Utc};
use gsa_common::db::{self, DbError};
use gsa_schemas::{
    event_type, subjects, HighScoreAlert, Listing, ListingUpdated, LogRecord, ScoreCard,
};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The envelope fields the store reads (CloudEvents 1.0, see [`gsa_schemas::Envelope`]), with
/// the payload left as raw JSON text: it is decoded once into its typed form for validation
/// and the projections, and stored verbatim.
#[derive(Debug, Clone, Deserialize)]
pub struct Head {
    /// Event id ([`gsa_schemas::Envelope::id`]).
    pub id: String,
    /// `gsa/<service>`.
    pub source: String,
    /// Versioned event type, e.g. `gsa.listing.scraped.v1`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the event was produced.
    pub time: DateTime<Utc>,
    /// The listing id the event is about, when there is one.
    #[serde(default)]
    pub subject: Option<String>,
    /// The payload as it arrived (a JSON value; its text is stored unchanged).
    pub data: Box<RawValue>,
}

/// One event to store: its envelope head and the subject it arrived on.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// NATS subject.
    pub subject: String,
    /// Parsed envelope.
    pub head: Head,
}

impl Incoming {
    /// An event as the worker receives it: its NATS `subject` and its payload, the envelope's
    /// JSON bytes (parsed once, as [`crate::worker`] does with each message).
    ///
    /// # Errors
    /// The payload is not a gsa envelope (not JSON, or without the envelope's fields).
    pub fn parse(subject: &str, payload: &[u8]) -> serde_json::Result<Self> {
        Ok(Self {
            subject: subject.to_string(),
            head: serde_json::from_slice(payload)?,
        })
    }

    /// The `listing.scraped` event the scraper publishes for `listing` on
    /// [`subjects::LISTING_SCRAPED`], with the listing's own event id
    /// ([`Listing::event_id`]): for tests and benchmarks that fill a store.
    ///
    /// # Errors
    /// Serialising the listing failed (it cannot for a [`Listing`]; kept as an error, not a panic).
    pub fn scraped(listing: Listing) -> serde_json::Result<Self> {
        let env = gsa_schemas::Envelope::new(
            "scraper",
            event_type::LISTING_SCRAPED,
            listing.event_id(),
            Some(listing.listing_id.clone()),
            listing,
        );
        Self::parse(subjects::LISTING_SCRAPED, &serde_json::to_vec(&env)?)
    }
}

/// Why an event could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (busy, disk full...): worth retrying.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The payload does not match its declared type: retrying will not help.
    #[error("payload of {event_type} does not match its schema: {reason}")]
    BadPayload {
        /// Declared CloudEvents type.
        event_type: String,
        /// The decode error.
        reason: String,
    },
    /// A type this build does not know.
    #[error("unknown event type {0}")]
    UnknownType(String),
}

/// The writer: one connection, owned by the logging worker.
pub struct Store {
    conn: Connection,
}

/// What storing one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// First time this event id was seen.
    New,
    /// Already stored; nothing changed.
    Duplicate,
}

/// SQLite page cache of the writer, in KiB (`PRAGMA cache_size = -N`). The default 2 MiB no
/// longer holds the random-keyed indexes (event ids are UUIDs) once a few tens of thousands of
/// events are stored, and every insert then re-reads index pages from the OS; 16 MiB keeps
/// them cached well past 100,000 listings while the worker stays far below its 50 MB budget.
pub const WRITER_CACHE_KIB: i64 = 16 * 1024;

/// WAL pages after which the writer checkpoints (`PRAGMA wal_autocheckpoint`; SQLite's
/// default is 1,000). Each checkpoint copies every page changed since the last one back into
/// the database and syncs it; the index pages the logger changes are changed again batch after
/// batch, so checkpointing a tenth as often copies far fewer pages in total (a fifth of the
/// writer's time went to checkpoints at 1,000). The WAL grows to about 40 MB (4 KiB pages)
/// between checkpoints, on disk, not in memory.
pub const WAL_AUTOCHECKPOINT_PAGES: i64 = 10_000;

impl Store {
    /// Opens (creating and migrating) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let conn = db::open_rw(path)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        Ok(Self { conn })
    }

    /// The underlying connection (for tests and maintenance).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Stores a batch in one transaction. Returns one result per event, in order; an event
    /// that fails validation is skipped alone without failing the batch. When SQLite fails,
    /// the transaction is rolled back and each valid event is retried in its own transaction,
    /// so only the events SQLite refuses report [`StoreError::Sqlite`] (they will be
    /// redelivered).
    pub fn store_batch(&mut self, batch: &[Incoming]) -> Vec<Result<Stored, StoreError>> {
        let decoded: Vec<Result<Payload, StoreError>> = batch.iter().map(decode_payload).collect();
        let valid = || {
            batch
                .iter()
                .zip(&decoded)
                .filter_map(|(ev, p)| p.as_ref().ok().map(|p| (ev, p)))
        };
        let now = Utc::now().to_rfc3339();
        let written = (|| {
            let tx = self.conn.transaction()?;
            let mut stored = Vec::with_capacity(batch.len());
            let mut fts = FtsRows::default();
            for (ev, p) in valid() {
                stored.push(write_one(&tx, ev, p, &now, &mut fts)?);
            }
            fts.write(&tx)?;
            tx.commit()?;
            Ok::<_, rusqlite::Error>(stored)
        })();
        let stored: Vec<Result<Stored, StoreError>> = match written {
            Ok(stored) => stored.into_iter().map(Ok).collect(),
            Err(e) => {
                tracing::warn!(error = %e, events = batch.len(), "batch write failed; storing its events one by one");
                valid()
                    .map(|(ev, p)| {
                        let tx = self.conn.transaction()?;
                        let mut fts = FtsRows::default();
                        let r = write_one(&tx, ev, p, &now, &mut fts)?;
                        fts.write(&tx)?;
                        tx.commit()?;
                        Ok(r)
                    })
                    .collect()
            }
        };
        let mut stored = stored.into_iter();
        decoded
            .into_iter()
            .map(|p| match p {
                Ok(_) => stored
                    .next()
                    .unwrap_or_else(|| Err(StoreError::Sqlite(rusqlite::Error::InvalidQuery))),
                Err(e) => Err(e),
            })
            .collect()
    }
}

/// The full-text rows of one transaction, written at its end with one statement per table.
///
/// Every statement that writes an FTS5 table inside a transaction opens a statement savepoint,
/// and FTS5 flushes its pending terms to a new index segment at each savepoint: one INSERT
/// per row wrote one segment per row, which FTS5 then spent most of the writer's time merging
/// (the profile's `fts5SavepointMethod` -> `fts5FlushOneHash` and `fts5IndexMergeLevel`).
/// One statement per batch makes one segment per batch.
#[derive(Default)]
struct FtsRows {
    /// `listings_fts` rows whose text is replaced (the rows of listings stored before).
    listings_replaced: Vec<i64>,
    /// `listings_fts` rows to insert, by rowid: `(listing_id, title, description)`; a listing
    /// stored twice in one batch keeps its last text.
    listings: std::collections::BTreeMap<i64, (String, String, String)>,
    /// `logs_fts` rows: `(event_id, message)`.
    logs: Vec<(String, String)>,
}

impl FtsRows {
    fn write(self, conn: &Connection) -> Result<(), rusqlite::Error> {
        if !self.listings_replaced.is_empty() {
            let ids = serde_json::to_string(&self.listings_replaced).unwrap_or_default();
            conn.prepare_cached(
                "DELETE FROM listings_fts WHERE rowid IN (SELECT value FROM json_each(?1))",
            )?
            .execute([ids])?;
        }
        if !self.listings.is_empty() {
            let rows: Vec<(i64, &str, &str, &str)> = self
                .listings
                .iter()
                .map(|(rowid, (id, t, d))| (*rowid, id.as_str(), t.as_str(), d.as_str()))
                .collect();
            let rows = serde_json::to_string(&rows).unwrap_or_default();
            conn.prepare_cached(
                "INSERT INTO listings_fts (rowid, listing_id, title, description)
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?1)",
            )?
            .execute([rows])?;
        }
        if !self.logs.is_empty() {
            let rows = serde_json::to_string(&self.logs).unwrap_or_default();
            conn.prepare_cached(
                "INSERT INTO logs_fts (event_id, message)
                 SELECT value ->> 0, value ->> 1 FROM json_each(?1)",
            )?
            .execute([rows])?;
        }
        Ok(())
    }
}

/// An event's payload, decoded and validated before anything is written.
enum Payload {
    Listing(Box<Listing>),
    Score(Box<ScoreCard>),
    Alert(Box<HighScoreAlert>),
    Log(Box<LogRecord>),
    Other,
}

fn decode<'a, T: serde::Deserialize<'a>>(ev: &'a Incoming) -> Result<T, StoreError> {
    serde_json::from_str(ev.head.data.get()).map_err(|e| StoreError::BadPayload {
        event_type: ev.head.event_type.clone(),
        reason: e.to_string(),
    })
}

fn decode_payload(ev: &Incoming) -> Result<Payload, StoreError> {
    Ok(match ev.head.event_type.as_str() {
        event_type::LISTING_SCRAPED => Payload::Listing(Box::new(decode::<Listing>(ev)?)),
        event_type::LISTING_UPDATED => {
            Payload::Listing(Box::new(decode::<ListingUpdated>(ev)?.listing))
        }
        event_type::LISTING_SCORED => Payload::Score(Box::new(decode::<ScoreCard>(ev)?)),
        event_type::ALERT_HIGH_SCORE => Payload::Alert(Box::new(decode::<HighScoreAlert>(ev)?)),
        event_type::LOG_RECORD => Payload::Log(Box::new(decode::<LogRecord>(ev)?)),
        // A re-score digest names many listings: it is kept in `events` only (the `alerts`
        // table holds one listing per row).
        event_type::ALERT_RESCORE_DIGEST => {
            decode::<gsa_schemas::RescoreDigest>(ev)?;
            Payload::Other
        }
        event_type::LISTING_REJECTED => {
            decode::<gsa_schemas::Rejection>(ev)?;
            Payload::Other
        }
        t if t.starts_with("gsa.audit.") || t.starts_with("gsa.dlq.") => Payload::Other,
        other => return Err(StoreError::UnknownType(other.to_string())),
    })
}

/// Writes one validated event and its projections. Any error leaves the caller's transaction
/// to be rolled back.
fn write_one(
    conn: &Connection,
    ev: &Incoming,
    payload: &Payload,
    now: &str,
    fts: &mut FtsRows,
) -> Result<Stored, rusqlite::Error> {
    let h = &ev.head;
    let time = h.time.to_rfc3339();
    let data = h.data.get();
    let inserted = conn.prepare_cached(
        "INSERT OR IGNORE INTO events (id, subject, type, source, time, listing_id, data, stored_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(
        params![h.id, ev.subject, h.event_type, h.source, time, h.subject, data, now],
    )?;
    if inserted == 0 {
        return Ok(Stored::Duplicate);
    }
    match payload {
        Payload::Listing(l) => upsert_listing(conn, l, &h.id, now, fts)?,
        Payload::Score(c) => {
            // A history point (the card itself is this event's `data` in `events`); the
            // event is new (inserted above), so this is its only row.
            conn.prepare_cached(
                "INSERT INTO score_history (event_id, listing_id, score, model_version, scored_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![h.id, c.listing_id, c.score, c.model_version, time])?;
            // The payload is the card: stored as it arrived.
            conn.prepare_cached(
                "INSERT INTO scores (listing_id, score, applicable, model_version, real_estate, card, event_id, scored_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(listing_id) DO UPDATE SET score=excluded.score, applicable=excluded.applicable,
                   model_version=excluded.model_version, real_estate=excluded.real_estate, card=excluded.card,
                   event_id=excluded.event_id, scored_at=excluded.scored_at
                 WHERE excluded.scored_at >= scores.scored_at",
            )?
            .execute(
                params![
                    c.listing_id,
                    c.score,
                    c.applicable,
                    c.model_version,
                    c.real_estate.included,
                    data,
                    h.id,
                    time
                ],
            )?;
        }
        Payload::Alert(a) => {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO alerts (event_id, listing_id, score, data, time) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(
                params![h.id, a.listing_id, a.score, data, time],
            )?;
        }
        Payload::Log(r) => {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO logs (event_id, time, service, level, target, message, fields)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(
                params![
                    h.id,
                    r.time.to_rfc3339(),
                    r.service,
                    r.level,
                    r.target,
                    r.message,
                    serde_json::to_string(&r.fields).unwrap_or_default()
                ],
            )?;
            fts.logs.push((h.id.clone(), r.message.clone()));
        }
        Payload::Other => {}
    }
    Ok(Stored::New)
}

/// The `listings` row insert, parameters in the order of [`write_listing_row`].
macro_rules! insert_listing {
    ($on_conflict:literal) => {
        concat!(
            "INSERT INTO listings (listing_id, data, title, state, category, asking_price, cash_flow,
               content_hash, event_id, first_seen, updated_at, multiple, city)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12) ",
            $on_conflict,
            " RETURNING rowid"
        )
    };
}

/// Inserts a listing not stored yet; returns no row when it is stored already.
const INSERT_NEW_LISTING: &str = insert_listing!("ON CONFLICT(listing_id) DO NOTHING");

/// Inserts or replaces a listing (with its merged view); `first_seen` is kept.
const UPSERT_LISTING: &str = insert_listing!(
    "ON CONFLICT(listing_id) DO UPDATE SET data=excluded.data, title=excluded.title,
       state=excluded.state, category=excluded.category, asking_price=excluded.asking_price,
       cash_flow=excluded.cash_flow, content_hash=excluded.content_hash,
       event_id=excluded.event_id, updated_at=excluded.updated_at, multiple=excluded.multiple,
       city=excluded.city"
);

/// Runs [`INSERT_NEW_LISTING`] or [`UPSERT_LISTING`] for `l` (its JSON text is `data`);
/// returns the row's rowid, or `None` when nothing was written.
fn write_listing_row(
    conn: &Connection,
    sql: &str,
    l: &Listing,
    data: &str,
    event_id: &str,
    now: &str,
) -> Result<Option<i64>, rusqlite::Error> {
    conn.prepare_cached(sql)?
        .query_row(
            params![
                l.listing_id,
                data,
                l.title,
                l.state,
                l.category,
                l.asking_price,
                l.cash_flow,
                l.content_hash,
                event_id,
                now,
                l.multiple(),
                l.city
            ],
            |r| r.get(0),
        )
        .optional()
}

/// Merges `l` into the stored listing field by field ([`Listing::merged`]).
///
/// A listing not stored yet (most events) costs one statement: the insert is tried first and
/// does nothing on a conflict; only then is the stored row read, merged and updated.
fn upsert_listing(
    conn: &Connection,
    l: &Listing,
    event_id: &str,
    now: &str,
    fts: &mut FtsRows,
) -> Result<(), rusqlite::Error> {
    let data = serde_json::to_string(l).unwrap_or_default();
    let inserted = write_listing_row(conn, INSERT_NEW_LISTING, l, &data, event_id, now)?;
    if let Some(rowid) = inserted {
        // A new listing has no FTS row yet. Written at the end of the batch.
        fts.listings.insert(
            rowid,
            (
                l.listing_id.clone(),
                l.title.clone().unwrap_or_default(),
                l.description.clone().unwrap_or_default(),
            ),
        );
        return Ok(());
    }
    let existing: Option<String> = conn
        .prepare_cached("SELECT data FROM listings WHERE listing_id = ?1")?
        .query_row([&l.listing_id], |r| r.get(0))
        .optional()?;
    let old = existing.and_then(|s| serde_json::from_str::<Listing>(&s).ok());
    let merged = old.as_ref().map(|old| old.merged(l));
    let merged = merged.as_ref().unwrap_or(l);
    let data = serde_json::to_string(merged).unwrap_or_default();
    let Some(rowid) = write_listing_row(conn, UPSERT_LISTING, merged, &data, event_id, now)? else {
        // RETURNING yields the row on both branches of the upsert.
        return Err(rusqlite::Error::QueryReturnedNoRows);
    };
    // The FTS row shares the listing's rowid (schema v3): replace it by rowid (a lookup; the
    // `listing_id` column of an FTS5 table is not indexed). An unchanged title and
    // description keep theirs. Written at the end of the batch.
    let same_text = old
        .as_ref()
        .is_some_and(|o| o.title == merged.title && o.description == merged.description);
    if same_text {
        return Ok(());
    }
    fts.listings_replaced.push(rowid);
    fts.listings.insert(
        rowid,
        (
            merged.listing_id.clone(),
            merged.title.clone().unwrap_or_default(),
            merged.description.clone().unwrap_or_default(),
        ),
    );
    Ok(())
}

/// How long stored rows are kept (`None` keeps them forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Service log records (default 30 days).
    pub logs_days: Option<u32>,
    /// Raw events (default: forever).
    pub events_days: Option<u32>,
    /// Score history rows other than each listing's latest (default: forever).
    pub score_history_days: Option<u32>,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            logs_days: Some(30),
            events_days: None,
            score_history_days: None,
        }
    }
}

/// Rows deleted by one retention pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    /// Log records.
    pub logs: usize,
    /// Events.
    pub events: usize,
    /// Score history rows.
    pub score_history: usize,
}

impl Store {
    /// Deletes rows older than the retention policy allows, as of `now`, in one transaction.
    /// The latest score of each listing is never deleted.
    pub fn apply_retention(
        &mut self,
        policy: &Retention,
        now: chrono::DateTime<Utc>,
    ) -> Result<Purged, rusqlite::Error> {
        let cutoff = |days: u32| (now - chrono::Duration::days(days.into())).to_rfc3339();
        let tx = self.conn.transaction()?;
        let mut p = Purged::default();
        if let Some(d) = policy.logs_days {
            let c = cutoff(d);
            tx.execute(
                "DELETE FROM logs_fts WHERE event_id IN (SELECT event_id FROM logs WHERE time < ?1)",
                [&c],
            )?;
            p.logs = tx.execute("DELETE FROM logs WHERE time < ?1", [&c])?;
            tx.execute(
                "DELETE FROM events WHERE type = ?1 AND time < ?2",
                params![event_type::LOG_RECORD, c],
            )?;
        }
        if let Some(d) = policy.events_days {
            p.events = tx.execute("DELETE FROM events WHERE time < ?1", [cutoff(d)])?;
        }
        if let Some(d) = policy.score_history_days {
            p.score_history = tx.execute(
                "DELETE FROM score_history WHERE scored_at < ?1
                 AND event_id NOT IN (SELECT event_id FROM scores)",
                [cutoff(d)],
            )?;
        }
        tx.commit()?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gsa_schemas::{Envelope, ListingSource};

    fn incoming<T: serde::Serialize>(subject: &str, env: &Envelope<T>) -> Incoming {
        Incoming::parse(subject, &serde_json::to_vec(env).unwrap()).unwrap()
    }

    #[test]
    fn events_are_stored_once_and_listings_merge() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("gsa.db")).unwrap();
        let detail = Listing {
            listing_id: "2365036".into(),
            asking_price: Some(1_370_000),
            cash_flow: Some(685_000),
            source: ListingSource::DetailPage,
            ..Default::default()
        }
        .with_content_hash();
        let e1 = Envelope::new(
            "scraper",
            event_type::LISTING_SCRAPED,
            detail.event_id(),
            Some(detail.listing_id.clone()),
            detail.clone(),
        );
        let card = Listing {
            listing_id: "2365036".into(),
            ebitda: Some(1),
            asking_price: Some(5),
            source: ListingSource::SearchCard,
            ..Default::default()
        }
        .with_content_hash();
        let e2 = Envelope::new(
            "scraper",
            event_type::LISTING_SCRAPED,
            card.event_id(),
            Some("2365036".into()),
            card,
        );
        let batch = vec![
            incoming("gsa.listing.scraped", &e1),
            incoming("gsa.listing.scraped", &e1),
            incoming("gsa.listing.scraped", &e2),
        ];
        let r = store.store_batch(&batch);
        assert!(matches!(r[0], Ok(Stored::New)));
        assert!(matches!(r[1], Ok(Stored::Duplicate)));
        assert!(matches!(r[2], Ok(Stored::New)));
        let (n_events, price, ebitda): (i64, i64, i64) = store
            .conn()
            .query_row(
                "SELECT (SELECT COUNT(*) FROM events), asking_price, json_extract(data,'$.ebitda') FROM listings",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((n_events, price, ebitda), (2, 1_370_000, 1));
    }

    fn log_at(id: &str, days_ago: i64, msg: &str) -> Incoming {
        let t = Utc::now() - chrono::Duration::days(days_ago);
        let mut env = Envelope::new(
            "logger",
            event_type::LOG_RECORD,
            id.into(),
            None,
            LogRecord {
                time: t,
                service: "analyzer".into(),
                level: "INFO".into(),
                target: "t".into(),
                message: msg.into(),
                fields: Default::default(),
            },
        );
        env.time = t;
        incoming("gsa.log.analyzer", &env)
    }

    #[test]
    fn retention_deletes_only_what_is_older_than_the_policy() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("gsa.db")).unwrap();
        let r = store.store_batch(&[
            log_at("old", 31, "ancient record"),
            log_at("new", 29, "recent record"),
        ]);
        assert!(r.iter().all(|x| x.is_ok()));
        let p = store
            .apply_retention(&Retention::default(), Utc::now())
            .unwrap();
        assert_eq!(p.logs, 1);
        let left: Vec<String> = store
            .conn()
            .prepare("SELECT event_id FROM logs")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(left, vec!["new".to_string()]);
        let fts: i64 = store
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM logs_fts WHERE logs_fts MATCH 'ancient'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(fts, 0, "full-text rows go with their log records");
        let events: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(events, 1);
    }

    #[test]
    fn listing_descriptions_are_searchable() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("gsa.db")).unwrap();
        let l = Listing {
            listing_id: "9".into(),
            title: Some("Shell station".into()),
            description: Some("Hard corner with 80,000 gallons per month".into()),
            asking_price: Some(900_000),
            cash_flow: Some(300_000),
            ..Default::default()
        }
        .with_content_hash();
        let e = Envelope::new(
            "scraper",
            event_type::LISTING_SCRAPED,
            l.event_id(),
            Some("9".into()),
            l,
        );
        assert!(store.store_batch(&[incoming("gsa.listing.scraped", &e)])[0].is_ok());
        let (id, m): (String, f64) = store.conn().query_row(
            "SELECT f.listing_id, l.multiple FROM listings_fts f JOIN listings l USING (listing_id) WHERE listings_fts MATCH 'gallons'",
            [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!(id, "9");
        assert!((m - 3.0).abs() < 1e-9);
    }

    #[test]
    fn an_event_sqlite_refuses_fails_alone_and_leaves_no_partial_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("gsa.db")).unwrap();
        // SQLite refuses one listing (as a full disk or a corrupt page would refuse a write).
        store
            .conn()
            .execute_batch(
                "CREATE TRIGGER refuse BEFORE INSERT ON listings WHEN NEW.listing_id = 'refused'
                 BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
            )
            .unwrap();
        let ev = |id: &str| {
            let l = Listing {
                listing_id: id.into(),
                title: Some(format!("Station {id}")),
                description: Some("Fuel station with c-store".into()),
                asking_price: Some(1_000_000),
                ..Default::default()
            }
            .with_content_hash();
            Envelope::new(
                "scraper",
                event_type::LISTING_SCRAPED,
                l.event_id(),
                Some(id.into()),
                l,
            )
        };
        let (a, bad, b) = (ev("a"), ev("refused"), ev("b"));
        let r = store.store_batch(&[
            incoming("gsa.listing.scraped", &a),
            incoming("gsa.listing.scraped", &bad),
            incoming("gsa.listing.scraped", &b),
        ]);
        assert!(matches!(r[0], Ok(Stored::New)), "{:?}", r[0]);
        assert!(matches!(r[1], Err(StoreError::Sqlite(_))), "{:?}", r[1]);
        assert!(matches!(r[2], Ok(Stored::New)), "{:?}", r[2]);
        let ids: Vec<String> = store
            .conn()
            .prepare("SELECT listing_id FROM events ORDER BY listing_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(ids, ["a", "b"], "no event row without its listing row");
        // The payload is stored as it arrived.
        let data: String = store
            .conn()
            .query_row("SELECT data FROM events WHERE listing_id = 'a'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(data, serde_json::to_string(&a.data).unwrap());
        let fts: i64 = store
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM listings_fts WHERE listings_fts MATCH 'station'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(fts, 2);

        // A new description replaces the indexed text (written once per batch, at its end),
        // and a log record is searchable.
        let mut l2: Listing = a.data.clone();
        l2.description = Some("Truck stop with diesel lanes".into());
        let l2 = l2.with_content_hash();
        let a2 = Envelope::new(
            "scraper",
            event_type::LISTING_SCRAPED,
            l2.event_id(),
            Some("a".into()),
            l2,
        );
        let r = store.store_batch(&[
            incoming("gsa.listing.scraped", &a2),
            log_at("l1", 1, "diesel price feed refreshed"),
        ]);
        assert!(r.iter().all(|x| matches!(x, Ok(Stored::New))), "{r:?}");
        let hits = |q: &str| -> Vec<String> {
            store
                .conn()
                .prepare(
                    "SELECT listing_id FROM listings_fts WHERE listings_fts MATCH ?1 ORDER BY 1",
                )
                .unwrap()
                .query_map([q], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(hits("diesel"), ["a"]);
        assert_eq!(hits("store"), ["b"], "the old text of a is gone");
        let logs: i64 = store
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM logs_fts WHERE logs_fts MATCH 'refreshed'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(logs, 1);
    }

    #[test]
    fn bad_payload_and_unknown_type_are_rejected_without_failing_the_batch() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("gsa.db")).unwrap();
        let bad = Envelope::new(
            "x",
            event_type::LISTING_SCORED,
            "bad".into(),
            None,
            serde_json::json!({"nope": 1}),
        );
        let unknown = Envelope::new("x", "gsa.mystery.v9", "m".into(), None, 1);
        let log = Envelope::new(
            "x",
            event_type::LOG_RECORD,
            "log1".into(),
            None,
            LogRecord {
                time: Utc::now(),
                service: "analyzer".into(),
                level: "INFO".into(),
                target: "t".into(),
                message: "hello".into(),
                fields: Default::default(),
            },
        );
        let r = store.store_batch(&[
            incoming("gsa.listing.scored", &bad),
            incoming("gsa.x", &unknown),
            incoming("gsa.log.analyzer", &log),
        ]);
        assert!(matches!(r[0], Err(StoreError::BadPayload { .. })));
        assert!(matches!(r[1], Err(StoreError::UnknownType(_))));
        assert!(matches!(r[2], Ok(Stored::New)));
        let n: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "only the valid log record is stored");
        let msg: String = store
            .conn()
            .query_row("SELECT message FROM logs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(msg, "hello");
    }
}
