//! The CloudEvents 1.0 envelope (<https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md>,
//! JSON format) that wraps every gsa message, and the deterministic event ids that let JetStream
//! (`Nats-Msg-Id` header) and every consumer drop duplicates.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// CloudEvents `specversion` written on every event.
pub const SPEC_VERSION: &str = "1.0";

/// Namespace for the UUIDv5 (RFC 9562 section 5.5) event ids derived from event content.
pub const EVENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_3c0e_9b7d_4f25_8e44_1d2a_5b6c_7d8e);

/// CloudEvents `type` values. The version lives in the type: a breaking change to a payload makes
/// a new `...v2` type, and consumers dead-letter types they do not know.
pub mod event_type {
    /// A listing read from a page, record or pasted text: data is [`crate::Listing`].
    pub const LISTING_SCRAPED: &str = "gsa.listing.scraped.v1";
    /// A listing seen before whose price, cash flow or status changed: data is [`crate::ListingUpdated`].
    pub const LISTING_UPDATED: &str = "gsa.listing.updated.v1";
    /// A page or record that could not be turned into a listing: data is [`crate::Rejection`].
    pub const LISTING_REJECTED: &str = "gsa.listing.rejected.v1";
    /// A score card: data is [`crate::ScoreCard`].
    pub const LISTING_SCORED: &str = "gsa.listing.scored.v1";
    /// A high-score alert: data is [`crate::HighScoreAlert`].
    pub const ALERT_HIGH_SCORE: &str = "gsa.alert.high_score.v1";
    /// One alert for a re-score that moved several listings across the threshold: data is
    /// [`crate::RescoreDigest`].
    pub const ALERT_RESCORE_DIGEST: &str = "gsa.alert.rescore_digest.v1";
    /// A service log record: data is [`crate::LogRecord`].
    pub const LOG_RECORD: &str = "gsa.log.record.v1";
}

/// A CloudEvents 1.0 envelope in JSON form around a payload `T`.
///
/// `id` is deterministic (see [`Envelope::deterministic_id`]) and is also sent as the
/// `Nats-Msg-Id` header, so a republished event is dropped by JetStream within its duplicate
/// window and by every idempotent consumer after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Envelope<T> {
    /// Always `"1.0"`.
    pub specversion: String,
    /// Event id, unique per (source, id); deterministic from the event's content.
    pub id: String,
    /// `gsa/<service>`, e.g. `gsa/scraper`.
    pub source: String,
    /// Versioned event type, e.g. `gsa.listing.scraped.v1` (see [`event_type`]).
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the event was produced (RFC 3339, UTC).
    pub time: DateTime<Utc>,
    /// The listing id the event is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Always `application/json`.
    pub datacontenttype: String,
    /// The payload.
    pub data: T,
}

impl<T> Envelope<T> {
    /// Wraps `data` in an envelope from `gsa/<service>` with the given type, id and subject,
    /// stamped with the current time.
    pub fn new(
        service: &str,
        event_type: &str,
        id: String,
        subject: Option<String>,
        data: T,
    ) -> Self {
        Self {
            specversion: SPEC_VERSION.to_string(),
            id,
            source: format!("gsa/{service}"),
            event_type: event_type.to_string(),
            time: Utc::now(),
            subject,
            datacontenttype: "application/json".to_string(),
            data,
        }
    }

    /// A UUIDv5 over the given parts joined by `\n`: the same parts always give the same id.
    ///
    /// Used as: scraped listing = (`listing_id`, `content_hash`); score = (listing event id,
    /// model version); alert = (listing id, alert state).
    pub fn deterministic_id(parts: &[&str]) -> String {
        Uuid::new_v5(&EVENT_ID_NAMESPACE, parts.join("\n").as_bytes()).to_string()
    }
}

/// The part of an envelope every consumer can read before it knows the payload type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvelopeHead {
    /// See [`Envelope::id`].
    pub id: String,
    /// See [`Envelope::source`].
    pub source: String,
    /// See [`Envelope::event_type`].
    #[serde(rename = "type")]
    pub event_type: String,
    /// See [`Envelope::time`].
    pub time: DateTime<Utc>,
    /// See [`Envelope::subject`].
    #[serde(default)]
    pub subject: Option<String>,
    /// The payload, not yet typed.
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_ids_depend_on_every_part() {
        let a = Envelope::<()>::deterministic_id(&["2365036", "abc"]);
        assert_eq!(a, Envelope::<()>::deterministic_id(&["2365036", "abc"]));
        assert_ne!(a, Envelope::<()>::deterministic_id(&["2365036", "abd"]));
        assert_ne!(a, Envelope::<()>::deterministic_id(&["2365036abc"]));
    }

    #[test]
    fn envelope_serialises_cloudevents_field_names() {
        let e = Envelope::new(
            "scraper",
            event_type::LISTING_SCRAPED,
            "x".into(),
            Some("1".into()),
            5,
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["specversion"], "1.0");
        assert_eq!(v["type"], "gsa.listing.scraped.v1");
        assert_eq!(v["source"], "gsa/scraper");
        assert_eq!(v["datacontenttype"], "application/json");
        assert_eq!(v["subject"], "1");
        assert_eq!(v["data"], 5);
    }
}
