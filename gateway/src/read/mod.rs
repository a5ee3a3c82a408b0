//! The gateway's read side of `gsa.db`: a small pool of read-only SQLite connections and the
//! query building behind `/api/listings`, `/api/alerts`, `/api/events`, `/api/logs`, the exports
//! and the dashboard.
//!
//! * [`pool`]: read-only connections, reused across requests (one pool per database file).
//! * [`cache`]: answered `/api/listings` pages, dropped when a listing or score is stored.
//! * [`fts`]: turning what a person typed into a safe SQLite FTS5 query.
//! * [`params`]: shared parsing of query parameters (empty form fields mean "not given").
//! * [`listings`]: filters, sorts and keyset cursors over listings with their latest score.
//! * [`detail`]: one listing with its score card, score history and updates.
//! * [`report`]: the Markdown write-up of a score card.
//! * [`logs`], [`alerts`], [`events`]: the other read models.
//!
//! Why hand-rolled rather than r2d2: the pool only ever hands out read-only connections to
//! blocking tasks, which is a `Mutex<Vec<Connection>>`; one dependency less, and the lifecycle
//! (the file may not exist until the logging worker creates it) is ours to decide.
//!
//! Reads never see "database is locked" while the logging worker writes because the writer keeps
//! the file in WAL mode (readers read the last committed snapshot without taking the write lock)
//! and every connection waits [`gsa_common::db::BUSY_TIMEOUT`] on the rare lock (WAL recovery).

pub mod alerts;
pub mod cache;
pub mod detail;
pub mod events;
pub mod fts;
pub mod listings;
pub mod logs;
pub mod params;
pub mod pool;
pub mod report;

use rusqlite::Connection;

use crate::error::ApiError;
use crate::state::AppState;

/// Runs `f` on a pooled read-only connection in a blocking task. `f` gets `None` while
/// `gsa.db` does not exist yet (before the logging worker's first start).
pub async fn with_conn<T, F>(st: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(Option<&Connection>) -> anyhow::Result<T> + Send + 'static,
{
    let pool = pool::for_path(&st.cfg.db_path());
    tokio::task::spawn_blocking(move || {
        let conn = pool.get()?;
        f(conn.as_deref())
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(ApiError::from)
}
