//! `GET /api/alerts`: high-score alerts, newest first (scope [`access::ALERTS_READ`]).
//! Parameters `min_score`, `limit`, `cursor`; see [`crate::read::alerts`].

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;

use crate::access::{self, Caller};
use crate::error::{ApiResult, Json};
use crate::read::alerts::AlertParams;
use crate::read::{self, params};
use crate::routes::listings::Page;
use crate::state::AppState;

/// Alert routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/alerts", get(list))
}

async fn list(
    caller: Caller,
    State(st): State<AppState>,
    query: Result<Query<AlertParams>, QueryRejection>,
) -> ApiResult<Json<Page>> {
    caller.require(access::ALERTS_READ)?;
    let Query(q) = query?;
    let q = q.parse()?;
    let page = read::with_conn(&st, move |conn| {
        let Some(conn) = conn else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let (items, next) = read::alerts::page(conn, &q)?;
        Ok(Page {
            items,
            next_cursor: next.as_ref().map(params::encode_cursor),
        })
    })
    .await?;
    Ok(Json(page))
}
