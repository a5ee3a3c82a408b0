//! The shared context every handler receives: configuration, keys, limiters, metrics and the
//! audit sink. One cloneable struct (house style), cheap to clone (everything behind `Arc`).

use std::sync::{Arc, RwLock};

use gsa_common::Config;

use crate::config::GatewayConfig;
use crate::keys::KeyRing;

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// Configuration read at start.
    pub cfg: Arc<Config>,
    /// Gateway settings read at start.
    pub gw: Arc<GatewayConfig>,
    /// Signing and verification keys; swapped whole when the key table changes.
    keys: Arc<RwLock<Arc<KeyRing>>>,
}

impl AppState {
    /// Builds the state: prepares and loads the key ring (refusing a short `JWT_SECRET_KEY`,
    /// RFC 8725 §3.5, generating an Ed25519 key when none is configured), and creates the
    /// identity store if needed.
    pub fn new(cfg: Config, gw: GatewayConfig) -> anyhow::Result<Self> {
        let keys = KeyRing::load(&cfg)?;
        Ok(Self {
            cfg: Arc::new(cfg),
            gw: Arc::new(gw),
            keys: Arc::new(RwLock::new(Arc::new(keys))),
        })
    }

    /// The current key ring (a snapshot: a reload never changes a ring in use).
    pub fn keys(&self) -> Arc<KeyRing> {
        match self.keys.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the key table when its generation changed; returns whether the ring changed.
    /// A failed read keeps the current ring (logged).
    pub async fn reload_keys(&self) -> bool {
        let cfg = self.cfg.clone();
        let current = self.keys().generation();
        let res = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<KeyRing>> {
            let conn = crate::identity::open(&cfg)?;
            if crate::keys::generation(&conn)? == current {
                return Ok(None);
            }
            KeyRing::read(&conn, &cfg).map(Some)
        })
        .await
        .map_err(anyhow::Error::from)
        .and_then(|r| r);
        match res {
            Ok(Some(ring)) => {
                tracing::info!(kids = ?ring.kids(), "key set reloaded");
                match self.keys.write() {
                    Ok(mut k) => *k = Arc::new(ring),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(ring),
                }
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "key reload failed; keeping the current keys"
                );
                false
            }
        }
    }

    /// Current time, seconds since the epoch.
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}
