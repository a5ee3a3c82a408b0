//! High-score alerts: the `data` of `gsa.alert.high_score`.

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
