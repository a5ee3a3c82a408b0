//! Authentication as a typed extractor (house style; axum issue #2070: an `Extension` that a
//! middleware forgot to insert is a 500, an extractor is a 401).
//!
//! A handler that takes [`Bearer`] cannot run without a valid access token for the API audience
//! [`API_AUDIENCE`]; scopes are checked by the handler with [`Bearer::require_scope`] (403).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::{self, Verified, MAX_TOKEN_LEN};

/// The audience the gateway's own API accepts (RFC 7519 §4.1.3).
pub const API_AUDIENCE: &str = "gsa-api";

/// A verified bearer token (RFC 6750 §2.1) for [`API_AUDIENCE`].
#[derive(Debug, Clone)]
pub struct Bearer(pub Verified);

impl Bearer {
    /// `Ok` when the token grants `scope`, else 403 `insufficient_scope` (RFC 6750 §3.1).
    pub fn require_scope(&self, scope: &'static str) -> Result<(), ApiError> {
        if self.0.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(scope))
        }
    }
}

/// Reads the single `Authorization: Bearer <token>` header. The scheme is case-insensitive
/// (RFC 9110 §11.1); two `Authorization` headers are a 400, deterministically.
pub fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let mut values = parts.headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(ApiError::Unauthorized {
            reason: "missing_token",
            missing: true,
        });
    };
    if values.next().is_some() {
        return Err(ApiError::BadRequest(
            "more than one Authorization header".into(),
        ));
    }
    if value.len() > MAX_TOKEN_LEN + 16 {
        return Err(ApiError::Unauthorized {
            reason: "token_too_large",
            missing: false,
        });
    }
    let value = value.to_str().map_err(|_| ApiError::Unauthorized {
        reason: "malformed",
        missing: false,
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(ApiError::Unauthorized {
            reason: "not_bearer",
            missing: true,
        }),
    }
}

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts)?;
        tokens::verify(
            &state.keys(),
            token,
            &state.cfg.jwt_issuer,
            API_AUDIENCE,
            state.now(),
        )
        .map(Bearer)
        .map_err(|r| ApiError::Unauthorized {
            reason: r.code(),
            missing: false,
        })
    }
}
