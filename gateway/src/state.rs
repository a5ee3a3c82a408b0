//! The shared context every handler receives: configuration, keys, limiters, metrics and the
//! audit sink. One cloneable struct (house style), cheap to clone (everything behind `Arc`).

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

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// Configuration read at start.
    pub cfg: Arc<Config>,
    /// Gateway settings read at start.
    pub gw: Arc<GatewayConfig>,
    /// Signing and verification keys; swapped whole when the key table changes.
    keys: Arc<RwLock<Arc<KeyRing>>>,
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
        Ok(Self {
            listings_cache,
            limits: Arc::new(Limits::new(&gw)),
            audit: Audit::disabled(metrics.clone()),
            metrics,
            cfg: Arc::new(cfg),
            gw: Arc::new(gw),
            keys: Arc::new(RwLock::new(Arc::new(keys))),
        })
    }

    /// Starts publishing audit events to NATS (needs a Tokio runtime).
    pub fn start_audit(&mut self) {
        self.audit = Audit::spawn(
            self.cfg.nats_url.clone(),
            (*self.cfg).clone(),
            self.metrics.clone(),
        );
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
