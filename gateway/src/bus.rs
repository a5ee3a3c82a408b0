//! The gateway's one NATS connection for its live views: the alert stream
//! (`GET /api/alerts/stream`) and the pipeline figures (consumer lag and dead-letter depth on
//! `/metrics` and the dashboard).
//!
//! The gateway's reads come from SQLite; NATS is only for what SQLite cannot say (what is
//! arriving now, what the workers have not consumed yet). The connection is made lazily, on
//! the first request that needs it, and never blocks that request: the client connects in the
//! background and reconnects forever ([`gsa_common::nats::connect`]), while each caller
//! bounds its own NATS calls with a timeout.
//!
//! A registry keyed by URL rather than a field of [`crate::AppState`], like
//! [`crate::read::pool::for_path`]: several gateways in one process (the tests) each get their
//! own server's client, and the state type stays untouched.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use async_nats::jetstream;

/// The JetStream context for the NATS server(s) at `url`; see [`client_for`].
pub async fn jetstream_for(url: &str) -> anyhow::Result<jetstream::Context> {
    Ok(jetstream::new(client_for(url).await?))
}

/// The client for the NATS server(s) at `url` (`NATS_URL`, possibly comma-separated cluster
/// nodes), connecting on first use.
///
/// Fails only when `url` cannot be parsed; an unreachable server is not an error here (calls
/// through the client fail or time out until it answers).
pub async fn client_for(url: &str) -> anyhow::Result<async_nats::Client> {
    static CLIENTS: OnceLock<Mutex<HashMap<String, async_nats::Client>>> = OnceLock::new();
    let clients = CLIENTS.get_or_init(Default::default);
    let existing = clients
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(url)
        .cloned();
    let client = match existing {
        Some(c) => c,
        None => {
            // `connect` returns at once (it retries the first connection in the background),
            // so holding no lock across it only risks a second client on a first-use race,
            // which the entry below resolves by keeping the first.
            let c = gsa_common::nats::connect(url, "gateway").await?;
            clients
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(url.to_string())
                .or_insert(c)
                .clone()
        }
    };
    Ok(client)
}
