//! Service log records: the `/api/logs` query (filters, time window, keyset paging in either
//! direction) and the polling behind `/api/logs/tail`.
//!
//! Shape drawn from Loki, Graylog and Seq (docs `identity-and-security.md` §5): `from` and `to`
//! are required and their distance is capped (like Graylog's query time range limit) so one
//! request cannot scan the whole table; `direction=backward` (newest first, the default, as in
//! Loki) or `forward`; an opaque cursor `(time, event_id)` instead of an offset.

use chrono::{DateTime, Duration, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::read::{fts, params};

/// Widest `to - from` accepted by default.
pub const MAX_WINDOW: Duration = Duration::days(7);
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 100;
/// Largest page size.
pub const MAX_LIMIT: u32 = 1000;
/// Levels, least severe first, as the services write them.
pub const LEVELS: [&str; 5] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

/// Raw query parameters of `GET /api/logs` (and the dashboard's log viewer).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogParams {
    /// Service name, e.g. `analyzer`.
    pub service: Option<String>,
    /// Minimum level (`TRACE` .. `ERROR`, case-insensitive).
    pub level: Option<String>,
    /// Start of the window, RFC 3339, inclusive. Required.
    pub from: Option<String>,
    /// End of the window, RFC 3339, exclusive. Required.
    pub to: Option<String>,
    /// Full-text search over messages.
    pub q: Option<String>,
    /// `backward` (newest first, default) or `forward`.
    pub direction: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Opaque cursor from a previous page.
    pub cursor: Option<String>,
}

/// Position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogCursor {
    /// Time of the last record (stored text).
    pub t: String,
    /// Its event id.
    pub id: String,
    /// `true` for backward paging.
    pub b: bool,
}

/// Service and level filters (shared by the query and the tail).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogFilter {
    /// Exact service name.
    pub service: Option<String>,
    /// Index into [`LEVELS`] of the minimum level.
    pub min_level: usize,
}

/// A validated log query.
#[derive(Debug, Clone, PartialEq)]
pub struct LogQuery {
    /// Service and level.
    pub filter: LogFilter,
    /// Window start (inclusive).
    pub from: DateTime<Utc>,
    /// Window end (exclusive).
    pub to: DateTime<Utc>,
    /// FTS5 expression.
    pub fts: Option<String>,
    /// Newest first.
    pub backward: bool,
    /// Page size.
    pub limit: u32,
    /// Where to start.
    pub cursor: Option<LogCursor>,
}

/// One stored log record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogItem {
    /// Event id of the record.
    pub event_id: String,
    /// When it was recorded (RFC 3339).
    pub time: String,
    /// Service.
    pub service: String,
    /// Level.
    pub level: String,
    /// `tracing` target.
    pub target: String,
    /// Message.
    pub message: String,
    /// Structured fields.
    pub fields: Value,
}

/// Parses `service` and `level` (shared by `/api/logs` and the tail).
pub fn parse_filter(
    service: &Option<String>,
    level: &Option<String>,
) -> Result<LogFilter, ApiError> {
    let service = match params::given(service) {
        None => None,
        Some(s)
            if s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            Some(s.to_string())
        }
        Some(_) => {
            return Err(ApiError::bad(
                "invalid_service",
                "service is not a service name",
            ))
        }
    };
    let min_level = match params::given(level) {
        None => 0,
        Some(l) => LEVELS
            .iter()
            .position(|x| {
                x.eq_ignore_ascii_case(l) || (l.eq_ignore_ascii_case("warning") && *x == "WARN")
            })
            .ok_or_else(|| {
                ApiError::bad(
                    "invalid_level",
                    "level must be TRACE, DEBUG, INFO, WARN or ERROR",
                )
            })?,
    };
    Ok(LogFilter { service, min_level })
}

impl LogParams {
    /// Validates every parameter; `max_window` caps `to - from`.
    pub fn parse(&self, max_window: Duration) -> Result<LogQuery, ApiError> {
        let filter = parse_filter(&self.service, &self.level)?;
        let from = params::time(&self.from, "from")?
            .ok_or_else(|| ApiError::bad("missing_time", "from is required (RFC 3339)"))?;
        let to = params::time(&self.to, "to")?
            .ok_or_else(|| ApiError::bad("missing_time", "to is required (RFC 3339)"))?;
        if to <= from {
            return Err(ApiError::bad(
                "invalid_window",
                "to must be later than from",
            ));
        }
        if to - from > max_window {
            return Err(ApiError::bad(
                "window_too_wide",
                format!("to - from may be at most {} hours", max_window.num_hours()),
            ));
        }
        let fts =
            match params::given(&self.q) {
                None => None,
                Some(q) if q.chars().count() > 200 => {
                    return Err(ApiError::bad(
                        "invalid_query",
                        "q is longer than 200 characters",
                    ))
                }
                Some(q) => Some(fts::match_expr(q).ok_or_else(|| {
                    ApiError::bad("invalid_query", "q holds no word to search for")
                })?),
            };
        let backward = match params::given(&self.direction) {
            None | Some("backward") => true,
            Some("forward") => false,
            Some(_) => {
                return Err(ApiError::bad(
                    "invalid_direction",
                    "direction must be backward or forward",
                ))
            }
        };
        let cursor: Option<LogCursor> = params::cursor(&self.cursor)?;
        if cursor.as_ref().is_some_and(|c| c.b != backward) {
            return Err(ApiError::bad(
                "invalid_cursor",
                "cursor belongs to the other direction",
            ));
        }
        Ok(LogQuery {
            filter,
            from,
            to,
            fts,
            backward,
            limit: params::limit(&self.limit, DEFAULT_LIMIT, MAX_LIMIT)?,
            cursor,
        })
    }
}

fn filter_sql(f: &LogFilter, args: &mut Vec<SqlValue>, conds: &mut Vec<String>) {
    if let Some(s) = &f.service {
        args.push(SqlValue::Text(s.clone()));
        conds.push(format!("service = ?{}", args.len()));
    }
    if f.min_level > 0 {
        let mut ins = Vec::new();
        for l in &LEVELS[f.min_level..] {
            args.push(SqlValue::Text((*l).to_string()));
            ins.push(format!("?{}", args.len()));
        }
        conds.push(format!("level IN ({})", ins.join(",")));
    }
}

fn read_item(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogItem> {
    let fields: String = r.get(6)?;
    Ok(LogItem {
        event_id: r.get(0)?,
        time: r.get(1)?,
        service: r.get(2)?,
        level: r.get(3)?,
        target: r.get(4)?,
        message: r.get(5)?,
        fields: serde_json::from_str(&fields).unwrap_or(Value::Null),
    })
}

/// One page of records and the next cursor.
pub fn page(conn: &Connection, q: &LogQuery) -> anyhow::Result<(Vec<LogItem>, Option<LogCursor>)> {
    let mut args = vec![
        SqlValue::Text(params::sql_time(&q.from)),
        SqlValue::Text(params::sql_time(&q.to)),
    ];
    let mut conds = vec!["time >= ?1".to_string(), "time < ?2".to_string()];
    filter_sql(&q.filter, &mut args, &mut conds);
    if let Some(e) = &q.fts {
        args.push(SqlValue::Text(e.clone()));
        conds.push(format!(
            "event_id IN (SELECT event_id FROM logs_fts WHERE logs_fts MATCH ?{})",
            args.len()
        ));
    }
    let (op, dir) = if q.backward {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(c) = &q.cursor {
        args.push(SqlValue::Text(c.t.clone()));
        let t = args.len();
        args.push(SqlValue::Text(c.id.clone()));
        let id = args.len();
        conds.push(format!(
            "(time {op} ?{t} OR (time = ?{t} AND event_id {op} ?{id}))"
        ));
    }
    args.push(SqlValue::Integer(i64::from(q.limit) + 1));
    let sql = format!(
        "SELECT event_id, time, service, level, target, message, fields FROM logs
         WHERE {} ORDER BY time {dir}, event_id {dir} LIMIT ?{}",
        conds.join(" AND "),
        args.len()
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut items: Vec<LogItem> = stmt
        .query_map(rusqlite::params_from_iter(args), read_item)?
        .collect::<Result<_, _>>()?;
    let more = items.len() > q.limit as usize;
    items.truncate(q.limit as usize);
    let next = match (more, items.last()) {
        (true, Some(l)) => Some(LogCursor {
            t: l.time.clone(),
            id: l.event_id.clone(),
            b: q.backward,
        }),
        _ => None,
    };
    Ok((items, next))
}

/// The newest stored record's rowid (0 for none): where a tail starts.
pub fn last_rowid(conn: &Connection) -> anyhow::Result<i64> {
    Ok(conn.query_row("SELECT COALESCE(MAX(rowid), 0) FROM logs", [], |r| r.get(0))?)
}

/// Records stored after `after` (rowid) matching `f`, oldest first, at most `limit`; returns
/// them with the rowid to continue from.
pub fn since(
    conn: &Connection,
    after: i64,
    f: &LogFilter,
    limit: u32,
) -> anyhow::Result<(Vec<LogItem>, i64)> {
    // The rowid to continue from is the last row read, matching or not, so a long run of
    // filtered-out rows is not re-read on every poll.
    let last: i64 = conn.query_row(
        "SELECT COALESCE(MAX(rowid), ?1) FROM (SELECT rowid FROM logs WHERE rowid > ?1 ORDER BY rowid LIMIT ?2)",
        rusqlite::params![after, i64::from(limit)],
        |r| r.get(0),
    )?;
    let mut args = vec![SqlValue::Integer(after), SqlValue::Integer(last)];
    let mut conds = vec!["rowid > ?1".to_string(), "rowid <= ?2".to_string()];
    filter_sql(f, &mut args, &mut conds);
    let sql = format!(
        "SELECT event_id, time, service, level, target, message, fields FROM logs
         WHERE {} ORDER BY rowid",
        conds.join(" AND ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let items = stmt
        .query_map(rusqlite::params_from_iter(args), read_item)?
        .collect::<Result<_, _>>()?;
    Ok((items, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(from: &str, to: &str) -> LogParams {
        LogParams {
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_window_is_required_ordered_and_capped() {
        let ok = p("2025-06-01T00:00:00Z", "2025-06-08T00:00:00Z")
            .parse(MAX_WINDOW)
            .unwrap();
        assert!(ok.backward);
        assert_eq!(ok.limit, DEFAULT_LIMIT);
        for (params, code) in [
            (
                p("2025-06-01T00:00:00Z", "2025-06-08T00:00:01Z"),
                "window_too_wide",
            ),
            (
                p("2025-06-02T00:00:00Z", "2025-06-01T00:00:00Z"),
                "invalid_window",
            ),
            (p("yesterday", "2025-06-01T00:00:00Z"), "invalid_time"),
            (
                LogParams {
                    to: Some("2025-06-01T00:00:00Z".into()),
                    ..Default::default()
                },
                "missing_time",
            ),
        ] {
            assert_eq!(params.parse(MAX_WINDOW).unwrap_err().code(), code);
        }
        let mut lv = p("2025-06-01T00:00:00Z", "2025-06-02T00:00:00Z");
        lv.level = Some("warn".into());
        assert_eq!(lv.parse(MAX_WINDOW).unwrap().filter.min_level, 3);
        lv.level = Some("loud".into());
        assert_eq!(lv.parse(MAX_WINDOW).unwrap_err().code(), "invalid_level");
    }
}
