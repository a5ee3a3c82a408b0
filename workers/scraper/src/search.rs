//! BizBuySell search pages (Angular, 2025-2026).
//!
//! First choice: `<script id="BBS-state" type="application/json">` (Angular TransferState).
//! Its keys are API call signatures; the value under the `...BbsBfsSearchResults...` key holds
//! `value.bfsSearchResult.value[]` API records, read by [`crate::api`]. Inline ads are skipped.
//!
//! Fallback when the state JSON is missing or unreadable: the card DOM
//! `app-listing-diamond > a.diamond[href][id][title]` with `span.title`, `p.location`,
//! `p.description`, `.finance p.asking-price` (`.not-disclosed` when hidden) and `p.cash-flow`
//! — whose text is "Cash Flow: $x" OR "EBITDA: $x" (the card shows EBITDA when cash flow is
//! null), so the label decides the field. Auction cards (`app-listing-auction`, id
//! `tenx-placard-<id>`) show "$x starting bid" and "REAL ESTATE INCLUDED".

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use gsa_schemas::{Listing, ListingSource, Rejection};
use scraper::Html;
use serde_json::Value;

use crate::api::{record_to_listing, RecordOutcome};
use crate::detail::has;
use crate::dom::{all, collapse, first, text_inline, text_lines_skipping};
use crate::fields::{absolute_url, finish, id_from_url, non_empty};
use crate::jsonutil::{at, parse_lenient};
use crate::location::parse_location;
use crate::money::parse_money;
use crate::scan::{normalise_raw_text, Match, Scanner, Token};

/// True when the HTML (lower-cased) looks like a search page.
pub fn looks_like_search(html_lower: &str) -> bool {
    search_markers(|n| has(html_lower, n))
}

/// [`looks_like_search`] over a page searched as lower-cased ([`crate::lower::Folded`]).
pub fn looks_like_search_folded(page: &crate::lower::Folded<'_>) -> bool {
    search_markers(|n| page.contains(n))
}

/// Any one marker is enough; `searchresultspage` first because it sits in the first ~100 KB
/// of a search page, before the cards and the state script.
fn search_markers(has: impl Fn(&str) -> bool) -> bool {
    has("searchresultspage") || has("id=\"bbs-state\"") || has("app-listing-diamond")
}

/// Search-page parse result.
#[derive(Debug, Default)]
pub struct SearchOutcome {
    /// Listings, in page order.
    pub listings: Vec<Listing>,
    /// Records that could not be read.
    pub rejections: Vec<Rejection>,
    /// Whether the BBS-state JSON was used (false: card DOM fallback).
    pub from_state: bool,
}

/// Parses a search page: the state JSON found by the streaming tag scan and parsed without a
/// DOM ([`parse_search_fast`]), else the full DOM ([`parse_search_dom`]: the same state JSON
/// read from the tree, or the card DOM when it is missing or unreadable).
pub fn parse_search(input: &str, html: &str, fetched_at: DateTime<Utc>) -> SearchOutcome {
    parse_search_fast(input, html, fetched_at)
        .unwrap_or_else(|| parse_search_dom(input, html, fetched_at))
}

/// The fast path alone: the first `script#BBS-state` located by [`crate::scan`] (script
/// bodies are skipped, not tokenized), its text read raw as html5ever would deliver it, and
/// the records read from the JSON. `None` when there is no usable state JSON, or when the
/// scanner cannot be sure it agrees with html5ever (an id matching only ignoring case, which
/// depends on the quirks mode; a script holding `<!--`).
pub fn parse_search_fast(
    input: &str,
    html: &str,
    fetched_at: DateTime<Utc>,
) -> Option<SearchOutcome> {
    let mut scanner = Scanner::new(html, 0);
    let mut raw = None;
    for tok in scanner.by_ref() {
        let Token::Start(t) = tok else { continue };
        if !t.is("script") {
            continue;
        }
        match t.attr_match("id", "BBS-state") {
            Match::Exact => {
                raw = t.raw_text.clone();
                break;
            }
            Match::CaseOnly => return None,
            Match::No => {}
        }
    }
    if scanner.uncertain {
        return None;
    }
    let text = normalise_raw_text(html.get(raw?)?);
    let trimmed = text.trim().trim_start_matches('\u{feff}');
    match crate::state_json::records_by_entry(trimmed) {
        Ok(Some(entries)) => from_records(input, entries.values().flatten(), fetched_at),
        Ok(None) => None,
        // Not strict JSON: the lenient `Value` route decides, as on the DOM path.
        Err(_) => from_state(input, &parse_lenient(&text)?, fetched_at),
    }
}

/// Parses a search page from its full DOM: the `script#BBS-state` JSON, else the cards.
pub fn parse_search_dom(input: &str, html: &str, fetched_at: DateTime<Utc>) -> SearchOutcome {
    let doc = Html::parse_document(html);
    let root = doc.root_element();
    if let Some(script) = first(root, "script#BBS-state") {
        let raw: String = script.text().collect();
        if let Some(state) = parse_lenient(&raw) {
            if let Some(out) = from_state(input, &state, fetched_at) {
                return out;
            }
        }
    }
    from_cards(&doc, fetched_at)
}

/// Records from the state JSON: every value holding `value.bfsSearchResult.value[]`.
fn from_state(input: &str, state: &Value, fetched_at: DateTime<Utc>) -> Option<SearchOutcome> {
    let obj = state.as_object()?;
    let arrays =
        obj.values().filter_map(
            |entry| match at(entry, &["value", "bfsSearchResult", "value"]) {
                Some(Value::Array(recs)) => Some(recs),
                _ => None,
            },
        );
    from_records(input, arrays, fetched_at)
}

/// Listings from the record arrays of the state entries (in entry-key order); `None` when
/// there was no array at all.
fn from_records<'a>(
    input: &str,
    arrays: impl Iterator<Item = &'a Vec<Value>>,
    fetched_at: DateTime<Utc>,
) -> Option<SearchOutcome> {
    let mut out = SearchOutcome {
        from_state: true,
        ..Default::default()
    };
    let mut found = false;
    let mut seen = HashSet::new();
    for recs in arrays {
        found = true;
        for (i, r) in recs.iter().enumerate() {
            match record_to_listing(
                input,
                &format!("record {i}"),
                r,
                ListingSource::SearchCard,
                fetched_at,
            ) {
                RecordOutcome::Listing(l) => {
                    if seen.insert(l.listing_id.clone()) {
                        out.listings.push(*l);
                    }
                }
                RecordOutcome::Skipped => {}
                RecordOutcome::Rejected(rej) => out.rejections.push(rej),
            }
        }
    }
    found.then_some(out)
}

fn from_cards(doc: &Html, fetched_at: DateTime<Utc>) -> SearchOutcome {
    let mut out = SearchOutcome::default();
    let mut seen = HashSet::new();
    let mut cards: Vec<Listing> = Vec::new();
    for a in all(doc.root_element(), "a.diamond") {
        let href = a.value().attr("href").and_then(absolute_url);
        // Franchise directory ads sit among the cards (`/franchise-for-sale/wayback-burgers/`,
        // id `1021`): a brand's ad, not a business for sale; the state JSON leaves them out too.
        if href
            .as_deref()
            .is_some_and(|h| h.contains("/franchise-for-sale/"))
        {
            continue;
        }
        // `id="2460501"` on listing cards, `id="tenx-placard-36683665"` on auction cards.
        let id = a
            .value()
            .attr("id")
            .and_then(|s| s.rsplit('-').next())
            .filter(|s| !s.is_empty() && s.len() <= 12 && s.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_string)
            .or_else(|| href.as_deref().and_then(id_from_url));
        let Some(id) = id else { continue };
        let title = first(a, ".text .title")
            .or_else(|| first(a, "span.title"))
            .map(text_inline)
            .or_else(|| a.value().attr("title").map(str::to_string))
            .and_then(|t| non_empty(&t));
        let loc = first(a, "p.location")
            .map(|p| parse_location(&text_inline(p)))
            .unwrap_or_default();
        let description = first(a, "p.description")
            .map(text_inline)
            .and_then(|t| non_empty(&t));
        let finance = first(a, ".finance");
        let asking = finance
            .and_then(|f| first(f, "p.asking-price"))
            .or_else(|| first(a, "p.asking-price"))
            .filter(|p| !p.value().classes().any(|c| c == "not-disclosed"))
            // "$3,000,000 <span class=label>starting bid</span>" on auction cards.
            .and_then(|p| {
                parse_money(&collapse(&text_lines_skipping(p, &|e| {
                    e.value().classes().any(|c| c == "label")
                })))
            });
        let re_included = first(a, "p.real-estate-included").map(|_| true);
        let mut cash_flow = None;
        let mut ebitda = None;
        let second = finance
            .and_then(|f| first(f, "p.cash-flow"))
            .or_else(|| first(a, "p.cash-flow"));
        if let Some(p) = second {
            let text = text_inline(p);
            if let Some((label, value)) = text.split_once(':') {
                let label = label.trim().to_lowercase();
                let v = parse_money(value);
                if label.contains("ebitda") {
                    ebitda = v;
                } else if label.contains("cash flow") {
                    cash_flow = v;
                }
            }
        }
        cards.push(Listing {
            listing_id: id,
            url: href,
            title,
            city: loc.city,
            state: loc.state,
            country: loc.country,
            asking_price: asking,
            real_estate: gsa_schemas::RealEstate {
                included: re_included,
                ..Default::default()
            },
            cash_flow,
            ebitda,
            description,
            source: ListingSource::SearchCard,
            fetched_at,
            ..Default::default()
        });
    }
    // The HTML parser splits a card holding a nested `<a>` (auction cards' "Register to Bid")
    // into several `a.diamond` fragments with the same id: merge them, first value wins.
    let mut merged: Vec<Listing> = Vec::new();
    for c in cards {
        if !seen.insert(c.listing_id.clone()) {
            if let Some(m) = merged.iter_mut().find(|m| m.listing_id == c.listing_id) {
                m.url = m.url.take().or(c.url);
                m.title = m.title.take().or(c.title);
                if m.state.is_none() {
                    m.city = c.city;
                    m.state = c.state;
                    m.country = c.country;
                }
                m.asking_price = m.asking_price.or(c.asking_price);
                m.cash_flow = m.cash_flow.or(c.cash_flow);
                m.ebitda = m.ebitda.or(c.ebitda);
                m.description = m.description.take().or(c.description);
                m.real_estate.included = m.real_estate.included.or(c.real_estate.included);
            }
            continue;
        }
        merged.push(c);
    }
    out.listings = merged.into_iter().map(finish).collect();
    out
}
