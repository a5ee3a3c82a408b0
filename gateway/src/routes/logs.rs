//! `GET /api/logs` and `GET /api/logs/tail` (scope [`access::LOGS_READ`] or admin).
//!
//! Authorization is checked before the parameters: the scope check runs first and the query
//! string is only parsed after it, so a caller without the scope gets 403 even with bad
//! parameters (the query is taken as a `Result` so its rejection cannot fire first).
//!
//! The tail is Server-Sent Events: the gateway polls the `logs` table every [`TAIL_POLL`] for
//! rows after the last one it sent (by rowid, which only grows) and sends each new record as an
//! event `log` with the record's JSON. No NATS in the gateway's read path: the logging worker
//! already stores every record, and the table is the one source of truth.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::access::{self, Caller};
use crate::error::{ApiResult, Json};
use crate::read::logs::{LogFilter, LogItem, LogParams, MAX_WINDOW};
use crate::read::{self, params, pool};
use crate::state::AppState;

/// How often the tail looks for new records.
pub const TAIL_POLL: Duration = Duration::from_millis(500);
/// Most records sent per poll.
pub const TAIL_BATCH: u32 = 500;

/// Log routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/logs", get(list))
        .route("/api/logs/tail", get(tail))
}

/// One page of log records.
#[derive(Debug, Serialize)]
pub struct LogPage {
    /// Records in the requested direction.
    pub items: Vec<LogItem>,
    /// Cursor of the next page, `null` on the last page.
    pub next_cursor: Option<String>,
}

async fn list(
    caller: Caller,
    State(st): State<AppState>,
    query: Result<Query<LogParams>, QueryRejection>,
) -> ApiResult<Json<LogPage>> {
    caller.require(access::LOGS_READ)?;
    let Query(q) = query?;
    let q = q.parse(MAX_WINDOW)?;
    let page = read::with_conn(&st, move |conn| {
        let Some(conn) = conn else {
            return Ok(LogPage {
                items: vec![],
                next_cursor: None,
            });
        };
        let (items, next) = read::logs::page(conn, &q)?;
        Ok(LogPage {
            items,
            next_cursor: next.as_ref().map(params::encode_cursor),
        })
    })
    .await?;
    Ok(Json(page))
}

/// Parameters of the tail: `service` and minimum `level`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TailParams {
    /// Service name.
    pub service: Option<String>,
    /// Minimum level.
    pub level: Option<String>,
}

async fn tail(
    caller: Caller,
    State(st): State<AppState>,
    query: Result<Query<TailParams>, QueryRejection>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    caller.require(access::LOGS_READ)?;
    let Query(q) = query?;
    let filter = read::logs::parse_filter(&q.service, &q.level)?;
    let start = read::with_conn(&st, |conn| match conn {
        None => Ok(0),
        Some(c) => read::logs::last_rowid(c),
    })
    .await?;
    Ok(Sse::new(tail_stream(st, filter, start)).keep_alive(KeepAlive::default()))
}

/// New records after rowid `start`, forever (until the client goes away).
pub fn tail_stream(
    st: AppState,
    filter: LogFilter,
    start: i64,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let pool = pool::for_path(&st.cfg.db_path());
    let closing = pool.closing();
    let state = (
        pool,
        filter,
        start,
        std::collections::VecDeque::<Event>::new(),
        closing,
    );
    futures::stream::unfold(
        state,
        |(pool, filter, mut after, mut queue, mut closing)| async move {
            loop {
                if let Some(ev) = queue.pop_front() {
                    return Some((Ok(ev), (pool, filter, after, queue, closing)));
                }
                tokio::select! {
                    // The gateway is shutting down (or the sender is gone): end the stream.
                    _ = closing.changed() => return None,
                    _ = tokio::time::sleep(TAIL_POLL) => {}
                }
                let p = pool.clone();
                let f = filter.clone();
                let res = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                    match p.get()? {
                        None => Ok((vec![], after)),
                        Some(c) => read::logs::since(&c, after, &f, TAIL_BATCH),
                    }
                })
                .await;
                match res {
                    Ok(Ok((items, last))) => {
                        after = last;
                        for it in items {
                            if let Ok(ev) = Event::default()
                                .event("log")
                                .id(it.event_id.clone())
                                .json_data(&it)
                            {
                                queue.push_back(ev);
                            }
                        }
                    }
                    Ok(Err(e)) => tracing::warn!(error = format!("{e:#}"), "log tail poll failed"),
                    Err(e) => tracing::warn!(error = %e, "log tail task failed"),
                }
            }
        },
    )
}
