//! Loads the real listings under `testdata/` into `Listing`s, the way a scraper would: money
//! text parsed ("$1,900,000", "5000000.0", "1.2 Milllion"), "N/A" and non-figures as `None`,
//! "City, ST" split. No listing text is changed.
#![allow(dead_code)]

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use gsa_schemas::{Listing, ListingSource, RealEstate};

pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// "$1,900,000" -> 1900000; "5000000.0" -> 5000000; "1.2 Milllion" -> 1200000; "N/A" -> None.
pub fn money(text: Option<&str>) -> Option<i64> {
    let t = text?.trim();
    let lower = t.to_ascii_lowercase();
    let mult = if lower.contains("mil") {
        1_000_000.0
    } else {
        1.0
    };
    let digits: String = t
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if digits.is_empty() || !t.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: f64 = digits.parse().ok()?;
    Some((v * mult).round() as i64)
}

fn split_location(loc: &str) -> (Option<String>, Option<String>) {
    let loc = loc.trim();
    if loc.is_empty() {
        return (None, None);
    }
    if let Some((city, st)) = loc.rsplit_once(',') {
        let st = st.trim();
        if st.len() == 2 {
            return (Some(city.trim().to_string()), Some(st.to_ascii_uppercase()));
        }
    }
    // "Denver  CO"
    if let Some((city, st)) = loc.rsplit_once(' ') {
        if st.len() == 2 && st.chars().all(|c| c.is_ascii_uppercase()) {
            return (Some(city.trim().to_string()), Some(st.to_string()));
        }
    }
    (Some(loc.to_string()), None)
}

fn fetched(id: &str) -> chrono::DateTime<Utc> {
    let n: u32 = id.trim_start_matches("fl-").parse().unwrap_or(0);
    let (y, m) = match n {
        1..=12 => (2023, 6),
        13..=25 => (2025, 10),
        26..=27 => (2026, 1),
        _ => (2015, 6),
    };
    Utc.with_ymd_and_hms(y, m, 15, 0, 0, 0)
        .single()
        .expect("valid date")
}

/// The BizBuySell search API dataset, read once.
fn api_all() -> &'static [serde_json::Value] {
    static ALL: std::sync::OnceLock<Vec<serde_json::Value>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let path = testdata().join("bizbuysell/datasets/api-bff-v2-bfs-search-results-2025.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect("api json")).expect("json")
    })
}

/// The API record behind fl-013 ... fl-025 (by listNumber), for its real-estate flag.
fn api_record(list_number: &str) -> Option<serde_json::Value> {
    api_all()
        .iter()
        .find(|r| r["listNumber"].as_u64().map(|n| n.to_string()).as_deref() == Some(list_number))
        .cloned()
}

/// All 30 fuel listings, in file order.
pub fn fuel_listings() -> Vec<Listing> {
    let path = testdata().join("fuel-listings/listings.jsonl");
    let text = std::fs::read_to_string(path).expect("testdata/fuel-listings/listings.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("jsonl line");
            let s = |k: &str| v[k].as_str().map(str::to_string);
            let id = s("id").unwrap_or_default();
            let (city, state) = split_location(&s("location").unwrap_or_default());
            let mut l = Listing {
                listing_id: id.clone(),
                title: s("title"),
                city,
                state,
                country: Some("US".into()),
                asking_price: money(v["asking_price_text"].as_str()),
                cash_flow: money(v["cash_flow_text"].as_str()),
                gross_revenue: money(v["gross_revenue_text"].as_str()),
                description: s("description"),
                source: ListingSource::DetailPage,
                fetched_at: fetched(&id),
                ..Default::default()
            };
            let src = s("source").unwrap_or_default();
            if let Some(n) = src
                .split("listNumber ")
                .nth(1)
                .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
            {
                l.url = Some(format!("https://www.bizbuysell.com/listing/{n}/"));
                if let Some(r) = api_record(n) {
                    l.source = ListingSource::ApiRecord;
                    l.real_estate = RealEstate {
                        included: r["realEstateIncludedInAskingPrice"].as_bool(),
                        ..Default::default()
                    };
                }
            }
            l.with_content_hash()
        })
        .collect()
}

pub fn fuel(id: &str) -> Listing {
    fuel_listings()
        .into_iter()
        .find(|l| l.listing_id == id)
        .unwrap_or_else(|| panic!("no listing {id}"))
}

/// Number of records in the BizBuySell search API dataset.
pub fn api_len() -> usize {
    api_all().len()
}

/// A record of the BizBuySell search API dataset by array index, as a `Listing`.
pub fn api_listing(index: usize) -> Listing {
    let r = &api_all()[index];
    let (city, _) = split_location(r["location"].as_str().unwrap_or(""));
    let state = r["region"].as_str().map(str::to_string);
    let country = match state.as_deref() {
        Some("ON" | "AB" | "BC" | "QC" | "MB" | "SK" | "NS" | "NB" | "NL" | "PE") => "CA",
        _ => "US",
    };
    Listing {
        listing_id: r["listNumber"].to_string(),
        title: r["header"].as_str().map(str::to_string),
        city,
        state,
        country: Some(country.into()),
        asking_price: r["price"].as_f64().map(|v| v.round() as i64),
        cash_flow: r["cashFlow"].as_f64().map(|v| v.round() as i64),
        ebitda: r["ebitda"].as_f64().map(|v| v.round() as i64),
        description: r["description"].as_str().map(str::to_string),
        url: r["urlStub"].as_str().map(str::to_string),
        real_estate: RealEstate {
            included: r["realEstateIncludedInAskingPrice"].as_bool(),
            ..Default::default()
        },
        source: ListingSource::ApiRecord,
        fetched_at: Utc
            .with_ymd_and_hms(2025, 10, 1, 0, 0, 0)
            .single()
            .expect("date"),
        ..Default::default()
    }
    .with_content_hash()
}

/// The Hubbard, Oregon case [SAAD-GSA]: asking $8,499,000, cash flow $1,200,000, revenue
/// $12,512,022, "275,000 gallons a month", and no "real estate included" wording.
pub fn hubbard() -> Listing {
    Listing {
        listing_id: "hubbard-or".into(),
        url: Some("https://saadazizai.blogspot.com/2025/07/what-is-gas-station-analyzer.html".into()),
        title: Some("Gas Station for Sale in Hubbard, Oregon".into()),
        category: Some("Gas Stations".into()),
        city: Some("Hubbard".into()),
        state: Some("OR".into()),
        country: Some("US".into()),
        asking_price: Some(8_499_000),
        cash_flow: Some(1_200_000),
        gross_revenue: Some(12_512_022),
        description: Some(
            "High-volume gas station with convenience store in Hubbard, Oregon, pumping 275,000 gallons a month."
                .into(),
        ),
        source: ListingSource::PastedText,
        fetched_at: Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).single().expect("date"),
        ..Default::default()
    }
    .with_content_hash()
}

/// The listings of a BizBuySell detail-page scrape (`arnenoori-detail-scrape-*.csv`: one row per
/// detail page, with the page's full business description), in file order. Ids are
/// `<file stem>#<row>` (1-based data row). Read as the scraper would map the labelled rows; no
/// text is changed.
pub fn detail_scrape(file: &str) -> Vec<Listing> {
    let path = testdata().join("bizbuysell/datasets").join(file);
    let mut rd = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = rd.headers().expect("csv headers").clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (title, loc, price, cf, rev, ebitda, desc, url, fin) = (
        col("Title"),
        col("Location"),
        col("Asking Price"),
        col("Cash Flow"),
        col("Gross Revenue"),
        col("EBITDA"),
        col("Business Description"),
        col("URL"),
        col("Financing"),
    );
    let stem = file.trim_end_matches(".csv");
    rd.records()
        .enumerate()
        .map(|(i, rec)| {
            let rec = rec.expect("csv record");
            let get = |c: Option<usize>| {
                c.and_then(|c| rec.get(c))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let (city, state) = split_location(&get(loc).unwrap_or_default());
            // A row with no state ("Ontario Canada") is not placed in the US.
            let country = state.as_ref().map(|_| "US".to_string());
            Listing {
                listing_id: format!("{stem}#{}", i + 1),
                title: get(title),
                city,
                state,
                country,
                asking_price: money(get(price).as_deref()),
                cash_flow: money(get(cf).as_deref()),
                gross_revenue: money(get(rev).as_deref()),
                ebitda: money(get(ebitda).as_deref()),
                description: get(desc),
                url: get(url),
                financing: get(fin),
                source: ListingSource::DetailPage,
                fetched_at: Utc
                    .with_ymd_and_hms(2023, 6, 15, 0, 0, 0)
                    .single()
                    .expect("date"),
                ..Default::default()
            }
            .with_content_hash()
        })
        .collect()
}

/// Every real listing with a description shipped in `testdata/`: the 30 fuel listings, the
/// Hubbard case, the 1,062 detail-page descriptions of the two detail scrapes and the 521 search
/// API records. Used by the pinned-card test and the scoring bench.
pub fn all_real_listings() -> Vec<Listing> {
    let mut out = fuel_listings();
    out.push(hubbard());
    out.extend(detail_scrape("arnenoori-detail-scrape-us-2023-subset.csv"));
    out.extend(detail_scrape("arnenoori-detail-scrape-texas-2023.csv"));
    out.extend((0..api_len()).map(api_listing));
    out
}

/// The scoring benchmark sets (`benches/score.rs`, `examples/score_rate.rs`), by name:
/// `fuel-listings` (the fuel listings + Hubbard), `detail-pages` (the detail-page scrapes'
/// listings that have a description), `api-records` (every search-API record).
pub fn bench_sets() -> Vec<(&'static str, Vec<Listing>)> {
    let mut fuel = fuel_listings();
    fuel.push(hubbard());
    let mut detail = detail_scrape("arnenoori-detail-scrape-us-2023-subset.csv");
    detail.extend(detail_scrape("arnenoori-detail-scrape-texas-2023.csv"));
    detail.retain(|l| l.description.as_deref().is_some_and(|d| !d.is_empty()));
    let api = (0..api_len()).map(api_listing).collect();
    vec![
        ("fuel-listings", fuel),
        ("detail-pages", detail),
        ("api-records", api),
    ]
}
