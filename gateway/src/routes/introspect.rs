//! `POST /introspect`: token introspection (RFC 7662) for resource servers, and
//! `GET /.well-known/jwks.json`: the public keys (RFC 7517 §5).
//!
//! Introspection needs client authentication (RFC 7662 §2.1), by HTTP Basic or
//! `client_id`/`client_secret` in the form. A token is reported active only when it verifies
//! for one of the *caller's* registered audiences (RFC 7662 §4: the server may answer
//! differently to different resources), so a resource server cannot learn about tokens meant
//! for another. Anything else is `{"active": false}` with no reason (§2.2).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use crate::client_addr::ClientAddr;
use crate::error::{ApiError, ApiResult};
use crate::routes::token::basic_credentials;
use crate::state::AppState;
use crate::{identity, tokens};

/// Introspection and key-set routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/introspect", post(introspect))
        .route("/.well-known/jwks.json", get(jwks))
}

/// The JWK Set of the public keys that currently verify (RFC 7517 §5, RFC 8037 §2): the
/// signing key first, then retired keys still in their overlap. HMAC keys are secret and never
/// published, so with HS256 only the set is empty.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "tokens",
    responses((status = 200, description = "JWK Set: OKP/Ed25519 public keys; empty with HS256 only")))]
async fn jwks(State(st): State<AppState>) -> Response {
    let keys: Vec<Value> = st.keys().public_jwks();
    let mut resp = axum::Json(json!({ "keys": keys })).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=300"),
    );
    resp
}

#[utoipa::path(post, path = "/introspect", tag = "tokens",
    request_body(content_type = "application/x-www-form-urlencoded",
        description = "token, with the caller authenticated by HTTP Basic or client_id/client_secret"),
    responses((status = 200, description = "{\"active\": true, ...claims} or {\"active\": false}"),
              (status = 401, description = "invalid_client"),
              (status = 429, description = "too many failed client authentications from this address")))]
async fn introspect(
    State(st): State<AppState>,
    addr: ClientAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    if let Err(wait) = st.limits.client_auth_failures.peek(&addr.key()) {
        st.metrics
            .inc("gsa_throttled_total", &[("limiter", "client_auth")]);
        return Err(ApiError::RateLimited(wait));
    }
    let body = body?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(ApiError::UnsupportedMediaType(
            "use application/x-www-form-urlencoded (RFC 7662 §2.1)".into(),
        ));
    }
    let mut form: Map<String, Value> = Map::new();
    for (k, v) in url::form_urlencoded::parse(&body) {
        if form
            .insert(k.to_string(), Value::String(v.into_owned()))
            .is_some()
        {
            return Err(ApiError::BadRequest(format!(
                "parameter {k:?} given more than once"
            )));
        }
    }
    let field = |name: &str| form.get(name).and_then(Value::as_str).map(str::to_string);
    let basic = basic_credentials(&headers)?;
    let (client_id, secret, is_basic) = match (basic, field("client_id"), field("client_secret")) {
        (Some((id, s)), None, None) => (id, s, true),
        (None, Some(id), Some(s)) => (id, s, false),
        (Some(_), _, _) => {
            return Err(ApiError::BadRequest(
                "use either HTTP Basic or body credentials, not both".into(),
            ))
        }
        _ => {
            crate::routes::token::client_auth_failed(&st, &addr, "/introspect");
            return Err(ApiError::InvalidClient { basic: false });
        }
    };
    let token = field("token").ok_or_else(|| ApiError::BadRequest("token is required".into()))?;
    let cfg = st.cfg.clone();
    let caller =
        tokio::task::spawn_blocking(move || identity::authenticate(&cfg, &client_id, &secret))
            .await
            .map_err(anyhow::Error::from)??;
    let Some(caller) = caller else {
        crate::routes::token::client_auth_failed(&st, &addr, "/introspect");
        return Err(ApiError::InvalidClient { basic: is_basic });
    };
    let now = st.now();
    let keys = st.keys();
    let verified = caller
        .audiences
        .iter()
        .find_map(|aud| tokens::verify(&keys, &token, &st.cfg.jwt_issuer, aud, now).ok());
    let body = match verified {
        Some(v) => {
            let mut out = Map::new();
            out.insert("active".into(), Value::Bool(true));
            out.insert("token_type".into(), Value::String("Bearer".into()));
            for k in [
                "scope",
                "client_id",
                "sub",
                "aud",
                "iss",
                "exp",
                "iat",
                "nbf",
                "jti",
            ] {
                if let Some(val) = v.claims.get(k) {
                    out.insert(k.into(), val.clone());
                }
            }
            Value::Object(out)
        }
        None => json!({ "active": false }),
    };
    let mut resp = axum::Json(body).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}
