//! Polite HTTP fetching of live pages.
//!
//! * A clear user agent: `gsa/<version> (+<contact>)` ([`user_agent`]); its product token `gsa`
//!   is what robots.txt groups are matched against. The contact (an URL or e-mail of whoever
//!   runs the scraper, `GSA_SCRAPE_CONTACT` or `--contact`) is required: gsa has no public home
//!   page that could answer for every deployment, so [`Fetcher::new`] refuses to start without
//!   one rather than send a placeholder.
//! * A per-host rate limit: at most one request every [`FetchConfig::min_interval`] (default
//!   [`DEFAULT_MIN_INTERVAL_SECS`] seconds) to one origin (scheme, host, port), or the site's
//!   robots.txt `crawl-delay` when that is longer. Retries and robots.txt fetches count.
//! * Retries with exponential backoff and jitter on HTTP 429 and 5xx and on timeouts/connection
//!   errors, at most [`FetchConfig::max_retries`] times; a `Retry-After` header (seconds or
//!   HTTP-date, RFC 9110 §10.2.3) replaces the backoff, and one longer than
//!   [`FetchConfig::max_retry_after`] ends the fetch instead of waiting.
//! * Timeouts: connect and whole-request (headers and body) timeouts.
//! * robots.txt respected by default (RFC 9309, [`crate::robots`]), fetched once per origin
//!   and cached for the life of the [`Fetcher`].
//! * Block pages: HTTP 401/403/429 or a 2xx page with an "Access Denied" / challenge / captcha
//!   body ([`crate::block::detect_block`]) end as [`FetchError::Blocked`], never as a page to
//!   parse. After a block the host is not asked again by the same [`Fetcher`].
//! * Bodies are read up to [`FetchConfig::max_body_bytes`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use gsa_schemas::{Rejection, RejectionKind};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::robots::Robots;

/// The product token of the user agent, matched against robots.txt `user-agent` lines.
pub const PRODUCT_TOKEN: &str = "gsa";

/// Default seconds between two requests to one host (`GSA_SCRAPE_DELAY_SECS`).
pub const DEFAULT_MIN_INTERVAL_SECS: u64 = gsa_common::config::DEFAULT_SCRAPE_DELAY_SECS;

/// The user agent: `gsa/<crate version> (+<contact>)`, e.g.
/// `gsa/0.1.0 (+mailto:ops@example.org)`.
pub fn user_agent(contact: &str) -> String {
    format!(
        "{PRODUCT_TOKEN}/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        contact.trim()
    )
}

/// Settings of a [`Fetcher`].
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Contact URL or e-mail put in the user agent; required (no default, see the module
    /// docs): [`Fetcher::new`] refuses an empty or malformed one.
    pub contact: String,
    /// Minimum time between two requests to one origin (default 3 seconds).
    pub min_interval: Duration,
    /// Whole-request timeout, headers and body (default 30 seconds).
    pub timeout: Duration,
    /// TCP/TLS connect timeout (default 10 seconds).
    pub connect_timeout: Duration,
    /// Retries after the first attempt on 429, 5xx, timeouts and connection errors (default 4).
    pub max_retries: u32,
    /// First backoff delay; doubles with every retry (default 2 seconds).
    pub backoff_base: Duration,
    /// Largest backoff delay (default 60 seconds).
    pub backoff_max: Duration,
    /// Largest `Retry-After` the fetcher waits for; a longer one ends the fetch (default 300
    /// seconds).
    pub max_retry_after: Duration,
    /// Obey robots.txt (default true; RFC 9309).
    pub respect_robots: bool,
    /// Largest body read, in bytes (default 16 MiB).
    pub max_body_bytes: usize,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            contact: String::new(),
            min_interval: Duration::from_secs(DEFAULT_MIN_INTERVAL_SECS),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_retries: 4,
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
            respect_robots: true,
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

impl FetchConfig {
    /// The fetch settings of the shared configuration (`GSA_SCRAPE_*`, TOML `[scrape]`):
    /// contact, delay between requests, timeout, retries and robots.txt; the backoff and body
    /// limits keep their defaults. An unset contact stays empty, which [`Fetcher::new`]
    /// refuses.
    pub fn from_settings(s: &gsa_common::config::ScrapeConfig) -> Self {
        Self {
            contact: s.contact.clone().unwrap_or_default(),
            min_interval: s.delay,
            timeout: s.timeout,
            max_retries: s.retries,
            respect_robots: s.respect_robots,
            ..Self::default()
        }
    }
}

/// A page fetched with a success status and no block signature.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL asked for.
    pub url: Url,
    /// The URL answered (after redirects).
    pub final_url: Url,
    /// HTTP status (2xx).
    pub status: u16,
    /// The body, at most [`FetchConfig::max_body_bytes`].
    pub body: Vec<u8>,
    /// When the answer arrived.
    pub fetched_at: DateTime<Utc>,
    /// Requests made for this page (1 + retries).
    pub attempts: u32,
    /// The waits before each retry, in order (`Retry-After` or backoff).
    pub waits: Vec<Duration>,
}

/// Why a fetch gave no page.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// Not an `http`/`https` URL.
    #[error("not an http(s) URL: {0}")]
    BadUrl(String),
    /// robots.txt disallows the path for `gsa` (RFC 9309).
    #[error("robots.txt of {origin} disallows {path} for user agent {PRODUCT_TOKEN} (RFC 9309)")]
    RobotsDisallowed {
        /// Scheme, host and port.
        origin: String,
        /// Path and query asked for.
        path: String,
    },
    /// A block page or status (403, "Access Denied", challenge, captcha, 429 after retries).
    #[error("blocked: {0}")]
    Blocked(String),
    /// An HTTP error status after the retries (e.g. 404, or 503 every time).
    #[error("HTTP {status} after {attempts} attempt(s)")]
    Status {
        /// Last status.
        status: u16,
        /// Requests made.
        attempts: u32,
    },
    /// Every attempt timed out.
    #[error("timed out ({timeout_secs} s per request) after {attempts} attempt(s)")]
    Timeout {
        /// The configured timeout, in seconds.
        timeout_secs: f64,
        /// Requests made.
        attempts: u32,
    },
    /// Connection or protocol error after the retries.
    #[error("network error after {attempts} attempt(s): {message}")]
    Network {
        /// What failed.
        message: String,
        /// Requests made.
        attempts: u32,
    },
    /// The server asked to wait longer than [`FetchConfig::max_retry_after`].
    #[error("server asked to wait {asked_secs} s (Retry-After), more than the {max_secs} s limit")]
    RetryAfterTooLong {
        /// Seconds asked for.
        asked_secs: u64,
        /// The limit, in seconds.
        max_secs: u64,
    },
    /// The body is larger than [`FetchConfig::max_body_bytes`].
    #[error("response body larger than {0} bytes")]
    TooLarge(usize),
    /// The host blocked an earlier request of this run, so it is not asked again.
    #[error("not fetched: {0} blocked an earlier request in this run")]
    HostBlocked(String),
}

impl FetchError {
    /// The rejection kind: `blocked` for block pages, `fetch_failed` for everything else.
    pub fn kind(&self) -> RejectionKind {
        match self {
            FetchError::Blocked(_) => RejectionKind::Blocked,
            _ => RejectionKind::FetchFailed,
        }
    }

    /// A rejection for `url`.
    pub fn to_rejection(&self, url: &str, listing_id: Option<String>) -> Rejection {
        Rejection {
            input: url.to_string(),
            record: None,
            listing_id,
            kind: self.kind(),
            reason: self.to_string(),
        }
    }
}

/// Parses a `Retry-After` value (RFC 9110 §10.2.3): delay-seconds (`120`) or an HTTP-date
/// (`Fri, 31 Dec 1999 23:59:59 GMT`, also the obsolete RFC 850 and asctime forms); the wait
/// from `now`, zero for a date in the past. `None` when the value is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurdly large values instead of failing.
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The backoff before retry number `retry` (1-based): `base * 2^(retry-1)`, capped at `max`,
/// with "equal jitter": half of it fixed and half scaled by `jitter` (a number in `[0, 1]`).
pub fn backoff_delay(base: Duration, max: Duration, retry: u32, jitter: f64) -> Duration {
    let exp = base
        .checked_mul(2u32.saturating_pow(retry.saturating_sub(1)))
        .unwrap_or(max)
        .min(max);
    let half = exp / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// The origin of a URL (`https://host:port`), the unit of rate limiting and robots.txt.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

enum Attempt {
    Response {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
        final_url: Url,
    },
    Timeout,
    Network(String),
    TooLarge,
}

/// Fetches pages politely (see the module docs). Share one per run: it holds the per-host
/// rate limit, the robots.txt cache and the blocked hosts.
pub struct Fetcher {
    client: reqwest::Client,
    cfg: FetchConfig,
    next_at: Mutex<HashMap<String, Instant>>,
    robots: Mutex<HashMap<String, Arc<Robots>>>,
    blocked: Mutex<HashSet<String>>,
}

impl Fetcher {
    /// Builds the HTTP client (rustls, gzip, up to 10 redirects, the configured timeouts and
    /// user agent).
    ///
    /// Fails when [`FetchConfig::contact`] is empty or cannot go into a user agent (see
    /// [`gsa_common::config::valid_contact`]).
    pub fn new(cfg: FetchConfig) -> anyhow::Result<Self> {
        if !gsa_common::config::valid_contact(cfg.contact.trim()) {
            anyhow::bail!(
                "live fetching needs a contact for the user agent: set GSA_SCRAPE_CONTACT (or \
                 --contact, or contact in the [scrape] table of gsa.toml) to an URL or e-mail \
                 address where a site operator can reach you"
            );
        }
        let client = reqwest::Client::builder()
            .user_agent(user_agent(&cfg.contact))
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            .redirect(reqwest::redirect::Policy::limited(10))
            .build()?;
        Ok(Self {
            client,
            cfg,
            next_at: Mutex::new(HashMap::new()),
            robots: Mutex::new(HashMap::new()),
            blocked: Mutex::new(HashSet::new()),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// Fetches `url`: robots.txt check, rate limit, retries; a block page is an error.
    pub async fn fetch(&self, url: &Url) -> Result<Page, FetchError> {
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(FetchError::BadUrl(url.to_string()));
        }
        let origin = origin(url);
        if self.blocked.lock().await.contains(&origin) {
            return Err(FetchError::HostBlocked(origin));
        }
        let robots = if self.cfg.respect_robots {
            let r = self.robots_for(url, &origin).await;
            let path = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            if !r.allowed(&path) {
                return Err(FetchError::RobotsDisallowed { origin, path });
            }
            Some(r)
        } else {
            None
        };
        let delay = robots.as_ref().and_then(|r| r.crawl_delay());
        let result = self.fetch_with_retries(url, &origin, delay).await;
        if let Err(FetchError::Blocked(_)) = &result {
            self.blocked.lock().await.insert(origin);
        }
        result
    }

    async fn robots_for(&self, url: &Url, origin: &str) -> Arc<Robots> {
        let mut cache = self.robots.lock().await;
        if let Some(r) = cache.get(origin) {
            return r.clone();
        }
        let mut robots_url = url.clone();
        robots_url.set_path("/robots.txt");
        robots_url.set_query(None);
        robots_url.set_fragment(None);
        let robots = match self.fetch_with_retries(&robots_url, origin, None).await {
            Ok(page) => Robots::from_status(page.status, &page.body, PRODUCT_TOKEN),
            // 4xx (also 401/403: RFC 9309 §2.3.1.3 treats every 4xx as "unavailable").
            Err(FetchError::Status { status, .. }) if (400..500).contains(&status) => {
                Robots::allow_all()
            }
            Err(FetchError::Blocked(reason)) if !reason.contains("429") => Robots::allow_all(),
            Err(e) => {
                tracing::warn!(origin, error = %e, "robots.txt unreachable: nothing will be fetched from this host (RFC 9309 §2.3.1.4)");
                Robots::disallow_all()
            }
        };
        let robots = Arc::new(robots);
        cache.insert(origin.to_string(), robots.clone());
        robots
    }

    /// Waits for the host's next free slot and reserves the one after it.
    async fn pace(&self, origin: &str, crawl_delay: Option<f64>) {
        let interval = crawl_delay
            .and_then(|d| Duration::try_from_secs_f64(d).ok())
            .map_or(self.cfg.min_interval, |d| d.max(self.cfg.min_interval));
        let slot = {
            let mut m = self.next_at.lock().await;
            let now = Instant::now();
            let slot = m.get(origin).copied().filter(|t| *t > now).unwrap_or(now);
            m.insert(origin.to_string(), slot + interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Pushes the host's next slot to at least `now + wait` (a `Retry-After` or backoff).
    async fn defer(&self, origin: &str, wait: Duration) {
        let mut m = self.next_at.lock().await;
        let at = Instant::now() + wait;
        let e = m.entry(origin.to_string()).or_insert(at);
        if *e < at {
            *e = at;
        }
    }

    async fn fetch_with_retries(
        &self,
        url: &Url,
        origin: &str,
        crawl_delay: Option<f64>,
    ) -> Result<Page, FetchError> {
        let mut waits = Vec::new();
        let mut attempts = 0u32;
        loop {
            self.pace(origin, crawl_delay).await;
            attempts += 1;
            let can_retry = attempts <= self.cfg.max_retries;
            let jitter = rand::random::<f64>();
            let backoff = backoff_delay(
                self.cfg.backoff_base,
                self.cfg.backoff_max,
                attempts,
                jitter,
            );
            let wait = match self.attempt(url).await {
                Attempt::Response {
                    status,
                    headers,
                    body,
                    final_url,
                } => {
                    let retryable = status == 429 || (500..=599).contains(&status);
                    if !(retryable && can_retry) {
                        return finish(url, final_url, status, body, attempts, waits);
                    }
                    match headers
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()))
                    {
                        Some(asked) if asked > self.cfg.max_retry_after => {
                            return Err(FetchError::RetryAfterTooLong {
                                asked_secs: asked.as_secs(),
                                max_secs: self.cfg.max_retry_after.as_secs(),
                            });
                        }
                        Some(asked) => asked,
                        None => backoff,
                    }
                }
                Attempt::Timeout if can_retry => backoff,
                Attempt::Timeout => {
                    return Err(FetchError::Timeout {
                        timeout_secs: self.cfg.timeout.as_secs_f64(),
                        attempts,
                    })
                }
                Attempt::Network(_) if can_retry => backoff,
                Attempt::Network(message) => return Err(FetchError::Network { message, attempts }),
                Attempt::TooLarge => return Err(FetchError::TooLarge(self.cfg.max_body_bytes)),
            };
            tracing::debug!(url = %url, attempt = attempts, wait_secs = wait.as_secs_f64(), "retrying");
            waits.push(wait);
            self.defer(origin, wait).await;
        }
    }

    async fn attempt(&self, url: &Url) -> Attempt {
        let mut resp = match self.client.get(url.clone()).send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Attempt::Timeout,
            Err(e) => return Attempt::Network(error_chain(&e)),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let final_url = resp.url().clone();
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.cfg.max_body_bytes {
                        return Attempt::TooLarge;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Attempt::Timeout,
                Err(e) => return Attempt::Network(error_chain(&e)),
            }
        }
        Attempt::Response {
            status,
            headers,
            body,
            final_url,
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

fn finish(
    url: &Url,
    final_url: Url,
    status: u16,
    body: Vec<u8>,
    attempts: u32,
    waits: Vec<Duration>,
) -> Result<Page, FetchError> {
    let text = String::from_utf8_lossy(&body);
    if let Some(reason) = crate::block::detect_block(Some(status), &text) {
        return Err(FetchError::Blocked(reason));
    }
    if !(200..=299).contains(&status) {
        return Err(FetchError::Status { status, attempts });
    }
    Ok(Page {
        url: url.clone(),
        final_url,
        status,
        body,
        fetched_at: Utc::now(),
        attempts,
        waits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert!(parse_retry_after("99999999999999999999999", now).is_some());
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let b = Duration::from_secs(2);
        let m = Duration::from_secs(60);
        assert_eq!(backoff_delay(b, m, 1, 1.0), Duration::from_secs(2));
        assert_eq!(backoff_delay(b, m, 1, 0.0), Duration::from_secs(1));
        assert_eq!(backoff_delay(b, m, 3, 1.0), Duration::from_secs(8));
        assert_eq!(backoff_delay(b, m, 10, 1.0), m);
        assert_eq!(backoff_delay(b, m, 200, 0.0), m / 2);
        assert_eq!(backoff_delay(b, m, 0, 1.0), Duration::from_secs(2));
    }

    #[test]
    fn user_agent_names_gsa_and_contact() {
        let ua = user_agent("https://example.org/gsa");
        assert!(ua.starts_with("gsa/"));
        assert!(ua.ends_with("(+https://example.org/gsa)"));
    }

    #[test]
    fn a_contact_is_required_for_live_fetching() {
        let err = Fetcher::new(FetchConfig::default()).err().unwrap();
        assert!(err.to_string().contains("GSA_SCRAPE_CONTACT"), "{err}");
        let spaced = FetchConfig {
            contact: "call me maybe".into(),
            ..FetchConfig::default()
        };
        assert!(Fetcher::new(spaced).is_err());
        let ok = FetchConfig {
            contact: "mailto:ops@example.org".into(),
            ..FetchConfig::default()
        };
        assert!(Fetcher::new(ok).is_ok());
    }
}
