//! High-score alerts, newest first, with keyset paging on `(time, event_id)`.

use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::read::params;

/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size.
pub const MAX_LIMIT: u32 = 200;

/// Raw query parameters of `GET /api/alerts`.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertParams {
    /// Lowest score, 0-100.
    pub min_score: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Opaque cursor.
    pub cursor: Option<String>,
}

/// Position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertCursor {
    /// Time of the last alert.
    pub t: String,
    /// Its event id.
    pub id: String,
}

/// A validated alerts query.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertQuery {
    /// Lowest score.
    pub min_score: Option<i64>,
    /// Page size.
    pub limit: u32,
    /// Where to start.
    pub cursor: Option<AlertCursor>,
}

impl AlertParams {
    /// Validates every parameter.
    pub fn parse(&self) -> Result<AlertQuery, ApiError> {
        Ok(AlertQuery {
            min_score: params::int(&self.min_score, "min_score", 0, 100, "invalid_min_score")?,
            limit: params::limit(&self.limit, DEFAULT_LIMIT, MAX_LIMIT)?,
            cursor: params::cursor(&self.cursor)?,
        })
    }
}

/// One page of alerts (each the stored [`gsa_schemas::HighScoreAlert`] plus `event_id` and
/// `time`) and the next cursor.
pub fn page(
    conn: &Connection,
    q: &AlertQuery,
) -> anyhow::Result<(Vec<Value>, Option<AlertCursor>)> {
    let mut args: Vec<SqlValue> = Vec::new();
    let mut conds = vec!["1".to_string()];
    if let Some(m) = q.min_score {
        args.push(SqlValue::Integer(m));
        conds.push(format!("score >= ?{}", args.len()));
    }
    if let Some(c) = &q.cursor {
        args.push(SqlValue::Text(c.t.clone()));
        let t = args.len();
        args.push(SqlValue::Text(c.id.clone()));
        conds.push(format!(
            "(time < ?{t} OR (time = ?{t} AND event_id < ?{}))",
            args.len()
        ));
    }
    args.push(SqlValue::Integer(i64::from(q.limit) + 1));
    let sql = format!(
        "SELECT event_id, time, data FROM alerts WHERE {} ORDER BY time DESC, event_id DESC LIMIT ?{}",
        conds.join(" AND "),
        args.len()
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows: Vec<(String, String, String)> = stmt
        .query_map(rusqlite::params_from_iter(args), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let more = rows.len() > q.limit as usize;
    rows.truncate(q.limit as usize);
    let next = match (more, rows.last()) {
        (true, Some((id, t, _))) => Some(AlertCursor {
            t: t.clone(),
            id: id.clone(),
        }),
        _ => None,
    };
    let items = rows
        .into_iter()
        .map(|(id, t, data)| {
            let mut v = match serde_json::from_str(&data) {
                Ok(Value::Object(m)) => m,
                _ => Default::default(),
            };
            v.insert("event_id".into(), Value::from(id));
            v.insert("time".into(), Value::from(t));
            Value::Object(v)
        })
        .collect();
    Ok((items, next))
}
