//! `POST /token`: the token endpoint (RFC 6749 §3.2) for the client-credentials grant
//! (RFC 6749 §4.4).
//!
//! Two request shapes:
//! * JSON `{"client_id" | "sub", "client_secret", "aud", "scope"?}` (the gsa shape);
//! * form `grant_type=client_credentials&audience=...&scope=...` (RFC 6749 §4.4.2), with the
//!   client authenticated by HTTP Basic (`client_secret_basic`, §2.3.1) or by
//!   `client_id`/`client_secret` in the body (`client_secret_post`), never both (§2.3).
//!
//! The answer is RFC 6749 §5.1 with `Cache-Control: no-store`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use crate::audit::{action, AuditEvent};
use crate::client_addr::ClientAddr;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{identity, tokens};

/// Token routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/token", post(token))
}

/// JSON body of `POST /token`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonTokenRequest {
    /// Must be `client_credentials` when given.
    pub grant_type: Option<String>,
    /// The client id.
    pub client_id: Option<String>,
    /// Synonym of `client_id`.
    pub sub: Option<String>,
    /// The client secret.
    pub client_secret: Option<String>,
    /// Requested audience.
    pub aud: Option<String>,
    /// Synonym of `aud` (the form name).
    pub audience: Option<String>,
    /// Space-separated requested scopes (RFC 6749 §3.3); all the client's scopes when absent.
    pub scope: Option<String>,
}

/// A token request after parsing, whatever its shape.
struct TokenRequest {
    client_id: String,
    client_secret: String,
    audience: String,
    scope: Option<String>,
    basic: bool,
}

#[utoipa::path(post, path = "/token", tag = "tokens",
    request_body(description = "RFC 6749 §4.4 form (grant_type=client_credentials, audience, scope) \
        with HTTP Basic or client_id/client_secret, or JSON {client_id|sub, client_secret, aud, scope}"),
    responses((status = 200, description = "{access_token, token_type, expires_in, scope}"),
              (status = 400, description = "invalid_request, invalid_scope, invalid_target, unsupported_grant_type"),
              (status = 401, description = "invalid_client"),
              (status = 429, description = "too many failed client authentications from this address")))]
async fn token(
    State(st): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    // Too many failed authentications from this address: refuse before any work.
    if let Err(wait) = st.limits.client_auth_failures.peek(&addr.key()) {
        st.metrics
            .inc("gsa_throttled_total", &[("limiter", "client_auth")]);
        return Err(ApiError::RateLimited(wait));
    }
    let body = body?;
    let basic = basic_credentials(&headers)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let req = match content_type.as_str() {
        "application/json" => parse_json(&body, basic)?,
        "application/x-www-form-urlencoded" => parse_form(&body, basic)?,
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "use application/json or application/x-www-form-urlencoded".into(),
            ))
        }
    };
    let cfg = st.cfg.clone();
    let (id, secret) = (req.client_id.clone(), req.client_secret);
    let client = tokio::task::spawn_blocking(move || identity::authenticate(&cfg, &id, &secret))
        .await
        .map_err(anyhow::Error::from)??;
    let Some(client) = client else {
        client_auth_failed(&st, &addr, "/token");
        return Err(ApiError::InvalidClient { basic: req.basic });
    };
    if !client.audiences.iter().any(|a| a == &req.audience) {
        return Err(ApiError::InvalidTarget);
    }
    let granted = grant_scopes(&client.scopes, req.scope.as_deref())?;
    let now = st.now();
    let (access_token, claims) = tokens::issue(
        &st.keys(),
        &st.cfg.jwt_issuer,
        &client.client_id,
        &req.audience,
        &granted,
        tokens::DEFAULT_TTL_SECS,
        now,
    )?;
    tracing::info!(client_id = %client.client_id, aud = %req.audience, jti = %claims.jti, "issued access token");
    st.metrics.inc("gsa_tokens_issued_total", &[]);
    let mut ev = AuditEvent::new(action::TOKEN_ISSUED, "ok");
    ev.actor = Some(client.client_id.clone());
    ev.audience = Some(req.audience.clone());
    ev.jti = Some(claims.jti.clone());
    ev.kid = st.keys().signing().ok().map(|k| k.kid.clone());
    ev.addr = addr.0.map(|a| a.to_string());
    ev.route = Some("/token".into());
    st.audit.emit(ev);
    let mut resp = axum::Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": tokens::DEFAULT_TTL_SECS,
        "scope": claims.scope,
    }))
    .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

/// Charges a failed client authentication to the address, and records it. The attempted client
/// id is not recorded: a secret pasted into the id field must not reach the audit trail.
pub(crate) fn client_auth_failed(st: &AppState, addr: &ClientAddr, route: &str) {
    let _ = st.limits.client_auth_failures.check(&addr.key());
    tracing::info!(route, "client authentication failed");
    let mut ev = AuditEvent::new(action::CLIENT_AUTH_FAILED, "denied");
    ev.reason = Some("invalid_client".into());
    ev.addr = addr.0.map(|a| a.to_string());
    ev.route = Some(route.into());
    st.audit.emit(ev);
}

/// The scopes to grant: all of the client's when none is requested, else exactly the requested
/// ones, each of which the client must hold (RFC 6749 §3.3; else `invalid_scope`).
fn grant_scopes(allowed: &[String], requested: Option<&str>) -> Result<Vec<String>, ApiError> {
    let requested: Vec<&str> = requested
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if requested.is_empty() {
        return Ok(allowed.to_vec());
    }
    let mut out: Vec<String> = Vec::new();
    for s in requested {
        if !allowed.iter().any(|a| a == s) {
            return Err(ApiError::InvalidScope);
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

fn parse_json(body: &[u8], basic: Option<(String, String)>) -> Result<TokenRequest, ApiError> {
    let j: JsonTokenRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))?;
    if let Some(g) = &j.grant_type {
        if g != "client_credentials" {
            return Err(ApiError::bad(
                "unsupported_grant_type",
                "only client_credentials is supported",
            ));
        }
    }
    let client_id = match (j.client_id, j.sub) {
        (Some(a), Some(b)) if a != b => {
            return Err(ApiError::BadRequest("client_id and sub differ".into()))
        }
        (a, b) => a.or(b),
    };
    let audience = one_of(j.aud, j.audience, "aud")?;
    finish(client_id, j.client_secret, audience, j.scope, basic)
}

fn parse_form(body: &[u8], basic: Option<(String, String)>) -> Result<TokenRequest, ApiError> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        // RFC 6749 §3.2: request parameters MUST NOT be included more than once.
        if fields.iter().any(|(seen, _)| *seen == k) {
            return Err(ApiError::BadRequest(format!(
                "parameter {k:?} given more than once"
            )));
        }
        fields.push((k.into_owned(), v.into_owned()));
    }
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    match get("grant_type").as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return Err(ApiError::bad(
                "unsupported_grant_type",
                "only client_credentials is supported",
            ))
        }
        None => return Err(ApiError::BadRequest("grant_type is required".into())),
    }
    let audience = one_of(get("audience"), get("aud"), "audience")?;
    finish(
        get("client_id"),
        get("client_secret"),
        audience,
        get("scope"),
        basic,
    )
}

fn one_of(a: Option<String>, b: Option<String>, name: &str) -> Result<String, ApiError> {
    match (a, b) {
        (Some(a), Some(b)) if a != b => {
            Err(ApiError::BadRequest(format!("conflicting {name} values")))
        }
        (Some(v), _) | (None, Some(v)) if !v.is_empty() => Ok(v),
        _ => Err(ApiError::BadRequest(format!("{name} is required"))),
    }
}

fn finish(
    client_id: Option<String>,
    client_secret: Option<String>,
    audience: String,
    scope: Option<String>,
    basic: Option<(String, String)>,
) -> Result<TokenRequest, ApiError> {
    match basic {
        Some((id, secret)) => {
            // RFC 6749 §2.3: one authentication method per request. A body client_id equal to
            // the Basic one is tolerated; a body secret is not.
            if client_secret.is_some() || client_id.as_ref().is_some_and(|c| c != &id) {
                return Err(ApiError::BadRequest(
                    "use either HTTP Basic or body credentials, not both".into(),
                ));
            }
            Ok(TokenRequest {
                client_id: id,
                client_secret: secret,
                audience,
                scope,
                basic: true,
            })
        }
        None => match (client_id, client_secret) {
            (Some(id), Some(secret)) if !id.is_empty() => Ok(TokenRequest {
                client_id: id,
                client_secret: secret,
                audience,
                scope,
                basic: false,
            }),
            _ => Err(ApiError::InvalidClient { basic: false }),
        },
    }
}

/// `Authorization: Basic` credentials, form-urldecoded as RFC 6749 §2.3.1 requires. `None` when
/// the header is absent or uses another scheme.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, ApiError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::BadRequest(
            "more than one Authorization header".into(),
        ));
    }
    let bad = || ApiError::InvalidClient { basic: true };
    let value = value.to_str().map_err(|_| bad())?;
    let Some((scheme, rest)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(rest.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_default_to_all_and_unknown_is_refused() {
        let allowed = vec!["a".to_string(), "b".to_string()];
        assert_eq!(grant_scopes(&allowed, None).unwrap(), allowed);
        assert_eq!(grant_scopes(&allowed, Some("b b")).unwrap(), vec!["b"]);
        assert!(matches!(
            grant_scopes(&allowed, Some("a c")),
            Err(ApiError::InvalidScope)
        ));
    }
}
