//! The analyzer worker against a real nats-server with a 1 s duplicate window
//! (`GSA_DUPLICATE_WINDOW_SECS=1`): a real fuel listing above the threshold is alerted once;
//! the same listing state published again after the window (JetStream stores it again) sends
//! no second alert, because the alert state lives in the `gsa_alerted` KV bucket; a price
//! rise below the threshold and a cut back across it sends exactly one more alert (price cut),
//! with the score, headline figures and link.

mod common;

use std::time::{Duration, Instant};

use async_nats::jetstream;
use gsa_analyzer::worker::{self, AlertState};
use gsa_analyzer::ScoringConfig;
use gsa_common::testkit::NatsServer;
use gsa_common::{nats, shutdown, Config};
use gsa_schemas::{
    event_type, subjects, AlertReason, Envelope, HighScoreAlert, Listing, ListingUpdated,
};

async fn alerts(js: &jetstream::Context) -> Vec<Envelope<HighScoreAlert>> {
    let mut stream = js.get_stream(subjects::STREAM_ALERTS).await.unwrap();
    let state = stream.info().await.unwrap().state.clone();
    let mut out = Vec::new();
    if state.messages == 0 {
        return out;
    }
    for seq in state.first_sequence..=state.last_sequence {
        if let Ok(m) = stream.get_raw_message(seq).await {
            out.push(serde_json::from_slice(&m.payload).unwrap());
        }
    }
    out
}

/// Waits until the analyzer consumer has acked everything published so far.
async fn settled(js: &jetstream::Context) {
    let stream = js.get_stream(subjects::STREAM_LISTINGS).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let last = js
            .get_stream(subjects::STREAM_LISTINGS)
            .await
            .unwrap()
            .info()
            .await
            .unwrap()
            .state
            .last_sequence;
        if let Ok(mut c) = stream
            .get_consumer::<jetstream::consumer::pull::Config>(subjects::CONSUMER_ANALYZER)
            .await
        {
            let info = c.info().await.unwrap();
            if info.ack_floor.stream_sequence >= last && info.num_ack_pending == 0 {
                return;
            }
        }
        assert!(Instant::now() < deadline, "analyzer did not catch up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn scraped(l: &Listing) -> Envelope<Listing> {
    Envelope::new(
        "scraper",
        event_type::LISTING_SCRAPED,
        l.event_id(),
        Some(l.listing_id.clone()),
        l.clone(),
    )
}

fn updated(l: &Listing) -> Envelope<ListingUpdated> {
    Envelope::new(
        "scraper",
        event_type::LISTING_UPDATED,
        Envelope::<()>::deterministic_id(&["updated", &l.listing_id, &l.content_hash]),
        Some(l.listing_id.clone()),
        ListingUpdated {
            listing: l.clone(),
            changes: vec![],
        },
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_alert_state_after_the_duplicate_window_is_not_alerted_again() {
    // The real fuel listing with the highest score; the threshold is set at its score.
    let scoring = ScoringConfig::default();
    let (top, top_score) = common::fuel_listings()
        .into_iter()
        .filter_map(|l| {
            let card = gsa_analyzer::score(&l, "x", &scoring);
            (card.applicable && l.asking_price.is_some())
                .then_some(card.score)
                .flatten()
                .map(|s| (l, s))
        })
        .max_by_key(|(_, s)| *s)
        .expect("an applicable fuel listing with a score");
    let threshold = top_score;
    // The same listing at five times the price scores below it (checked, not assumed).
    let mut dear = top.clone();
    dear.asking_price = top.asking_price.map(|p| p * 5);
    let dear = dear.with_content_hash();
    let dear_score = gsa_analyzer::score(&dear, "x", &scoring).score.unwrap_or(0);
    assert!(dear_score < threshold, "{dear_score} < {threshold}");

    let nats_server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (url, d) = (nats_server.url(), dir.path().to_string_lossy().to_string());
    let t = threshold.to_string();
    let cfg = Config::load_from(&Default::default(), move |k| match k {
        "NATS_URL" => Some(url.clone()),
        "GSA_DATA_DIR" => Some(d.clone()),
        "GSA_DUPLICATE_WINDOW_SECS" => Some("1".into()),
        "GSA_ALERT_THRESHOLD" => Some(t.clone()),
        _ => None,
    })
    .unwrap();
    assert_eq!(cfg.duplicate_window, Duration::from_secs(1));
    let js = jetstream::new(nats::connect(&cfg.nats_url, "test").await.unwrap());
    nats::ensure_streams(&js, &cfg).await.unwrap();
    let (trigger, sd) = shutdown::channel();
    let task = {
        let (cfg, js) = (cfg.clone(), js.clone());
        tokio::spawn(async move { worker::run(&cfg, js, ScoringConfig::default(), sd).await })
    };

    // 1. New listing above the threshold: one alert.
    let first = scraped(&top);
    assert!(nats::publish_event(&js, subjects::LISTING_SCRAPED, &first)
        .await
        .unwrap());
    settled(&js).await;
    let a = alerts(&js).await;
    assert_eq!(
        a.len(),
        1,
        "one alert for a new listing above the threshold"
    );
    assert_eq!(a[0].data.reason, AlertReason::NewListing);
    assert_eq!(a[0].data.listing_id, top.listing_id);
    assert_eq!(a[0].data.score, top_score);
    assert_eq!(a[0].data.asking_price, top.asking_price);
    assert_eq!(a[0].data.cash_flow, top.cash_flow);
    assert_eq!(a[0].data.url, top.url);
    assert!(!a[0].data.summary.is_empty());

    // 2. The same event again after the duplicate window: JetStream stores it (no longer a
    //    duplicate), the analyzer scores it again, and no second alert is sent.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        nats::publish_event(&js, subjects::LISTING_SCRAPED, &first)
            .await
            .unwrap(),
        "stored again after the 1 s window"
    );
    settled(&js).await;
    assert_eq!(alerts(&js).await.len(), 1, "same state, no second alert");
    let kv = nats::key_value(&js, subjects::KV_ALERTED).await.unwrap();
    let st: AlertState = serde_json::from_slice(
        &kv.get(nats::kv_key(&top.listing_id))
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert!(st.above && st.published && st.alerts == 1, "{st:?}");

    // 3. Price up (below the threshold): no alert. Price back down (crosses again): one
    //    price-cut alert, with a new event id.
    nats::publish_event(&js, subjects::LISTING_UPDATED, &updated(&dear))
        .await
        .unwrap();
    settled(&js).await;
    assert_eq!(alerts(&js).await.len(), 1);
    nats::publish_event(&js, subjects::LISTING_UPDATED, &updated(&top))
        .await
        .unwrap();
    settled(&js).await;
    let a = alerts(&js).await;
    assert_eq!(a.len(), 2, "a new crossing is alerted once");
    assert_eq!(a[1].data.reason, AlertReason::PriceCut);
    assert_ne!(a[1].id, a[0].id);

    // 4. That price-cut state seen again after the window: still two alerts.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    nats::publish_event(&js, subjects::LISTING_UPDATED, &updated(&top))
        .await
        .unwrap();
    nats::publish_event(&js, subjects::LISTING_SCRAPED, &first)
        .await
        .unwrap();
    settled(&js).await;
    assert_eq!(alerts(&js).await.len(), 2);

    trigger.trigger();
    task.await.unwrap().unwrap();
}
