//! Webhook registrations and delivery records: `$GSA_DATA_DIR/notifier.db`, owned by the
//! notifier.
//!
//! The secret of each webhook is stored as given (it is needed to sign every delivery), so the
//! file is created with mode 0600 and its mode is reset to 0600 on every open. Nothing here
//! returns the secret except [`Webhook::secret`], which only the worker uses to sign.

use std::path::Path;
use std::time::Duration;

use gsa_common::Secret;
use gsa_schemas::HighScoreAlert;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// Schema of `notifier.db`.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS webhooks (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    min_score   INTEGER,
    states      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id     TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL,
    alert_event_id  TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    http_status     INTEGER,
    last_error      TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_webhook ON deliveries(webhook_id, updated_at);
"#;

/// Errors of the webhook store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Setting the file mode failed.
    #[error("notifier.db permissions: {0}")]
    Io(#[from] std::io::Error),
    /// A registration value cannot be used.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which value.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// A registered webhook, with its secret (for signing only).
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Id, `wh_<16 hex>`.
    pub id: String,
    /// Where deliveries are POSTed (http or https).
    pub url: String,
    /// Signing secret. Never log or print it.
    pub secret: Secret,
    /// Only alerts with at least this score.
    pub min_score: Option<u8>,
    /// Only alerts in these states (upper-case two-letter codes); empty means all.
    pub states: Vec<String>,
    /// When it was registered (RFC 3339).
    pub created_at: String,
}

/// A webhook as shown by `gsa webhook list`: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookInfo {
    /// See [`Webhook::id`].
    pub id: String,
    /// See [`Webhook::url`].
    pub url: String,
    /// See [`Webhook::min_score`].
    pub min_score: Option<u8>,
    /// See [`Webhook::states`].
    pub states: Vec<String>,
    /// See [`Webhook::created_at`].
    pub created_at: String,
}

impl Webhook {
    /// The registration without its secret.
    pub fn info(&self) -> WebhookInfo {
        WebhookInfo {
            id: self.id.clone(),
            url: self.url.clone(),
            min_score: self.min_score,
            states: self.states.clone(),
            created_at: self.created_at.clone(),
        }
    }

    /// Whether `alert` passes this webhook's filters.
    pub fn accepts(&self, alert: &HighScoreAlert) -> bool {
        self.min_score.is_none_or(|m| alert.score >= m)
            && (self.states.is_empty()
                || alert
                    .state
                    .as_ref()
                    .is_some_and(|s| self.states.iter().any(|x| x.eq_ignore_ascii_case(s))))
    }
}

/// Outcome recorded for one delivery (one alert to one webhook).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// The receiver answered 2xx.
    Delivered,
    /// Failed so far and will be tried again: `attempts` counts the POSTs made for the alert
    /// message `alert_seq`, so the worker's budget is counted in webhook attempts, not in
    /// JetStream deliveries (which NATS trouble also uses up).
    Failing,
    /// Failed on every attempt; parked on `gsa.dlq.webhook`.
    Parked,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failing => "failing",
            Self::Parked => "parked",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "delivered" => Some(Self::Delivered),
            "failing" => Some(Self::Failing),
            "parked" => Some(Self::Parked),
            _ => None,
        }
    }
}

/// One row of `deliveries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    /// Delivery id (the `X-Gsa-Delivery` header).
    pub delivery_id: String,
    /// Webhook.
    pub webhook_id: String,
    /// Alert event id.
    pub alert_event_id: String,
    /// Outcome.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i64,
    /// Last HTTP status, when there was an answer.
    pub http_status: Option<u16>,
    /// Last error, for failing and parked deliveries.
    pub last_error: Option<String>,
    /// Stream sequence (in `GSA_ALERTS`) of the alert message the attempts belong to: a
    /// replayed dead letter is a new message and starts a new count. `None` in records written
    /// before this column existed.
    pub alert_seq: Option<u64>,
}

/// The notifier database.
pub struct WebhookStore {
    conn: Connection,
}

impl WebhookStore {
    /// Opens (creating with mode 0600) `notifier.db` at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        create_private(path)?;
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(SCHEMA)?;
        // Added after the first release: files made before it gain the column here.
        let has_seq: bool = conn
            .prepare("SELECT 1 FROM pragma_table_info('deliveries') WHERE name = 'alert_seq'")?
            .exists([])?;
        if !has_seq {
            conn.execute_batch("ALTER TABLE deliveries ADD COLUMN alert_seq INTEGER")?;
        }
        Ok(Self { conn })
    }

    /// Registers a webhook. `url` must be an absolute http(s) URL, `secret` non-empty;
    /// `states` are two-letter codes (stored upper case). Returns the registration without
    /// its secret.
    pub fn add(
        &self,
        url: &str,
        secret: &Secret,
        min_score: Option<u8>,
        states: &[String],
    ) -> Result<WebhookInfo, StoreError> {
        let parsed = url::Url::parse(url).map_err(|e| StoreError::Invalid {
            field: "url",
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(StoreError::Invalid {
                field: "url",
                reason: "must be an http:// or https:// URL with a host".into(),
            });
        }
        if secret.expose().trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "secret",
                reason: "must not be empty".into(),
            });
        }
        if min_score.is_some_and(|m| m > 100) {
            return Err(StoreError::Invalid {
                field: "min-score",
                reason: "must be 0-100".into(),
            });
        }
        let mut codes = Vec::new();
        for s in states {
            let s = s.trim().to_ascii_uppercase();
            if s.len() != 2 || !s.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(StoreError::Invalid {
                    field: "state",
                    reason: format!("{s:?} is not a two-letter code"),
                });
            }
            if !codes.contains(&s) {
                codes.push(s);
            }
        }
        let id = format!("wh_{}", hex::encode(rand::random::<[u8; 8]>()));
        let now = chrono::Utc::now().to_rfc3339();
        self.conn.execute(
            "INSERT INTO webhooks (id, url, secret, min_score, states, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                parsed.as_str(),
                secret.expose(),
                min_score,
                codes.join(","),
                now
            ],
        )?;
        Ok(WebhookInfo {
            id,
            url: parsed.to_string(),
            min_score,
            states: codes,
            created_at: now,
        })
    }

    /// Every registered webhook, oldest first, with secrets (for the worker).
    pub fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, url, secret, min_score, states, created_at FROM webhooks
             ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            let states: String = r.get(4)?;
            Ok(Webhook {
                id: r.get(0)?,
                url: r.get(1)?,
                secret: Secret::new(r.get::<_, String>(2)?),
                min_score: r.get(3)?,
                states: states
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                created_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every registered webhook without secrets (for `gsa webhook list`).
    pub fn list(&self) -> Result<Vec<WebhookInfo>, StoreError> {
        Ok(self.webhooks()?.iter().map(Webhook::info).collect())
    }

    /// Removes a webhook; `false` when there is none with that id.
    pub fn remove(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM webhooks WHERE id = ?1", [id])?
            > 0)
    }

    /// The recorded outcome of a delivery, if any.
    pub fn status(&self, delivery_id: &str) -> Result<Option<DeliveryStatus>, StoreError> {
        let s: Option<String> = self
            .conn
            .query_row(
                "SELECT status FROM deliveries WHERE delivery_id = ?1",
                [delivery_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(s.as_deref().and_then(DeliveryStatus::parse))
    }

    /// The record of a delivery, if any.
    pub fn delivery(&self, delivery_id: &str) -> Result<Option<DeliveryRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("{SELECT_RECORD} WHERE delivery_id = ?1"),
                [delivery_id],
                read_record,
            )
            .optional()?)
    }

    /// Records the outcome of a delivery (replacing an earlier record of the same id).
    pub fn record(&self, rec: &DeliveryRecord) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO deliveries
                 (delivery_id, webhook_id, alert_event_id, status, attempts, http_status, last_error,
                  updated_at, alert_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(delivery_id) DO UPDATE SET status = excluded.status,
                 attempts = excluded.attempts, http_status = excluded.http_status,
                 last_error = excluded.last_error, updated_at = excluded.updated_at,
                 alert_seq = excluded.alert_seq",
            params![
                rec.delivery_id,
                rec.webhook_id,
                rec.alert_event_id,
                rec.status.as_str(),
                rec.attempts,
                rec.http_status,
                rec.last_error,
                chrono::Utc::now().to_rfc3339(),
                rec.alert_seq.and_then(|q| i64::try_from(q).ok()),
            ],
        )?;
        Ok(())
    }

    /// Every delivery record, oldest first.
    pub fn deliveries(&self) -> Result<Vec<DeliveryRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("{SELECT_RECORD} ORDER BY updated_at, delivery_id"))?;
        let rows = stmt.query_map([], read_record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The columns [`read_record`] reads.
const SELECT_RECORD: &str = "SELECT delivery_id, webhook_id, alert_event_id, status, attempts,
    http_status, last_error, alert_seq FROM deliveries";

fn read_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeliveryRecord> {
    let status: String = r.get(3)?;
    Ok(DeliveryRecord {
        delivery_id: r.get(0)?,
        webhook_id: r.get(1)?,
        alert_event_id: r.get(2)?,
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Parked),
        attempts: r.get(4)?,
        http_status: r.get(5)?,
        last_error: r.get(6)?,
        alert_seq: r
            .get::<_, Option<i64>>(7)?
            .and_then(|q| u64::try_from(q).ok()),
    })
}

/// Creates `path` with mode 0600 if missing, and sets 0600 on an existing file.
fn create_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    {
        let _ = path;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(score: u8, state: Option<&str>) -> HighScoreAlert {
        HighScoreAlert {
            listing_id: "1".into(),
            reason: gsa_schemas::AlertReason::NewListing,
            score,
            threshold: 80,
            model_version: "m".into(),
            title: None,
            url: None,
            city: None,
            state: state.map(str::to_string),
            asking_price: None,
            cash_flow: None,
            gross_revenue: None,
            summary: String::new(),
        }
    }

    #[test]
    fn add_list_remove_and_the_secret_stays_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notifier.db");
        let store = WebhookStore::open(&path).unwrap();
        let secret = Secret::new("s3cret-value-never-printed");
        let info = store
            .add(
                "https://example.test/hook",
                &secret,
                Some(85),
                &["tx".into(), "OK".into()],
            )
            .unwrap();
        assert!(info.id.starts_with("wh_"));
        assert_eq!(info.states, vec!["TX", "OK"]);
        let listed = store.list().unwrap();
        assert_eq!(listed, vec![info.clone()]);
        let json = serde_json::to_string(&listed).unwrap();
        assert!(!json.contains("s3cret"), "{json}");
        assert!(!format!("{:?}", store.webhooks().unwrap()).contains("s3cret"));
        assert_eq!(
            store.webhooks().unwrap()[0].secret.expose(),
            secret.expose()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in ["notifier.db", "notifier.db-wal", "notifier.db-shm"] {
                let p = dir.path().join(f);
                if p.exists() {
                    let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
                    assert_eq!(mode, 0o600, "{f} mode {mode:o}");
                }
            }
        }
        assert!(store.remove(&info.id).unwrap());
        assert!(!store.remove(&info.id).unwrap());
        assert!(store.list().unwrap().is_empty());
    }

    #[test]
    fn bad_registrations_are_refused_without_echoing_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let store = WebhookStore::open(&dir.path().join("n.db")).unwrap();
        let s = Secret::new("topsecret");
        for (url, secret, states) in [
            ("ftp://x/y", &s, vec![]),
            ("not a url", &s, vec![]),
            ("https://x/y", &Secret::new(" "), vec![]),
            ("https://x/y", &s, vec!["Texas".to_string()]),
        ] {
            let err = store.add(url, secret, None, &states).unwrap_err();
            assert!(!err.to_string().contains("topsecret"));
        }
        assert!(store.add("https://x/y", &s, Some(101), &[]).is_err());
    }

    #[test]
    fn filters_match_score_and_state() {
        let hook = Webhook {
            id: "wh".into(),
            url: "http://x".into(),
            secret: Secret::new("k"),
            min_score: Some(85),
            states: vec!["TX".into()],
            created_at: String::new(),
        };
        assert!(hook.accepts(&alert(90, Some("tx"))));
        assert!(!hook.accepts(&alert(84, Some("TX"))));
        assert!(!hook.accepts(&alert(90, Some("OK"))));
        assert!(!hook.accepts(&alert(90, None)));
    }
}
