//! A cache of answered `/api/listings` pages (the serialized JSON bodies), dropped whole when
//! the listings or their scores change.
//!
//! Why: a page is the same for every caller allowed to read it (the scope is checked before the
//! cache is consulted), most callers ask for the same few pages (the default ranked page, the
//! dashboard's filters), and building one from 100,000 stored listings costs a SQLite query
//! plus parsing and re-serializing 50 listing documents, about a hundred times the cost of
//! sending cached bytes (figures in `docs/BENCHMARKS.md`).
//!
//! Invalidation (issue 8: "invalidated when a new score lands"):
//! * Every lookup first asks SQLite `PRAGMA data_version` on the cache's own read-only
//!   connection: it changes exactly when another connection (the logging worker) committed
//!   something since the last ask. It costs microseconds and needs no NATS.
//! * Only then is the [`Fingerprint`] read: the newest `score_history` row (every stored score
//!   card adds one), the newest `listings` row and the latest `listings.updated_at` (a new or
//!   merged listing). Each is an index lookup. When it differs from the fingerprint the cached
//!   pages were built at, they are all dropped; a commit that only stored log records changes
//!   `data_version` but not the fingerprint, so the pages survive the logging worker's
//!   constant log writes.
//! * A page is stored with the fingerprint read in the *same read transaction* as its rows
//!   ([`Fingerprint::read`] inside [`crate::read::with_conn`]), and kept only when that is
//!   still the current fingerprint, so a page is never newer-labelled than its data.
//!
//! Bounded by bytes ([`PageCache::new`]); when full, the oldest pages go first.
//! The lookup runs on the async thread: it holds a mutex for one `PRAGMA` (busy timeout 0, so
//! a locked file is a miss, never a wait).

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use rusqlite::{Connection, OptionalExtension};

/// What the cached pages were built from: changes whenever a listing or a score card is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// `max(rowid)` of `score_history` (one row per stored score card).
    pub newest_card: Option<i64>,
    /// `max(rowid)` of `listings` (a new listing).
    pub newest_listing: Option<i64>,
    /// `max(updated_at)` of `listings` (a listing merged with an update).
    pub last_update: Option<String>,
}

impl Fingerprint {
    /// Reads the fingerprint on `conn` (three index lookups).
    pub fn read(conn: &Connection) -> rusqlite::Result<Self> {
        conn.prepare_cached(
            "SELECT (SELECT max(rowid) FROM score_history), (SELECT max(rowid) FROM listings),
                    (SELECT max(updated_at) FROM listings)",
        )?
        .query_row([], |r| {
            Ok(Self {
                newest_card: r.get(0)?,
                newest_listing: r.get(1)?,
                last_update: r.get(2)?,
            })
        })
    }
}

#[derive(Debug, Default)]
struct Pages {
    /// Fingerprint the pages were built at; `None`: nothing validated yet.
    at: Option<Fingerprint>,
    map: HashMap<String, Bytes>,
    /// Insertion order, for eviction.
    order: VecDeque<String>,
    bytes: usize,
}

#[derive(Debug, Default)]
struct Watch {
    conn: Option<Connection>,
    data_version: Option<i64>,
}

/// Cached page bodies of one database file (see the module docs).
#[derive(Debug)]
pub struct PageCache {
    path: PathBuf,
    max_bytes: usize,
    watch: Mutex<Watch>,
    pages: Mutex<Pages>,
    /// One gate per page being built, so concurrent misses of the same page wait for one
    /// build instead of each running the query (single flight).
    building: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl PageCache {
    /// A cache over the database at `path` holding at most `max_bytes` of page bodies;
    /// `max_bytes` 0 disables it (every lookup misses, nothing is stored).
    pub fn new(path: PathBuf, max_bytes: usize) -> Self {
        Self {
            path,
            max_bytes,
            watch: Mutex::new(Watch::default()),
            pages: Mutex::new(Pages::default()),
            building: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the cache is on.
    pub fn enabled(&self) -> bool {
        self.max_bytes > 0
    }

    /// The body cached under `key`, when the database has not changed since it was built.
    pub fn get(&self, key: &str) -> Option<Bytes> {
        if !self.enabled() || !self.validate() {
            return None;
        }
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages.map.get(key).cloned()
    }

    /// Stores `body` under `key`, built from a snapshot with fingerprint `at`; ignored unless
    /// `at` is the fingerprint the cache currently holds pages for (or the first one seen).
    pub fn put(&self, key: String, at: Fingerprint, body: Bytes) {
        if !self.enabled() || body.len() > self.max_bytes {
            return;
        }
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        match &pages.at {
            Some(cur) if *cur != at => return,
            Some(_) => {}
            None => pages.at = Some(at),
        }
        if let Some(old) = pages.map.insert(key.clone(), body.clone()) {
            pages.bytes -= old.len();
        } else {
            pages.order.push_back(key);
        }
        pages.bytes += body.len();
        while pages.bytes > self.max_bytes {
            let Some(k) = pages.order.pop_front() else {
                break;
            };
            if let Some(b) = pages.map.remove(&k) {
                pages.bytes -= b.len();
            }
        }
    }

    /// Waits until no other request is building the page `key`, then returns a guard under
    /// which the caller looks in the cache again (another request may have built the page
    /// meanwhile) and else builds and stores it. Dropping the guard, whatever happened,
    /// lets the next waiter in and forgets the gate.
    pub async fn building(&self, key: &str) -> Building<'_> {
        let gate = {
            let mut b = self.building.lock().unwrap_or_else(|p| p.into_inner());
            b.entry(key.to_string()).or_default().clone()
        };
        Building {
            _held: gate.lock_owned().await,
            cache: self,
            key: key.to_string(),
        }
    }

    /// Number of cached pages (for tests).
    pub fn len(&self) -> usize {
        self.pages.lock().map(|p| p.map.len()).unwrap_or(0)
    }

    /// Whether no page is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every page when the database changed in a way that matters; `false` when the state
    /// of the file cannot be told (missing, locked): then nothing may be served from the cache.
    fn validate(&self) -> bool {
        let mut watch = self.watch.lock().unwrap_or_else(|p| p.into_inner());
        if watch.conn.is_none() {
            if !self.path.exists() {
                return false;
            }
            match gsa_common::db::open_ro(&self.path) {
                Ok(c) => {
                    // A lookup must never wait: a locked file is a miss.
                    if c.busy_timeout(std::time::Duration::ZERO).is_err() {
                        return false;
                    }
                    watch.conn = Some(c);
                }
                Err(_) => return false,
            }
        }
        let Some(conn) = watch.conn.as_ref() else {
            return false;
        };
        let version: i64 = match conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut s| s.query_row([], |r| r.get(0)).optional())
        {
            Ok(Some(v)) => v,
            _ => return false,
        };
        if watch.data_version == Some(version) {
            return self.pages.lock().map(|p| p.at.is_some()).unwrap_or(false);
        }
        let Ok(fp) = Fingerprint::read(conn) else {
            return false;
        };
        watch.data_version = Some(version);
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        if pages.at.as_ref() != Some(&fp) {
            pages.map.clear();
            pages.order.clear();
            pages.bytes = 0;
            pages.at = Some(fp);
        }
        true
    }
}

/// A page being built (see [`PageCache::building`]).
pub struct Building<'a> {
    _held: tokio::sync::OwnedMutexGuard<()>,
    cache: &'a PageCache,
    key: String,
}

impl Drop for Building<'_> {
    fn drop(&mut self) {
        let mut b = self
            .cache
            .building
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        b.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_build_at_a_time_per_page() {
        let cache = PageCache::new(PathBuf::from("/nonexistent/gsa.db"), 1 << 20);
        let first = cache.building("k").await;
        let second = cache.building("k");
        futures::pin_mut!(second);
        assert!(
            futures::poll!(&mut second).is_pending(),
            "waits for the first"
        );
        let _other = cache.building("j").await;
        drop(first);
        let _second = second.await;
        assert_eq!(
            cache.building.lock().unwrap().len(),
            1,
            "only j's gate is left"
        );
    }

    #[test]
    fn a_stored_card_drops_the_pages_and_a_log_record_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gsa.db");
        let cache = PageCache::new(path.clone(), 1 << 20);
        assert!(cache.get("k").is_none(), "no file yet");
        let rw = gsa_common::db::open_rw(&path).unwrap();
        assert!(cache.get("k").is_none());
        let fp = Fingerprint::read(&rw).unwrap();
        cache.put("k".into(), fp.clone(), Bytes::from_static(b"page"));
        assert_eq!(cache.get("k").as_deref(), Some(&b"page"[..]));
        // A log record: data_version moves, the fingerprint does not.
        rw.execute(
            "INSERT INTO logs VALUES ('l1','t','s','INFO','t','m','{}')",
            [],
        )
        .unwrap();
        assert_eq!(cache.get("k").as_deref(), Some(&b"page"[..]));
        // A score card: every page goes.
        rw.execute("INSERT INTO score_history VALUES ('1',50,'m','e1','t')", [])
            .unwrap();
        assert!(cache.get("k").is_none());
        assert!(cache.is_empty());
        // A page built before the card is refused.
        cache.put("k".into(), fp, Bytes::from_static(b"stale"));
        assert!(cache.get("k").is_none());
        let fp2 = Fingerprint::read(&rw).unwrap();
        cache.put("k".into(), fp2.clone(), Bytes::from_static(b"new"));
        assert_eq!(cache.get("k").as_deref(), Some(&b"new"[..]));
        // Bounded by bytes: the oldest page goes.
        let small = PageCache::new(path, 10);
        assert!(small.get("a").is_none());
        small.put("a".into(), fp2.clone(), Bytes::from_static(b"123456"));
        small.put("b".into(), fp2, Bytes::from_static(b"123456"));
        assert!(small.get("a").is_none());
        assert_eq!(small.get("b").as_deref(), Some(&b"123456"[..]));
    }
}
