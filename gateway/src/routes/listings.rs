//! `GET /api/listings`, `GET /api/listings/{id}` and `GET /api/listings/{id}/report.md`.
//!
//! Scope [`access::LISTINGS_READ`], checked before any parameter. Reads `gsa.db` through the
//! read-only pool ([`crate::read`]); before the logging worker has created the file the list is
//! empty and every listing is 404.
//!
//! Filters, sorts and the keyset cursor are described in [`crate::read::listings`]. The answer
//! is `{"items": [...], "next_cursor": "..." | null}`; each item is the stored listing's own
//! fields plus `score`, `applicable`, `model_version` (so mixed model versions are visible),
//! `real_estate_in_deal`, `multiple`, `confidence`, `first_seen` and `updated_at`. An item's
//! `real_estate.included` and `real_estate_in_deal` always agree: the analyzer's conclusion
//! once scored, with `real_estate.basis` (`stated`, `inferred`, `unknown`) saying where it
//! comes from (see [`crate::read::listings::Row::to_item`]); the listing as scraped stays in
//! `GET /api/listings/{id}`.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use serde_json::Value;

use crate::access::{self, Caller};
use crate::error::{ApiError, ApiResult, Json};
use crate::read::cache::Fingerprint;
use crate::read::listings::{ListParams, MAX_LIMIT};
use crate::read::{self, detail, params, report};
use crate::state::AppState;

pub use crate::read::listings::DEFAULT_LIMIT;

/// Scope needed to read listings.
pub const SCOPE: &str = access::LISTINGS_READ;

/// Listing routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/listings", get(list))
        .route("/api/listings/{id}", get(one))
        .route("/api/listings/{id}/report.md", get(report_md))
}

/// One page.
#[derive(Debug, Serialize)]
pub struct Page {
    /// Listings (each the listing's own fields plus score fields).
    pub items: Vec<Value>,
    /// Cursor of the next page, `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A JSON body already serialized.
fn json_body(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Pages come from [`crate::read::cache`] when nothing was stored since they were built; the
/// key is the validated request (so `?limit=50` and no `limit` share a page), never the caller.
async fn list(
    caller: Caller,
    State(st): State<AppState>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Response> {
    caller.require(SCOPE)?;
    let Query(q) = query?;
    let req = q.parse(MAX_LIMIT)?;
    let cache = st.listings_cache.clone();
    let key = format!("{req:?}");
    if let Some(body) = cache.get(&key) {
        return Ok(json_body(body));
    }
    let cached = cache.enabled();
    // Single flight: concurrent misses of one page wait for the first to build it.
    let _building = match cached {
        true => Some(cache.building(&key).await),
        false => None,
    };
    if let Some(body) = cache.get(&key) {
        return Ok(json_body(body));
    }
    let (body, at) = read::with_conn(&st, move |conn| {
        let Some(conn) = conn else {
            let empty = Page {
                items: vec![],
                next_cursor: None,
            };
            return Ok((serde_json::to_vec(&empty)?, None));
        };
        // One read transaction: the fingerprint describes exactly the rows of this page.
        let tx = conn.unchecked_transaction()?;
        let at = match cached {
            true => Some(Fingerprint::read(&tx)?),
            false => None,
        };
        let (rows, next) = read::listings::page(&tx, &req)?;
        drop(tx);
        let page = Page {
            items: rows.iter().map(|r| r.to_item()).collect(),
            next_cursor: next.as_ref().map(params::encode_cursor),
        };
        Ok((serde_json::to_vec(&page)?, at))
    })
    .await?;
    let body = Bytes::from(body);
    if let Some(at) = at {
        cache.put(key, at, body.clone());
    }
    Ok(json_body(body))
}

/// Loads one listing or answers 404.
pub async fn load(st: &AppState, id: String) -> ApiResult<detail::Detail> {
    if !gsa_schemas::listing::valid_listing_id(&id) {
        return Err(ApiError::NotFound);
    }
    read::with_conn(st, move |conn| match conn {
        None => Ok(None),
        Some(c) => detail::load(c, &id),
    })
    .await?
    .ok_or(ApiError::NotFound)
}

async fn one(
    caller: Caller,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<detail::Detail>> {
    caller.require(SCOPE)?;
    Ok(Json(load(&st, id).await?))
}

async fn report_md(
    caller: Caller,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    caller.require(SCOPE)?;
    let d = load(&st, id).await?;
    let listing = d
        .typed_listing()
        .ok_or_else(|| anyhow::anyhow!("stored listing does not match the schema"))?;
    let card = d.typed_card();
    let body = report::markdown(&listing, card.as_ref());
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        body,
    ))
}
