//! # gsa-gateway: identity provider and authenticated API of Gas Station Analyzer
//!
//! * [`identity`]: registered OAuth clients in `$GSA_DATA_DIR/identity.db` (argon2id hashes).
//! * [`keys`]: the signing key ring (HS256 or EdDSA, each key bound to one algorithm,
//!   RFC 8725 §3.1) and key management (rotate, list, retire).
//! * [`tokens`]: issuing RFC 9068 access tokens.
//! * [`verifier`]: verifying them per RFC 8725, offered to other services, with a caching
//!   JWKS fetcher ([`jwks`]).
//! * [`auth`]: the bearer-token (RFC 6750) and session-cookie extractor.
//! * [`users`], [`sessions`]: dashboard users (roles, argon2id) and their server-side sessions.
//! * [`throttle`], [`client_addr`]: 429 rate limits and the login brute-force guard.
//! * [`audit`], [`metrics`]: audit events on NATS (best-effort) and Prometheus counters.
//! * [`bus`]: the lazily connected NATS client of the live views (alert stream, pipeline lag).
//! * [`access`]: the read API's caller extractor and scopes.
//! * [`read`]: the read-only pool over `gsa.db` and the read models (listings, logs, alerts,
//!   events, the Markdown report).
//! * [`error`]: the one HTTP error type and its JSON body.
//! * [`config`]: the gateway's own settings.
//! * [`routes`]: `/ping`, `/healthz`, `/readyz`, `/token`, `/verify`, `/introspect`,
//!   `/.well-known/jwks.json`, `/api/listings`.
//! * [`state`]: the shared handler context.
//!
//! The gateway reads `gsa.db` read-only; NATS only for what SQLite cannot say (alerts arriving
//! now, through an ephemeral consumer per stream client, and the workers' consumer lag).

pub mod access;
pub mod audit;
pub mod auth;
pub mod bus;
pub mod client_addr;
pub mod config;
pub mod dashboard;
pub mod error;
pub mod identity;
pub mod jwks;
pub mod keys;
pub mod metrics;
pub mod read;
pub mod routes;
pub mod sessions;
pub mod state;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod verifier;

pub use config::GatewayConfig;
pub use identity::ClientInfo;
pub use state::AppState;

/// Reads and checks the gateway's settings without touching the network or the identity
/// store: [`GatewayConfig::from_env`] and its [`GatewayConfig::validate`], and the length of
/// `JWT_SECRET_KEY` when set (at least 32 bytes, RFC 8725 §3.5). `gsa up` calls this before
/// any service starts, so a bad setting is the only thing it prints.
///
/// # Errors
/// The first setting that is wrong, named with the variable that sets it.
pub fn preflight(cfg: &gsa_common::Config) -> anyhow::Result<GatewayConfig> {
    let gw = GatewayConfig::from_env()?;
    gw.validate()?;
    if let Some(secret) = &cfg.jwt_secret_key {
        keys::KeyEntry::hs256(secret.expose().as_bytes())
            .map_err(|e| e.context("JWT_SECRET_KEY"))?;
    }
    Ok(gw)
}

/// Runs the gateway on `listener` until `shutdown` fires, with [`GatewayConfig::from_env`];
/// see [`serve_with`].
pub async fn serve(
    cfg: gsa_common::Config,
    listener: tokio::net::TcpListener,
    shutdown: gsa_common::Shutdown,
) -> anyhow::Result<()> {
    serve_with(cfg, GatewayConfig::from_env()?, listener, shutdown).await
}

/// Runs the gateway on `listener` until `shutdown` fires, then stops accepting connections and
/// lets in-flight requests finish (graceful shutdown).
///
/// Fails before serving when the signing key cannot be loaded, e.g. a `JWT_SECRET_KEY` shorter
/// than 32 bytes (RFC 8725 §3.5), or when the identity store cannot be opened.
pub async fn serve_with(
    cfg: gsa_common::Config,
    gw: GatewayConfig,
    listener: tokio::net::TcpListener,
    mut shutdown: gsa_common::Shutdown,
) -> anyhow::Result<()> {
    gw.validate()?;
    let mut state = tokio::task::spawn_blocking(move || AppState::new(cfg, gw)).await??;
    state.start_audit()?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, kids = ?state.keys().kids(), "gateway listening");
    let reloader = {
        let state = state.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(state.gw.key_reload);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => { state.reload_keys().await; }
                    _ = stop.recv() => break,
                }
            }
        })
    };
    let db_path = state.cfg.db_path();
    let app = routes::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.recv().await;
        // End the log tail's event streams, which would otherwise hold shutdown open.
        read::pool::for_path(&db_path).close();
    })
    .await?;
    reloader.abort();
    tracing::info!("gateway stopped");
    Ok(())
}
