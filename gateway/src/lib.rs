//! # gsa-gateway: identity provider and authenticated API of Gas Station Analyzer
//!
//! * [`identity`]: registered OAuth clients in `$GSA_DATA_DIR/identity.db` (argon2id hashes).
//! * [`keys`]: the signing key ring (HS256, each key bound to one algorithm, RFC 8725 §3.1).
//! * [`tokens`]: issuing RFC 9068 access tokens and verifying them per RFC 8725.
//! * [`auth`]: the bearer-token extractor (RFC 6750).
//! * [`error`]: the one HTTP error type and its JSON body.
//! * [`routes`]: `/ping`, `/healthz`, `/readyz`, `/token`, `/verify`, `/introspect`,
//!   `/.well-known/jwks.json`, `/api/listings`.
//! * [`state`]: the shared handler context.
//!
//! The gateway reads `gsa.db` read-only and knows nothing of NATS consumers.

pub mod auth;
pub mod error;
pub mod identity;
pub mod keys;
pub mod routes;
pub mod state;
pub mod tokens;

pub use identity::ClientInfo;
pub use state::AppState;

/// Runs the gateway on `listener` until `shutdown` fires, then stops accepting connections and
/// lets in-flight requests finish (graceful shutdown).
///
/// Fails before serving when the signing key cannot be loaded, e.g. a `JWT_SECRET_KEY` shorter
/// than 32 bytes (RFC 8725 §3.5), or when the identity store cannot be opened.
pub async fn serve(
    cfg: gsa_common::Config,
    listener: tokio::net::TcpListener,
    mut shutdown: gsa_common::Shutdown,
) -> anyhow::Result<()> {
    let state = tokio::task::spawn_blocking(move || AppState::new(cfg)).await??;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, kids = ?state.keys.kids(), "gateway listening");
    let app = routes::router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.recv().await })
        .await?;
    tracing::info!("gateway stopped");
    Ok(())
}
