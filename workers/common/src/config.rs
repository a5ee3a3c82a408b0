//! Configuration shared by every gsa service, read once at start.
//!
//! Precedence (first found wins): command-line flags (applied by the `gsa` binary), then
//! environment variables, then an optional TOML config file (`GSA_CONFIG`, default
//! `$GSA_DATA_DIR/gsa.toml`), then compiled-in defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Default NATS server URL.
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./data";
/// Default gateway listen address.
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";
/// Default JWT `iss`.
pub const DEFAULT_JWT_ISSUER: &str = "gsa";
/// Default alert threshold (score 0-100).
pub const DEFAULT_ALERT_THRESHOLD: u8 = 80;
/// Default JetStream duplicate window in seconds (`GSA_DUPLICATE_WINDOW_SECS`).
pub const DEFAULT_DUPLICATE_WINDOW_SECS: u64 = 120;
/// File name of the notifier's webhook registrations inside the data directory.
pub const NOTIFIER_DB_FILE: &str = "notifier.db";
/// Default seconds between two scheduled scraping rounds (`GSA_SCRAPE_EVERY_SECS`): 6 hours,
/// so a watched search is read four times a day, a few hundred polite requests each time.
pub const DEFAULT_SCRAPE_EVERY_SECS: u64 = 6 * 3600;
/// Default seconds between two requests to one host (`GSA_SCRAPE_DELAY_SECS`), issue 3's
/// "one request every few seconds".
pub const DEFAULT_SCRAPE_DELAY_SECS: u64 = 3;
/// Default whole-request timeout in seconds (`GSA_SCRAPE_TIMEOUT_SECS`).
pub const DEFAULT_SCRAPE_TIMEOUT_SECS: u64 = 30;
/// Default retries after the first attempt on 429/5xx/timeouts (`GSA_SCRAPE_RETRIES`).
pub const DEFAULT_SCRAPE_RETRIES: u32 = 4;
/// Default search pages read per start URL, the start page included (`GSA_SCRAPE_MAX_PAGES`).
pub const DEFAULT_SCRAPE_MAX_PAGES: u32 = 5;

/// Every environment variable `gsa` reads (the docker-compose test checks against this list).
pub const ENV_VARS: &[&str] = &[
    "NATS_URL",
    "GSA_DATA_DIR",
    "GSA_HTTP_ADDR",
    "JWT_SECRET_KEY",
    "JWT_ISSUER",
    "GSA_ALERT_THRESHOLD",
    "GSA_INBOX",
    "GSA_CONFIG",
    "GSA_SCORING_CONFIG",
    "GSA_STREAM_MAX_AGE_DAYS",
    "GSA_STREAM_MAX_BYTES",
    "GSA_DUPLICATE_WINDOW_SECS",
    "GSA_STREAM_REPLICAS",
    "GSA_LOG_FORMAT",
    // Live fetching (gsa scrape URL and the scraper worker's schedule).
    "GSA_SCRAPE_URLS",
    "GSA_SCRAPE_EVERY_SECS",
    "GSA_SCRAPE_CONTACT",
    "GSA_SCRAPE_DELAY_SECS",
    "GSA_SCRAPE_TIMEOUT_SECS",
    "GSA_SCRAPE_RETRIES",
    "GSA_SCRAPE_MAX_PAGES",
    "GSA_SCRAPE_DETAILS",
    "GSA_SCRAPE_ROBOTS",
    // Gateway (identity, sessions, throttling; see gateway/src/config.rs).
    "GSA_KEY_RELOAD_SECS",
    "GSA_TRUSTED_PROXIES",
    "GSA_CORS_ORIGINS",
    "GSA_LOGIN_ORIGINS",
    "GSA_COOKIE_SECURE",
    "GSA_SESSION_IDLE_SECS",
    "GSA_SESSION_MAX_SECS",
    "GSA_LOGIN_MAX_FAILS",
    "GSA_LOGIN_FIND_SECS",
    "GSA_LOGIN_BAN_SECS",
    "GSA_RATE_API",
    "GSA_LISTINGS_CACHE_MB",
    "GSA_RATE_VERIFY",
    "GSA_RATE_CLIENT_AUTH_FAILS",
    "RUST_LOG",
];

/// A secret string whose `Debug` never shows the value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret value. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(***, {} bytes)", self.0.len())
    }
}

/// Configuration of a gsa process.
#[derive(Debug, Clone)]
pub struct Config {
    /// NATS server URL (`NATS_URL`).
    pub nats_url: String,
    /// Data directory for SQLite files, keys and the inbox (`GSA_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Gateway listen address (`GSA_HTTP_ADDR`).
    pub http_addr: SocketAddr,
    /// HS256 signing secret (`JWT_SECRET_KEY`); `None` means "generate or load one".
    pub jwt_secret_key: Option<Secret>,
    /// JWT `iss` (`JWT_ISSUER`).
    pub jwt_issuer: String,
    /// Alert threshold 0-100 (`GSA_ALERT_THRESHOLD`).
    pub alert_threshold: u8,
    /// Watched inbox folder (`GSA_INBOX`, default `$GSA_DATA_DIR/inbox`).
    pub inbox: PathBuf,
    /// JetStream stream max age in days (`GSA_STREAM_MAX_AGE_DAYS`, default 30).
    pub stream_max_age_days: u64,
    /// JetStream stream max size in bytes (`GSA_STREAM_MAX_BYTES`, default 1 GiB).
    pub stream_max_bytes: i64,
    /// JetStream duplicate window (`GSA_DUPLICATE_WINDOW_SECS`, default 120 s): a message whose
    /// `Nats-Msg-Id` was seen within it is dropped by the server. Consumers are idempotent for
    /// anything older, and alert state lives in a KV bucket, so this only trades memory for
    /// early drops.
    pub duplicate_window: Duration,
    /// Replicas of every stream and KV bucket (`GSA_STREAM_REPLICAS`, default 1; 3 on a
    /// three-node NATS cluster, see `docs/SCALING.md`). Applied when a stream is created or
    /// updated.
    pub stream_replicas: usize,
    /// Live fetching: the scraper worker's schedule and the polite fetcher's settings
    /// (`GSA_SCRAPE_*`, TOML table `[scrape]`).
    pub scrape: ScrapeConfig,
}

/// Live fetching settings, shared by `gsa scrape URL` and the scraper worker's schedule
/// (issue 3: "fetch politely, and ingest without a person"). The rules themselves live in
/// `gsa_scraper::fetch` and `gsa_scraper::crawl`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapeConfig {
    /// Search or detail page URLs the scraper worker reads every [`ScrapeConfig::every`]
    /// (`GSA_SCRAPE_URLS`, comma- or whitespace-separated `http(s)://` URLs; TOML
    /// `urls = [..]`). Empty (the default): no scheduled fetching, the worker only watches the
    /// inbox.
    pub urls: Vec<String>,
    /// Time from the start of one scheduled round to the start of the next
    /// (`GSA_SCRAPE_EVERY_SECS`, default [`DEFAULT_SCRAPE_EVERY_SECS`], at least 1 s).
    pub every: Duration,
    /// Contact URL or e-mail put in the user agent, `gsa/<version> (+<contact>)`, so a site
    /// operator can reach whoever runs the scraper (`GSA_SCRAPE_CONTACT`). No default: gsa has
    /// no public home page that could answer for every deployment, so live fetching (a
    /// schedule, or `gsa scrape URL`) refuses to start without one.
    pub contact: Option<String>,
    /// Minimum time between two requests to one host (`GSA_SCRAPE_DELAY_SECS`, seconds,
    /// fractions allowed; default [`DEFAULT_SCRAPE_DELAY_SECS`]); a longer robots.txt
    /// `Crawl-delay` wins.
    pub delay: Duration,
    /// Whole-request timeout (`GSA_SCRAPE_TIMEOUT_SECS`, default
    /// [`DEFAULT_SCRAPE_TIMEOUT_SECS`]).
    pub timeout: Duration,
    /// Retries on 429/5xx, timeouts and connection errors (`GSA_SCRAPE_RETRIES`, default
    /// [`DEFAULT_SCRAPE_RETRIES`]).
    pub retries: u32,
    /// Search pages read per start URL, the start page included (`GSA_SCRAPE_MAX_PAGES`,
    /// default [`DEFAULT_SCRAPE_MAX_PAGES`], at least 1).
    pub max_pages: u32,
    /// Fetch each search card's detail page (`GSA_SCRAPE_DETAILS`, default true).
    pub details: bool,
    /// Obey robots.txt, RFC 9309 (`GSA_SCRAPE_ROBOTS`, default true; turn off only for a site
    /// you own or may crawl).
    pub respect_robots: bool,
}

impl Default for ScrapeConfig {
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            every: Duration::from_secs(DEFAULT_SCRAPE_EVERY_SECS),
            contact: None,
            delay: Duration::from_secs(DEFAULT_SCRAPE_DELAY_SECS),
            timeout: Duration::from_secs(DEFAULT_SCRAPE_TIMEOUT_SECS),
            retries: DEFAULT_SCRAPE_RETRIES,
            max_pages: DEFAULT_SCRAPE_MAX_PAGES,
            details: true,
            respect_robots: true,
        }
    }
}

/// The `[scrape]` table of the config file; see [`ScrapeConfig`] for each key.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileScrape {
    /// See [`ScrapeConfig::urls`].
    pub urls: Option<Vec<String>>,
    /// See [`ScrapeConfig::every`] (seconds).
    pub every_secs: Option<u64>,
    /// See [`ScrapeConfig::contact`].
    pub contact: Option<String>,
    /// See [`ScrapeConfig::delay`] (seconds).
    pub delay_secs: Option<f64>,
    /// See [`ScrapeConfig::timeout`] (seconds).
    pub timeout_secs: Option<f64>,
    /// See [`ScrapeConfig::retries`].
    pub retries: Option<u32>,
    /// See [`ScrapeConfig::max_pages`].
    pub max_pages: Option<u32>,
    /// See [`ScrapeConfig::details`].
    pub details: Option<bool>,
    /// See [`ScrapeConfig::respect_robots`].
    pub robots: Option<bool>,
}

/// The optional config file's shape; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// See [`Config::nats_url`].
    pub nats_url: Option<String>,
    /// See [`Config::http_addr`].
    pub http_addr: Option<String>,
    /// See [`Config::jwt_issuer`].
    pub jwt_issuer: Option<String>,
    /// See [`Config::alert_threshold`].
    pub alert_threshold: Option<u8>,
    /// See [`Config::inbox`].
    pub inbox: Option<PathBuf>,
    /// See [`Config::stream_max_age_days`].
    pub stream_max_age_days: Option<u64>,
    /// See [`Config::stream_max_bytes`].
    pub stream_max_bytes: Option<i64>,
    /// See [`Config::duplicate_window`] (seconds).
    pub duplicate_window_secs: Option<u64>,
    /// See [`Config::stream_replicas`].
    pub stream_replicas: Option<usize>,
    /// The `[scrape]` table.
    pub scrape: Option<FileScrape>,
}

/// Errors reading configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable or key has a value that cannot be used.
    #[error("invalid {name}: {reason}")]
    Invalid {
        /// Variable or key name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The config file could not be read or parsed.
    #[error("config file {path}: {reason}")]
    File {
        /// Path of the file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Values given on the command line; each overrides environment and file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--nats-url`.
    pub nats_url: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--http-addr`.
    pub http_addr: Option<String>,
    /// `--alert-threshold`.
    pub alert_threshold: Option<u8>,
}

impl Config {
    /// Reads configuration: `overrides`, then the process environment, then the config file,
    /// then defaults.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        // An empty variable reads as unset (`GSA_HTTP_ADDR= gsa up`), except the signing
        // secret: see `load_from`.
        Self::load_from(overrides, |k| {
            std::env::var(k)
                .ok()
                .filter(|v| k == "JWT_SECRET_KEY" || !v.is_empty())
        })
    }

    /// As [`Config::load`], with the environment given as a lookup function (for tests).
    pub fn load_from(
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let data_dir = overrides
            .data_dir
            .clone()
            .or_else(|| env("GSA_DATA_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let file_path = env("GSA_CONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("gsa.toml"));
        let file = match std::fs::read_to_string(&file_path) {
            Ok(text) => toml::from_str::<FileConfig>(&text).map_err(|e| ConfigError::File {
                path: file_path.display().to_string(),
                reason: e.to_string(),
            })?,
            Err(_) if env("GSA_CONFIG").is_none() => FileConfig::default(),
            Err(e) => {
                return Err(ConfigError::File {
                    path: file_path.display().to_string(),
                    reason: e.to_string(),
                })
            }
        };
        let nats_url = overrides
            .nats_url
            .clone()
            .or_else(|| env("NATS_URL"))
            .or(file.nats_url)
            .unwrap_or_else(|| DEFAULT_NATS_URL.to_string());
        let http_raw = overrides
            .http_addr
            .clone()
            .or_else(|| env("GSA_HTTP_ADDR"))
            .or(file.http_addr)
            .unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_string());
        let http_addr = http_raw.parse().map_err(|e| ConfigError::Invalid {
            name: "GSA_HTTP_ADDR".into(),
            reason: format!("{http_raw:?}: {e}"),
        })?;
        let alert_threshold = match overrides.alert_threshold {
            Some(t) => t,
            None => match env("GSA_ALERT_THRESHOLD") {
                Some(s) => parse_num::<u8>("GSA_ALERT_THRESHOLD", &s)?,
                None => file.alert_threshold.unwrap_or(DEFAULT_ALERT_THRESHOLD),
            },
        };
        if alert_threshold > 100 {
            return Err(ConfigError::Invalid {
                name: "GSA_ALERT_THRESHOLD".into(),
                reason: format!("{alert_threshold} is above 100"),
            });
        }
        let inbox = env("GSA_INBOX")
            .map(PathBuf::from)
            .or(file.inbox)
            .unwrap_or_else(|| data_dir.join("inbox"));
        let stream_max_age_days = match env("GSA_STREAM_MAX_AGE_DAYS") {
            Some(s) => parse_num("GSA_STREAM_MAX_AGE_DAYS", &s)?,
            None => file.stream_max_age_days.unwrap_or(30),
        };
        let stream_max_bytes = match env("GSA_STREAM_MAX_BYTES") {
            Some(s) => parse_num("GSA_STREAM_MAX_BYTES", &s)?,
            None => file.stream_max_bytes.unwrap_or(1 << 30),
        };
        let duplicate_window_secs = match env("GSA_DUPLICATE_WINDOW_SECS") {
            Some(s) => parse_num("GSA_DUPLICATE_WINDOW_SECS", &s)?,
            None => file
                .duplicate_window_secs
                .unwrap_or(DEFAULT_DUPLICATE_WINDOW_SECS),
        };
        if duplicate_window_secs == 0 {
            return Err(ConfigError::Invalid {
                name: "GSA_DUPLICATE_WINDOW_SECS".into(),
                reason: "must be at least 1".into(),
            });
        }
        let stream_replicas = match env("GSA_STREAM_REPLICAS") {
            Some(s) => parse_num("GSA_STREAM_REPLICAS", &s)?,
            None => file.stream_replicas.unwrap_or(1),
        };
        if !(1..=5).contains(&stream_replicas) {
            return Err(ConfigError::Invalid {
                name: "GSA_STREAM_REPLICAS".into(),
                reason: format!("{stream_replicas} is not between 1 and 5"),
            });
        }
        let scrape = scrape_config(&env, file.scrape.unwrap_or_default())?;
        Ok(Self {
            nats_url,
            data_dir,
            http_addr,
            // Set but empty is refused rather than read as unset: unset means "generate a
            // key", and a deployment that meant to share a secret with other services would
            // silently sign with a key they do not have.
            jwt_secret_key: match env("JWT_SECRET_KEY") {
                Some(v) if v.is_empty() => {
                    return Err(ConfigError::Invalid {
                        name: "JWT_SECRET_KEY".into(),
                        reason: "set but empty; unset it to use a generated key, or give it \
                                 at least 32 bytes"
                            .into(),
                    })
                }
                v => v.map(Secret::new),
            },
            jwt_issuer: env("JWT_ISSUER")
                .or(file.jwt_issuer)
                .unwrap_or_else(|| DEFAULT_JWT_ISSUER.to_string()),
            alert_threshold,
            inbox,
            stream_max_age_days,
            stream_max_bytes,
            duplicate_window: Duration::from_secs(duplicate_window_secs),
            stream_replicas,
            scrape,
        })
    }

    /// Path of the event store, `$GSA_DATA_DIR/gsa.db`.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(crate::db::DB_FILE)
    }

    /// Path of the notifier's webhook registrations, `$GSA_DATA_DIR/notifier.db` (mode 0600:
    /// it holds the signing secrets).
    pub fn notifier_db_path(&self) -> PathBuf {
        self.data_dir.join(NOTIFIER_DB_FILE)
    }

    /// Path of the identity store, `$GSA_DATA_DIR/identity.db`.
    pub fn identity_db_path(&self) -> PathBuf {
        self.data_dir.join("identity.db")
    }
}

fn invalid(name: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_string(),
        reason: reason.into(),
    }
}

fn parse_secs_f64(name: &str, s: &str) -> Result<Duration, ConfigError> {
    let v: f64 = parse_num(name, s)?;
    Duration::try_from_secs_f64(v)
        .map_err(|_| invalid(name, format!("{s:?} is not a number of seconds >= 0")))
}

fn parse_bool(name: &str, s: &str) -> Result<bool, ConfigError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, format!("{s:?} is not true/false"))),
    }
}

/// Whether `contact` can go into a user agent: printable ASCII without spaces (an URL or an
/// e-mail address), at most 200 characters.
pub fn valid_contact(contact: &str) -> bool {
    !contact.is_empty() && contact.len() <= 200 && contact.bytes().all(|b| b.is_ascii_graphic())
}

fn scrape_config(
    env: &impl Fn(&str) -> Option<String>,
    file: FileScrape,
) -> Result<ScrapeConfig, ConfigError> {
    let d = ScrapeConfig::default();
    let urls: Vec<String> = match env("GSA_SCRAPE_URLS") {
        Some(v) => v
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => file.urls.unwrap_or_default(),
    };
    for u in &urls {
        let lower = u.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(invalid(
                "GSA_SCRAPE_URLS",
                format!("{u:?} is not an http(s) URL"),
            ));
        }
    }
    let every_secs = match env("GSA_SCRAPE_EVERY_SECS") {
        Some(s) => parse_num("GSA_SCRAPE_EVERY_SECS", &s)?,
        None => file.every_secs.unwrap_or(DEFAULT_SCRAPE_EVERY_SECS),
    };
    if every_secs == 0 {
        return Err(invalid("GSA_SCRAPE_EVERY_SECS", "must be at least 1"));
    }
    let contact = env("GSA_SCRAPE_CONTACT")
        .or(file.contact)
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if let Some(c) = &contact {
        if !valid_contact(c) {
            return Err(invalid(
                "GSA_SCRAPE_CONTACT",
                "must be an URL or e-mail address (printable ASCII, no spaces, at most 200 characters)",
            ));
        }
    }
    if !urls.is_empty() && contact.is_none() {
        return Err(invalid(
            "GSA_SCRAPE_CONTACT",
            "required when GSA_SCRAPE_URLS is set: the URL or e-mail a site operator can reach you at (it goes into the user agent)",
        ));
    }
    let secs = |name: &str, file: Option<f64>, default: Duration| match env(name) {
        Some(s) => parse_secs_f64(name, &s),
        None => match file {
            Some(v) => Duration::try_from_secs_f64(v)
                .map_err(|_| invalid(name, format!("{v} is not a number of seconds >= 0"))),
            None => Ok(default),
        },
    };
    let delay = secs("GSA_SCRAPE_DELAY_SECS", file.delay_secs, d.delay)?;
    let timeout = secs("GSA_SCRAPE_TIMEOUT_SECS", file.timeout_secs, d.timeout)?;
    if timeout.is_zero() {
        return Err(invalid("GSA_SCRAPE_TIMEOUT_SECS", "must be more than 0"));
    }
    let retries = match env("GSA_SCRAPE_RETRIES") {
        Some(s) => parse_num("GSA_SCRAPE_RETRIES", &s)?,
        None => file.retries.unwrap_or(d.retries),
    };
    let max_pages = match env("GSA_SCRAPE_MAX_PAGES") {
        Some(s) => parse_num("GSA_SCRAPE_MAX_PAGES", &s)?,
        None => file.max_pages.unwrap_or(d.max_pages),
    };
    if max_pages == 0 {
        return Err(invalid("GSA_SCRAPE_MAX_PAGES", "must be at least 1"));
    }
    let details = match env("GSA_SCRAPE_DETAILS") {
        Some(s) => parse_bool("GSA_SCRAPE_DETAILS", &s)?,
        None => file.details.unwrap_or(d.details),
    };
    let respect_robots = match env("GSA_SCRAPE_ROBOTS") {
        Some(s) => parse_bool("GSA_SCRAPE_ROBOTS", &s)?,
        None => file.robots.unwrap_or(d.respect_robots),
    };
    Ok(ScrapeConfig {
        urls,
        every: Duration::from_secs(every_secs),
        contact,
        delay,
        timeout,
        retries,
        max_pages,
        details,
        respect_robots,
    })
}

fn parse_num<T: std::str::FromStr>(name: &str, s: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    s.trim().parse::<T>().map_err(|e| ConfigError::Invalid {
        name: name.to_string(),
        reason: format!("{s:?}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn flags_beat_env_beat_defaults_and_secret_is_masked() {
        let env: HashMap<&str, &str> = [
            ("NATS_URL", "nats://env:4222"),
            ("GSA_ALERT_THRESHOLD", "70"),
            ("JWT_SECRET_KEY", "super-secret-value-that-is-long-enough"),
            ("GSA_DATA_DIR", "/nonexistent-gsa-dir"),
        ]
        .into();
        let get = |k: &str| env.get(k).map(|v| v.to_string());
        let c = Config::load_from(&Overrides::default(), get).unwrap();
        assert_eq!(c.nats_url, "nats://env:4222");
        assert_eq!(c.alert_threshold, 70);
        assert_eq!(c.http_addr.to_string(), DEFAULT_HTTP_ADDR);
        assert_eq!(c.inbox, PathBuf::from("/nonexistent-gsa-dir/inbox"));
        assert!(!format!("{c:?}").contains("super-secret"));
        let o = Overrides {
            nats_url: Some("nats://flag:1".into()),
            ..Default::default()
        };
        assert_eq!(
            Config::load_from(&o, get).unwrap().nats_url,
            "nats://flag:1"
        );
    }

    #[test]
    fn an_empty_signing_secret_is_refused_not_read_as_unset() {
        let err = Config::load_from(&Overrides::default(), |k| match k {
            "JWT_SECRET_KEY" => Some(String::new()),
            "GSA_DATA_DIR" => Some("/nonexistent-gsa-dir".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid JWT_SECRET_KEY: set but empty"),
            "{err}"
        );
        let unset = Config::load_from(&Overrides::default(), |k| match k {
            "GSA_DATA_DIR" => Some("/nonexistent-gsa-dir".into()),
            _ => None,
        })
        .unwrap();
        assert!(unset.jwt_secret_key.is_none());
    }

    #[test]
    fn duplicate_window_and_replicas_are_configurable() {
        let c = Config::load_from(&Overrides::default(), |k| match k {
            "GSA_DUPLICATE_WINDOW_SECS" => Some("1".into()),
            "GSA_STREAM_REPLICAS" => Some("3".into()),
            "GSA_DATA_DIR" => Some("/nonexistent-gsa-dir".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.duplicate_window, std::time::Duration::from_secs(1));
        assert_eq!(c.stream_replicas, 3);
        let d = Config::load_from(&Overrides::default(), |k| {
            (k == "GSA_DATA_DIR").then(|| "/nonexistent-gsa-dir".into())
        })
        .unwrap();
        assert_eq!(d.duplicate_window, std::time::Duration::from_secs(120));
        assert_eq!(d.stream_replicas, 1);
        assert!(Config::load_from(&Overrides::default(), |k| {
            (k == "GSA_STREAM_REPLICAS").then(|| "0".into())
        })
        .is_err());
    }

    #[test]
    fn scrape_settings_from_env_then_file_and_contact_required_for_a_schedule() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("gsa.toml");
        std::fs::write(
            &toml,
            "[scrape]\nurls = [\"https://www.bizbuysell.com/texas/gas-stations-for-sale/\"]\n\
             every_secs = 600\ncontact = \"mailto:ops@example.org\"\ndelay_secs = 5.5\n\
             max_pages = 2\ndetails = false\nrobots = true\n",
        )
        .unwrap();
        let t = toml.display().to_string();
        let file_only = Config::load_from(&Overrides::default(), |k| {
            (k == "GSA_CONFIG").then(|| t.clone())
        })
        .unwrap()
        .scrape;
        assert_eq!(
            file_only.urls,
            ["https://www.bizbuysell.com/texas/gas-stations-for-sale/"]
        );
        assert_eq!(file_only.every, Duration::from_secs(600));
        assert_eq!(file_only.contact.as_deref(), Some("mailto:ops@example.org"));
        assert_eq!(file_only.delay, Duration::from_millis(5500));
        assert_eq!((file_only.max_pages, file_only.details), (2, false));
        assert_eq!(file_only.timeout, Duration::from_secs(30), "default kept");
        // The environment beats the file.
        let env = Config::load_from(&Overrides::default(), |k| match k {
            "GSA_CONFIG" => Some(t.clone()),
            "GSA_SCRAPE_URLS" => Some("http://a.test/x/, http://b.test/y/".into()),
            "GSA_SCRAPE_EVERY_SECS" => Some("2".into()),
            "GSA_SCRAPE_DETAILS" => Some("yes".into()),
            "GSA_SCRAPE_ROBOTS" => Some("off".into()),
            _ => None,
        })
        .unwrap()
        .scrape;
        assert_eq!(env.urls, ["http://a.test/x/", "http://b.test/y/"]);
        assert_eq!(env.every, Duration::from_secs(2));
        assert!(env.details && !env.respect_robots);
        // Defaults: no schedule, no contact, 6 hours, 3 s between requests, details, robots.
        let d = Config::load_from(&Overrides::default(), |k| {
            (k == "GSA_DATA_DIR").then(|| "/nonexistent-gsa-dir".into())
        })
        .unwrap()
        .scrape;
        assert_eq!(d, ScrapeConfig::default());
        assert!(d.urls.is_empty() && d.contact.is_none());
        assert_eq!(d.every, Duration::from_secs(21_600));
        // A schedule without a contact, a bad URL, a contact with a space: clear errors.
        let err = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Config::load_from(&Overrides::default(), move |k| {
                if k == "GSA_DATA_DIR" {
                    return Some("/nonexistent-gsa-dir".into());
                }
                pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
            })
            .unwrap_err()
            .to_string()
        };
        assert!(err(&[("GSA_SCRAPE_URLS", "https://x.test/")]).contains("GSA_SCRAPE_CONTACT"));
        assert!(err(&[
            ("GSA_SCRAPE_URLS", "ftp://x.test/"),
            ("GSA_SCRAPE_CONTACT", "me@x.test")
        ])
        .contains("GSA_SCRAPE_URLS"));
        assert!(err(&[("GSA_SCRAPE_CONTACT", "a b")]).contains("GSA_SCRAPE_CONTACT"));
        assert!(err(&[("GSA_SCRAPE_DETAILS", "maybe")]).contains("GSA_SCRAPE_DETAILS"));
        assert!(err(&[("GSA_SCRAPE_EVERY_SECS", "0")]).contains("GSA_SCRAPE_EVERY_SECS"));
    }

    #[test]
    fn bad_threshold_is_a_clear_error() {
        let err = Config::load_from(&Overrides::default(), |k| {
            (k == "GSA_ALERT_THRESHOLD").then(|| "high".to_string())
        })
        .unwrap_err();
        assert!(err.to_string().contains("GSA_ALERT_THRESHOLD"), "{err}");
    }
}
