//! Stored events (every CloudEvent the logging worker kept), oldest first, by subject and
//! time range, with keyset paging on `(time, id)`.
//!
//! `subject` matches the CloudEvents subject (the listing id, e.g. `2365036`) or the NATS
//! subject the event arrived on (e.g. `gsa.listing.scored`); the two never look alike.

use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::read::params;

/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 100;
/// Largest page size.
pub const MAX_LIMIT: u32 = 500;

/// Raw query parameters of `GET /api/events`.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// Listing id or NATS subject.
    pub subject: Option<String>,
    /// CloudEvents type, e.g. `gsa.listing.scored.v1`.
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Start, RFC 3339, inclusive.
    pub from: Option<String>,
    /// End, RFC 3339, exclusive.
    pub to: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Opaque cursor.
    pub cursor: Option<String>,
}

/// Position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventCursor {
    /// Time of the last event.
    pub t: String,
    /// Its id.
    pub id: String,
}

/// A validated events query.
#[derive(Debug, Clone, PartialEq)]
pub struct EventQuery {
    /// Listing id or NATS subject.
    pub subject: Option<String>,
    /// CloudEvents type.
    pub event_type: Option<String>,
    /// Start (stored-time text).
    pub from: Option<String>,
    /// End (stored-time text).
    pub to: Option<String>,
    /// Page size.
    pub limit: u32,
    /// Where to start.
    pub cursor: Option<EventCursor>,
}

impl EventParams {
    /// Validates every parameter.
    pub fn parse(&self) -> Result<EventQuery, ApiError> {
        let text = |v: &Option<String>, name: &str| -> Result<Option<String>, ApiError> {
            match params::given(v) {
                Some(s) if s.len() > 200 => Err(ApiError::bad(
                    "invalid_request",
                    format!("{name} is too long"),
                )),
                s => Ok(s.map(str::to_string)),
            }
        };
        let from = params::time(&self.from, "from")?;
        let to = params::time(&self.to, "to")?;
        if let (Some(f), Some(t)) = (from, to) {
            if t <= f {
                return Err(ApiError::bad(
                    "invalid_window",
                    "to must be later than from",
                ));
            }
        }
        Ok(EventQuery {
            subject: text(&self.subject, "subject")?,
            event_type: text(&self.event_type, "type")?,
            from: from.as_ref().map(params::sql_time),
            to: to.as_ref().map(params::sql_time),
            limit: params::limit(&self.limit, DEFAULT_LIMIT, MAX_LIMIT)?,
            cursor: params::cursor(&self.cursor)?,
        })
    }
}

/// One page of events (`id`, `nats_subject`, `type`, `source`, `time`, `subject`, `data`,
/// `stored_at`) and the next cursor.
pub fn page(
    conn: &Connection,
    q: &EventQuery,
) -> anyhow::Result<(Vec<Value>, Option<EventCursor>)> {
    let mut args: Vec<SqlValue> = Vec::new();
    let mut conds = vec!["1".to_string()];
    let push = |v: String, args: &mut Vec<SqlValue>| {
        args.push(SqlValue::Text(v));
        args.len()
    };
    if let Some(s) = &q.subject {
        let i = push(s.clone(), &mut args);
        conds.push(format!("(listing_id = ?{i} OR subject = ?{i})"));
    }
    if let Some(s) = &q.event_type {
        conds.push(format!("type = ?{}", push(s.clone(), &mut args)));
    }
    if let Some(s) = &q.from {
        conds.push(format!("time >= ?{}", push(s.clone(), &mut args)));
    }
    if let Some(s) = &q.to {
        conds.push(format!("time < ?{}", push(s.clone(), &mut args)));
    }
    if let Some(c) = &q.cursor {
        let t = push(c.t.clone(), &mut args);
        let id = push(c.id.clone(), &mut args);
        conds.push(format!("(time > ?{t} OR (time = ?{t} AND id > ?{id}))"));
    }
    args.push(SqlValue::Integer(i64::from(q.limit) + 1));
    let sql = format!(
        "SELECT id, subject, type, source, time, listing_id, data, stored_at FROM events
         WHERE {} ORDER BY time, id LIMIT ?{}",
        conds.join(" AND "),
        args.len()
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows: Vec<Value> = stmt
        .query_map(rusqlite::params_from_iter(args), |r| {
            let data: String = r.get(6)?;
            Ok(serde_json::json!({
                "id": r.get::<_, String>(0)?,
                "nats_subject": r.get::<_, String>(1)?,
                "type": r.get::<_, String>(2)?,
                "source": r.get::<_, String>(3)?,
                "time": r.get::<_, String>(4)?,
                "subject": r.get::<_, Option<String>>(5)?,
                "data": serde_json::from_str::<Value>(&data).unwrap_or(Value::Null),
                "stored_at": r.get::<_, String>(7)?,
            }))
        })?
        .collect::<Result<_, _>>()?;
    let more = rows.len() > q.limit as usize;
    rows.truncate(q.limit as usize);
    let next = match (more, rows.last()) {
        (true, Some(l)) => Some(EventCursor {
            t: l["time"].as_str().unwrap_or_default().to_string(),
            id: l["id"].as_str().unwrap_or_default().to_string(),
        }),
        _ => None,
    };
    Ok((rows, next))
}
