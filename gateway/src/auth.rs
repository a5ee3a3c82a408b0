//! Authentication as a typed extractor (house style; axum issue #2070: an `Extension` that a
//! middleware forgot to insert is a 500, an extractor is a 401).
//!
//! A handler that takes [`Bearer`] cannot run without a valid access token for the API audience
//! [`API_AUDIENCE`] or a valid dashboard session cookie; scopes are checked by the handler with
//! [`Bearer::require_scope`] (403). Cross-site use of the cookie is prevented by `SameSite` and
//! by the API being read-only (`GET`).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::audit::{action, AuditEvent};
use crate::error::ApiError;
use crate::sessions;
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

    /// A bearer token when an `Authorization` header is present; otherwise a valid dashboard
    /// session cookie, whose scopes are those of the user's role. Then the per-client API
    /// limit (429 with `Retry-After`).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let verified = if parts.headers.contains_key(AUTHORIZATION) {
            let token = bearer_token(parts)?;
            match tokens::verify(
                &state.keys(),
                token,
                &state.cfg.jwt_issuer,
                API_AUDIENCE,
                state.now(),
            ) {
                Ok(v) => v,
                Err(r) => {
                    state
                        .metrics
                        .inc("gsa_tokens_rejected_total", &[("reason", r.code())]);
                    let mut ev = AuditEvent::new(action::TOKEN_REJECTED, "denied");
                    ev.reason = Some(r.code().to_string());
                    ev.route = Some(parts.uri.path().chars().take(128).collect());
                    state.audit.emit(ev);
                    return Err(ApiError::Unauthorized {
                        reason: r.code(),
                        missing: false,
                    });
                }
            }
        } else if let Some(id) = sessions::cookie(&parts.headers, sessions::COOKIE) {
            session(state, id).await?
        } else {
            return Err(ApiError::Unauthorized {
                reason: "missing_token",
                missing: true,
            });
        };
        if let Err(wait) = state.limits.api.check(&verified.sub) {
            state
                .metrics
                .inc("gsa_throttled_total", &[("limiter", "api")]);
            return Err(ApiError::RateLimited(wait));
        }
        Ok(Bearer(verified))
    }
}

/// A dashboard session as a [`Verified`] caller: `sub` is the user name, the scopes are the
/// role's, and `claims.typ` is `session` (it is not a token and is never accepted as one).
async fn session(state: &AppState, id: String) -> Result<Verified, ApiError> {
    let cfg = state.cfg.clone();
    let idle = state.gw.session_idle.as_secs() as i64;
    let max = state.gw.session_max.as_secs() as i64;
    let now = state.now();
    let found = tokio::task::spawn_blocking(move || sessions::lookup(&cfg, &id, idle, max, now))
        .await
        .map_err(anyhow::Error::from)??;
    let Some((user, role)) = found else {
        return Err(ApiError::Unauthorized {
            reason: "invalid_session",
            missing: false,
        });
    };
    let scopes = role.scopes();
    let mut claims = serde_json::Map::new();
    claims.insert("sub".into(), user.clone().into());
    claims.insert("scope".into(), scopes.join(" ").into());
    claims.insert("typ".into(), "session".into());
    Ok(Verified {
        claims,
        sub: user,
        scopes,
        exp: now + idle,
        iat: now,
        kid: String::new(),
    })
}
