//! `POST /verify`: checks an access token for an audience and says why it fails.
//!
//! Answers 200 `{"valid": true, "claims": {...}}` or 401 `{"valid": false, "error": "<reason>"}`
//! with a [`crate::tokens::Rejection`] code. The reason is safe to return: it names a check, not
//! key material.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiResult, Json};
use crate::state::AppState;
use crate::tokens;

/// Verify routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/verify", post(verify))
}

/// Body of `POST /verify`.
#[derive(Debug, Deserialize)]
pub struct VerifyRequest {
    /// The compact JWS.
    pub token: String,
    /// The audience the caller expects (RFC 8725 §3.9: always checked).
    pub aud: String,
}

async fn verify(State(st): State<AppState>, Json(req): Json<VerifyRequest>) -> ApiResult<Response> {
    match tokens::verify(
        &st.keys(),
        &req.token,
        &st.cfg.jwt_issuer,
        &req.aud,
        st.now(),
    ) {
        Ok(v) => Ok((
            StatusCode::OK,
            axum::Json(json!({"valid": true, "claims": v.claims})),
        )
            .into_response()),
        Err(r) => {
            tracing::debug!(reason = r.code(), "token rejected by /verify");
            Ok((
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"valid": false, "error": r.code(), "message": "token rejected"})),
            )
                .into_response())
        }
    }
}
