//! The `/api/listings` page cache (gateway/src/read/cache.rs) over real HTTP: a page served
//! twice is the same page, and what the logging worker's store writes next (a new listing with
//! its card, a new card for a listing already shown, a listing update) shows in the very next
//! read. The writer is the logging worker's own store on its own connection, as in production.

#[allow(dead_code)]
#[path = "gateway/harness.rs"]
mod harness;

#[allow(dead_code)]
#[path = "read_api/fixture.rs"]
mod fixture;

use gsa_logger::store::Store;
use gsa_schemas::{event_type, Envelope, ListingUpdated};
use serde_json::Value;

use harness::Gateway;

async fn page(gw: &Gateway, tok: &str, query: &str) -> Value {
    let r = gw
        .http
        .get(gw.url(&format!("/api/listings{query}")))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    r.json().await.unwrap()
}

fn store(gw: &Gateway, events: Vec<gsa_logger::store::Incoming>) {
    let mut s = Store::open(&gw.cfg.db_path()).unwrap();
    for r in s.store_batch(&events) {
        r.unwrap();
    }
}

#[tokio::test]
async fn a_stored_card_or_listing_shows_in_the_next_read() {
    let gw = Gateway::start().await;
    let path = gw.cfg.db_path();
    let filled = tokio::task::spawn_blocking(move || fixture::fill(&path))
        .await
        .unwrap();
    let s = gw.client("reader", &["gsa-api"], &["listings:read"]);
    let tok = gw.access_token("reader", &s, "gsa-api").await;

    let first = page(&gw, &tok, "").await;
    let again = page(&gw, &tok, "?limit=50").await;
    assert_eq!(first, again, "the same request gives the same page");
    assert_eq!(first["items"].as_array().unwrap().len(), 50);
    // A word no stored listing has: the page is empty, and cached as such.
    const Q: &str = "?q=zyzzogeton";
    assert_eq!(page(&gw, &tok, Q).await["items"], serde_json::json!([]));
    assert_eq!(page(&gw, &tok, Q).await["items"], serde_json::json!([]));

    // 1. A new listing with its card: the next read of both pages shows it.
    let mut l = filled
        .listings
        .iter()
        .find(|l| l.listing_id == filled.updated_id)
        .unwrap()
        .clone();
    l.listing_id = "cache-new-1".into();
    l.title = Some("Zyzzogeton Fuel Stop".into());
    let l = l.with_content_hash();
    let card_at = |score: u8, model: &str, when: chrono::DateTime<chrono::Utc>| {
        let mut env = Envelope::new(
            "analyzer",
            event_type::LISTING_SCORED,
            Envelope::<()>::deterministic_id(&["scored", &l.event_id(), model]),
            Some(l.listing_id.clone()),
            fixture::card(&l, model, Some(score)),
        );
        env.time = when;
        fixture::incoming("gsa.listing.scored", &env)
    };
    let listing_env = Envelope::new(
        "scraper",
        event_type::LISTING_SCRAPED,
        l.event_id(),
        Some(l.listing_id.clone()),
        l.clone(),
    );
    let t0 = chrono::Utc::now();
    store(
        &gw,
        vec![
            fixture::incoming("gsa.listing.scraped", &listing_env),
            card_at(100, fixture::MODEL, t0),
        ],
    );
    let found = page(&gw, &tok, Q).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["items"][0]["listing_id"], "cache-new-1");
    assert_eq!(found["items"][0]["score"], 100);
    let top = page(&gw, &tok, "").await;
    assert_ne!(top, first, "the default page changed too");
    assert!(top["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["listing_id"] == "cache-new-1" && i["score"] == 100));

    // 2. A new card for the same listing (no new listing row): its new score and model.
    store(
        &gw,
        vec![card_at(
            1,
            "rules-3+cfg.test0002",
            t0 + chrono::Duration::seconds(1),
        )],
    );
    let found = page(&gw, &tok, Q).await;
    assert_eq!(found["items"][0]["score"], 1);
    assert_eq!(found["items"][0]["model_version"], "rules-3+cfg.test0002");
    // The default page (cached in step 1 with score 100) no longer shows the old score.
    assert!(page(&gw, &tok, "").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["listing_id"] != "cache-new-1" || i["score"] == 1));

    // 3. A listing update without a card (its asking price drops): the next read shows it.
    let mut cut = l.clone();
    cut.asking_price = Some(123_456);
    let cut = cut.with_content_hash();
    let upd = Envelope::new(
        "scraper",
        event_type::LISTING_UPDATED,
        cut.event_id(),
        Some(cut.listing_id.clone()),
        ListingUpdated {
            listing: cut.clone(),
            changes: vec![],
        },
    );
    store(&gw, vec![fixture::incoming("gsa.listing.updated", &upd)]);
    let after = page(&gw, &tok, Q).await;
    assert_eq!(after["items"][0]["asking_price"], 123_456);
    assert_eq!(after["items"][0]["score"], 1);

    // 4. A log record changes nothing a page shows: the page is the same.
    store(
        &gw,
        vec![fixture::log_event(
            "cache-log-1",
            chrono::Utc::now(),
            "logger",
            "INFO",
            "stored batch",
        )],
    );
    assert_eq!(page(&gw, &tok, Q).await, after);
}
