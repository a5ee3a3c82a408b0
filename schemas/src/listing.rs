//! A business-for-sale listing as the scraper extracts it: the `data` of `gsa.listing.scraped`
//! and (inside [`ListingUpdated`]) `gsa.listing.updated`.
//!
//! Field names follow the trade's terms (BizBuySell's labels): asking price, cash flow (SDE),
//! gross revenue, EBITDA, FF&E, inventory, real estate. Money is whole USD; `None` (JSON `null`)
//! means the listing does not disclose the figure ("Not Disclosed", "N/A", empty) and is never
//! written as 0.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where a listing was read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingSource {
    /// A BizBuySell listing detail page (`/business-opportunity/<slug>/<id>/`).
    #[default]
    DetailPage,
    /// A card on a BizBuySell search page (from its embedded `BBS-state` JSON or the card markup).
    SearchCard,
    /// A record of BizBuySell's search API (`BbsBfsSearchResults`), e.g. a saved JSON export.
    ApiRecord,
    /// A row of a CSV export made by another scraper.
    CsvRow,
    /// Listing text a person copied from a browser and pasted.
    PastedText,
}

/// Sale status read from the listing title or badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    /// Nothing in the listing says it is under contract.
    Active,
    /// "UNDER CONTRACT" (or "pending") in the title.
    UnderContract,
    /// "Under LOI" (letter of intent signed) in the title.
    UnderLoi,
}

/// Whether the business owns or leases its premises (BizBuySell "Real Estate: Owned/Leased").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RealEstateOwnership {
    /// The seller owns the land and building.
    Owned,
    /// The business leases its premises.
    Leased,
}

/// What the listing says about real estate. Every field is `None` when the listing is silent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RealEstate {
    /// Stated real estate value in USD ("Real Estate: $300,000" in the financial block).
    pub value: Option<i64>,
    /// Owned or leased, as stated.
    pub ownership: Option<RealEstateOwnership>,
    /// `true` when the listing says the real estate is included in the asking price
    /// ("Included in asking price", API `realEstateIncludedInAskingPrice`).
    pub included: Option<bool>,
}

/// A listing with every figure the source disclosed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Listing {
    /// BizBuySell ad number (e.g. `"2365036"`); for pasted text `text-` plus a short hash of the text.
    pub listing_id: String,
    /// Listing URL on BizBuySell, the way a buyer reaches the broker.
    pub url: Option<String>,
    /// Headline as shown on the listing.
    pub title: Option<String>,
    /// Category as `Parent > Child` (JSON-LD `category`), e.g. `"Car Washes > Other"`.
    pub category: Option<String>,
    /// City (or county, e.g. `"Fresno County"`) when the listing names one.
    pub city: Option<String>,
    /// Two-letter US state or Canadian province code, e.g. `"OH"`, `"ON"`.
    pub state: Option<String>,
    /// ISO 3166-1 alpha-2 country: `"US"` or `"CA"`; `None` when unknown.
    pub country: Option<String>,
    /// Asking price, USD.
    pub asking_price: Option<i64>,
    /// Cash flow (seller's discretionary earnings, SDE), USD per year.
    pub cash_flow: Option<i64>,
    /// Gross revenue, USD per year.
    pub gross_revenue: Option<i64>,
    /// EBITDA, USD per year.
    pub ebitda: Option<i64>,
    /// Furniture, fixtures and equipment (FF&E), USD.
    pub ffe: Option<i64>,
    /// `true` when FF&E is "Included in asking price".
    pub ffe_included: Option<bool>,
    /// Inventory, USD.
    pub inventory: Option<i64>,
    /// `true` when inventory is "Included in asking price".
    pub inventory_included: Option<bool>,
    /// Real estate value, ownership and whether it is in the asking price.
    #[serde(default)]
    pub real_estate: RealEstate,
    /// Building size in square feet ("Building SF").
    pub building_sqft: Option<i64>,
    /// Rent as stated on the listing ("Rent: $224,000.00"), USD; BizBuySell does not state the
    /// period, so the analyzer reads the period from the description when it can.
    #[serde(default)]
    pub rent: Option<i64>,
    /// "Lease Expiration" as written (a date or free text).
    #[serde(default)]
    pub lease_expiration: Option<String>,
    /// Year the business was established.
    pub established_year: Option<i32>,
    /// Number of employees when stated as a number.
    pub employees: Option<u32>,
    /// Full description, line breaks kept.
    pub description: Option<String>,
    /// "Reason for Selling" as written.
    pub reason_for_selling: Option<String>,
    /// "Financing" section text as written.
    #[serde(default)]
    pub financing: Option<String>,
    /// `true` when the listing offers seller financing (badge, flag or financing text).
    pub seller_financing: Option<bool>,
    /// Sale status from the title.
    #[serde(default)]
    pub status: Option<ListingStatus>,
    /// Where this listing was read from.
    pub source: ListingSource,
    /// When the source was fetched or read.
    pub fetched_at: DateTime<Utc>,
    /// Hex SHA-256 of the extracted fields (see [`Listing::compute_content_hash`]).
    pub content_hash: String,
}

impl Listing {
    /// SHA-256 (hex) over the canonical JSON of the extracted fields: every field except
    /// `fetched_at`, `source` and `content_hash` itself, so the same listing read twice from
    /// the same kind of source hashes the same. Never hashes raw HTML.
    pub fn compute_content_hash(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(obj) = v.as_object_mut() {
            obj.remove("fetched_at");
            obj.remove("content_hash");
            obj.remove("source");
        }
        // serde_json's Map is a BTreeMap (no preserve_order feature), so key order is canonical.
        let canonical = serde_json::to_vec(&v).unwrap_or_default();
        hex::encode(Sha256::digest(&canonical))
    }

    /// Sets [`Listing::content_hash`] from the current fields and returns `self`.
    pub fn with_content_hash(mut self) -> Self {
        self.content_hash = self.compute_content_hash();
        self
    }

    /// The deterministic event id of this listing's `gsa.listing.scraped` event.
    pub fn event_id(&self) -> String {
        crate::Envelope::<()>::deterministic_id(&["listing", &self.listing_id, &self.content_hash])
    }

    /// Price over cash flow (the SDE multiple, see [`Listing::multiple_of`]), when both are
    /// known and cash flow is positive.
    pub fn multiple(&self) -> Option<f64> {
        Self::multiple_of(self.asking_price?, self.cash_flow?)
    }

    /// `price / cash_flow` (both USD) rounded to two decimals, or `None` when `cash_flow <= 0`.
    ///
    /// Multiples are printed to two decimals, so they are judged to two decimals too: a price
    /// of $899,999 on $150,000 is 6.00x and is judged as 6.00x, never printed "6.00x" beside a
    /// verdict for "below 6x".
    pub fn multiple_of(price: i64, cash_flow: i64) -> Option<f64> {
        (cash_flow > 0).then(|| (price as f64 / cash_flow as f64 * 100.0).round() / 100.0)
    }
}

impl ListingSource {
    /// How much detail a source carries: detail page 3, pasted text 2, cards, API records and
    /// CSV rows 1. Used by [`Listing::merged`].
    pub fn detail_rank(self) -> u8 {
        match self {
            ListingSource::DetailPage => 3,
            ListingSource::PastedText => 2,
            ListingSource::SearchCard | ListingSource::ApiRecord | ListingSource::CsvRow => 1,
        }
    }
}

impl Listing {
    /// Merges two sightings of the same listing field by field, so that less detail never
    /// erases more: when `newer` comes from a source at least as detailed as `self`
    /// ([`ListingSource::detail_rank`]), its disclosed fields win and its undisclosed ones are
    /// filled from `self`; otherwise `self` wins and `newer` only fills fields `self` left empty.
    /// The result carries the later `fetched_at` and a recomputed `content_hash`.
    pub fn merged(&self, newer: &Listing) -> Listing {
        let (base, filler) = if newer.source.detail_rank() >= self.source.detail_rank() {
            (newer, self)
        } else {
            (self, newer)
        };
        let mut out = serde_json::to_value(base).unwrap_or_default();
        let fill = serde_json::to_value(filler).unwrap_or_default();
        fill_nulls(&mut out, &fill);
        let mut merged: Listing = serde_json::from_value(out).unwrap_or_else(|_| base.clone());
        merged.fetched_at = self.fetched_at.max(newer.fetched_at);
        merged.with_content_hash()
    }
}

fn fill_nulls(target: &mut serde_json::Value, from: &serde_json::Value) {
    if let (Some(t), Some(f)) = (target.as_object_mut(), from.as_object()) {
        for (k, fv) in f {
            match t.get_mut(k) {
                Some(tv) if tv.is_null() => *tv = fv.clone(),
                Some(tv) if tv.is_object() => fill_nulls(tv, fv),
                None => {
                    t.insert(k.clone(), fv.clone());
                }
                _ => {}
            }
        }
    }
}

/// One field whose value changed between two sightings of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FieldChange {
    /// Listing field name, e.g. `asking_price`, `cash_flow`, `status`.
    pub field: String,
    /// Value before (JSON; `null` when it was not disclosed).
    pub old: serde_json::Value,
    /// Value now.
    pub new: serde_json::Value,
}

/// The `data` of `gsa.listing.updated`: the full listing as now seen, plus what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ListingUpdated {
    /// The listing as now seen.
    pub listing: Listing,
    /// The fields that changed (asking price, cash flow, status, ...).
    pub changes: Vec<FieldChange>,
}

/// Whether `id` can be a [`Listing::listing_id`]: 1-64 characters of `A-Z a-z 0-9 . _ -`
/// (BizBuySell ad numbers and `text-<hex>` always are). The scraper rejects any other, and the
/// gateway's `/api/listings/{id}` serves only these, so every stored listing can be opened.
pub fn valid_listing_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `url` when it is an http(s) address on `bizbuysell.com` (or a subdomain of it), else
/// `None`: what [`Listing::url`] may hold. The scraper drops any other, and the dashboard
/// links only these. A saved page can carry any address in its JSON-LD or canonical link, and the
/// dashboard links it as "on BizBuySell": a break-it trial pointed it at another site.
pub fn site_url(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.contains('@') {
        return None;
    }
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(h, _)| h)
        .to_ascii_lowercase();
    (host == "bizbuysell.com" || host.ends_with(".bizbuysell.com")).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_ids_that_can_be_served() {
        assert!(valid_listing_id("2365036"));
        assert!(valid_listing_id("text-3f9a2c1d"));
        assert!(!valid_listing_id(""));
        assert!(!valid_listing_id("../etc"));
        assert!(!valid_listing_id("a b"));
        assert!(!valid_listing_id("\"><svg onload=alert(1)>"));
        assert!(!valid_listing_id(&"9".repeat(65)));
    }

    fn sample() -> Listing {
        Listing {
            listing_id: "2365036".into(),
            asking_price: Some(1_370_000),
            source: ListingSource::DetailPage,
            ..Default::default()
        }
    }

    #[test]
    fn content_hash_ignores_fetch_time_and_source_but_not_figures() {
        let a = sample().with_content_hash();
        let mut b = sample();
        b.fetched_at = Utc::now() + chrono::Duration::days(3);
        b.source = ListingSource::SearchCard;
        let b = b.with_content_hash();
        assert_eq!(a.content_hash, b.content_hash);
        let mut c = sample();
        c.asking_price = Some(1_300_000);
        assert_ne!(a.content_hash, c.with_content_hash().content_hash);
        assert_eq!(a.content_hash.len(), 64);
    }

    #[test]
    fn unknown_money_serialises_as_null_not_zero() {
        let v = serde_json::to_value(sample()).unwrap();
        assert!(v["cash_flow"].is_null());
        assert_eq!(v["asking_price"], 1_370_000);
        assert_eq!(v["source"], "detail_page");
    }

    #[test]
    fn less_detail_never_erases_more() {
        let mut detail = sample();
        detail.cash_flow = Some(685_000);
        detail.real_estate.ownership = Some(RealEstateOwnership::Leased);
        let card = Listing {
            listing_id: "2365036".into(),
            asking_price: Some(999),
            ebitda: Some(500_000),
            source: ListingSource::SearchCard,
            ..Default::default()
        };
        let m = detail.merged(&card);
        assert_eq!(
            m.asking_price,
            Some(1_370_000),
            "card must not overwrite the detail page"
        );
        assert_eq!(m.cash_flow, Some(685_000));
        assert_eq!(
            m.ebitda,
            Some(500_000),
            "card fills what the detail page left empty"
        );
        assert_eq!(m.real_estate.ownership, Some(RealEstateOwnership::Leased));
        assert_eq!(m.source, ListingSource::DetailPage);
        // A newer detail page does overwrite.
        let mut newer = sample();
        newer.asking_price = Some(1_200_000);
        let m2 = m.merged(&newer);
        assert_eq!(m2.asking_price, Some(1_200_000));
        assert_eq!(m2.cash_flow, Some(685_000));
        assert_eq!(m2.content_hash, m2.compute_content_hash());
    }

    #[test]
    fn multiple_needs_positive_cash_flow() {
        let mut l = sample();
        assert_eq!(l.multiple(), None);
        l.cash_flow = Some(0);
        assert_eq!(l.multiple(), None);
        l.cash_flow = Some(685_000);
        assert_eq!(l.multiple(), Some(2.0));
        // Judged as printed: two decimals.
        assert_eq!(Listing::multiple_of(899_999, 150_000), Some(6.0));
        assert_eq!(Listing::multiple_of(899_000, 150_000), Some(5.99));
        assert_eq!(Listing::multiple_of(1, 0), None);
    }
}
