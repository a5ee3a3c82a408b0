//! What the scraper could not read: the `data` of `gsa.listing.rejected`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Kind of rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    /// The site answered with a block page (HTTP 403, "Access Denied", bot challenge, captcha).
    Blocked,
    /// The input was read but holds no listing we can recognise.
    Unrecognised,
    /// A record was malformed (e.g. a ragged CSV row, a JSON record without an id).
    Malformed,
    /// Fetching failed (network error, HTTP error after retries, robots.txt disallows).
    FetchFailed,
}

/// A page, file or record that did not become a listing, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Rejection {
    /// File path or URL of the input.
    pub input: String,
    /// Record locator within the input when there is one (e.g. `row 17`, `record 4`).
    #[serde(default)]
    pub record: Option<String>,
    /// Listing id when one could be read.
    #[serde(default)]
    pub listing_id: Option<String>,
    /// Kind of rejection.
    pub kind: RejectionKind,
    /// Human-readable reason.
    pub reason: String,
}

impl Rejection {
    /// Deterministic event id: the same input, record and reason give the same id.
    pub fn event_id(&self) -> String {
        crate::Envelope::<()>::deterministic_id(&[
            "rejected",
            &self.input,
            self.record.as_deref().unwrap_or(""),
            &self.reason,
        ])
    }
}
