//! # gsa-scraper: where real input enters
//!
//! Pure parsing (no I/O besides [`parse_file`]'s read) turns BizBuySell pages, API JSON, CSV
//! exports and pasted text into [`gsa_schemas::Listing`]s; [`publish`] sends them to
//! `gsa.listing.scraped` (and what could not be read to `gsa.listing.rejected`).
//!
//! Entry points: [`parse_bytes`] (sniffs the format from name + content) and [`parse_file`].
//! Every listing has `source`, `fetched_at` and `content_hash` set; money is whole USD with
//! `None` for "not disclosed"; broker names/phones/e-mails are never read, and phone numbers and
//! e-mail addresses in free text are replaced with `[removed]` ([`privacy`]). No input panics:
//! input-derived data is never indexed or unwrapped.
//!
//! Modules: [`sniff`] (format), [`block`] (bot walls), [`detail`] (detail pages; its hot path
//! [`detail_fast`] over the streaming tag scanner [`scan`]), [`search`] (search pages), [`api`]
//! (API/apify records), [`jsonld`] (JSON-LD Product), [`csv_export`] (CSV exports), [`text`]
//! (pasted text), [`money`], [`location`], [`lower`], [`fields`], [`privacy`].

pub mod api;
pub mod block;
pub mod crawl;
pub mod csv_export;
pub mod detail;
pub mod detail_fast;
pub mod dom;
pub mod error;
pub mod fetch;
pub mod fields;
pub mod inbox;
pub mod jsonld;
pub mod jsonutil;
pub mod location;
pub mod lower;
pub mod money;
pub mod nesting;
pub mod paging;
pub mod privacy;
pub mod publish;
pub mod robots;
pub mod scan;
pub mod schedule;
pub mod search;
pub mod sniff;
pub mod state_json;
pub mod text;

use std::path::Path;

use chrono::{DateTime, Utc};
use gsa_schemas::{Listing, ListingSource, Rejection, RejectionKind};
use serde_json::Value;

use crate::api::RecordOutcome;
use crate::error::ParseError;
use crate::sniff::Format;

/// What one input gave: zero or more listings and zero or more rejections. An input always
/// gives at least one of the two.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParseOutcome {
    /// Listings read, in input order.
    pub listings: Vec<Listing>,
    /// Inputs or records that did not become listings, with the reason.
    pub rejections: Vec<Rejection>,
    /// Records of a data set (CSV export, API JSON) left out on purpose, not errors: BizBuySell's
    /// inline ads (franchise and broker ads, placeholders), which are not listings.
    pub ads_skipped: usize,
    /// Records of a data set left out as repeats of a listing already read from the same input
    /// (the same ad number twice).
    pub duplicates_skipped: usize,
}

/// Largest listing, as JSON, that becomes an event: half of NATS's default max payload (1 MB),
/// leaving room for the envelope and for the `gsa.listing.updated` event that carries the
/// listing beside its changes. Real listings are under 20 KB; a 2 MB paste was retried by the
/// inbox forever ("maximum payload exceeded").
pub const MAX_LISTING_JSON_BYTES: usize = 512 * 1024;

impl ParseOutcome {
    /// Moves the listings that cannot become events into the rejections, with the reason: an
    /// id the API could not serve ([`gsa_schemas::listing::valid_listing_id`]; `"listNumber":
    /// "\"><svg ..."` in a data set was listed by the API and the dashboard but could not be
    /// opened), or more than [`MAX_LISTING_JSON_BYTES`] as JSON. The free text dominates a
    /// listing's size, so only a listing whose text comes near the limit is serialised.
    fn reject_unusable(&mut self, input: &str) {
        let unusable = |l: &Listing| -> Option<String> {
            if !gsa_schemas::listing::valid_listing_id(&l.listing_id) {
                let shown: String = l.listing_id.chars().take(40).collect();
                return Some(format!(
                    "listing id {shown:?} is not an ad number: ids are 1-64 characters of \
                     A-Z a-z 0-9 . _ -"
                ));
            }
            let text: usize = [
                &l.title,
                &l.description,
                &l.reason_for_selling,
                &l.financing,
            ]
            .iter()
            .map(|t| t.as_deref().map_or(0, str::len))
            .sum();
            if text < MAX_LISTING_JSON_BYTES / 4 {
                return None;
            }
            let size = serde_json::to_vec(l).map_or(0, |v| v.len());
            (size > MAX_LISTING_JSON_BYTES).then(|| {
                format!(
                    "listing {} is {} KB as JSON, above the {} KB a listing event may carry \
                     (a real listing is under 20 KB): is the file one listing?",
                    l.listing_id,
                    size / 1024,
                    MAX_LISTING_JSON_BYTES / 1024
                )
            })
        };
        let mut keep = Vec::with_capacity(self.listings.len());
        for l in std::mem::take(&mut self.listings) {
            match unusable(&l) {
                None => keep.push(l),
                Some(reason) => self.rejections.push(Rejection {
                    input: input.into(),
                    record: None,
                    listing_id: gsa_schemas::listing::valid_listing_id(&l.listing_id)
                        .then(|| l.listing_id.clone()),
                    kind: RejectionKind::Malformed,
                    reason,
                }),
            }
        }
        self.listings = keep;
    }

    fn one(r: Result<Listing, Rejection>) -> Self {
        match r {
            Ok(l) => Self {
                listings: vec![l],
                ..Self::default()
            },
            Err(e) => Self::rejected(e),
        }
    }

    fn rejected(r: Rejection) -> Self {
        Self {
            rejections: vec![r],
            ..Self::default()
        }
    }
}

fn rejection(input: &str, kind: RejectionKind, reason: String) -> Rejection {
    Rejection {
        input: input.into(),
        record: None,
        listing_id: None,
        kind,
        reason,
    }
}

/// Sniffs the format (detail page HTML, search page HTML, BizBuySell API JSON — an array, or
/// `{value:{bfsSearchResult:{value:[..]}}}`, or a single apify-style record with a `details`
/// map —, JSON-LD Product JSON, a `Listing` JSON of our own schema (e.g. what `gsa parse`
/// printed; one object or an array), JSON Lines of those, a CSV export, or pasted text) from
/// `input_name` + content, and parses it. `input_name` is used as `Rejection::input`.
///
/// Block pages (HTTP-less here: "Access Denied", Akamai/Cloudflare challenge, captcha) give a
/// `blocked` rejection; HTML that is neither a detail nor a search page gives `unrecognised`;
/// empty input gives `unrecognised`, and so does binary data ([`sniff::looks_binary`]: an
/// image, an executable, an archive), which would otherwise be read as pasted text.
pub fn parse_bytes(input_name: &str, bytes: &[u8], fetched_at: DateTime<Utc>) -> ParseOutcome {
    parse_bytes_with(input_name, bytes, fetched_at, HtmlPath::Fast)
}

/// How HTML pages are read. Both give the same listings on every page the fast path accepts
/// (`tests/parity.rs`); the choice exists for that test and for the benches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HtmlPath {
    /// The streaming paths ([`detail::parse_detail`], [`search::parse_search`]), each falling
    /// back to the full DOM when it does not know the page. The default.
    Fast,
    /// The full DOM only ([`detail::parse_detail_dom`], [`search::parse_search_dom`]).
    Dom,
}

/// [`parse_bytes`] with the HTML path chosen (see [`HtmlPath`]).
pub fn parse_bytes_with(
    input_name: &str,
    bytes: &[u8],
    fetched_at: DateTime<Utc>,
    path: HtmlPath,
) -> ParseOutcome {
    if sniff::looks_binary(bytes) {
        return ParseOutcome::rejected(rejection(
            input_name,
            RejectionKind::Unrecognised,
            "binary data (NUL or control bytes, or not text), not an HTML page, JSON, CSV or \
             listing text"
                .into(),
        ));
    }
    // Valid UTF-8 (every real page) is borrowed after the fast validation; only invalid
    // input pays for the lossy conversion.
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return ParseOutcome::rejected(rejection(
            input_name,
            RejectionKind::Unrecognised,
            "empty input (nothing but whitespace)".into(),
        ));
    }
    let mut out = match sniff::sniff(input_name, text) {
        Format::Html => parse_html(input_name, text, fetched_at, path),
        Format::Json => match jsonutil::parse_lenient(text) {
            Some(v) => parse_json(input_name, &v, fetched_at),
            None => {
                let err = serde_json::from_str::<Value>(text)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                ParseOutcome::rejected(rejection(
                    input_name,
                    RejectionKind::Malformed,
                    ParseError::InvalidJson(err).to_string(),
                ))
            }
        },
        Format::JsonLines => parse_json_lines(input_name, text, fetched_at),
        Format::Csv => csv_export::parse_csv(input_name, text, fetched_at),
        Format::Text => ParseOutcome::one(text::parse_text(input_name, text, fetched_at)),
    };
    out.reject_unusable(input_name);
    if out.listings.is_empty() && out.rejections.is_empty() {
        // E.g. a CSV with a header and no data rows, or only inline-ad records.
        return ParseOutcome::rejected(rejection(
            input_name,
            RejectionKind::Unrecognised,
            "input holds no listing records".into(),
        ));
    }
    out
}

/// Reads a file and parses it with [`parse_bytes`]; `fetched_at` is the file's modification
/// time, or now when the platform cannot tell.
pub fn parse_file(path: &Path) -> std::io::Result<ParseOutcome> {
    let bytes = std::fs::read(path)?;
    let fetched_at = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(|_| Utc::now());
    Ok(parse_bytes(&path.display().to_string(), &bytes, fetched_at))
}

fn parse_html(input: &str, html: &str, fetched_at: DateTime<Utc>, path: HtmlPath) -> ParseOutcome {
    // Block detection and routing look for lower-case ASCII markers with the answers of
    // `to_lowercase`, searching the page in place ([`lower::Folded`]): no lower-cased copy,
    // and each search stops at its first match.
    if let Some(reason) = block::detect_block(None, html) {
        return ParseOutcome::rejected(rejection(input, RejectionKind::Blocked, reason));
    }
    // A page nested thousands deep would take the tree builder time in the square of its
    // depth (see [`nesting`]): refused before any tree is built.
    let depth = nesting::max_depth(html, nesting::MAX_DEPTH);
    if depth > nesting::MAX_DEPTH {
        return ParseOutcome::rejected(rejection(
            input,
            RejectionKind::Malformed,
            format!(
                "the page nests elements more than {} deep (a BizBuySell page nests under \
                 100): not parsed",
                nesting::MAX_DEPTH
            ),
        ));
    }
    let page = lower::Folded::new(html);
    // `bfstitle` decides first: on a detail page it is found in the first ~60 KB, and the
    // search markers, absent there (whole-page searches), are never looked for.
    let title = page.contains("bfstitle");
    if !title && search::looks_like_search_folded(&page) {
        let out = match path {
            HtmlPath::Fast => search::parse_search(input, html, fetched_at),
            HtmlPath::Dom => search::parse_search_dom(input, html, fetched_at),
        };
        if !out.listings.is_empty() || !out.rejections.is_empty() {
            let mut rejections = out.rejections;
            // A half-saved page without its state JSON: the cards before the cut are read,
            // and the rest of the page is reported missing rather than silently dropped.
            if !out.from_state && !closes_its_html(html) {
                rejections.push(rejection(
                    input,
                    RejectionKind::Malformed,
                    format!(
                        "the search page is cut off (no closing </html>): read the {} cards \
                         before the cut; save the whole page again for the rest",
                        out.listings.len()
                    ),
                ));
            }
            return ParseOutcome {
                listings: out.listings,
                rejections,
                ..ParseOutcome::default()
            };
        }
        let reason = if closes_its_html(html) {
            "search page with no listing records or cards"
        } else {
            "the search page is cut off (no closing </html>) before its first listing: save \
             the whole page again"
        };
        return ParseOutcome::rejected(rejection(
            input,
            if closes_its_html(html) {
                RejectionKind::Unrecognised
            } else {
                RejectionKind::Malformed
            },
            reason.into(),
        ));
    }
    if title || detail::looks_like_detail_folded(&page) {
        // A half-saved page would read as a listing with its figures "not stated" (they sit
        // below the description), and the score would treat them as missing: say why instead.
        if !closes_its_html(html) {
            return ParseOutcome::rejected(rejection(
                input,
                RejectionKind::Malformed,
                "the detail page is cut off (no closing </html>): save the whole page again".into(),
            ));
        }
        return ParseOutcome::one(match path {
            HtmlPath::Fast => detail::parse_detail(input, html, fetched_at),
            HtmlPath::Dom => detail::parse_detail_dom(input, html, fetched_at),
        });
    }
    let title = dom_title(html)
        .map(|t| format!(" (title: {t:?})"))
        .unwrap_or_default();
    ParseOutcome::rejected(rejection(
        input,
        RejectionKind::Unrecognised,
        ParseError::UnknownHtml(title).to_string(),
    ))
}

/// Whether the page ends with its closing `</html>` tag (case-insensitive, in its last 4 KB;
/// a browser's "Save page" and a fetched page both have it).
fn closes_its_html(html: &str) -> bool {
    let tail = &html.as_bytes()[html.len().saturating_sub(4096)..];
    tail.windows(7).any(|w| w.eq_ignore_ascii_case(b"</html>"))
}

/// The page's `<title>` text (first 80 characters, whitespace collapsed, entities decoded),
/// read from the first `<title>` element without building a tree.
fn dom_title(html: &str) -> Option<String> {
    let b = html.as_bytes();
    let open = lower::find_ascii_ci(b, b"<title")?;
    let start = open + html.get(open..)?.find('>')? + 1;
    let end = start + lower::find_ascii_ci(b.get(start..)?, b"</title")?;
    // The first 400 bytes are plenty for 80 characters, and too short to nest deeply.
    let raw = lower::char_prefix(html.get(start..end)?, 400);
    let text = scraper::Html::parse_fragment(raw)
        .root_element()
        .text()
        .collect::<String>();
    let t: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(80)
        .collect();
    (!t.is_empty()).then_some(t)
}

/// True when a JSON object is a `Listing` of our own schema.
fn looks_like_listing(v: &Value) -> bool {
    v.get("listing_id").is_some()
        && (v.get("content_hash").is_some()
            || v.get("source").is_some()
            || v.get("asking_price").is_some())
}

fn parse_listing_json(
    input: &str,
    record: Option<String>,
    v: &Value,
    fetched_at: DateTime<Utc>,
) -> Result<Listing, Rejection> {
    let mut v = v.clone();
    if let Some(obj) = v.as_object_mut() {
        // A hand-edited listing may leave these out; fill what the schema requires.
        obj.entry("fetched_at")
            .or_insert_with(|| Value::String(fetched_at.to_rfc3339()));
        obj.entry("content_hash")
            .or_insert_with(|| Value::String(String::new()));
        obj.entry("source")
            .or_insert_with(|| Value::String("detail_page".into()));
    }
    match serde_json::from_value::<Listing>(v) {
        Ok(l) if !l.listing_id.trim().is_empty() => Ok(fields::finish(l)),
        Ok(_) => Err(Rejection {
            input: input.into(),
            record,
            listing_id: None,
            kind: RejectionKind::Malformed,
            reason: "Listing JSON with an empty listing_id".into(),
        }),
        Err(e) => Err(Rejection {
            input: input.into(),
            record,
            listing_id: None,
            kind: RejectionKind::Malformed,
            reason: ParseError::BadListing(e.to_string()).to_string(),
        }),
    }
}

fn parse_json(input: &str, v: &Value, fetched_at: DateTime<Utc>) -> ParseOutcome {
    // Our own Listing JSON (one or an array).
    if looks_like_listing(v) {
        return ParseOutcome::one(parse_listing_json(input, None, v, fetched_at));
    }
    if let Value::Array(items) = v {
        if !items.is_empty() && items.iter().all(looks_like_listing) {
            let mut out = ParseOutcome::default();
            for (i, item) in items.iter().enumerate() {
                match parse_listing_json(input, Some(format!("record {i}")), item, fetched_at) {
                    Ok(l) => out.listings.push(l),
                    Err(r) => out.rejections.push(r),
                }
            }
            return out;
        }
    }
    // JSON-LD Product.
    let mut nodes = Vec::new();
    jsonld::flatten(v.clone(), &mut nodes);
    if nodes.iter().any(|n| jsonld::is_type(n, "Product")) && v.get("listNumber").is_none() {
        return ParseOutcome::one(jsonld::parse_product_value(input, v, fetched_at));
    }
    // API response / records / apify record.
    if let Some(recs) = api::records(v) {
        let mut out = ParseOutcome::default();
        let mut seen = std::collections::HashSet::new();
        for (i, r) in recs.iter().enumerate() {
            match api::record_to_listing(
                input,
                &format!("record {i}"),
                r,
                ListingSource::ApiRecord,
                fetched_at,
            ) {
                RecordOutcome::Listing(l) => {
                    if seen.insert(l.listing_id.clone()) {
                        out.listings.push(*l);
                    } else {
                        out.duplicates_skipped += 1;
                    }
                }
                RecordOutcome::Skipped => out.ads_skipped += 1,
                RecordOutcome::Rejected(r) => out.rejections.push(r),
            }
        }
        if out.listings.is_empty() && out.rejections.is_empty() {
            out.rejections.push(rejection(
                input,
                RejectionKind::Unrecognised,
                "API response with no listing records (only inline ads or empty)".into(),
            ));
        }
        return out;
    }
    let shape = match v {
        Value::Object(m) => format!(
            "object with keys {:?}",
            m.keys().take(8).collect::<Vec<_>>()
        ),
        Value::Array(a) => format!("array of {} items", a.len()),
        other => format!("{other}").chars().take(60).collect(),
    };
    ParseOutcome::rejected(rejection(
        input,
        RejectionKind::Unrecognised,
        ParseError::UnknownJson(shape).to_string(),
    ))
}

fn parse_json_lines(input: &str, text: &str, fetched_at: DateTime<Utc>) -> ParseOutcome {
    let mut out = ParseOutcome::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let record = format!("line {}", i + 1);
        match jsonutil::parse_lenient(line) {
            Some(v) => {
                let mut o = parse_json(input, &v, fetched_at);
                for r in &mut o.rejections {
                    r.record = Some(match &r.record {
                        Some(inner) => format!("{record} {inner}"),
                        None => record.clone(),
                    });
                }
                out.listings.append(&mut o.listings);
                out.rejections.append(&mut o.rejections);
            }
            None => out.rejections.push(Rejection {
                input: input.into(),
                record: Some(record),
                listing_id: None,
                kind: RejectionKind::Malformed,
                reason: "line is not valid JSON".into(),
            }),
        }
    }
    if out.listings.is_empty() && out.rejections.is_empty() {
        out.rejections.push(rejection(
            input,
            RejectionKind::Unrecognised,
            "JSON Lines input without records".into(),
        ));
    }
    out
}
