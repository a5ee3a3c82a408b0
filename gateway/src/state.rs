//! The shared context every handler receives: configuration, keys, limiters, metrics and the
//! audit sink. One cloneable struct (house style), cheap to clone: one `Arc` around all of it.
//!
//! Why one `Arc` and not one per field: axum clones the state for every extractor and layer
//! that takes it, several times a request, and each clone and drop of a field-by-field state
//! was seven atomic increments and decrements; `drop_in_place<AppState>` alone was 2.8 % of
//! the gateway's CPU under `POST /verify` load (`GW_PERF=verify scripts/bench-gateway`).

use std::sync::{Arc, RwLock};

use gsa_common::Config;

use std::time::Duration;

use crate::audit::Audit;
use crate::config::GatewayConfig;
use crate::keys::KeyRing;
use crate::metrics::Metrics;
use crate::read::cache::PageCache;
use crate::throttle::{LoginGuard, RateLimiter};

/// The throttles of the gateway (see [`crate::throttle`]).
#[derive(Debug)]
pub struct Limits {
    /// Failed client authentications per address on `/token` and `/introspect`.
    pub client_auth_failures: RateLimiter,
    /// Requests per address on `/verify`.
    pub verify: RateLimiter,
    /// Requests per client (token subject) on `/api`.
    pub api: RateLimiter,
    /// Login failures per user and per address.
    pub login: LoginGuard,
}

impl Limits {
    /// The limits `gw` configures.
    pub fn new(gw: &GatewayConfig) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            client_auth_failures: RateLimiter::new(gw.client_auth_failures_per_min, minute),
            verify: RateLimiter::new(gw.verify_per_min, minute),
            api: RateLimiter::new(gw.api_per_min, minute),
            login: LoginGuard::new(gw.login_max_failures, gw.login_find, gw.login_ban),
        }
    }
}

/// Shared application state: a cheap handle ([`Clone`] is one atomic increment) that
/// dereferences to [`Shared`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    /// Configuration read at start.
    pub cfg: Arc<Config>,
    /// Gateway settings read at start.
    pub gw: Arc<GatewayConfig>,
    /// Signing and verification keys; swapped whole when the key table changes.
    keys: RwLock<Arc<KeyRing>>,
    /// Throttles.
    pub limits: Arc<Limits>,
    /// Prometheus counters.
    pub metrics: Arc<Metrics>,
    /// The audit sink (best-effort, never blocks).
    pub audit: Audit,
    /// Answered `/api/listings` pages, dropped when a listing or score is stored.
    pub listings_cache: Arc<PageCache>,
}

impl AppState {
    /// Builds the state: prepares and loads the key ring (refusing a short `JWT_SECRET_KEY`,
    /// RFC 8725 §3.5, generating an Ed25519 key when none is configured), and creates the
    /// identity store if needed.
    ///
    /// Audit events are dropped (counted) until [`AppState::start_audit`] runs.
    pub fn new(cfg: Config, gw: GatewayConfig) -> anyhow::Result<Self> {
        let keys = KeyRing::load(&cfg)?;
        let metrics = Arc::new(Metrics::default());
        let listings_cache = Arc::new(PageCache::new(
            cfg.db_path(),
            gw.listings_cache_mb as usize * 1024 * 1024,
        ));
        Ok(Self(Arc::new(Shared {
            listings_cache,
            limits: Arc::new(Limits::new(&gw)),
            audit: Audit::disabled(metrics.clone()),
            metrics,
            cfg: Arc::new(cfg),
            gw: Arc::new(gw),
            keys: RwLock::new(Arc::new(keys)),
        })))
    }

    /// Starts publishing audit events to NATS (needs a Tokio runtime).
    ///
    /// # Errors
    /// The state was already cloned (handed to the router): start the audit sink first.
    pub fn start_audit(&mut self) -> anyhow::Result<()> {
        let shared = Arc::get_mut(&mut self.0)
            .ok_or_else(|| anyhow::anyhow!("start_audit after the state was shared"))?;
        shared.audit = Audit::spawn(
            shared.cfg.nats_url.clone(),
            (*shared.cfg).clone(),
            shared.metrics.clone(),
        );
        Ok(())
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
                let old = self.keys().signing().ok().map(|k| k.kid.clone());
                let new = ring.signing().ok().map(|k| k.kid.clone());
                if old != new {
                    let mut ev =
                        crate::audit::AuditEvent::new(crate::audit::action::KEY_ROTATED, "ok");
                    ev.kid = new;
                    self.audit.emit(ev);
                }
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
