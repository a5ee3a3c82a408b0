//! `GET /api/listings`: stored listings with their latest score, best first.
//!
//! Needs a bearer token for [`crate::auth::API_AUDIENCE`] with scope [`SCOPE`]. Reads
//! `gsa.db` read-only (`gsa_common::db::open_ro`); before the logging worker has created the
//! file the answer is an empty list.
//!
//! Order: score descending, unscored (null) last, then `listing_id`. Paging is keyset, never
//! offset: the opaque cursor is base64url JSON of the last row's `(score, listing_id)`, so pages
//! stay disjoint and complete while rows are added.

use std::path::PathBuf;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::Bearer;
use crate::error::{ApiError, ApiResult, Json};
use crate::state::AppState;

/// Scope needed to read listings.
pub const SCOPE: &str = "listings:read";
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size.
pub const MAX_LIMIT: u32 = 200;

/// Listing routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/listings", get(list))
}

/// Query parameters of `GET /api/listings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Page size, 1..=[`MAX_LIMIT`].
    pub limit: Option<String>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// One page.
#[derive(Debug, Serialize)]
pub struct Page {
    /// Listings (each the listing's own fields plus `score`, `applicable`, `model_version`).
    pub items: Vec<Value>,
    /// Cursor of the next page, `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    /// Score of the last row (`None` for an unscored row).
    s: Option<i64>,
    /// `listing_id` of the last row.
    id: String,
}

impl Cursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(s: &str) -> Option<Self> {
        if s.len() > 512 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

async fn list(
    bearer: Bearer,
    State(st): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<Page>> {
    bearer.require_scope(SCOPE)?;
    let Query(q) = query?;
    let limit = match q.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::bad(
                    "invalid_limit",
                    format!("limit must be 1..={MAX_LIMIT}"),
                ))
            }
        },
    };
    let cursor = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            Cursor::decode(c)
                .ok_or_else(|| ApiError::bad("invalid_cursor", "cursor is not valid"))?,
        ),
    };
    let path = st.cfg.db_path();
    let page = tokio::task::spawn_blocking(move || read_page(path, limit, cursor))
        .await
        .map_err(anyhow::Error::from)??;
    Ok(Json(page))
}

fn read_page(path: PathBuf, limit: u32, cursor: Option<Cursor>) -> anyhow::Result<Page> {
    if !path.exists() {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    }
    let conn = gsa_common::db::open_ro(&path)?;
    let (cond, args): (&str, Vec<SqlValue>) = match &cursor {
        None => ("1", vec![]),
        Some(Cursor { s: Some(score), id }) => (
            "(s.score IS NULL OR s.score < ?2 OR (s.score = ?2 AND l.listing_id > ?3))",
            vec![SqlValue::Integer(*score), SqlValue::Text(id.clone())],
        ),
        Some(Cursor { s: None, id }) => (
            "(s.score IS NULL AND l.listing_id > ?2)",
            vec![SqlValue::Text(id.clone())],
        ),
    };
    let sql = format!(
        "SELECT l.listing_id, l.data, s.score, s.applicable, s.model_version
         FROM listings l LEFT JOIN scores s ON s.listing_id = l.listing_id
         WHERE {cond}
         ORDER BY (s.score IS NULL), s.score DESC, l.listing_id
         LIMIT ?1"
    );
    let mut params: Vec<SqlValue> = vec![SqlValue::Integer(i64::from(limit) + 1)];
    params.extend(args);
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut items = Vec::new();
    let mut last: Option<Cursor> = None;
    let mut more = false;
    while let Some(row) = rows.next()? {
        if items.len() as u32 == limit {
            more = true;
            break;
        }
        let listing_id: String = row.get(0)?;
        let data: String = row.get(1)?;
        let score: Option<i64> = row.get(2)?;
        let applicable: Option<bool> = row.get(3)?;
        let model_version: Option<String> = row.get(4)?;
        let mut item: Map<String, Value> = match serde_json::from_str(&data) {
            Ok(Value::Object(m)) => m,
            _ => {
                // The writer's contract says `data` is a Listing JSON; a bad row is reported, not
                // hidden, but does not take the whole page down.
                tracing::warn!(listing_id = %listing_id, "listings.data is not a JSON object");
                Map::new()
            }
        };
        item.insert("listing_id".into(), Value::String(listing_id.clone()));
        item.insert(
            "score".into(),
            score.map(Value::from).unwrap_or(Value::Null),
        );
        item.insert(
            "applicable".into(),
            applicable.map(Value::Bool).unwrap_or(Value::Null),
        );
        item.insert(
            "model_version".into(),
            model_version.map(Value::String).unwrap_or(Value::Null),
        );
        items.push(Value::Object(item));
        last = Some(Cursor {
            s: score,
            id: listing_id,
        });
    }
    let next_cursor = if more { last.map(|c| c.encode()) } else { None };
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            s: Some(87),
            id: "2365036".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not base64!"), None);
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode(b"{\"x\":1}")), None);
    }
}
