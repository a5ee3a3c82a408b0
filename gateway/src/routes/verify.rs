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

use crate::audit::{action, AuditEvent};
use crate::client_addr::ClientAddr;
use crate::error::{ApiError, ApiResult, Json};
use crate::state::AppState;
use crate::tokens;

/// Verify routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/verify", post(verify))
}

/// Body of `POST /verify`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VerifyRequest {
    /// The compact JWS.
    pub token: String,
    /// The audience the caller expects (RFC 8725 §3.9: always checked).
    pub aud: String,
}

#[utoipa::path(post, path = "/verify", tag = "tokens", request_body = VerifyRequest,
    responses((status = 200, description = "{\"valid\": true, \"claims\": {...}}"),
              (status = 401, description = "{\"valid\": false, \"error\": <reason code>}"),
              (status = 429, description = "too many requests from this address")))]
async fn verify(
    State(st): State<AppState>,
    addr: ClientAddr,
    req: Result<Json<VerifyRequest>, ApiError>,
) -> ApiResult<Response> {
    if let Err(wait) = st.limits.verify.check(&addr.key()) {
        st.metrics
            .inc("gsa_throttled_total", &[("limiter", "verify")]);
        return Err(ApiError::RateLimited(wait));
    }
    let Json(req) = req?;
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
            st.metrics
                .inc("gsa_tokens_rejected_total", &[("reason", r.code())]);
            let mut ev = AuditEvent::new(action::TOKEN_REJECTED, "denied");
            ev.reason = Some(r.code().to_string());
            ev.addr = addr.0.map(|a| a.to_string());
            ev.route = Some("/verify".into());
            st.audit.emit(ev);
            Ok((
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"valid": false, "error": r.code(), "message": "token rejected"})),
            )
                .into_response())
        }
    }
}
