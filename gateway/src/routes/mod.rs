//! HTTP routes grouped by resource, one module each with its own `router()`; [`router`] merges
//! them and adds the cross-cutting layers once.
//!
//! Layer decisions:
//! * Auth is an extractor, not a `.layer()`, so unknown paths answer 404 and not 401
//!   (axum issue #348).
//! * Timeout answers 503, not tower-http's default 408 (tower-http #300).
//! * [`harden`] runs outermost: it adds security headers to every response and turns any
//!   non-JSON error (axum's 405, the body-limit 413, the timeout 503) into the JSON error shape.

pub mod admin;
pub mod alerts;
pub mod events;
pub mod export;
pub mod health;
pub mod introspect;
pub mod listings;
pub mod login;
pub mod logs;
pub mod token;
pub mod verify;

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::{error_body, ApiError};
use crate::state::AppState;

/// Largest request body accepted, in bytes. Every endpoint takes small JSON or form bodies.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Longest a request may take before a 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The full application router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(token::router())
        .merge(introspect::router())
        .merge(verify::router())
        .merge(listings::router())
        .merge(export::router())
        .merge(alerts::router())
        .merge(events::router())
        .merge(logs::router())
        .merge(crate::dashboard::router())
        .merge(login::router())
        .merge(admin::router())
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        // Added innermost first: metrics, body limit, timeout, harden, CORS, then trace
        // outermost.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn(harden))
        .layer(tower::util::option_layer(cors(&state.gw)))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// CORS only for the configured origins (none by default: no CORS headers at all). The list
/// is explicit, never `*`, so credentials are allowed without the tower-http panic of `*` with
/// credentials (reference §3 #15); [`crate::config::GatewayConfig::validate`] has checked it.
fn cors(gw: &crate::config::GatewayConfig) -> Option<tower_http::cors::CorsLayer> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins: Vec<HeaderValue> = gw
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .allow_credentials(true)
            .max_age(Duration::from_secs(600)),
    )
}

/// Security headers on every response; JSON bodies on every error.
async fn harden(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // The dashboard's own HTML error pages are deliberate answers, not axum's plain text.
    let is_page = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let mut resp = if (status.is_client_error() || status.is_server_error()) && !is_json && !is_page
    {
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::SERVICE_UNAVAILABLE => "unavailable",
            StatusCode::TOO_MANY_REQUESTS => "rate_limited",
            s if s.is_client_error() => "invalid_request",
            _ => "internal",
        };
        let message = status.canonical_reason().unwrap_or("error");
        let (mut parts, _) = resp.into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        let body = axum::Json(error_body(code, message)).into_response();
        let (bparts, bbody) = body.into_parts();
        parts.headers.insert(
            header::CONTENT_TYPE,
            bparts.headers[header::CONTENT_TYPE].clone(),
        );
        Response::from_parts(parts, Body::new(bbody))
    } else {
        resp
    };
    let h = resp.headers_mut();
    let defaults: [(HeaderName, &str); 6] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Not `no-referrer`: under it a browser sends `Origin: null` with its form posts, and
        // the login, logout and paste forms (which check `Origin`) would always be refused.
        // `same-origin` still sends nothing to other sites (a listing's BizBuySell link).
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in defaults {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    resp
}
