//! BizBuySell listing detail pages (`/business-opportunity/<slug>/<id>/`), every layout in the
//! corpus (see `/work/shared/reference/bizbuysell-pages.md` §b):
//!
//! * 2025a (`detail-specialty-contract-manufacturer-oh-2025.html`): `h1.bfsTitle`, financial rows
//!   `p.m-listing-row` = `span.title` label + value in the following span (tooltip `span.help`
//!   stripped), `dl#ctl00_..._dlDetailedInformation.listingProfile_details`.
//! * 2025b/2026 (`detail-self-serve-car-wash-coalinga-ca-2026.html`): same rows split in two
//!   blocks, `p.notDisclosed` for hidden figures, "Real Estate: $300,000" in the financial block,
//!   `dl#dlLocationInformation` (Location / Real Estate Owned + "Included in asking price" /
//!   Building SF / Rent / Lease Expiration), JSON-LD Product + LocalBusiness.
//! * older (2017-2023): `.financials p` with `span.title` + `<b>` value, `dl.listingProfile_details`
//!   `dt`/`dd` pairs, location in the header text; JSON-LD Product only (2019).
//!
//! Field priorities: listing id = JSON-LD `productid` > "Ad#:<id>" > canonical/og URL tail;
//! asking price = the page's own `p.price.asking` row > top-level JSON-LD `offers.price` (the
//! first `"price"` in the page can belong to `isSimilarTo[]`, so the page is never scanned for
//! it); location = JSON-LD LocalBusiness address > `offers.availableAtOrFrom` > `dl` "Location:"
//! > header span > JSON-LD name tail. Broker cards, phones and `offeredBy` are never read.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gsa_schemas::{Listing, ListingSource, RealEstate, Rejection, RejectionKind};
use once_cell::sync::Lazy;
use regex::Regex;
use scraper::{ElementRef, Html};
use serde_json::Value;

use crate::dom::{all, first, norm_label, text_inline, text_lines, text_lines_skipping};
use crate::fields::{
    absolute_url, finish, id_from_url, included_flag, mentions_seller_financing, non_empty,
    ownership, parse_count, parse_sqft, parse_year,
};
use crate::jsonld::{flatten, is_type, local_business_location, product_info, ProductInfo};
use crate::jsonutil::parse_lenient;
use crate::location::{parse_location, Location};
use crate::money::parse_money;

/// Substring search with memchr's SIMD `memmem` (the routing checks scan whole pages).
pub(crate) fn has(haystack: &str, needle: &str) -> bool {
    memchr::memmem::find(haystack.as_bytes(), needle.as_bytes()).is_some()
}

/// True when the HTML looks like a detail page (title, detail `dl`, or Product JSON-LD).
pub fn looks_like_detail(html_lower: &str) -> bool {
    detail_markers(|n| has(html_lower, n))
}

/// [`looks_like_detail`] over a page searched as lower-cased ([`crate::lower::Folded`]).
pub fn looks_like_detail_folded(page: &crate::lower::Folded<'_>) -> bool {
    detail_markers(|n| page.contains(n))
}

fn detail_markers(has: impl Fn(&str) -> bool) -> bool {
    has("bfstitle")
        || has("listingprofile_details")
        || has("businessdescription")
        || (has("application/ld+json") && has("\"productid\""))
}

/// One financial row ("Asking Price:" -> "$625,000"), value text with tooltips removed.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    value: String,
    not_disclosed: bool,
}

/// The label and value of one financial row `p` (`span.title` label; value in a `<b>`, else
/// the row's text without the label), or `None` when it has no label.
pub(crate) fn financial_row(p: ElementRef<'_>) -> Option<(String, Row)> {
    let title_el = first(p, "span.title")?;
    let label = norm_label(&text_inline(title_el));
    if label.is_empty() {
        return None;
    }
    let value = if let Some(b) = first(p, "b") {
        text_inline(b)
    } else {
        let title_id = title_el.id();
        text_inline_skipping(p, &|e| e.id() == title_id)
    };
    let not_disclosed = p
        .value()
        .classes()
        .any(|c| c.eq_ignore_ascii_case("notDisclosed"))
        || value.to_lowercase().contains("not disclosed");
    Some((
        label,
        Row {
            value,
            not_disclosed,
        },
    ))
}

/// Financial rows by normalised label, from the row elements in document order. The first
/// occurrence wins (the desktop block comes first; mobile duplicates repeat the same values).
pub(crate) fn financial_rows<'a>(
    candidates: impl IntoIterator<Item = ElementRef<'a>>,
) -> HashMap<String, Row> {
    let mut rows = HashMap::new();
    for p in candidates {
        if let Some((label, row)) = financial_row(p) {
            rows.entry(label).or_insert(row);
        }
    }
    rows
}

fn text_inline_skipping(el: ElementRef<'_>, skip: &dyn Fn(&ElementRef<'_>) -> bool) -> String {
    crate::dom::collapse(&text_lines_skipping(el, skip))
}

/// `dt`/`dd` pairs of the given `dl.listingProfile_details` elements, as label -> lines (a
/// `dd` with `<br>` gives several lines; extra `dd`s after one `dt` add lines).
pub(crate) fn dl_pairs<'a>(
    dls: impl IntoIterator<Item = ElementRef<'a>>,
) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for dl in dls {
        let mut current: Option<String> = None;
        for child in dl.children().filter_map(ElementRef::wrap) {
            match child.value().name() {
                "dt" => current = Some(norm_label(&text_inline(child))),
                "dd" => {
                    if let Some(label) = &current {
                        let text = text_lines(child);
                        let entry = map.entry(label.clone()).or_default();
                        entry.extend(text.lines().map(str::to_string));
                    }
                }
                _ => {}
            }
        }
    }
    map
}

fn row_money(rows: &HashMap<String, Row>, labels: &[&str]) -> Option<Option<i64>> {
    labels.iter().find_map(|l| rows.get(*l)).map(|r| {
        if r.not_disclosed {
            None
        } else {
            parse_money(&r.value)
        }
    })
}

fn dl_get<'a>(map: &'a HashMap<String, Vec<String>>, labels: &[&str]) -> Option<&'a Vec<String>> {
    labels.iter().find_map(|l| map.get(*l))
}

/// Money + "Included in asking price" flag from `dd` lines like ["$600,000", "Included in asking price"].
fn money_with_flag(lines: &[String]) -> (Option<i64>, Option<bool>) {
    let value = lines.iter().find_map(|l| parse_money(l));
    let flag = lines.iter().find_map(|l| included_flag(l));
    (value, flag)
}

fn joined(lines: &[String]) -> Option<String> {
    non_empty(&lines.join("\n"))
}

static AD_NUMBER: Lazy<Option<Regex>> = Lazy::new(|| Regex::new(r"Ad#:\s*(\d{5,10})").ok());

fn reject(input: &str, id: Option<String>, kind: RejectionKind, reason: &str) -> Rejection {
    Rejection {
        input: input.into(),
        record: None,
        listing_id: id,
        kind,
        reason: reason.into(),
    }
}

/// What a detail page's markup gives before the fields are derived: read from the full DOM
/// by [`parse_detail_dom`], or from the sliced elements by [`crate::detail_fast`]. Both feed
/// [`assemble`], so the two paths differ only in how they find these elements.
#[derive(Debug, Default)]
pub(crate) struct Parts {
    /// Flattened JSON-LD nodes of every `script[type="application/ld+json"]`, in page order.
    pub nodes: Vec<Value>,
    /// Financial rows (see [`financial_rows`]).
    pub rows: HashMap<String, Row>,
    /// `dl.listingProfile_details` pairs (see [`dl_pairs`]).
    pub details: HashMap<String, Vec<String>>,
    /// Text of `h1.bfsTitle` (or `.listingProfile h1`).
    pub h1: Option<String>,
    /// Canonical URL (`link[rel=canonical]`, else `og:url`), before the bizbuysell check.
    pub canonical: Option<String>,
    /// Location from the header span under the title.
    pub header_loc: Location,
    /// `div.businessDescription` text without the "Ad#:" paragraph.
    pub description: Option<String>,
    /// A "Seller Financing" badge (`i.bbs-rent-special` in an element saying so).
    pub badge: bool,
}

/// `href` of the canonical link, else `content` of `og:url` (property or name form).
pub(crate) fn canonical_from(
    link: Option<ElementRef<'_>>,
    og_property: Option<ElementRef<'_>>,
    og_name: Option<ElementRef<'_>>,
) -> Option<String> {
    link.and_then(|e| e.value().attr("href"))
        .or_else(|| og_property.and_then(|e| e.value().attr("content")))
        .or_else(|| og_name.and_then(|e| e.value().attr("content")))
        .map(str::to_string)
}

/// Description text of `div.businessDescription` without the "Ad#:" paragraph.
pub(crate) fn description_from(div: ElementRef<'_>) -> Option<String> {
    let text = text_lines_skipping(div, &|e| {
        e.value().name() == "p" && text_inline(*e).trim_start().starts_with("Ad#")
    });
    non_empty(&text)
}

/// True when an `i.bbs-rent-special` badge sits in an element whose text says "seller
/// financing".
pub(crate) fn badge_from<'a>(badges: impl IntoIterator<Item = ElementRef<'a>>) -> bool {
    badges.into_iter().any(|i| {
        i.parent()
            .and_then(ElementRef::wrap)
            .is_some_and(|p| text_inline(p).to_lowercase().contains("seller financing"))
    })
}

/// Flattened JSON-LD nodes of one script's text.
pub(crate) fn push_json_ld(raw: &str, nodes: &mut Vec<Value>) {
    if let Some(v) = parse_lenient(raw) {
        flatten(v, nodes);
    }
}

/// Parses a detail page: the streaming fast path ([`crate::detail_fast`]) when it recognises
/// the layout, else the full DOM ([`parse_detail_dom`]). Both give the same listing (the
/// parity test in `tests/parity.rs` checks every real page). Errors: `malformed` when no
/// listing id can be read, `unrecognised` when the page carries none of the detail-page
/// fields.
pub fn parse_detail(
    input: &str,
    html: &str,
    fetched_at: DateTime<Utc>,
) -> Result<Listing, Rejection> {
    match crate::detail_fast::parts(html) {
        Some(parts) => assemble(input, html, parts, fetched_at),
        None => parse_detail_dom(input, html, fetched_at),
    }
}

/// The fast path alone: `None` when it does not know the page's layout or cannot be sure it
/// reads it as html5ever would (then [`parse_detail`] parses the full DOM). For tests and
/// benches that must know which path ran.
pub fn parse_detail_fast(
    input: &str,
    html: &str,
    fetched_at: DateTime<Utc>,
) -> Option<Result<Listing, Rejection>> {
    crate::detail_fast::parts(html).map(|parts| assemble(input, html, parts, fetched_at))
}

/// Parses a detail page from its full DOM (`scraper`/html5ever): every layout in the corpus,
/// including the older `.financials p` + `<b>` rows. The fallback of [`parse_detail`].
pub fn parse_detail_dom(
    input: &str,
    html: &str,
    fetched_at: DateTime<Utc>,
) -> Result<Listing, Rejection> {
    let doc = Html::parse_document(html);
    let root = doc.root_element();

    let mut nodes = Vec::new();
    for s in all(root, r#"script[type="application/ld+json"]"#) {
        let raw: String = s.text().collect();
        push_json_ld(&raw, &mut nodes);
    }
    let mut candidates = all(root, "p.m-listing-row");
    if candidates.is_empty() {
        candidates = all(root, ".financials p");
    }
    let parts = Parts {
        nodes,
        rows: financial_rows(candidates),
        details: dl_pairs(all(root, "dl.listingProfile_details")),
        h1: first(root, "h1.bfsTitle")
            .or_else(|| first(root, ".listingProfile h1"))
            .map(text_inline),
        canonical: canonical_from(
            first(root, r#"link[rel="canonical"]"#),
            first(root, r#"meta[property="og:url"]"#),
            first(root, r#"meta[name="og:url"]"#),
        ),
        header_loc: first(root, "span.f-l.cs-800.opacity-70")
            .or_else(|| first(root, ".listingProfile ~ * span.f-l"))
            .map(|e| parse_location(&text_inline(e)))
            .unwrap_or_default(),
        description: first(root, "div.businessDescription").and_then(description_from),
        badge: badge_from(all(root, "i.bbs-rent-special")),
    };
    assemble(input, html, parts, fetched_at)
}

/// Derives the listing from what the markup gave (field priorities in the module docs).
pub(crate) fn assemble(
    input: &str,
    html: &str,
    parts: Parts,
    fetched_at: DateTime<Utc>,
) -> Result<Listing, Rejection> {
    let Parts {
        nodes,
        rows,
        details,
        h1,
        canonical,
        header_loc,
        description,
        badge,
    } = parts;
    let product: ProductInfo = nodes
        .iter()
        .find(|n| is_type(n, "Product"))
        .map(product_info)
        .unwrap_or_default();
    let lb_loc = nodes
        .iter()
        .find(|n| is_type(n, "LocalBusiness"))
        .map(local_business_location)
        .unwrap_or_default();

    // Title.
    let title = h1
        .and_then(|t| non_empty(&t))
        .or_else(|| product.title.clone());

    // Listing id and URL.
    let canonical = canonical
        .as_deref()
        .and_then(absolute_url)
        .filter(|u| u.contains("bizbuysell.com"));
    let listing_id = product.listing_id.clone().or_else(|| {
        AD_NUMBER
            .as_ref()
            .and_then(|re| re.captures(html))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string())
            .or_else(|| canonical.as_deref().and_then(id_from_url))
    });
    let url = product.url.clone().or(canonical);

    let has_fields =
        title.is_some() || !rows.is_empty() || !details.is_empty() || product.listing_id.is_some();
    if !has_fields {
        return Err(reject(
            input,
            None,
            RejectionKind::Unrecognised,
            "HTML page with no listing title, figures or JSON-LD Product",
        ));
    }
    let Some(listing_id) = listing_id else {
        return Err(reject(
            input,
            None,
            RejectionKind::Malformed,
            "detail page without a listing id (no productid, Ad#, or listing URL)",
        ));
    };

    // Location.
    let dl_loc = dl_get(&details, &["location"])
        .and_then(|l| l.first())
        .map(|s| parse_location(s))
        .unwrap_or_default();
    let loc: Location = [
        lb_loc,
        product.offer_location.clone(),
        dl_loc,
        header_loc,
        product.name_location.clone(),
    ]
    .into_iter()
    .find(|l| l.state.is_some())
    .unwrap_or_default();

    // Figures.
    let asking_price = match row_money(&rows, &["asking price", "price"]) {
        Some(v) => v,
        None => product.price,
    };
    let cash_flow = row_money(&rows, &["cash flow (sde)", "cash flow", "sde"]).flatten();
    let gross_revenue = row_money(&rows, &["gross revenue", "revenue"]).flatten();
    let ebitda = row_money(&rows, &["ebitda"]).flatten();
    let established_year = rows
        .get("established")
        .map(|r| r.value.clone())
        .or_else(|| {
            dl_get(&details, &["established", "year established"]).and_then(|l| l.first().cloned())
        })
        .and_then(|v| parse_year(&v));

    let (mut inventory, mut inventory_included) = dl_get(&details, &["inventory"])
        .map(|l| money_with_flag(l))
        .unwrap_or((None, None));
    if inventory.is_none() {
        inventory = row_money(&rows, &["inventory"]).flatten();
    }
    let ffe_labels = [
        "furniture, fixtures, & equipment (ff&e)",
        "furniture, fixtures, and equipment (ff&e)",
        "ff&e",
    ];
    let (mut ffe, ffe_included) = dl_get(&details, &ffe_labels)
        .map(|l| money_with_flag(l))
        .unwrap_or((None, None));
    if ffe.is_none() {
        ffe = row_money(&rows, &ffe_labels).flatten();
    }
    if inventory.is_none() && inventory_included == Some(false) {
        inventory_included = Some(false);
    }

    // Real estate: value in the financial block, ownership + included in the location dl.
    let re_lines = dl_get(&details, &["real estate"])
        .cloned()
        .unwrap_or_default();
    let real_estate = RealEstate {
        value: row_money(&rows, &["real estate"])
            .flatten()
            .or_else(|| re_lines.iter().find_map(|l| parse_money(l))),
        ownership: re_lines.iter().find_map(|l| ownership(l)),
        included: re_lines.iter().find_map(|l| included_flag(l)),
    };
    let building_sqft = dl_get(
        &details,
        &["building sf", "building size", "building sq. ft."],
    )
    .and_then(|l| l.iter().find_map(|s| parse_sqft(s)));
    let rent = dl_get(&details, &["rent"]).and_then(|l| l.iter().find_map(|s| parse_money(s)));
    let lease_expiration = dl_get(&details, &["lease expiration"]).and_then(|l| joined(l));
    let employees = dl_get(&details, &["employees"])
        .and_then(|l| l.first())
        .and_then(|s| parse_count(s));
    let reason_for_selling = dl_get(&details, &["reason for selling"]).and_then(|l| joined(l));
    let financing = dl_get(&details, &["financing"]).and_then(|l| joined(l));

    let description = description.or_else(|| product.description.clone());

    // Seller financing: badge, or the financing text.
    let seller_financing = if badge || financing.as_deref().is_some_and(mentions_seller_financing) {
        Some(true)
    } else {
        None
    };

    Ok(finish(Listing {
        listing_id,
        url,
        title,
        category: product.category.clone(),
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
        building_sqft,
        rent,
        lease_expiration,
        established_year,
        employees,
        description,
        reason_for_selling,
        financing,
        seller_financing,
        status: None,
        source: ListingSource::DetailPage,
        fetched_at,
        content_hash: String::new(),
    }))
}
