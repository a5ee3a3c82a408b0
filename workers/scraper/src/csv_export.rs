//! CSV exports made by other scrapers (`testdata/bizbuysell/datasets/*.csv`).
//!
//! * Header-mapped CSVs (the flat API export `header,urlStub,location,price,cashFlow,ebitda`,
//!   sezid's `Title,Location,Asking Price,Cash Flow,Link,...`, any CSV with recognisable column
//!   names): each row is read by column name. A row whose column count differs from the
//!   header's is rejected (`malformed`, `row N`) — a shifted column is never read as data.
//!   Broker name / phone / e-mail columns are never read.
//! * arnenoori CSVs (header starts `Title, Location, Asking Price, Cash Flow, Gross Revenue,
//!   EBITDA, Established, Inventory, FF&E, Business Description`): the scraper wrote the detail
//!   section positionally, so every row is ragged from column 11 on (SOURCES.md). Checked on
//!   the two files: columns 1-7 and 10 (and `URL`, column 11 of the US file) hold the labelled
//!   value in every row that has them; columns 8-9 (Inventory, FF&E) do NOT — in 531 of 1,000
//!   US rows "Inventory" holds the second line of the page's value ("Included in asking
//!   price"), so which figure column 9 holds cannot be told. Decision: read title, location,
//!   asking price, cash flow, gross revenue, EBITDA, established, description and URL; never
//!   inventory/FF&E or anything after column 11. A row is rejected when it has fewer than 10
//!   columns or when its money/year columns do not hold money/"N/A"/a year (misaligned).
//!
//! Row numbers: `row N` counts data rows from 1 (the header is row 0), as in
//! `testdata/fuel-listings/SOURCES.md`. Listing id: the ad number from the row's BizBuySell URL
//! (or an id column); when the file has none (arnenoori Texas file, truncated URLs), `csv-` plus
//! the first 12 hex of SHA-256 over "title\nlocation". Duplicate ids keep the first row.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use gsa_schemas::{Listing, ListingSource, Rejection, RejectionKind};
use sha2::{Digest, Sha256};

use crate::fields::{absolute_url, finish, id_from_url, non_empty, parse_year};
use crate::location::parse_location;
use crate::money::parse_money;
use crate::ParseOutcome;

const ARNENOORI: [&str; 10] = [
    "title",
    "location",
    "asking price",
    "cash flow",
    "gross revenue",
    "ebitda",
    "established",
    "inventory",
    "ff&e",
    "business description",
];

fn norm(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .trim_end_matches(':')
        .trim()
        .to_lowercase()
}

fn key(s: &str) -> String {
    norm(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// True when the first line looks like the header of a CSV export we read.
pub fn looks_like_csv(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("");
    if first.matches(',').count() < 2 {
        return false;
    }
    let cols: Vec<String> = first.split(',').map(key).collect();
    let known = [
        "title",
        "header",
        "location",
        "askingprice",
        "price",
        "cashflow",
        "urlstub",
        "url",
        "link",
        "listnumber",
    ];
    cols.iter().filter(|c| known.contains(&c.as_str())).count() >= 2
}

/// Money cell: "$1,900,000", "1370000.0", "N/A", "", or "Cash Flow: $1,500,000" (label prefix).
fn money_cell(s: &str) -> Option<i64> {
    let t = s.trim();
    if let Some((label, value)) = t.split_once(':') {
        if !label.is_empty()
            && label
                .chars()
                .all(|c| c.is_alphabetic() || c.is_whitespace() || c == '(' || c == ')')
        {
            return parse_money(value);
        }
    }
    parse_money(t)
}

fn is_money_or_na(s: &str) -> bool {
    let t = s.trim();
    t.is_empty()
        || t.eq_ignore_ascii_case("n/a")
        || t.eq_ignore_ascii_case("not disclosed")
        || money_cell(t).is_some()
}

fn hash_id(title: &str, location: &str) -> String {
    let h = hex::encode(Sha256::digest(
        format!("{}\n{}", title.trim(), location.trim()).as_bytes(),
    ));
    format!("csv-{}", h.get(..12).unwrap_or(&h))
}

fn reject(input: &str, row: usize, id: Option<String>, reason: String) -> Rejection {
    Rejection {
        input: input.into(),
        record: Some(format!("row {row}")),
        listing_id: id,
        kind: RejectionKind::Malformed,
        reason,
    }
}

/// Parses a CSV export.
pub fn parse_csv(input: &str, text: &str, fetched_at: DateTime<Utc>) -> ParseOutcome {
    let mut out = ParseOutcome::default();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = rdr.records();
    let header: Vec<String> = match rows.next() {
        Some(Ok(h)) => h.iter().map(str::to_string).collect(),
        _ => {
            out.rejections.push(Rejection {
                input: input.into(),
                record: None,
                listing_id: None,
                kind: RejectionKind::Unrecognised,
                reason: "CSV without a readable header row".into(),
            });
            return out;
        }
    };
    let hnorm: Vec<String> = header.iter().map(|h| norm(h)).collect();
    let arnenoori = hnorm.len() >= 10 && hnorm.iter().take(10).zip(ARNENOORI).all(|(a, b)| a == b);
    let mut seen = HashSet::new();

    let col = |names: &[&str]| -> Option<usize> {
        hnorm.iter().position(|h| names.contains(&key(h).as_str()))
    };
    let c_title = col(&["title", "header", "name", "headline"]);
    let c_loc = col(&["location"]);
    let c_url = col(&["url", "urlstub", "link", "listingurl"]);
    let c_id = col(&["listnumber", "listingid", "adnumber"]);
    let c_ask = col(&["askingprice", "price"]);
    let c_cf = col(&["cashflow", "cashflowsde", "sde"]);
    let c_rev = col(&["grossrevenue", "revenue"]);
    let c_ebitda = col(&["ebitda"]);
    let c_est = col(&["established", "yearestablished"]);
    let c_desc = col(&["description", "businessdescription"]);
    let c_reason = col(&["reasonforselling"]);
    let has_figures = c_ask.is_some() || c_cf.is_some() || c_rev.is_some() || c_ebitda.is_some();
    if !arnenoori
        && !((c_title.is_some() || c_url.is_some() || c_id.is_some())
            && (has_figures || c_url.is_some() || c_id.is_some()))
    {
        out.rejections.push(Rejection {
            input: input.into(),
            record: None,
            listing_id: None,
            kind: RejectionKind::Unrecognised,
            reason: format!(
                "CSV header has no listing columns (needs a title/URL/id column and a price, cash flow or URL column): {}",
                header.iter().take(12).cloned().collect::<Vec<_>>().join(",")
            ),
        });
        return out;
    }

    for (i, rec) in rows.enumerate() {
        let row_no = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.rejections.push(reject(
                    input,
                    row_no,
                    None,
                    format!("unreadable CSV row: {e}"),
                ));
                continue;
            }
        };
        let cells: Vec<&str> = rec.iter().collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| cells.get(c))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        // A URL is kept only when it carries the ad number (sezid's last row has a cut-off URL).
        let url_id = |u: Option<&str>| {
            u.and_then(absolute_url)
                .filter(|u| u.contains("bizbuysell.com") && id_from_url(u).is_some())
        };

        // Franchise ads (`/franchise-for-sale/<brand>/`) and broker ads (`/business-broker/...`)
        // are BizBuySell inline ads, not listings (API `type` -1); skipped as in [`crate::api`].
        // A ragged row is still rejected below, whatever it holds.
        if (arnenoori || cells.len() == header.len())
            && cells.iter().any(|c| crate::api::is_ad_url(c))
        {
            out.ads_skipped += 1;
            continue;
        }
        let listing = if arnenoori {
            if cells.len() < 10 {
                out.rejections.push(reject(
                    input,
                    row_no,
                    None,
                    format!(
                        "row has {} columns, fewer than the 10 aligned arnenoori columns",
                        cells.len()
                    ),
                ));
                continue;
            }
            let bad = [2usize, 3, 4, 5]
                .into_iter()
                .find(|&c| !cells.get(c).is_some_and(|v| is_money_or_na(v)));
            let est = cells.get(6).map(|s| s.trim()).unwrap_or("");
            let est_ok =
                est.is_empty() || est.eq_ignore_ascii_case("n/a") || parse_year(est).is_some();
            if let Some(c) = bad.or(if est_ok { None } else { Some(6) }) {
                let reason = format!(
                    "arnenoori row misaligned: column '{}' holds {:?}, not a money/year value",
                    header.get(c).map(String::as_str).unwrap_or("?"),
                    cells
                        .get(c)
                        .map(|s| s.chars().take(40).collect::<String>())
                        .unwrap_or_default()
                );
                out.rejections.push(reject(input, row_no, None, reason));
                continue;
            }
            let url = if hnorm.get(10).is_some_and(|h| h == "url") {
                url_id(cells.get(10).copied())
            } else {
                None
            };
            let title = get(Some(0)).unwrap_or("");
            let location = get(Some(1)).unwrap_or("");
            let loc = parse_location(location);
            let id = url
                .as_deref()
                .and_then(id_from_url)
                .unwrap_or_else(|| hash_id(title, location));
            Listing {
                listing_id: id,
                url,
                title: non_empty(title),
                city: loc.city,
                state: loc.state,
                country: loc.country,
                asking_price: get(Some(2)).and_then(money_cell).filter(|v| *v > 0),
                cash_flow: get(Some(3)).and_then(money_cell),
                gross_revenue: get(Some(4)).and_then(money_cell),
                ebitda: get(Some(5)).and_then(money_cell),
                established_year: get(Some(6)).and_then(parse_year),
                description: get(Some(9)).and_then(non_empty),
                source: ListingSource::CsvRow,
                fetched_at,
                ..Default::default()
            }
        } else {
            if cells.len() != header.len() {
                out.rejections.push(reject(
                    input,
                    row_no,
                    None,
                    format!("ragged row: {} columns but the header has {}; columns would be shifted, row not read", cells.len(), header.len()),
                ));
                continue;
            }
            let url = url_id(get(c_url));
            let title = get(c_title).unwrap_or("");
            let location = get(c_loc).unwrap_or("");
            let loc = parse_location(location);
            let id = get(c_id)
                .filter(|s| s.chars().all(|c| c.is_ascii_digit()))
                .map(str::to_string)
                .or_else(|| url.as_deref().and_then(id_from_url))
                .unwrap_or_else(|| hash_id(title, location));
            if title.is_empty() && url.is_none() && get(c_ask).is_none() {
                out.rejections.push(reject(
                    input,
                    row_no,
                    None,
                    "row has no title, URL or asking price".into(),
                ));
                continue;
            }
            Listing {
                listing_id: id,
                url,
                title: non_empty(title),
                city: loc.city,
                state: loc.state,
                country: loc.country,
                asking_price: get(c_ask).and_then(money_cell).filter(|v| *v > 0),
                cash_flow: get(c_cf).and_then(money_cell),
                gross_revenue: get(c_rev).and_then(money_cell),
                ebitda: get(c_ebitda).and_then(money_cell),
                established_year: get(c_est).and_then(parse_year),
                description: get(c_desc).and_then(non_empty),
                reason_for_selling: get(c_reason)
                    .filter(|s| !s.eq_ignore_ascii_case("n/a"))
                    .and_then(non_empty),
                source: ListingSource::CsvRow,
                fetched_at,
                ..Default::default()
            }
        };
        if seen.insert(listing.listing_id.clone()) {
            out.listings.push(finish(listing));
        } else {
            out.duplicates_skipped += 1;
        }
    }
    out
}
