//! Operator routes: `GET /metrics` (Prometheus text), `GET /debug-env` (what two services
//! need to compare their configuration, without revealing anything) and `GET /openapi.json`
//! (every route, OpenAPI 3.1 via utoipa).
//!
//! `/metrics` and `/debug-env` need the `admin` scope (a token or an admin's session);
//! Prometheus can scrape with its `oauth2` client-credentials settings. The seed's
//! `/debug-env` returned the secret itself; this one shows key ids, algorithms and short
//! SHA-256 fingerprints only.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi as Doc, ResponseBuilder};
use utoipa::OpenApi;

use crate::auth::{Bearer, API_AUDIENCE};
use crate::error::ApiResult;
use crate::keys::Mode;
use crate::state::AppState;

/// Operator routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/debug-env", get(debug_env))
        .route("/openapi.json", get(openapi_json))
}

#[utoipa::path(get, path = "/metrics", tag = "operations", security(("bearer" = [])),
    responses((status = 200, description = "Prometheus text exposition format 0.0.4"),
              (status = 401, description = "invalid_token"), (status = 403, description = "insufficient_scope (admin)")))]
async fn metrics(bearer: Bearer, State(st): State<AppState>) -> ApiResult<Response> {
    bearer.require_scope("admin")?;
    let mut resp = st
        .metrics
        .render_all(&st.cfg.nats_url)
        .await
        .into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(resp)
}

#[utoipa::path(get, path = "/debug-env", tag = "operations", security(("bearer" = [])),
    responses((status = 200, description = "issuer, audiences, signing mode, key ids, algorithms, fingerprints"),
              (status = 401, description = "invalid_token"), (status = 403, description = "insufficient_scope (admin)")))]
async fn debug_env(bearer: Bearer, State(st): State<AppState>) -> ApiResult<Response> {
    bearer.require_scope("admin")?;
    let cfg = st.cfg.clone();
    let clients = tokio::task::spawn_blocking(move || crate::identity::list_clients(&cfg))
        .await
        .map_err(anyhow::Error::from)??;
    let mut audiences: Vec<String> = vec![API_AUDIENCE.to_string()];
    for c in clients.iter().filter(|c| !c.disabled) {
        for a in &c.audiences {
            if !audiences.contains(a) {
                audiences.push(a.clone());
            }
        }
    }
    let ring = st.keys();
    let signing = ring.signing().ok().map(|k| k.kid.clone());
    let keys: Vec<_> = ring
        .entries()
        .iter()
        .map(|k| {
            json!({
                "kid": k.kid,
                "alg": format!("{:?}", k.alg),
                "signing": Some(&k.kid) == signing.as_ref(),
                "retired_at": k.retired_at,
                "fingerprint": k.fingerprint(),
            })
        })
        .collect();
    let mode = match Mode::of(&st.cfg) {
        Mode::Hs256 => "HS256 (JWT_SECRET_KEY)",
        Mode::EdDsa => "EdDSA (generated Ed25519 keys)",
    };
    Ok(axum::Json(json!({
        "issuer": st.cfg.jwt_issuer,
        "audiences": audiences,
        "mode": mode,
        "keys": keys,
        "token_ttl_secs": crate::tokens::DEFAULT_TTL_SECS,
        "max_lifetime_secs": crate::tokens::MAX_LIFETIME_SECS,
        "leeway_secs": crate::tokens::LEEWAY_SECS,
    }))
    .into_response())
}

#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "This document")))]
async fn openapi_json() -> Response {
    axum::Json(openapi()).into_response()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gsa gateway",
        description = "Identity provider and authenticated read API of Gas Station Analyzer."
    ),
    paths(
        crate::routes::token::token,
        crate::routes::introspect::introspect,
        crate::routes::introspect::jwks,
        crate::routes::verify::verify,
        crate::routes::login::login_page,
        crate::routes::login::login,
        crate::routes::login::logout,
        metrics,
        debug_env,
        openapi_json,
    ),
    components(schemas(crate::routes::verify::VerifyRequest))
)]
struct Annotated;

/// Routes whose handlers are not annotated yet (health probes and the read API): described here
/// by method, path and summary so the document still lists every route of the router.
const UNANNOTATED: &[(HttpMethod, &str, &str, bool)] = &[
    (HttpMethod::Get, "/ping", "Liveness, plain `OK`.", false),
    (
        HttpMethod::Get,
        "/healthz",
        "Liveness: the process answers.",
        false,
    ),
    (
        HttpMethod::Get,
        "/readyz",
        "Readiness: databases open (503 otherwise).",
        false,
    ),
    (
        HttpMethod::Get,
        "/api/listings",
        "Listings with their latest score (listings:read).",
        true,
    ),
    (
        HttpMethod::Get,
        "/api/listings/{id}",
        "One listing with its score card (listings:read).",
        true,
    ),
    (
        HttpMethod::Get,
        "/api/listings/{id}/report.md",
        "The Markdown report of a listing (listings:read).",
        true,
    ),
    (
        HttpMethod::Get,
        "/api/export.csv",
        "Listings as CSV (listings:read).",
        true,
    ),
    (
        HttpMethod::Get,
        "/api/export.xlsx",
        "Listings as a spreadsheet (listings:read).",
        true,
    ),
    (
        HttpMethod::Get,
        "/api/alerts",
        "High-score alerts (alerts:read).",
        true,
    ),
    (
        HttpMethod::Get,
        "/api/alerts/stream",
        "High-score alerts as they arrive, server-sent events; filters min_score, state; Last-Event-ID resumes (alerts:read).",
        true,
    ),
    (HttpMethod::Get, "/api/events", "Raw events (admin).", true),
    (
        HttpMethod::Get,
        "/api/logs",
        "Service logs (logs:read).",
        true,
    ),
    (
        HttpMethod::Get,
        "/api/logs/tail",
        "Live log tail, server-sent events (logs:read).",
        true,
    ),
    (
        HttpMethod::Get,
        "/",
        "Dashboard: ranked listings (HTML, session).",
        true,
    ),
    (
        HttpMethod::Get,
        "/listings/{id}",
        "Dashboard: one listing (HTML, session).",
        true,
    ),
    (
        HttpMethod::Get,
        "/paste",
        "Dashboard: paste form (HTML, session).",
        true,
    ),
    (
        HttpMethod::Post,
        "/paste",
        "Dashboard: submit pasted text to the scraper inbox (session, CSRF).",
        true,
    ),
    (
        HttpMethod::Get,
        "/alerts",
        "Dashboard: alerts (HTML, session).",
        true,
    ),
    (
        HttpMethod::Get,
        "/logs",
        "Dashboard: log viewer (HTML, session).",
        true,
    ),
];

/// The OpenAPI document of every route.
pub fn openapi() -> Doc {
    let mut doc = Annotated::openapi();
    for (method, path, summary, secured) in UNANNOTATED {
        let mut op = OperationBuilder::new()
            .summary(Some(*summary))
            .response("200", ResponseBuilder::new().description("OK").build());
        if *secured {
            op = op
                .response(
                    "401",
                    ResponseBuilder::new().description("invalid_token").build(),
                )
                .response(
                    "403",
                    ResponseBuilder::new()
                        .description("insufficient_scope")
                        .build(),
                )
                .response(
                    "429",
                    ResponseBuilder::new().description("rate_limited").build(),
                )
                .security(utoipa::openapi::security::SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                ));
        }
        let item = PathItem::new(method.clone(), op.build());
        match doc.paths.paths.get_mut(*path) {
            Some(existing) => existing.merge_operations(item),
            None => {
                doc.paths.paths.insert(path.to_string(), item);
            }
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    doc
}
