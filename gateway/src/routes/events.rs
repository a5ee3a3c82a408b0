//! `GET /api/events`: stored CloudEvents by subject, type and time range, oldest first
//! (scope [`access::ADMIN`]). See [`crate::read::events`].

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::Router;

use crate::access::Caller;
use crate::error::{ApiResult, Json};
use crate::read::events::EventParams;
use crate::read::{self, params};
use crate::routes::listings::Page;
use crate::state::AppState;

/// Event routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/events", get(list))
}

async fn list(
    caller: Caller,
    State(st): State<AppState>,
    query: Result<Query<EventParams>, QueryRejection>,
) -> ApiResult<Json<Page>> {
    caller.require_admin()?;
    let Query(q) = query?;
    let q = q.parse()?;
    let page = read::with_conn(&st, move |conn| {
        let Some(conn) = conn else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let (items, next) = read::events::page(conn, &q)?;
        Ok(Page {
            items,
            next_cursor: next.as_ref().map(params::encode_cursor),
        })
    })
    .await?;
    Ok(Json(page))
}
