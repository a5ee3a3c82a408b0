//! `GET /api/listings` over HTTP against a real `gsa.db` filled the way the logging worker
//! fills it, from the schema types (listing 2365036 of the real corpus page
//! detail-specialty-contract-manufacturer-oh-2025.html, asking $1,370,000).

use std::collections::HashSet;

use chrono::TimeZone;
use gsa_schemas::{
    Confidence, Listing, ListingSource, RealEstate, RealEstateAssessment, RealEstateBasis,
    ScoreCard,
};
use rusqlite::params;
use serde_json::Value;

use crate::harness::Gateway;

/// Listing 2365036 as the scraper reads the detail page.
fn listing_2365036() -> Listing {
    Listing {
        listing_id: "2365036".into(),
        url: Some("https://www.bizbuysell.com/business-opportunity/specialty-contract-manufacturer-longstanding-clients-and-high-margin/2365036/".into()),
        title: Some("Specialty Contract Manufacturer / Longstanding Clients & High Margin".into()),
        category: Some("Manufacturing > Other".into()),
        city: None,
        state: Some("OH".into()),
        country: Some("US".into()),
        asking_price: Some(1_370_000),
        cash_flow: Some(482_000),
        gross_revenue: Some(5_940_000),
        ebitda: Some(247_000),
        ffe: Some(10_000),
        ffe_included: Some(true),
        inventory: Some(600_000),
        inventory_included: Some(true),
        real_estate: RealEstate::default(),
        established_year: Some(2000),
        employees: Some(14),
        reason_for_selling: Some("Retirement".into()),
        source: ListingSource::DetailPage,
        fetched_at: chrono::Utc.with_ymd_and_hms(2025, 6, 2, 14, 0, 0).unwrap(),
        ..Default::default()
    }
    .with_content_hash()
}

fn card(l: &Listing, score: Option<u8>) -> ScoreCard {
    ScoreCard {
        listing_id: l.listing_id.clone(),
        listing_event_id: l.event_id(),
        model_version: "rules-1+cfg.3f9a2c1d".into(),
        applicable: score.is_some(),
        not_applicable_reason: score
            .is_none()
            .then(|| "not a gas station, c-store with fuel or truck stop".into()),
        score,
        confidence: Confidence::B,
        real_estate: RealEstateAssessment {
            included: None,
            basis: RealEstateBasis::Unknown,
            reason: "the listing does not say".into(),
        },
        buckets: vec![],
        factors: vec![],
        caps: vec![],
        facts: vec![],
        missing: vec!["gallons_per_month".into()],
        questions: vec![],
        dscr: None,
        valuation: None,
        summary: "Test card.".into(),
        previous_score: None,
        previous_model_version: None,
        changes: vec![],
    }
}

/// Writes listings (and scores for `Some(Some(score))`/`Some(None)`, none for `None`).
fn fill(path: &std::path::Path, rows: &[(Listing, Option<Option<u8>>)]) {
    let conn = gsa_common::db::open_rw(path).unwrap();
    for (l, score) in rows {
        conn.execute(
            "INSERT INTO listings (listing_id, data, title, state, category, asking_price, cash_flow,
                                   content_hash, event_id, first_seen, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
            params![
                l.listing_id,
                serde_json::to_string(l).unwrap(),
                l.title,
                l.state,
                l.category,
                l.asking_price,
                l.cash_flow,
                l.content_hash,
                l.event_id(),
                l.fetched_at.to_rfc3339(),
            ],
        )
        .unwrap();
        if let Some(score) = score {
            let c = card(l, *score);
            conn.execute(
                "INSERT INTO scores (listing_id, score, applicable, model_version, real_estate, card,
                                     event_id, scored_at)
                 VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7)",
                params![
                    l.listing_id,
                    score.map(i64::from),
                    c.applicable,
                    c.model_version,
                    serde_json::to_string(&c).unwrap(),
                    format!("evt-score-{}", l.listing_id),
                    "2025-06-02T14:00:05Z",
                ],
            )
            .unwrap();
        }
    }
}

async fn reader(gw: &Gateway) -> String {
    let s = gw.client("dash", &["gsa-api"], &["listings:read"]);
    gw.access_token("dash", &s, "gsa-api").await
}

async fn get(gw: &Gateway, tok: &str, query: &str) -> (u16, Value) {
    let r = gw
        .http
        .get(gw.url(&format!("/api/listings{query}")))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn missing_database_is_an_empty_list() {
    let gw = Gateway::start().await;
    let tok = reader(&gw).await;
    let (s, b) = get(&gw, &tok, "").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b, serde_json::json!({"items": [], "next_cursor": null}));
    gw.stop().await;
}

#[tokio::test]
async fn scope_and_audience_are_enforced() {
    let gw = Gateway::start().await;
    fill(&gw.cfg.db_path(), &[(listing_2365036(), Some(None))]);
    // Right audience, no listings:read scope: 403.
    let s = gw.client("alerts-only", &["gsa-api", "other-api"], &["alerts:read"]);
    let tok = gw.access_token("alerts-only", &s, "gsa-api").await;
    let r = gw
        .http
        .get(gw.url("/api/listings"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "insufficient_scope"
    );
    // The scope, but a token for another audience: 401.
    let s = gw.client("other", &["other-api"], &["listings:read"]);
    let tok = gw.access_token("other", &s, "other-api").await;
    let (st, b) = get(&gw, &tok, "").await;
    assert_eq!((st, b["error"].as_str()), (401, Some("invalid_token")));
    gw.stop().await;
}

#[tokio::test]
async fn items_carry_listing_fields_and_score_and_pages_cover_all_rows_in_order() {
    let gw = Gateway::start().await;
    let base = listing_2365036();
    // 2365036 itself is not a gas station: scored, not applicable, null score.
    let mut rows = vec![(base.clone(), Some(None))];
    // Synthetic neighbours with ties, nulls and an unscored listing, ids chosen so that
    // listing_id order differs from insertion order.
    let scores: [(&str, Option<Option<u8>>); 11] = [
        ("9000007", Some(Some(91))),
        ("9000003", Some(Some(72))),
        ("9000010", Some(Some(72))),
        ("9000001", Some(Some(72))),
        ("9000005", Some(Some(40))),
        ("9000002", Some(Some(100))),
        ("9000004", Some(Some(0))),
        ("9000009", None),
        ("9000006", Some(None)),
        ("9000008", Some(Some(55))),
        ("9000011", Some(Some(91))),
    ];
    for (i, (id, s)) in scores.iter().enumerate() {
        let mut l = base.clone();
        l.listing_id = id.to_string();
        l.asking_price = Some(1_000_000 + 10_000 * i as i64);
        rows.push((l.with_content_hash(), *s));
    }
    fill(&gw.cfg.db_path(), &rows);
    let tok = reader(&gw).await;

    // One page with the default limit: the exact expected order.
    let (s, b) = get(&gw, &tok, "").await;
    assert_eq!(s, 200, "{b}");
    let ids: Vec<&str> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["listing_id"].as_str().unwrap())
        .collect();
    let expected = [
        "9000002", "9000007", "9000011", "9000001", "9000003", "9000010", "9000008", "9000005",
        "9000004", "2365036", "9000006", "9000009",
    ];
    assert_eq!(ids, expected);
    assert!(b["next_cursor"].is_null());
    let real = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["listing_id"] == "2365036")
        .unwrap();
    assert_eq!(real["asking_price"], 1_370_000);
    assert_eq!(real["cash_flow"], 482_000);
    assert_eq!(real["state"], "OH");
    assert_eq!(real["employees"], 14);
    assert_eq!(real["content_hash"], base.content_hash);
    assert!(real["score"].is_null());
    assert_eq!(real["applicable"], false);
    assert_eq!(real["model_version"], "rules-1+cfg.3f9a2c1d");
    let top = &b["items"][0];
    assert_eq!(
        (top["score"].as_i64(), top["applicable"].as_bool()),
        (Some(100), Some(true))
    );
    let unscored = &b["items"][11];
    assert!(
        unscored["score"].is_null()
            && unscored["applicable"].is_null()
            && unscored["model_version"].is_null()
    );

    // Keyset paging, 5 per page: disjoint pages covering every row in the same order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &cursor {
            Some(c) => format!("?limit=5&cursor={c}"),
            None => "?limit=5".to_string(),
        };
        let (s, b) = get(&gw, &tok, &q).await;
        assert_eq!(s, 200, "{b}");
        let items = b["items"].as_array().unwrap();
        assert!(items.len() <= 5);
        seen.extend(
            items
                .iter()
                .map(|i| i["listing_id"].as_str().unwrap().to_string()),
        );
        pages += 1;
        match b["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 10, "paging does not terminate");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        seen.len(),
        "pages overlap"
    );

    // Page boundary inside the null tail and inside a tie.
    for limit in 1..=12 {
        let mut got = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let q = match &cursor {
                Some(c) => format!("?limit={limit}&cursor={c}"),
                None => format!("?limit={limit}"),
            };
            let (_, b) = get(&gw, &tok, &q).await;
            got.extend(
                b["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["listing_id"].as_str().unwrap().to_string()),
            );
            match b["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(got, expected, "limit {limit}");
    }

    // Bad parameters: stable JSON errors, no offset paging.
    for (q, code) in [
        ("?limit=0", "invalid_limit"),
        ("?limit=201", "invalid_limit"),
        ("?limit=abc", "invalid_limit"),
        ("?cursor=%%%", "invalid_cursor"),
        ("?cursor=bm90IGpzb24", "invalid_cursor"),
        ("?offset=10", "invalid_request"),
    ] {
        let (s, b) = get(&gw, &tok, q).await;
        assert_eq!((s, b["error"].as_str()), (400, Some(code)), "{q}: {b}");
    }
    let (s, b) = get(&gw, &tok, "?limit=200").await;
    assert_eq!((s, b["items"].as_array().unwrap().len()), (200, 12));
    gw.stop().await;
}
