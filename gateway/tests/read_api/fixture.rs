//! A real `gsa.db` for the read tests: real listings (the scraper's parser run on the real
//! BizBuySell pages and data set in `testdata/bizbuysell`, and the real fuel-listing texts in
//! `testdata/fuel-listings` pasted as text), stored by the logging worker's own store
//! (`gsa_logger::store::Store::store_batch`) as real CloudEvents envelopes.
//!
//! Score cards are built here from the schema types (the analyzer is another service and its
//! rules are not this crate's to import); each card is a pure function of its listing so the
//! tests can compute what every filter and sort must answer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use gsa_logger::store::{Incoming, Store};
use gsa_schemas::{
    event_type, AlertReason, Bucket, Confidence, Envelope, Evidence, Factor, FieldChange,
    HighScoreAlert, Listing, ListingUpdated, LogRecord, RealEstateAssessment, RealEstateBasis,
    RealEstateOwnership, ScoreCard, Valuation,
};

/// Model version of the current cards.
pub const MODEL: &str = "rules-2+cfg.test0001";
/// Model version of the older cards kept in the history.
pub const OLD_MODEL: &str = "rules-1+cfg.test0000";
/// A word that occurs in exactly the descriptions that contain it (checked by the tests).
pub const SCRIPT: &str = "<script>alert('x')</script>";

/// Repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every listing the scraper reads from the real test data, plus one pasted listing whose
/// description holds a `<script>` tag.
pub fn real_listings() -> Vec<Listing> {
    let mut out: BTreeMap<String, Listing> = BTreeMap::new();
    let data = root().join("testdata/bizbuysell");
    let files = [
        "html/detail-specialty-contract-manufacturer-oh-2025.html",
        "html/detail-self-serve-car-wash-coalinga-ca-2026.html",
        "html/search-california-rendered-2026.html",
        "html/search-hvac-keyword-rendered-2026.html",
        "datasets/api-bff-v2-bfs-search-results-2025.json",
    ];
    let add = |l: Listing, out: &mut BTreeMap<String, Listing>| {
        let merged = match out.get(&l.listing_id) {
            Some(old) => old.merged(&l),
            None => l,
        };
        out.insert(merged.listing_id.clone(), merged);
    };
    for f in files {
        let outcome = gsa_scraper::parse_file(&data.join(f)).expect("read test data");
        for l in outcome.listings {
            add(l, &mut out);
        }
    }
    let fuel = std::fs::read_to_string(root().join("testdata/fuel-listings/listings.jsonl"))
        .expect("fuel listings");
    let fetched = Utc.with_ymd_and_hms(2025, 6, 2, 14, 0, 0).unwrap();
    for line in fuel.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("jsonl");
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        let text = format!(
            "{}\n{}\nAsking Price: {}\nCash Flow: {}\nGross Revenue: {}\n\n{}",
            s("title"),
            s("location"),
            s("asking_price_text"),
            s("cash_flow_text"),
            s("gross_revenue_text"),
            s("description")
        );
        for l in gsa_scraper::parse_bytes("paste.txt", text.as_bytes(), fetched).listings {
            add(l, &mut out);
        }
    }
    let script = format!(
        "Gas Station with Repair Bays\nDayton, OH\nAsking Price: $650,000\nCash Flow: $130,000\n\nBusy fuel corner. {SCRIPT} Owner retiring; zephyrine pumps replaced."
    );
    for l in gsa_scraper::parse_bytes("paste.txt", script.as_bytes(), fetched).listings {
        add(l, &mut out);
    }
    out.into_values().collect()
}

/// Whether the test's card treats `l` as a fuel business.
pub fn is_fuel(l: &Listing) -> bool {
    let text = format!(
        "{} {} {}",
        l.title.as_deref().unwrap_or(""),
        l.category.as_deref().unwrap_or(""),
        l.description.as_deref().unwrap_or("")
    )
    .to_lowercase();
    ["gas station", "fuel", "truck stop", "gallons", "c-store"]
        .iter()
        .any(|w| text.contains(w))
}

/// The test's score: a pure function of the listing (`None` when not a fuel business).
pub fn score_of(l: &Listing) -> Option<u8> {
    if !is_fuel(l) {
        return None;
    }
    let b = u8::from_str_radix(l.content_hash.get(..2).unwrap_or("00"), 16).unwrap_or(0);
    Some(b % 101)
}

/// The test's real-estate conclusion.
pub fn real_estate_of(l: &Listing) -> Option<bool> {
    match (l.real_estate.included, l.real_estate.ownership) {
        (Some(v), _) => Some(v),
        (None, Some(RealEstateOwnership::Owned)) => Some(true),
        (None, Some(RealEstateOwnership::Leased)) => Some(false),
        // Like the analyzer's inference: a low multiple leaves no room for land in the price.
        _ => l.multiple().and_then(|m| (m < 3.0).then_some(false)),
    }
}

/// A score card for `l` under `model`.
pub fn card(l: &Listing, model: &str, score: Option<u8>) -> ScoreCard {
    let quote: String = l
        .description
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(80)
        .collect();
    let re = real_estate_of(l);
    ScoreCard {
        listing_id: l.listing_id.clone(),
        listing_event_id: l.event_id(),
        model_version: model.into(),
        applicable: score.is_some(),
        not_applicable_reason: score
            .is_none()
            .then(|| "not a gas station, c-store with fuel or truck stop".into()),
        score,
        confidence: if l.cash_flow.is_some() {
            Confidence::B
        } else {
            Confidence::C
        },
        real_estate: RealEstateAssessment {
            included: re,
            basis: if re.is_some() {
                RealEstateBasis::Stated
            } else {
                RealEstateBasis::Unknown
            },
            reason: "as the listing states".into(),
        },
        buckets: vec![
            Bucket {
                name: "price".into(),
                points: 12.0,
                max_points: 20.0,
            },
            Bucket {
                name: "cash_flow".into(),
                points: 7.5,
                max_points: 20.0,
            },
        ],
        factors: vec![Factor {
            name: "description_read".into(),
            bucket: "operations".into(),
            points: 3.0,
            max_points: 5.0,
            rule: "read the description: 3/5".into(),
            evidence: vec![Evidence {
                source: "description".into(),
                quote,
                start: Some(0),
                end: None,
            }],
        }],
        caps: vec![],
        facts: vec![],
        missing: vec![
            "gallons_per_month".into(),
            "fuel_margin_cents_per_gallon".into(),
        ],
        questions: vec!["What are the monthly fuel gallons for the last 3 years?".into()],
        dscr: None,
        valuation: l.cash_flow.map(|cf| Valuation {
            low_usd: cf * 2,
            high_usd: cf * 3,
            asking_vs_mid_percent: 4.0,
            method: "2x to 3x cash flow".into(),
        }),
        summary: format!("Test card for {}.", l.listing_id),
        previous_score: None,
        previous_model_version: None,
        changes: vec![],
    }
}

/// Wraps a typed envelope as the logging worker receives it.
pub fn incoming<T: serde::Serialize>(subject: &str, env: &Envelope<T>) -> Incoming {
    let v = serde_json::to_vec(env).expect("envelope json");
    Incoming {
        subject: subject.into(),
        head: serde_json::from_slice(&v).expect("envelope head"),
    }
}

/// A log record event at `time`.
pub fn log_event(
    id: &str,
    time: DateTime<Utc>,
    service: &str,
    level: &str,
    message: &str,
) -> Incoming {
    let mut env = Envelope::new(
        service,
        event_type::LOG_RECORD,
        id.into(),
        None,
        LogRecord {
            time,
            service: service.into(),
            level: level.into(),
            target: format!("gsa_{service}"),
            message: message.into(),
            fields: Default::default(),
        },
    );
    env.time = time;
    incoming(&format!("gsa.log.{service}"), &env)
}

/// What was stored, for the tests' expectations.
pub struct Filled {
    /// The listings as stored (after the update below).
    pub listings: Vec<Listing>,
    /// The latest card of each listing.
    pub cards: BTreeMap<String, ScoreCard>,
    /// The listing that got a price cut and two score cards.
    pub updated_id: String,
    /// The listing whose description holds [`SCRIPT`].
    pub script_id: String,
    /// Ids of the alerts stored, newest first.
    pub alert_ids: Vec<String>,
    /// Start of the log records' time span (records are one minute apart from here).
    pub logs_start: DateTime<Utc>,
}

/// Log records stored by [`fill`]: (service, level, message), one minute apart.
pub const LOGS: &[(&str, &str, &str)] = &[
    ("scraper", "INFO", "scraper watching inbox"),
    ("scraper", "DEBUG", "sniffed format html"),
    ("analyzer", "INFO", "scored listing with the fuel rules"),
    ("analyzer", "WARN", "listing has no cash flow"),
    ("logger", "INFO", "stored batch of events"),
    ("analyzer", "ERROR", "score card failed validation"),
    ("gateway", "INFO", "gateway listening"),
    ("scraper", "WARN", "page blocked by a captcha wall"),
    ("analyzer", "INFO", "published alert for listing"),
    ("scraper", "ERROR", "inbox file unreadable"),
];

/// Stores everything in `path` through the logging worker's store.
pub fn fill(path: &Path) -> Filled {
    let mut store = Store::open(path).expect("open store");
    let listings = real_listings();
    assert!(
        listings.len() > 60,
        "real test data gives {} listings",
        listings.len()
    );
    let mut batch = Vec::new();
    let t0 = Utc.with_ymd_and_hms(2025, 6, 2, 14, 0, 0).unwrap();
    let mut cards = BTreeMap::new();
    for l in &listings {
        let env = Envelope::new(
            "scraper",
            event_type::LISTING_SCRAPED,
            l.event_id(),
            Some(l.listing_id.clone()),
            l.clone(),
        );
        batch.push(incoming("gsa.listing.scraped", &env));
    }
    // A price cut for the first fuel listing with a price: an update event, an old card and a
    // new one, and an alert.
    let target = listings
        .iter()
        .find(|l| is_fuel(l) && l.asking_price.is_some() && l.cash_flow.is_some())
        .expect("a fuel listing with price and cash flow")
        .clone();
    let mut cut = target.clone();
    cut.asking_price = cut.asking_price.map(|p| p - 50_000);
    let cut = cut.with_content_hash();
    let mut upd = Envelope::new(
        "scraper",
        event_type::LISTING_UPDATED,
        cut.event_id(),
        Some(cut.listing_id.clone()),
        ListingUpdated {
            listing: cut.clone(),
            changes: vec![FieldChange {
                field: "asking_price".into(),
                old: target.asking_price.into(),
                new: cut.asking_price.into(),
            }],
        },
    );
    upd.time = t0 + Duration::hours(1);
    batch.push(incoming("gsa.listing.updated", &upd));
    let stored_target = target.merged(&cut);
    let listings: Vec<Listing> = listings
        .into_iter()
        .map(|l| {
            if l.listing_id == target.listing_id {
                stored_target.clone()
            } else {
                l
            }
        })
        .collect();

    for l in &listings {
        let mut c = card(l, MODEL, score_of(l));
        if l.listing_id == target.listing_id {
            // History: an older model scored it 41 before the cut.
            let mut old = card(&target, OLD_MODEL, Some(41));
            old.summary = "before the price cut".into();
            let mut env = Envelope::new(
                "analyzer",
                event_type::LISTING_SCORED,
                Envelope::<()>::deterministic_id(&[&target.event_id(), OLD_MODEL]),
                Some(l.listing_id.clone()),
                old,
            );
            env.time = t0 + Duration::minutes(30);
            batch.push(incoming("gsa.listing.scored", &env));
            c.score = Some(88);
            c.applicable = true;
            c.not_applicable_reason = None;
        }
        let mut env = Envelope::new(
            "analyzer",
            event_type::LISTING_SCORED,
            Envelope::<()>::deterministic_id(&[&l.event_id(), MODEL]),
            Some(l.listing_id.clone()),
            c.clone(),
        );
        env.time = t0 + Duration::hours(2);
        batch.push(incoming("gsa.listing.scored", &env));
        cards.insert(l.listing_id.clone(), c);
    }
    // Alerts for every score >= 80, one second apart, in listing-id order.
    let mut alert_ids = Vec::new();
    for (i, (id, c)) in cards
        .iter()
        .filter(|(_, c)| c.score.is_some_and(|s| s >= 80))
        .enumerate()
    {
        let l = listings
            .iter()
            .find(|l| &l.listing_id == id)
            .expect("listing");
        let alert_id = Envelope::<()>::deterministic_id(&[id, "alert"]);
        let mut env = Envelope::new(
            "analyzer",
            event_type::ALERT_HIGH_SCORE,
            alert_id.clone(),
            Some(id.clone()),
            HighScoreAlert {
                listing_id: id.clone(),
                reason: AlertReason::NewListing,
                score: c.score.unwrap_or(0),
                threshold: 80,
                model_version: MODEL.into(),
                title: l.title.clone(),
                url: l.url.clone(),
                city: l.city.clone(),
                state: l.state.clone(),
                asking_price: l.asking_price,
                cash_flow: l.cash_flow,
                gross_revenue: l.gross_revenue,
                summary: c.summary.clone(),
            },
        );
        env.time = t0 + Duration::hours(3) + Duration::seconds(i as i64);
        batch.push(incoming("gsa.alert.high_score", &env));
        alert_ids.push(alert_id);
    }
    alert_ids.reverse();
    let logs_start = Utc::now() - Duration::hours(1);
    for (i, (svc, level, msg)) in LOGS.iter().enumerate() {
        batch.push(log_event(
            &format!("log-{i:02}"),
            logs_start + Duration::minutes(i as i64),
            svc,
            level,
            msg,
        ));
    }
    for (i, r) in store.store_batch(&batch).into_iter().enumerate() {
        r.unwrap_or_else(|e| panic!("event {i} not stored: {e}"));
    }
    let script_id = listings
        .iter()
        .find(|l| l.description.as_deref().is_some_and(|d| d.contains(SCRIPT)))
        .expect("the <script> listing is stored with its description as written")
        .listing_id
        .clone();
    Filled {
        listings,
        cards,
        updated_id: target.listing_id,
        script_id,
        alert_ids,
        logs_start,
    }
}
