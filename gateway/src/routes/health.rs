//! Liveness and readiness: `GET /ping` (plain `OK`), `GET /healthz` (the process answers) and
//! `GET /readyz` (the identity store opens; 503 otherwise), after Keycloak's health endpoints.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::state::AppState;

/// Health routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ping", get(|| async { "OK" }))
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
}

async fn readyz(State(st): State<AppState>) -> impl IntoResponse {
    let cfg = st.cfg.clone();
    let identity = tokio::task::spawn_blocking(move || crate::identity::open(&cfg).map(drop))
        .await
        .map_err(anyhow::Error::from)
        .and_then(|r| r);
    match identity {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ready", "checks": {"identity_db": "ok", "keys": "ok"}})),
        ),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "identity store not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({"status": "not_ready", "error": "unavailable", "message": "identity store unavailable", "checks": {"identity_db": "error"}}),
                ),
            )
        }
    }
}
