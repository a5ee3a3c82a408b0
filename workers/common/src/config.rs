//! Configuration shared by every gsa service, read once at start.
//!
//! Precedence (first found wins): command-line flags (applied by the `gsa` binary), then
//! environment variables, then an optional TOML config file (`GSA_CONFIG`, default
//! `$GSA_DATA_DIR/gsa.toml`), then compiled-in defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

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
    pub duplicate_window: std::time::Duration,
    /// Replicas of every stream and KV bucket (`GSA_STREAM_REPLICAS`, default 1; 3 on a
    /// three-node NATS cluster, see `docs/SCALING.md`). Applied when a stream is created or
    /// updated.
    pub stream_replicas: usize,
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
        Self::load_from(overrides, |k| {
            std::env::var(k).ok().filter(|v| !v.is_empty())
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
        Ok(Self {
            nats_url,
            data_dir,
            http_addr,
            jwt_secret_key: env("JWT_SECRET_KEY").map(Secret::new),
            jwt_issuer: env("JWT_ISSUER")
                .or(file.jwt_issuer)
                .unwrap_or_else(|| DEFAULT_JWT_ISSUER.to_string()),
            alert_threshold,
            inbox,
            stream_max_age_days,
            stream_max_bytes,
            duplicate_window: std::time::Duration::from_secs(duplicate_window_secs),
            stream_replicas,
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
    fn bad_threshold_is_a_clear_error() {
        let err = Config::load_from(&Overrides::default(), |k| {
            (k == "GSA_ALERT_THRESHOLD").then(|| "high".to_string())
        })
        .unwrap_err();
        assert!(err.to_string().contains("GSA_ALERT_THRESHOLD"), "{err}");
    }
}
