//! The shared context every handler receives: configuration, keys, and store paths. One
//! cloneable struct (house style), cheap to clone (everything behind `Arc`).

use std::sync::Arc;

use gsa_common::Config;

use crate::keys::KeyRing;

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// Configuration read at start.
    pub cfg: Arc<Config>,
    /// Signing and verification keys.
    pub keys: Arc<KeyRing>,
}

impl AppState {
    /// Builds the state: loads (or generates) the signing key, refusing a short secret
    /// (RFC 8725 §3.5), and creates the identity store if needed.
    pub fn new(cfg: Config) -> anyhow::Result<Self> {
        let keys = KeyRing::load(&cfg)?;
        drop(crate::identity::open(&cfg)?);
        Ok(Self {
            cfg: Arc::new(cfg),
            keys: Arc::new(keys),
        })
    }

    /// Current time, seconds since the epoch.
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}
