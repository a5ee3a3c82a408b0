//! A service log record: the `data` of `gsa.log.<service>`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One `tracing` event of a gsa service, as shipped to NATS and stored by the logging worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LogRecord {
    /// When it was recorded.
    pub time: DateTime<Utc>,
    /// Service name (`scraper`, `analyzer`, `logger`, `gateway`, `cli`).
    pub service: String,
    /// `TRACE`, `DEBUG`, `INFO`, `WARN` or `ERROR`.
    pub level: String,
    /// The `tracing` target (module path).
    pub target: String,
    /// The message.
    pub message: String,
    /// Structured fields, as strings.
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, String>,
}
