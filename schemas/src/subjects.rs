//! NATS subjects, JetStream streams, durable consumers and key-value buckets.
//!
//! nats-server 2.9 is the version we test against: a consumer has at most one filter subject,
//! so streams are split so that each durable consumer reads exactly what it needs.

/// A listing read from a source.
pub const LISTING_SCRAPED: &str = "gsa.listing.scraped";
/// A listing seen before whose key figures changed.
pub const LISTING_UPDATED: &str = "gsa.listing.updated";
/// Input that could not be turned into a listing.
pub const LISTING_REJECTED: &str = "gsa.listing.rejected";
/// A score card.
pub const LISTING_SCORED: &str = "gsa.listing.scored";
/// A listing reached the alert threshold.
pub const ALERT_HIGH_SCORE: &str = "gsa.alert.high_score";
/// One digest alert for a re-score that moved several listings across the threshold.
pub const ALERT_RESCORE_DIGEST: &str = "gsa.alert.rescore_digest";
/// Prefix of service log subjects: `gsa.log.<service>`.
pub const LOG_PREFIX: &str = "gsa.log";
/// Prefix of dead-letter subjects: `gsa.dlq.<original subject>`.
pub const DLQ_PREFIX: &str = "gsa.dlq";
/// Prefix of audit subjects: `gsa.audit.<action>`.
pub const AUDIT_PREFIX: &str = "gsa.audit";

/// `gsa.log.<service>`.
pub fn log_subject(service: &str) -> String {
    format!("{LOG_PREFIX}.{service}")
}

/// Dead-letter subject of webhook deliveries that kept failing (the payload is the alert
/// event; headers carry the webhook id, the delivery id and the last error).
pub const DLQ_WEBHOOK: &str = "gsa.dlq.webhook";

/// `gsa.dlq.<subject>`.
pub fn dlq_subject(subject: &str) -> String {
    format!("{DLQ_PREFIX}.{subject}")
}

/// Stream of listing input: scraped, updated and rejected listings.
pub const STREAM_LISTINGS: &str = "GSA_LISTINGS";
/// Subjects of [`STREAM_LISTINGS`].
pub const STREAM_LISTINGS_SUBJECTS: &[&str] = &[LISTING_SCRAPED, LISTING_UPDATED, LISTING_REJECTED];
/// Stream of score cards.
pub const STREAM_SCORES: &str = "GSA_SCORES";
/// Subjects of [`STREAM_SCORES`].
pub const STREAM_SCORES_SUBJECTS: &[&str] = &[LISTING_SCORED];
/// Stream of alerts.
pub const STREAM_ALERTS: &str = "GSA_ALERTS";
/// Subjects of [`STREAM_ALERTS`].
pub const STREAM_ALERTS_SUBJECTS: &[&str] = &["gsa.alert.>"];
/// Stream of service logs.
pub const STREAM_LOGS: &str = "GSA_LOGS";
/// Subjects of [`STREAM_LOGS`].
pub const STREAM_LOGS_SUBJECTS: &[&str] = &["gsa.log.>"];
/// Stream of audit events.
pub const STREAM_AUDIT: &str = "GSA_AUDIT";
/// Subjects of [`STREAM_AUDIT`].
pub const STREAM_AUDIT_SUBJECTS: &[&str] = &["gsa.audit.>"];
/// Stream of dead letters.
pub const STREAM_DLQ: &str = "GSA_DLQ";
/// Subjects of [`STREAM_DLQ`].
pub const STREAM_DLQ_SUBJECTS: &[&str] = &["gsa.dlq.>"];

/// Every stream with its subjects, in the order they are created.
pub const STREAMS: &[(&str, &[&str])] = &[
    (STREAM_LISTINGS, STREAM_LISTINGS_SUBJECTS),
    (STREAM_SCORES, STREAM_SCORES_SUBJECTS),
    (STREAM_ALERTS, STREAM_ALERTS_SUBJECTS),
    (STREAM_LOGS, STREAM_LOGS_SUBJECTS),
    (STREAM_AUDIT, STREAM_AUDIT_SUBJECTS),
    (STREAM_DLQ, STREAM_DLQ_SUBJECTS),
];

/// Durable consumer of the analyzer on [`STREAM_LISTINGS`].
pub const CONSUMER_ANALYZER: &str = "analyzer";
/// Durable consumer of the webhook notifier on [`STREAM_ALERTS`] (filter
/// [`ALERT_HIGH_SCORE`]).
pub const CONSUMER_NOTIFIER: &str = "notifier";
/// Durable consumer name prefix of the logging worker: `logger-<stream>` on every stream.
pub const CONSUMER_LOGGER_PREFIX: &str = "logger";

/// KV bucket: listing id -> content hash and key figures last seen by the scraper.
pub const KV_SEEN: &str = "gsa_seen";
/// KV bucket: listing id -> alert state last sent.
pub const KV_ALERTED: &str = "gsa_alerted";
/// KV bucket: listing id -> the last score card published for it (JSON), which the next card
/// of that listing explains its changes against.
pub const KV_CARDS: &str = "gsa_cards";
