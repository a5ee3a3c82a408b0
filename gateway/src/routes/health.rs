//! Liveness and readiness: `GET /ping` (plain `OK`), `GET /healthz` (the process answers) and
//! `GET /readyz` (the identity store opens and NATS answers; 503 otherwise, naming the failing
//! check), after Keycloak's health endpoints. Reads keep working while NATS is down (the
//! gateway reads SQLite), but the gateway is not *ready*: audit events are being dropped.

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
    if let Err(e) = &identity {
        tracing::warn!(error = format!("{e:#}"), "identity store not ready");
    }
    let nats_ok = gsa_common::nats::answers(&st.cfg.nats_url).await;
    let checks = json!({
        "identity_db": if identity.is_ok() { "ok" } else { "error" },
        "nats": if nats_ok { "ok" } else { "unreachable" },
    });
    if identity.is_ok() && nats_ok {
        (
            StatusCode::OK,
            Json(json!({"status": "ready", "checks": checks})),
        )
    } else {
        let message = if identity.is_err() {
            "identity store unavailable"
        } else {
            "NATS unreachable"
        };
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({"status": "not_ready", "error": "unavailable", "message": message, "checks": checks}),
            ),
        )
    }
}
