//! BizBuySell search API records (`POST /bff/v2/BbsBfsSearchResults`,
//! `value.bfsSearchResult.value[]`), the same records embedded in search pages (`BBS-state`),
//! and apify-style records (an API record plus a `details` label map).
//!
//! Fields read (`bizbuysell-pages.md` "API record"): `listNumber` (ad number; falls back to the
//! `urlStub` tail), `urlStub` (absolute or site-relative), `header`, `location` ("City, ST",
//! "Fresno County, CA", "Kitchener, ON", "Ontario"), `region` (2-letter state/province, used
//! when `location` has none), `price` / `cashFlow` / `ebitda` (float or null), `description`,
//! `realEstateIncludedInAskingPrice`. Not read, ever: `contactInfo`, `brokerContactFullName`,
//! `brokerCompany`, `broker`, phones.
//!
//! Decisions: inline ads (`type` -1 franchise ads and -2 placeholders, or all-null records) are
//! skipped, not rejected. `realEstateIncludedInAskingPrice: false` is read as "not stated"
//! (`None`): the sample has `false` on "Gas Station W/Property" listings, so `false` does not
//! mean "excluded". A price of 0 is "not disclosed"; cash flow/EBITDA 0.0 are kept as stated.

use chrono::{DateTime, Utc};
use gsa_schemas::{Listing, ListingSource, RealEstate, Rejection, RejectionKind};
use serde_json::Value;

use crate::fields::{
    absolute_url, finish, id_from_url, included_flag, non_empty, parse_count, parse_year,
};
use crate::jsonutil::{id_string, str_at};
use crate::location::{from_parts, parse_location};
use crate::money;

/// Result of reading one record.
#[derive(Debug)]
pub enum RecordOutcome {
    /// A listing.
    Listing(Box<Listing>),
    /// An inline ad / placeholder: not a listing, not an error.
    Skipped,
    /// A record that should be a listing but cannot be read.
    Rejected(Rejection),
}

/// True for the URL of an inline ad rather than a listing: franchise ads
/// (`/franchise-for-sale/<brand>/`) and broker profiles (`/business-broker/<name>/<firm>/<id>/`).
pub fn is_ad_url(url: &str) -> bool {
    let u = url.to_ascii_lowercase();
    u.contains("/franchise-for-sale/") || u.contains("/business-broker/")
}

/// True for inline-ad records: `type` -1/-2, `isInlineAd: true`, or no id, header, URL or figure.
pub fn is_ad(r: &Value) -> bool {
    let ty = r.get("type").and_then(Value::as_i64);
    if matches!(ty, Some(-1) | Some(-2))
        || r.get("isInlineAd").and_then(Value::as_bool) == Some(true)
    {
        return true;
    }
    [
        "listNumber",
        "header",
        "urlStub",
        "price",
        "cashFlow",
        "ebitda",
        "location",
        "details",
    ]
    .iter()
    .all(|k| r.get(k).is_none_or(Value::is_null))
}

/// True when a JSON object looks like an API/apify record.
pub fn looks_like_record(v: &Value) -> bool {
    v.is_object()
        && (v.get("listNumber").is_some()
            || v.get("urlStub").is_some()
            || (v.get("header").is_some() && v.get("cashFlow").is_some())
            || v.get("details").is_some_and(Value::is_object))
}

/// The records of an API response: a bare array, `{value:{bfsSearchResult:{value:[..]}}}`,
/// `{bfsSearchResult:{value:[..]}}`, or a single record. `None` when the JSON is none of these.
pub fn records(v: &Value) -> Option<Vec<&Value>> {
    if let Some(Value::Array(a)) = crate::jsonutil::at(v, &["value", "bfsSearchResult", "value"]) {
        return Some(a.iter().collect());
    }
    if let Some(Value::Array(a)) = crate::jsonutil::at(v, &["bfsSearchResult", "value"]) {
        return Some(a.iter().collect());
    }
    match v {
        Value::Array(a) if a.iter().any(looks_like_record) => Some(a.iter().collect()),
        Value::Object(_) if looks_like_record(v) => Some(vec![v]),
        _ => None,
    }
}

fn detail<'a>(details: Option<&'a Value>, labels: &[&str]) -> Option<&'a str> {
    let d = details?.as_object()?;
    labels.iter().find_map(|l| {
        d.iter()
            .find(|(k, _)| crate::dom::norm_label(k) == *l)
            .and_then(|(_, v)| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    })
}

/// Reads one record. `record` is the locator used in rejections (e.g. `record 4`).
pub fn record_to_listing(
    input: &str,
    record: &str,
    r: &Value,
    source: ListingSource,
    fetched_at: DateTime<Utc>,
) -> RecordOutcome {
    if !r.is_object() {
        return RecordOutcome::Rejected(Rejection {
            input: input.into(),
            record: Some(record.into()),
            listing_id: None,
            kind: RejectionKind::Malformed,
            reason: "record is not a JSON object".into(),
        });
    }
    if is_ad(r) {
        return RecordOutcome::Skipped;
    }
    let url = str_at(r, &["urlStub"])
        .or_else(|| str_at(r, &["url"]))
        .and_then(absolute_url);
    let listing_id = r
        .get("listNumber")
        .and_then(id_string)
        .or_else(|| r.get("specificId").and_then(id_string))
        .or_else(|| url.as_deref().and_then(id_from_url));
    let Some(listing_id) = listing_id else {
        return RecordOutcome::Rejected(Rejection {
            input: input.into(),
            record: Some(record.into()),
            listing_id: None,
            kind: RejectionKind::Malformed,
            reason: "API record without listNumber or a listing URL".into(),
        });
    };
    let details = r.get("details").filter(|d| d.is_object());

    let loc_text = str_at(r, &["location"]).or_else(|| detail(details, &["location"]));
    let mut loc = loc_text.map(parse_location).unwrap_or_default();
    if loc.state.is_none() {
        loc = from_parts(None, str_at(r, &["region"]));
        if loc.state.is_some() {
            // Keep a city when the location names one we could not tie to a state.
            loc.city = None;
        }
    }

    let pick = |key: &str, labels: &[&str]| -> Option<i64> {
        match r.get(key) {
            Some(v) if !v.is_null() => money::from_json(v),
            _ => detail(details, labels).and_then(money::parse_money),
        }
    };
    let asking_price = pick("price", &["asking price", "price"]).filter(|p| *p > 0);
    // The site's JSON gives 0 for a figure the seller did not disclose (the same records carry
    // `leaseRatePerSquareFoot: 0`, `financingTypeId: 0`): not stated, never $0.
    let cash_flow = pick("cashFlow", &["cash flow (sde)", "cash flow"]).filter(|v| *v != 0);
    let ebitda = pick("ebitda", &["ebitda"]).filter(|v| *v != 0);
    let gross_revenue = pick("grossRevenue", &["gross revenue"]).filter(|v| *v != 0);

    let (inventory, inventory_included) = detail(details, &["inventory"])
        .map(|s| (s.lines().find_map(money::parse_money), included_flag(s)))
        .unwrap_or((None, None));
    let ffe_text = detail(
        details,
        &["furniture, fixtures, & equipment (ff&e)", "ff&e"],
    );
    let (ffe, ffe_included) = ffe_text
        .map(|s| (s.lines().find_map(money::parse_money), included_flag(s)))
        .unwrap_or((None, None));

    let real_estate = RealEstate {
        value: detail(details, &["real estate"]).and_then(money::parse_money),
        ownership: detail(details, &["real estate"]).and_then(crate::fields::ownership),
        included: match r
            .get("realEstateIncludedInAskingPrice")
            .and_then(Value::as_bool)
        {
            Some(true) => Some(true),
            _ => detail(details, &["real estate"]).and_then(included_flag),
        },
    };
    let financing = detail(details, &["financing"]).and_then(non_empty);
    let seller_financing = if financing
        .as_deref()
        .is_some_and(crate::fields::mentions_seller_financing)
    {
        Some(true)
    } else {
        None
    };

    RecordOutcome::Listing(Box::new(finish(Listing {
        listing_id,
        url,
        title: str_at(r, &["header"])
            .or_else(|| str_at(r, &["title"]))
            .and_then(non_empty),
        category: None,
        city: loc.city,
        state: loc.state,
        country: loc.country,
        asking_price,
        cash_flow,
        gross_revenue,
        ebitda,
        ffe,
        ffe_included,
        inventory,
        inventory_included,
        real_estate,
        building_sqft: detail(details, &["building sf"]).and_then(crate::fields::parse_sqft),
        rent: detail(details, &["rent"]).and_then(money::parse_money),
        lease_expiration: detail(details, &["lease expiration"]).and_then(non_empty),
        established_year: detail(details, &["established"]).and_then(parse_year),
        employees: detail(details, &["employees"]).and_then(parse_count),
        description: str_at(r, &["description"]).and_then(non_empty),
        reason_for_selling: detail(details, &["reason for selling"]).and_then(non_empty),
        financing,
        seller_financing,
        status: None,
        source,
        fetched_at,
        content_hash: String::new(),
    })))
}
