//! JSON-LD (`<script type="application/ld+json">`) on detail pages, and saved Product JSON-LD
//! files (the 2019 layout: `testdata/bizbuysell/datasets/jsonld-product-*.json`).
//!
//! Product: `productid` (string), `name` ("<Title> in <City>, <State> - BizBuySell"),
//! `category` ("Parent > Child"), `url`, `description`, `offers.price` (float; the listing's
//! own price is the TOP-LEVEL `offers`, never one inside `isSimilarTo[]`),
//! `offers.availableAtOrFrom.address{addressLocality, addressRegion}`. `offers.offeredBy` is the
//! broker and is never read. LocalBusiness (2026): `address{addressLocality, addressRegion}`.

use chrono::{DateTime, Utc};
use gsa_schemas::{Listing, ListingSource, Rejection, RejectionKind};
use serde_json::Value;

use crate::fields::{absolute_url, finish, id_from_url, non_empty};
use crate::jsonutil::{at, id_string, str_at};
use crate::location::{from_parts, parse_location, Location};
use crate::money;

/// What a JSON-LD Product (plus an optional LocalBusiness) says about a listing.
#[derive(Debug, Clone, Default)]
pub struct ProductInfo {
    /// `productid`, or the URL's ad number.
    pub listing_id: Option<String>,
    /// `url`.
    pub url: Option<String>,
    /// `name` without the " in <place> - BizBuySell" tail.
    pub title: Option<String>,
    /// Place from the name tail ("in Phoenix, Arizona").
    pub name_location: Location,
    /// `category`.
    pub category: Option<String>,
    /// Top-level `offers.price`, whole USD (0 is treated as not disclosed).
    pub price: Option<i64>,
    /// `offers.availableAtOrFrom.address`.
    pub offer_location: Location,
    /// `description` (no line breaks in JSON-LD).
    pub description: Option<String>,
}

/// Flattens JSON-LD blocks: arrays and `@graph` become individual nodes.
pub fn flatten(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| flatten(i, out)),
        Value::Object(mut m) => {
            if let Some(g) = m.remove("@graph") {
                flatten(g, out);
            }
            if !m.is_empty() {
                out.push(Value::Object(m));
            }
        }
        _ => {}
    }
}

/// True when the node's `@type` is (or includes) `ty`.
pub fn is_type(v: &Value, ty: &str) -> bool {
    match v.get("@type") {
        Some(Value::String(s)) => s.eq_ignore_ascii_case(ty),
        Some(Value::Array(a)) => a
            .iter()
            .any(|t| t.as_str().is_some_and(|s| s.eq_ignore_ascii_case(ty))),
        _ => false,
    }
}

/// Splits a JSON-LD name "Self Serve CarWash For Sale in Coalinga, California - BizBuySell"
/// into the title and the place after the last " in " (only when that place parses).
pub fn split_name(name: &str) -> (String, Location) {
    let n = name.trim();
    let n = n.strip_suffix("- BizBuySell").map(str::trim).unwrap_or(n);
    if let Some(i) = n.rfind(" in ") {
        let place = n.get(i + 4..).unwrap_or("");
        let loc = parse_location(place);
        if loc.state.is_some() {
            return (n.get(..i).unwrap_or(n).trim().to_string(), loc);
        }
    }
    (n.to_string(), Location::default())
}

fn address_location(addr: Option<&Value>) -> Location {
    let Some(a) = addr else {
        return Location::default();
    };
    // An address may be a list (broker addresses are; listing addresses normally are not).
    let a = match a {
        Value::Array(items) => match items.first() {
            Some(f) => f,
            None => return Location::default(),
        },
        other => other,
    };
    from_parts(
        str_at(a, &["addressLocality"]),
        str_at(a, &["addressRegion"]),
    )
}

/// Reads a Product node.
pub fn product_info(p: &Value) -> ProductInfo {
    let url = str_at(p, &["url"]).and_then(absolute_url);
    let listing_id = p
        .get("productid")
        .or_else(|| p.get("productId"))
        .or_else(|| p.get("sku"))
        .and_then(id_string)
        .or_else(|| url.as_deref().and_then(id_from_url));
    let (title, name_location) = match str_at(p, &["name"]) {
        Some(n) => {
            let (t, l) = split_name(n);
            (non_empty(&t), l)
        }
        None => (None, Location::default()),
    };
    // Own offer only: top-level `offers` (object, or first of a list).
    let offer = match p.get("offers") {
        Some(Value::Array(a)) => a.first(),
        other => other,
    };
    let price = offer
        .and_then(|o| {
            o.get("price")
                .or_else(|| at(o, &["priceSpecification", "price"]))
        })
        .and_then(money::from_json)
        .filter(|v| *v > 0);
    let offer_location =
        address_location(offer.and_then(|o| at(o, &["availableAtOrFrom", "address"])));
    ProductInfo {
        listing_id,
        url,
        title,
        name_location,
        category: str_at(p, &["category"]).map(str::to_string),
        price,
        offer_location,
        description: str_at(p, &["description"]).map(str::to_string),
    }
}

/// Location of a LocalBusiness node (`address`).
pub fn local_business_location(v: &Value) -> Location {
    address_location(v.get("address"))
}

/// A saved JSON-LD Product document -> one listing (source: detail page, since the block is
/// the detail page's own JSON-LD). Location: `availableAtOrFrom` address, else the name tail
/// ("... in Arizona - BizBuySell").
pub fn parse_product_value(
    input: &str,
    v: &Value,
    fetched_at: DateTime<Utc>,
) -> Result<Listing, Rejection> {
    let mut nodes = Vec::new();
    flatten(v.clone(), &mut nodes);
    let product = nodes.iter().find(|n| is_type(n, "Product"));
    let Some(product) = product else {
        return Err(Rejection {
            input: input.into(),
            record: None,
            listing_id: None,
            kind: RejectionKind::Unrecognised,
            reason: "JSON-LD without a Product node".into(),
        });
    };
    let info = product_info(product);
    let Some(id) = info.listing_id.clone() else {
        return Err(Rejection {
            input: input.into(),
            record: None,
            listing_id: None,
            kind: RejectionKind::Malformed,
            reason: "JSON-LD Product without productid or listing URL".into(),
        });
    };
    let lb = nodes
        .iter()
        .find(|n| is_type(n, "LocalBusiness"))
        .map(local_business_location);
    let loc = [
        lb.unwrap_or_default(),
        info.offer_location.clone(),
        info.name_location.clone(),
    ]
    .into_iter()
    .find(|l| l.state.is_some())
    .unwrap_or_default();
    Ok(finish(Listing {
        listing_id: id,
        url: info.url,
        title: info.title,
        category: info.category,
        city: loc.city,
        state: loc.state,
        country: loc.country,
        asking_price: info.price,
        description: info.description,
        seller_financing: None,
        source: ListingSource::DetailPage,
        fetched_at,
        ..Default::default()
    }))
}
