//! The notifier against a real nats-server (private, free port) and real HTTP receivers on
//! loopback (axum): retries until the receiver accepts, exactly one successful delivery per
//! alert, signatures that verify, delivery ids stable across retries, and a receiver that
//! always fails ends on `gsa.dlq.webhook` with the last error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use gsa_common::nats;
use gsa_common::testkit::NatsServer;
use gsa_common::{shutdown, Config, Secret};
use gsa_notifier::deliver::{self, DELIVERY_HEADER, SIGNATURE_HEADER};
use gsa_notifier::store::DeliveryStatus;
use gsa_notifier::worker::{self, NotifierOptions};
use gsa_notifier::WebhookStore;
use gsa_schemas::{event_type, subjects, AlertReason, Envelope, HighScoreAlert};

const SECRET: &str = "test-webhook-secret-0123456789";

/// One request the receiver saw.
#[derive(Debug, Clone)]
struct Seen {
    delivery: String,
    signature: String,
    body: Bytes,
    accepted: bool,
}

#[derive(Clone)]
struct Receiver {
    /// Fail (HTTP 503) this many attempts per delivery id, then answer 200.
    fail_first: usize,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let delivery = h(DELIVERY_HEADER);
    let mut seen = r.seen.lock().unwrap();
    let before = seen.iter().filter(|s| s.delivery == delivery).count();
    let accepted = before >= r.fail_first;
    seen.push(Seen {
        delivery,
        signature: h(SIGNATURE_HEADER),
        body,
        accepted,
    });
    if accepted {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn start_receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(Receiver {
            fail_first,
            seen: seen.clone(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), seen)
}

fn config(nats: &NatsServer, dir: &std::path::Path) -> Config {
    let d = dir.to_string_lossy().to_string();
    let url = nats.url();
    Config::load_from(&Default::default(), move |k| match k {
        "NATS_URL" => Some(url.clone()),
        "GSA_DATA_DIR" => Some(d.clone()),
        _ => None,
    })
    .unwrap()
}

/// A test's own `nats-server -js` (gsa streams created) and data directory, with the
/// configuration and JetStream context pointing at them. Keep the first two bound (`_nats`,
/// `_dir`, not `_`): dropping them stops the server and deletes the directory.
async fn setup() -> (
    NatsServer,
    tempfile::TempDir,
    Config,
    async_nats::jetstream::Context,
) {
    let nats_server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&nats_server, dir.path());
    let client = nats::connect(&cfg.nats_url, "test").await.unwrap();
    let js = async_nats::jetstream::new(client);
    nats::ensure_streams(&js, &cfg).await.unwrap();
    (nats_server, dir, cfg, js)
}

fn alert_event(listing_id: &str, score: u8, state: &str) -> Envelope<HighScoreAlert> {
    let alert = HighScoreAlert {
        listing_id: listing_id.into(),
        reason: AlertReason::NewListing,
        score,
        threshold: 80,
        model_version: "rules-test".into(),
        title: Some(format!("Gas station {listing_id}")),
        url: Some(format!(
            "https://www.bizbuysell.com/business-opportunity/x/{listing_id}/"
        )),
        city: Some("Austin".into()),
        state: Some(state.into()),
        asking_price: Some(1_200_000),
        cash_flow: Some(300_000),
        gross_revenue: Some(4_000_000),
        summary: "test".into(),
    };
    Envelope::new(
        "analyzer",
        event_type::ALERT_HIGH_SCORE,
        Envelope::<()>::deterministic_id(&["test-alert", listing_id]),
        Some(listing_id.into()),
        alert,
    )
}

async fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts the notifier worker with 3 webhook attempts and short backoffs (50 ms doubling to
/// 500 ms); returns its shutdown trigger and task.
fn start_notifier(
    cfg: &Config,
    js: &async_nats::jetstream::Context,
) -> (
    shutdown::ShutdownTrigger,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let (trigger, sd) = shutdown::channel();
    let opts = NotifierOptions {
        attempts: 3,
        backoff_base: Duration::from_millis(50),
        backoff_max: Duration::from_millis(500),
        timeout: Duration::from_secs(5),
    };
    let (cfg, js) = (cfg.clone(), js.clone());
    let task = tokio::spawn(async move { worker::run(&cfg, js, opts, sd).await });
    (trigger, task)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_that_fails_the_first_attempts_gets_each_alert_once_signed_with_a_stable_id() {
    let (_nats, _dir, cfg, js) = setup().await;

    let (url, seen) = start_receiver(2).await;
    let (other_url, other_seen) = start_receiver(0).await;
    let store = WebhookStore::open(&cfg.notifier_db_path()).unwrap();
    let hook = store.add(&url, &Secret::new(SECRET), None, &[]).unwrap();
    // Filters: only Oklahoma alerts of 95 or more; none of ours match.
    store
        .add(
            &other_url,
            &Secret::new("other-secret"),
            Some(95),
            &["OK".into()],
        )
        .unwrap();

    let (trigger, sd) = shutdown::channel();
    let opts = NotifierOptions {
        attempts: 5,
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_secs(1),
        timeout: Duration::from_secs(5),
    };
    let task = {
        let (cfg, js) = (cfg.clone(), js.clone());
        tokio::spawn(async move { worker::run(&cfg, js, opts, sd).await })
    };

    let alerts: Vec<_> = ["101", "102", "103"]
        .iter()
        .map(|id| alert_event(id, 88, "TX"))
        .collect();
    for a in &alerts {
        assert!(nats::publish_event(&js, subjects::ALERT_HIGH_SCORE, a)
            .await
            .unwrap());
    }
    wait_until("three accepted deliveries", Duration::from_secs(30), || {
        let n = seen.lock().unwrap().iter().filter(|s| s.accepted).count();
        (n >= 3).then_some(())
    })
    .await;

    // The same alert event again under another Nats-Msg-Id (as after the duplicate window):
    // the notifier knows it was delivered and does not POST it again.
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "a-later-copy-of-101");
    js.publish_with_headers(
        subjects::ALERT_HIGH_SCORE,
        headers,
        serde_json::to_vec(&alerts[0]).unwrap().into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    // Wait until the notifier has acked everything (the copy included), then look.
    let mut consumer = js
        .get_stream(subjects::STREAM_ALERTS)
        .await
        .unwrap()
        .get_consumer::<async_nats::jetstream::consumer::pull::Config>(subjects::CONSUMER_NOTIFIER)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let info = consumer.info().await.unwrap();
        if info.num_pending == 0 && info.num_ack_pending == 0 && info.ack_floor.stream_sequence >= 4
        {
            break;
        }
        assert!(Instant::now() < deadline, "notifier did not ack: {info:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let seen = seen.lock().unwrap().clone();
    let mut by_delivery: HashMap<String, Vec<&Seen>> = HashMap::new();
    for s in &seen {
        by_delivery.entry(s.delivery.clone()).or_default().push(s);
    }
    assert_eq!(by_delivery.len(), 3, "one delivery id per alert: {seen:?}");
    for a in &alerts {
        let id = deliver::delivery_id(&a.id, &hook.id);
        let attempts = by_delivery
            .get(&id)
            .unwrap_or_else(|| panic!("delivery {id} for {}", a.id));
        assert_eq!(
            attempts.len(),
            3,
            "two failures, then one success, same delivery id on each"
        );
        assert_eq!(
            attempts.iter().filter(|s| s.accepted).count(),
            1,
            "exactly one successful delivery of {}",
            a.id
        );
        for s in attempts {
            assert!(
                deliver::verify(SECRET.as_bytes(), &s.body, &s.signature),
                "signature verifies"
            );
            assert!(!deliver::verify(b"wrong", &s.body, &s.signature));
            let body: Envelope<HighScoreAlert> = serde_json::from_slice(&s.body).unwrap();
            assert_eq!(body.id, a.id);
            assert_eq!(body.data.listing_id, a.data.listing_id);
            assert_eq!(body.data.score, 88);
            assert!(body.data.url.is_some());
        }
    }
    assert!(
        other_seen.lock().unwrap().is_empty(),
        "the filtered webhook got nothing"
    );
    let records = store.deliveries().unwrap();
    assert_eq!(records.len(), 3);
    assert!(records
        .iter()
        .all(|r| r.status == DeliveryStatus::Delivered && r.attempts == 3));

    trigger.trigger();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_that_always_fails_is_parked_on_the_webhook_dlq_with_the_last_error() {
    let (_nats, _dir, cfg, js) = setup().await;

    let (url, seen) = start_receiver(usize::MAX).await;
    let store = WebhookStore::open(&cfg.notifier_db_path()).unwrap();
    let hook = store.add(&url, &Secret::new(SECRET), None, &[]).unwrap();

    let (trigger, task) = start_notifier(&cfg, &js);
    let alert = alert_event("201", 91, "OK");
    nats::publish_event(&js, subjects::ALERT_HIGH_SCORE, &alert)
        .await
        .unwrap();

    let dlq = js.get_stream(subjects::STREAM_DLQ).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let letter = loop {
        if let Ok(m) = dlq
            .get_last_raw_message_by_subject(subjects::DLQ_WEBHOOK)
            .await
        {
            break m;
        }
        assert!(Instant::now() < deadline, "no message on gsa.dlq.webhook");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let h = |k: &str| {
        letter
            .headers
            .get(k)
            .map(|v| v.as_str().to_string())
            .unwrap_or_default()
    };
    assert_eq!(h(nats::HDR_DLQ_ERROR), "receiver answered HTTP 503");
    assert_eq!(h(nats::HDR_DLQ_SUBJECT), subjects::ALERT_HIGH_SCORE);
    assert_eq!(h(worker::HDR_WEBHOOK_ID), hook.id);
    let delivery = deliver::delivery_id(&alert.id, &hook.id);
    assert_eq!(h(worker::HDR_DELIVERY_ID), delivery);
    let parked: Envelope<HighScoreAlert> = serde_json::from_slice(&letter.payload).unwrap();
    assert_eq!(parked.id, alert.id);
    assert!(!String::from_utf8_lossy(&letter.payload).contains(SECRET));

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "exactly the bounded number of attempts");
    assert!(seen.iter().all(|s| s.delivery == delivery));
    let rec = wait_until("parked record", Duration::from_secs(10), || {
        store
            .deliveries()
            .ok()?
            .into_iter()
            .find(|r| r.status == DeliveryStatus::Parked)
    })
    .await;
    assert_eq!(rec.attempts, 3);
    assert_eq!(rec.http_status, Some(503));

    // Dead-letter depth and consumer lag as /metrics reports them.
    let depth = nats::dlq_depth(&js).await.unwrap();
    assert!(depth.contains(&("webhook".to_string(), 1)), "{depth:?}");
    let lag = nats::consumer_lag(&js).await.unwrap();
    assert!(
        lag.iter()
            .any(|l| l.stream == subjects::STREAM_ALERTS && l.consumer == "notifier"),
        "{lag:?}"
    );

    trigger.trigger();
    task.await.unwrap().unwrap();
}

/// Answers 503 always; on the request numbered `outage_at` it first deletes the `GSA_DLQ`
/// stream, so JetStream cannot take the dead letter the notifier is about to park (as while a
/// stream has no leader or the server is away).
#[derive(Clone)]
struct FailingWithOutage {
    js: async_nats::jetstream::Context,
    outage_at: usize,
    seen: Arc<Mutex<usize>>,
}

async fn fail_with_outage(State(r): State<FailingWithOutage>) -> StatusCode {
    let n = {
        let mut seen = r.seen.lock().unwrap();
        *seen += 1;
        *seen
    };
    if n == r.outage_at {
        r.js.delete_stream(subjects::STREAM_DLQ).await.unwrap();
    }
    StatusCode::SERVICE_UNAVAILABLE
}

#[tokio::test(flavor = "multi_thread")]
async fn nats_unavailable_while_parking_uses_no_webhook_attempt_and_the_delivery_is_parked_later() {
    let (_nats, _dir, cfg, js) = setup().await;

    let seen = Arc::new(Mutex::new(0usize));
    let app = axum::Router::new()
        .route("/hook", post(fail_with_outage))
        .with_state(FailingWithOutage {
            js: js.clone(),
            outage_at: 3,
            seen: seen.clone(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let store = WebhookStore::open(&cfg.notifier_db_path()).unwrap();
    let hook = store.add(&url, &Secret::new(SECRET), None, &[]).unwrap();

    let (trigger, task) = start_notifier(&cfg, &js);
    let alert = alert_event("301", 93, "TX");
    nats::publish_event(&js, subjects::ALERT_HIGH_SCORE, &alert)
        .await
        .unwrap();

    // The third and last attempt fails and parking it finds no stream; the alert keeps being
    // redelivered while JetStream cannot take the dead letter (before the fix the JetStream
    // delivery limit equalled the attempts, so the last delivery was spent and the alert lost).
    wait_until("the last attempt", Duration::from_secs(30), || {
        (*seen.lock().unwrap() >= 3).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let delivery = deliver::delivery_id(&alert.id, &hook.id);
    let rec = store
        .deliveries()
        .unwrap()
        .into_iter()
        .find(|r| r.delivery_id == delivery)
        .expect("the failing delivery is recorded");
    assert_eq!(
        (rec.status, rec.attempts),
        (DeliveryStatus::Failing, 3),
        "not parked while the stream is away"
    );
    nats::ensure_streams(&js, &cfg).await.unwrap();

    let dlq = js.get_stream(subjects::STREAM_DLQ).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let letter = loop {
        if let Ok(m) = dlq
            .get_last_raw_message_by_subject(subjects::DLQ_WEBHOOK)
            .await
        {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "the delivery was never parked on gsa.dlq.webhook"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let parked: Envelope<HighScoreAlert> = serde_json::from_slice(&letter.payload).unwrap();
    assert_eq!(parked.id, alert.id);
    assert_eq!(
        letter
            .headers
            .get(nats::HDR_DLQ_ERROR)
            .map(|v| v.as_str().to_string()),
        Some("receiver answered HTTP 503".to_string())
    );
    let rec = wait_until("parked record", Duration::from_secs(10), || {
        store
            .deliveries()
            .ok()?
            .into_iter()
            .find(|r| r.delivery_id == delivery && r.status == DeliveryStatus::Parked)
    })
    .await;
    assert_eq!(rec.attempts, 3);
    assert_eq!(
        *seen.lock().unwrap(),
        3,
        "the redeliveries while NATS could not park made no webhook attempt"
    );

    trigger.trigger();
    task.await.unwrap().unwrap();
}
