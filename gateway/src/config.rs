//! The gateway's own settings, one typed struct read once at start (house style), on top of
//! the shared [`gsa_common::Config`]. Every value has a default; each can be set by an
//! environment variable (listed on the field).

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{bail, Context};

/// Gateway settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// How often a running gateway checks the key table for a rotation
    /// (`GSA_KEY_RELOAD_SECS`, default 2).
    pub key_reload: Duration,
    /// Proxies whose `X-Forwarded-For` is believed (`GSA_TRUSTED_PROXIES`, comma-separated
    /// IPs; default none: the socket address is the client address).
    pub trusted_proxies: Vec<IpAddr>,
    /// Origins allowed by CORS (`GSA_CORS_ORIGINS`, comma-separated `scheme://host[:port]`;
    /// default none: no CORS headers at all).
    pub cors_origins: Vec<String>,
    /// Origins `/login?return_to=` may send a browser back to (`GSA_LOGIN_ORIGINS`; a
    /// relative path on the gateway itself is always allowed).
    pub login_origins: Vec<String>,
    /// Whether session cookies get `Secure` (`GSA_COOKIE_SECURE`; default: only when the
    /// request came over TLS through a trusted proxy, `X-Forwarded-Proto: https`).
    pub cookie_secure: bool,
    /// A session unused this long expires (`GSA_SESSION_IDLE_SECS`, default 1800).
    pub session_idle: Duration,
    /// A session expires this long after login whatever its use (`GSA_SESSION_MAX_SECS`,
    /// default 43200).
    pub session_max: Duration,
    /// Failed client authentications per address per minute on `/token` and `/introspect`
    /// before 429 (`GSA_RATE_CLIENT_AUTH_FAILS`, default 10).
    pub client_auth_failures_per_min: u32,
    /// Requests per address per minute on `/verify` (`GSA_RATE_VERIFY`, default 600).
    pub verify_per_min: u32,
    /// Requests per client per minute on `/api` (`GSA_RATE_API`, default 1200).
    pub api_per_min: u32,
    /// Login failures (per user or per address) within `login_find` that trigger a ban
    /// (`GSA_LOGIN_MAX_FAILS`, default 3; Authelia `regulation.max_retries`).
    pub login_max_failures: u32,
    /// Window for counting login failures (`GSA_LOGIN_FIND_SECS`, default 120).
    pub login_find: Duration,
    /// How long a ban lasts (`GSA_LOGIN_BAN_SECS`, default 300). Fixed, never extended by
    /// attempts during the ban, so an attacker cannot lock a real user out for longer.
    pub login_ban: Duration,
    /// Memory for cached `/api/listings` pages, in MiB (`GSA_LISTINGS_CACHE_MB`, default 32;
    /// 0 turns the cache off). See [`crate::read::cache`].
    pub listings_cache_mb: u32,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            key_reload: Duration::from_secs(2),
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            login_origins: Vec::new(),
            cookie_secure: false,
            session_idle: Duration::from_secs(1800),
            session_max: Duration::from_secs(43_200),
            client_auth_failures_per_min: 10,
            verify_per_min: 600,
            api_per_min: 1200,
            login_max_failures: 3,
            login_find: Duration::from_secs(120),
            login_ban: Duration::from_secs(300),
            listings_cache_mb: 32,
        }
    }
}

impl GatewayConfig {
    /// Reads the settings from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the settings from a lookup function (for tests), then validates them.
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut c = Self::default();
        let secs = |name: &str, d: &mut Duration| -> anyhow::Result<()> {
            if let Some(v) = env(name) {
                let n: u64 = v.parse().with_context(|| format!("{name}: {v:?}"))?;
                *d = Duration::from_secs(n.max(1));
            }
            Ok(())
        };
        secs("GSA_KEY_RELOAD_SECS", &mut c.key_reload)?;
        secs("GSA_SESSION_IDLE_SECS", &mut c.session_idle)?;
        secs("GSA_SESSION_MAX_SECS", &mut c.session_max)?;
        secs("GSA_LOGIN_FIND_SECS", &mut c.login_find)?;
        secs("GSA_LOGIN_BAN_SECS", &mut c.login_ban)?;
        let num = |name: &str, d: &mut u32| -> anyhow::Result<()> {
            if let Some(v) = env(name) {
                *d = v.parse().with_context(|| format!("{name}: {v:?}"))?;
            }
            Ok(())
        };
        num(
            "GSA_RATE_CLIENT_AUTH_FAILS",
            &mut c.client_auth_failures_per_min,
        )?;
        num("GSA_RATE_VERIFY", &mut c.verify_per_min)?;
        num("GSA_RATE_API", &mut c.api_per_min)?;
        num("GSA_LOGIN_MAX_FAILS", &mut c.login_max_failures)?;
        num("GSA_LISTINGS_CACHE_MB", &mut c.listings_cache_mb)?;
        let list = |name: &str| -> Vec<String> {
            env(name)
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        for p in list("GSA_TRUSTED_PROXIES") {
            c.trusted_proxies.push(
                p.parse()
                    .with_context(|| format!("GSA_TRUSTED_PROXIES: {p:?}"))?,
            );
        }
        c.cors_origins = list("GSA_CORS_ORIGINS");
        c.login_origins = list("GSA_LOGIN_ORIGINS");
        if let Some(v) = env("GSA_COOKIE_SECURE") {
            c.cookie_secure = matches!(v.as_str(), "1" | "true" | "yes");
        }
        c.validate()?;
        Ok(c)
    }

    /// Refuses settings that would fail at run time or open a hole: a `*` or malformed
    /// origin (tower-http panics on `*` with credentials, reference §3 #15).
    pub fn validate(&self) -> anyhow::Result<()> {
        for o in self.cors_origins.iter().chain(&self.login_origins) {
            if normalize_origin(o).as_deref() != Some(o.as_str()) {
                bail!("{o:?} is not an origin (scheme://host[:port], no path, no '*')");
            }
        }
        Ok(())
    }
}

/// The ASCII serialization of `url`'s origin (RFC 6454 §6.2), or `None` for anything that is
/// not an http(s) URL.
pub fn normalize_origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return None;
    }
    let origin = u.origin().ascii_serialization();
    (origin != "null").then_some(origin)
}
