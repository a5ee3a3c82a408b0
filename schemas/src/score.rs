//! The analyzer's score card: the `data` of `gsa.listing.scored`.
//!
//! A score is 0-100, the sum of factor points grouped into six buckets (price 20, cash flow 20,
//! real estate or lease 15, fuel and store operations 20, risk 15, location and upside 10 by
//! default), then capped by the rules in `caps`. Every factor carries the rule that fired and the
//! evidence behind it; every figure the listing did not give is listed in `missing`, never guessed.
//! The rules and their sources are documented in `docs/SCORING.md`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How much of what a buyer needs the listing disclosed: A (most), B, C (little).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Confidence {
    /// Price, cash flow, revenue and most operating figures stated.
    A,
    /// Headline figures stated, operating figures mostly missing.
    B,
    /// Headline figures missing: the score is a weak screen.
    C,
}

/// How the analyzer knows whether real estate is in the deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RealEstateBasis {
    /// The listing's fields or wording say so.
    Stated,
    /// Inferred, e.g. from a price/cash-flow multiple far above what a business alone supports.
    Inferred,
    /// Nothing says either way.
    Unknown,
}

/// The analyzer's conclusion on real estate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RealEstateAssessment {
    /// `true`/`false` when stated or inferred, `null` when unknown.
    pub included: Option<bool>,
    /// Where the conclusion comes from.
    pub basis: RealEstateBasis,
    /// One sentence explaining the conclusion, e.g. "inferred from a 7.1x multiple".
    pub reason: String,
}

/// A piece of evidence: a quote from the listing or a field value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// Where it comes from: a listing field name (`asking_price`) or `description`.
    pub source: String,
    /// The exact text or value, e.g. `"$1,370,000"` or `"275,000 gallons a month"`.
    pub quote: String,
    /// Character offset of `quote` in the description, when it comes from the description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    /// End character offset (exclusive) of `quote` in the description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
}

/// One scoring factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Factor {
    /// Stable factor name, e.g. `price_to_cash_flow`, `gallons_per_month`.
    pub name: String,
    /// Bucket this factor counts toward (`price`, `cash_flow`, `real_estate_or_lease`,
    /// `operations`, `risk`, `location_upside`).
    pub bucket: String,
    /// Points earned.
    pub points: f64,
    /// Maximum points this factor can earn.
    pub max_points: f64,
    /// The rule that fired, in plain English with its threshold and source,
    /// e.g. "2.0x SDE <= 2.38x median asking (AZBBA): 20/20".
    pub rule: String,
    /// What the rule read.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

/// Points of one of the six summary buckets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Bucket {
    /// Bucket name (see [`Factor::bucket`]).
    pub name: String,
    /// Sum of its factors' points.
    pub points: f64,
    /// Its maximum (weight).
    pub max_points: f64,
}

/// A cap applied outside the sum, e.g. an open environmental problem caps the score at 40.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cap {
    /// Highest score allowed.
    pub limit: u8,
    /// Why, with the evidence.
    pub reason: String,
}

/// A fact's value: a number, a range, text or a flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum FactValue {
    /// A single number in the fact's unit.
    Number(f64),
    /// A stated range, e.g. "125-130K/month".
    Range {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// A yes/no fact, e.g. `corner_location`.
    Flag(bool),
    /// A word, e.g. `brand: "Shell"`, `environmental_status: "closed_nfa"`.
    Text(String),
}

/// A fact read from the listing text or fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Fact {
    /// Fact name, e.g. `gallons_per_month`, `fuel_margin_cents_per_gallon`.
    pub name: String,
    /// The value, normalised to `unit` (per day x 30.4 and per year / 12 for monthly units).
    pub value: FactValue,
    /// Unit, e.g. `gallons/month`, `cents/gallon`, `USD/month`, `percent`, `years`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The exact text the fact was read from.
    pub quote: String,
    /// Character offset of `quote` in the description (`None` when read from a field).
    pub start: Option<usize>,
    /// End character offset (exclusive).
    pub end: Option<usize>,
    /// `true` only for a figure derived by the analyzer rather than read.
    pub estimate: bool,
}

/// Debt service coverage under SBA 7(a)-style assumptions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Dscr {
    /// Cash flow available for debt service divided by annual debt service.
    pub ratio: f64,
    /// Loan amount, USD (asking price x (1 - down payment)).
    pub loan_usd: i64,
    /// Down payment, percent of the asking price.
    pub down_payment_percent: f64,
    /// Annual interest rate, percent.
    pub rate_percent: f64,
    /// Amortisation term, years (10 business-only, 25 with real estate).
    pub term_years: u32,
    /// Annual debt service, USD.
    pub annual_debt_service_usd: i64,
    /// Cash flow used, USD per year (SDE, minus a manager wage when owner-operated).
    pub cash_flow_usd: i64,
}

/// Valuation cross-check against the asking price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Valuation {
    /// Low end of implied fair value, USD.
    pub low_usd: i64,
    /// High end of implied fair value, USD.
    pub high_usd: i64,
    /// Premium (+) or discount (-) of the asking price against the midpoint, percent.
    pub asking_vs_mid_percent: f64,
    /// How it was computed, step by step.
    pub method: String,
}

/// One change of a score card against the previous card of the same listing, so that a user who
/// sees 55 become 85 knows why, factor by factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreChange {
    /// What changed: a factor name (`price_to_cash_flow`, `real_estate_in_deal`, ...), or
    /// `applicable`, `real_estate` or `cap` for changes outside the factor sum.
    pub factor: String,
    /// Points on the previous card (`None` when the factor was not scored then; for `cap`, the
    /// previous limit).
    pub old_points: Option<f64>,
    /// Points on this card (`None` when the factor is no longer scored; for `cap`, the new limit).
    pub new_points: Option<f64>,
    /// Plain English, starting with the change and followed by its cause, e.g.
    /// "price_to_cash_flow 8 -> 16: asking price cut from $1,200,000 to $1,000,000; ..." or
    /// "real_estate_in_deal none -> 15: real estate now included (inferred): ...7.1x multiple...".
    pub reason: String,
}

/// The score card of one listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreCard {
    /// The listing scored.
    pub listing_id: String,
    /// Event id of the listing event this card scores.
    pub listing_event_id: String,
    /// Names the rule set and a hash of its configuration, e.g. `rules-2+cfg.3f9a2c1d`.
    pub model_version: String,
    /// `false` for anything but a US gas station, c-store with fuel or truck stop.
    pub applicable: bool,
    /// Why not applicable (`None` when applicable).
    #[serde(default)]
    pub not_applicable_reason: Option<String>,
    /// 0-100, `null` when not applicable.
    pub score: Option<u8>,
    /// How complete the listing's disclosure is.
    pub confidence: Confidence,
    /// Real estate in the deal or not, and how we know.
    pub real_estate: RealEstateAssessment,
    /// Six summary buckets.
    pub buckets: Vec<Bucket>,
    /// Every factor with points, rule and evidence.
    pub factors: Vec<Factor>,
    /// Caps applied outside the sum.
    pub caps: Vec<Cap>,
    /// Facts read from the listing.
    pub facts: Vec<Fact>,
    /// Figures a buyer needs that the listing does not give (e.g. `cash_flow`, `gallons_per_month`).
    pub missing: Vec<String>,
    /// Questions for the broker.
    pub questions: Vec<String>,
    /// Debt service coverage, when price and cash flow are known.
    pub dscr: Option<Dscr>,
    /// Valuation cross-check, when cash flow is known.
    pub valuation: Option<Valuation>,
    /// A short plain-English write-up (two or three sentences).
    pub summary: String,
    /// Score (0-100) of the previous card of this listing; `None` when there was no previous
    /// card or it was not applicable (see `previous_model_version`).
    #[serde(default)]
    pub previous_score: Option<u8>,
    /// Model version of the previous card; `None` when this is the listing's first card.
    #[serde(default)]
    pub previous_model_version: Option<String>,
    /// What changed against the previous card, factor by factor, largest change first. Empty for
    /// a first card or when nothing changed.
    #[serde(default)]
    pub changes: Vec<ScoreChange>,
}

/// Plain-English name of a [`ScoreCard::missing`] key (`fuel_margin_cents_per_gallon` ->
/// `fuel margin`), for every write-up of a card: the analyzer's, the gateway's report and
/// dashboard; an unknown key is returned as it is.
pub fn missing_label(key: &str) -> &str {
    match key {
        "asking_price" => "asking price",
        "cash_flow" => "cash flow",
        "gross_revenue" => "revenue",
        "gallons_per_month" => "gallons per month",
        "inside_sales_per_month" => "inside sales",
        "fuel_margin_cents_per_gallon" => "fuel margin",
        "fuel_commission_cents_per_gallon" => "commission per gallon",
        "merchandise_margin_percent" => "store margin",
        "real_estate_or_lease" => "real estate or lease terms",
        "real_estate_value" => "real estate value",
        "lease_years_remaining" => "years left on the lease",
        "rent_per_month" => "rent",
        "environmental_status" => "environmental status",
        "tank_age" => "tank age",
        "supply_contract" => "supply contract",
        "owner_involvement" => "owner involvement",
        other => other,
    }
}
