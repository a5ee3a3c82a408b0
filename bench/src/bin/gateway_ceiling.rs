//! The reference ceiling of issue 8's gateway targets, measured on this machine.
//!
//! Issue 8 quotes "axum answering a 1 KB JSON body behind an HS256 Bearer check: about 61,500
//! req/s (`wrk -t1 -c32`); without the check about 78,000 req/s", measured on another 2-core
//! machine. How far `POST /verify` is from what this machine can do is only known against the
//! same ceiling measured here, in the same run. This binary is that ceiling: a bare axum server
//! with nothing of the gateway (no key ring, no rate limiter, no audit, no metrics, no logging),
//! answering
//!
//! * `GET /plain`: a fixed 1 KB JSON body;
//! * `GET /bearer`: the same body behind an HS256 Bearer check (`jsonwebtoken::decode` with
//!   `iss`, `aud` and `exp` validated, RFC 7519 §4.1);
//! * `POST /verify`: the body `{"token": "...", "aud": "..."}` of the gateway's `POST /verify`,
//!   decoded and validated the same way, answered `{"valid": true, "claims": {...}}` (401 with a
//!   JSON body when the token fails).
//!
//! The HS256 key is 32 random bytes drawn at start and never printed. On start it prints one JSON
//! line on stdout, `{"addr": "127.0.0.1:PORT", "token": "<compact JWS valid one hour>"}`, and then
//! serves until killed. `scripts/bench-gateway` runs it on core 0 with `wrk` on core 1, exactly
//! like the gateway, and reports each gateway figure beside it.
//!
//! Run: `cargo run --release -p gsa-bench --bin gateway_ceiling [-- --addr 127.0.0.1:0]`

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use clap::Parser;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The allocator `gsa` ships with (`gsa_common::allocator`), so this measures what ships.
#[global_allocator]
static ALLOCATOR: gsa_common::allocator::Allocator = gsa_common::allocator::Allocator;

/// Command line.
#[derive(Parser)]
struct Args {
    /// Address to listen on (port 0: a free port, printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
}

/// Issuer of the ceiling's tokens (`iss`).
const ISSUER: &str = "gsa-ceiling";
/// Audience of the ceiling's tokens (`aud`).
const AUDIENCE: &str = "gsa-api";

/// Claims of the ceiling's tokens: the registered claims the gateway's access tokens carry
/// (RFC 7519 §4.1) plus `scope`, so decoding costs the same.
#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    nbf: i64,
    iat: i64,
    jti: String,
    scope: String,
}

/// What every handler shares.
struct Ceiling {
    key: DecodingKey,
    validation: Validation,
    body: String,
}

/// Body of `POST /verify` (the gateway's shape).
#[derive(Deserialize)]
struct VerifyRequest {
    token: String,
    aud: String,
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"valid": false, "error": "invalid_token"})),
    )
        .into_response()
}

async fn plain(State(c): State<Arc<Ceiling>>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], c.body.clone()).into_response()
}

async fn bearer(State(c): State<Arc<Ceiling>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token.map(|t| jsonwebtoken::decode::<Claims>(t, &c.key, &c.validation)) {
        Some(Ok(_)) => {
            ([(header::CONTENT_TYPE, "application/json")], c.body.clone()).into_response()
        }
        _ => unauthorized(),
    }
}

async fn verify(State(c): State<Arc<Ceiling>>, body: axum::Json<VerifyRequest>) -> Response {
    let mut v = c.validation.clone();
    v.set_audience(&[body.aud.as_str()]);
    match jsonwebtoken::decode::<Value>(&body.token, &c.key, &v) {
        Ok(d) => (
            StatusCode::OK,
            axum::Json(json!({"valid": true, "claims": d.claims})),
        )
            .into_response(),
        Err(_) => unauthorized(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: ISSUER.into(),
        sub: "bench".into(),
        aud: AUDIENCE.into(),
        exp: now + 3600,
        nbf: now,
        iat: now,
        jti: format!("{now:x}-ceiling"),
        scope: "listings:read".into(),
    };
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("ceiling".into());
    let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret))?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    // A 1 KB JSON body, like the issue's reference.
    let items: Vec<Value> = (0..12)
        .map(|i| json!({"listing_id": format!("ceiling-{i:04}"), "score": 50 + i, "state": "TX"}))
        .collect();
    let mut body = json!({"items": items, "next": null}).to_string();
    while body.len() < 1024 {
        body.insert(body.len() - 1, ' ');
    }
    let state = Arc::new(Ceiling {
        key: DecodingKey::from_secret(&secret),
        validation,
        body,
    });
    let app = Router::new()
        .route("/plain", get(plain))
        .route("/bearer", get(bearer))
        .route("/verify", post(verify))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(&args.addr).await?;
    println!(
        "{}",
        json!({"addr": listener.local_addr()?.to_string(), "token": token})
    );
    axum::serve(listener, app).await?;
    Ok(())
}
