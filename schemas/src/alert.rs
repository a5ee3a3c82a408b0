//! High-score alerts: the `data` of `gsa.alert.high_score`, and the one digest a re-score sends
//! instead of one alert per listing (`gsa.alert.rescore_digest`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why an alert was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertReason {
    /// A listing seen for the first time scored at or above the threshold.
    NewListing,
    /// A price cut (or other update) lifted the score across the threshold.
    PriceCut,
    /// A re-score under a new model lifted the score across the threshold.
    Rescore,
}

/// A listing that reached the alert threshold (`GSA_ALERT_THRESHOLD`, default 80).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HighScoreAlert {
    /// The listing.
    pub listing_id: String,
    /// Why now.
    pub reason: AlertReason,
    /// Score 0-100.
    pub score: u8,
    /// Threshold in force, 0-100.
    pub threshold: u8,
    /// Model version that produced the score.
    pub model_version: String,
    /// Listing headline.
    pub title: Option<String>,
    /// Listing URL.
    pub url: Option<String>,
    /// City as listed.
    pub city: Option<String>,
    /// Two-letter state.
    pub state: Option<String>,
    /// Asking price, USD.
    pub asking_price: Option<i64>,
    /// Cash flow (SDE), USD per year.
    pub cash_flow: Option<i64>,
    /// Gross revenue, USD per year.
    pub gross_revenue: Option<i64>,
    /// One-sentence summary from the score card.
    pub summary: String,
}

/// One listing in a [`RescoreDigest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DigestEntry {
    /// The listing.
    pub listing_id: String,
    /// Score 0-100 on the previous card (`None`: not applicable or not scored before).
    pub old_score: Option<u8>,
    /// Score 0-100 under the new model (`None`: not applicable now).
    pub new_score: Option<u8>,
    /// Listing headline.
    pub title: Option<String>,
    /// Listing URL.
    pub url: Option<String>,
    /// Two-letter state.
    pub state: Option<String>,
    /// The largest factor change, e.g. "real_estate_in_deal none -> 15: ...".
    pub main_change: Option<String>,
}

/// One alert for a whole re-score (`gsa rescore`) that moved two or more listings across the
/// alert threshold: the listings that rose to or above it and those that fell below, instead of
/// one `gsa.alert.high_score` per listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RescoreDigest {
    /// Model version of the new cards.
    pub model_version: String,
    /// Threshold in force, 0-100.
    pub threshold: u8,
    /// Listings re-scored in this run.
    pub rescored: usize,
    /// Listings whose score changed.
    pub changed: usize,
    /// Listings that reached the threshold (highest new score first).
    pub raised: Vec<DigestEntry>,
    /// Listings that were at or above the threshold and fell below it.
    pub lowered: Vec<DigestEntry>,
    /// One sentence, e.g. "Model rules-2+cfg.ab12cd34: 3 listings reached 80, 1 fell below.".
    pub summary: String,
}
