//! A pool of read-only connections to one SQLite file.
//!
//! Connections are opened with [`gsa_common::db::open_ro`] (read-only flags, busy timeout) plus
//! `PRAGMA query_only`, so no code path of the gateway can write `gsa.db`. Idle connections are
//! kept (at most [`MAX_IDLE`]) and handed out again; a request that finds none idle opens a new
//! one, so a burst is never serialised behind the pool, only bounded by the blocking thread pool.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rusqlite::Connection;

/// Idle connections kept per database file.
pub const MAX_IDLE: usize = 8;

/// Read-only connections to one database file.
#[derive(Debug)]
pub struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Bumped when the gateway serving this file shuts down, so long-lived readers (the log
    /// tail's event streams) end and graceful shutdown does not wait on them.
    closing: tokio::sync::watch::Sender<u64>,
}

/// A connection checked out of a [`Pool`]; it goes back to the pool when dropped.
pub struct Pooled {
    conn: Option<Connection>,
    pool: Arc<Pool>,
}

impl Deref for Pooled {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // `conn` is only taken in `drop`.
        self.conn
            .as_ref()
            .expect("pooled connection present until drop")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            if let Ok(mut idle) = self.pool.idle.lock() {
                if idle.len() < MAX_IDLE {
                    idle.push(c);
                }
            }
        }
    }
}

impl Pool {
    /// A pool for the database at `path` (nothing is opened yet).
    pub fn new(path: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            path,
            idle: Mutex::new(Vec::new()),
            closing: tokio::sync::watch::Sender::new(0),
        })
    }

    /// A receiver that sees a change when [`Pool::close`] is called after it was made.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<u64> {
        self.closing.subscribe()
    }

    /// Tells every long-lived reader to stop (the gateway is shutting down). The pool itself
    /// stays usable: a gateway started again on the same file works as before.
    pub fn close(&self) {
        self.closing.send_modify(|g| *g += 1);
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }

    /// A read-only connection, or `None` while the file does not exist.
    pub fn get(self: &Arc<Self>) -> anyhow::Result<Option<Pooled>> {
        let reused = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match reused {
            Some(c) => c,
            None => {
                if !self.path.exists() {
                    return Ok(None);
                }
                let c = gsa_common::db::open_ro(&self.path)?;
                c.pragma_update(None, "query_only", true)?;
                c
            }
        };
        Ok(Some(Pooled {
            conn: Some(conn),
            pool: Arc::clone(self),
        }))
    }

    /// Number of idle connections (for tests and metrics).
    pub fn idle(&self) -> usize {
        self.idle.lock().map(|i| i.len()).unwrap_or(0)
    }
}

/// The process-wide pool of the database at `path` (one per file, created on first use).
///
/// A registry keyed by path rather than a field of [`crate::AppState`]: several gateways in one
/// process (the tests) each get their own file's pool, and the state type stays untouched.
pub fn for_path(path: &Path) -> Arc<Pool> {
    static POOLS: OnceLock<Mutex<HashMap<PathBuf, Arc<Pool>>>> = OnceLock::new();
    let pools = POOLS.get_or_init(Default::default);
    let mut map = match pools.lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    Arc::clone(
        map.entry(path.to_path_buf())
            .or_insert_with(|| Pool::new(path.to_path_buf())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_reused_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gsa.db");
        let pool = Pool::new(path.clone());
        assert!(pool.get().unwrap().is_none(), "no file yet");
        let _rw = gsa_common::db::open_rw(&path).unwrap();
        {
            let a = pool.get().unwrap().unwrap();
            let _b = pool.get().unwrap().unwrap();
            assert!(a
                .execute("INSERT INTO logs VALUES ('a','t','s','l','t','m','{}')", [])
                .is_err());
        }
        assert_eq!(pool.idle(), 2);
        let _c = pool.get().unwrap().unwrap();
        assert_eq!(pool.idle(), 1);
        assert!(Arc::ptr_eq(&for_path(&path), &for_path(&path)));
    }
}
