//! The gateway's live views over real HTTP against a real `nats-server -js` (issue 7): the
//! alert stream `GET /api/alerts/stream` (server-sent events from `GSA_ALERTS`), and the
//! pipeline figures on `/metrics` and the dashboard's alerts page (consumer lag and dead
//! letters read from JetStream).

#[allow(dead_code)]
#[path = "gateway/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use async_nats::jetstream;
use futures::StreamExt;
use gsa_common::nats::{self, ConsumerSpec};
use gsa_common::testkit::NatsServer;
use gsa_gateway::users::{self, Role};
use gsa_schemas::{event_type, subjects, AlertReason, Envelope, HighScoreAlert, Listing};
use serde_json::Value;

use harness::{cookie_value, gw_config, metrics_text, set_cookie, token_with_scopes, Gateway};

/// A gateway whose `NATS_URL` is a fresh private nats-server with the gsa streams.
async fn setup() -> (NatsServer, jetstream::Context, Gateway) {
    let server = NatsServer::start();
    let client = nats::connect(&server.url(), "live-test").await.unwrap();
    let js = jetstream::new(client);
    let gw = Gateway::start_full(
        tempfile::tempdir().unwrap(),
        Some(harness::SECRET),
        gw_config(),
        Some(server.url()),
    )
    .await;
    nats::ensure_streams(&js, &gw.cfg).await.unwrap();
    (server, js, gw)
}

/// Real listings: the first records of the BizBuySell search-API data set, read by the
/// scraper's parser.
fn real_listings() -> Vec<Listing> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/bizbuysell/datasets/api-bff-v2-bfs-search-results-2025.json");
    let ls = gsa_scraper::parse_file(&path)
        .expect("read the API data set")
        .listings;
    assert!(ls.len() > 10);
    ls
}

/// The alert the analyzer would send for `l` at `score`.
fn alert_for(l: &Listing, score: u8) -> HighScoreAlert {
    HighScoreAlert {
        listing_id: l.listing_id.clone(),
        reason: AlertReason::NewListing,
        score,
        threshold: 80,
        model_version: "test".into(),
        title: l.title.clone(),
        url: l.url.clone(),
        city: l.city.clone(),
        state: l.state.clone(),
        asking_price: l.asking_price,
        cash_flow: l.cash_flow,
        gross_revenue: l.gross_revenue,
        summary: "test alert".into(),
    }
}

/// Publishes `alert` as the analyzer does; returns its event id and stream sequence.
async fn publish_alert(js: &jetstream::Context, alert: HighScoreAlert, id: &str) -> u64 {
    let env = Envelope::new(
        "analyzer",
        event_type::ALERT_HIGH_SCORE,
        id.to_string(),
        Some(alert.listing_id.clone()),
        alert,
    );
    let payload = serde_json::to_vec(&env).unwrap();
    let mut h = async_nats::HeaderMap::new();
    h.insert("Nats-Msg-Id", id);
    js.publish_with_headers(subjects::ALERT_HIGH_SCORE, h, payload.into())
        .await
        .unwrap()
        .await
        .unwrap()
        .sequence
}

/// One server-sent event.
#[derive(Debug, Default, Clone)]
struct Sse {
    event: String,
    id: Option<String>,
    data: String,
}

/// Reads server-sent events from a response body.
struct Events {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<axum::body::Bytes>> + Send>>,
    buf: String,
}

impl Events {
    fn new(r: reqwest::Response) -> Self {
        Self {
            body: Box::pin(r.bytes_stream()),
            buf: String::new(),
        }
    }

    /// The next event (comments and keep-alives skipped); fails the test after 30 s without
    /// one (a deadline, not a speed check: the event is due within milliseconds).
    async fn next(&mut self) -> Sse {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut ev = Sse::default();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        ev.event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        ev.id = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        ev.data.push_str(v.trim_start());
                    }
                }
                if !ev.event.is_empty() || !ev.data.is_empty() {
                    return ev;
                }
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = tokio::time::timeout(left, self.body.next())
                .await
                .expect("an event within 30 s")
                .expect("stream still open")
                .expect("body chunk");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn open_stream(
    gw: &Gateway,
    tok: &str,
    query: &str,
    last_event_id: Option<u64>,
) -> reqwest::Response {
    let mut req = gw
        .http
        .get(gw.url(&format!("/api/alerts/stream{query}")))
        .bearer_auth(tok);
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn alert_stream_sends_alerts_published_after_connecting_filtered_and_resumable() {
    let (_server, js, gw) = setup().await;
    let reader = token_with_scopes(&gw, "alert-reader", &["alerts:read"]).await;
    let listings_only = token_with_scopes(&gw, "lister", &["listings:read"]).await;

    // Without the scope: 403 with the JSON error body, even with bad parameters.
    for q in ["", "?min_score=999"] {
        let r = open_stream(&gw, &listings_only, q, None).await;
        assert_eq!(r.status(), 403);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"], "insufficient_scope", "{b}");
    }
    // No token: 401. Bad filters: 400.
    let r = gw
        .http
        .get(gw.url("/api/alerts/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = open_stream(&gw, &reader, "?state=Texas", None).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_state");

    let ls = real_listings();
    let texan = ls
        .iter()
        .find(|l| l.state.as_deref() == Some("TX"))
        .expect("a Texas listing");
    let elsewhere = ls
        .iter()
        .find(|l| l.state.is_some() && l.state.as_deref() != Some("TX"))
        .expect("a listing outside Texas");
    // Published before the client connects: not on a new stream.
    let before = publish_alert(&js, alert_for(texan, 95), "alert-before").await;

    let r = open_stream(&gw, &reader, "?min_score=80&state=tx", None).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut events = Events::new(r);
    let ready = events.next().await;
    assert_eq!(ready.event, "ready");
    let ready: Value = serde_json::from_str(&ready.data).unwrap();
    assert_eq!(ready["next_sequence"], before + 1);

    // Filtered out: below min_score, then outside the states asked for. Then one that passes.
    publish_alert(&js, alert_for(texan, 79), "alert-low").await;
    publish_alert(&js, alert_for(elsewhere, 99), "alert-elsewhere").await;
    let seq = publish_alert(&js, alert_for(texan, 91), "alert-due").await;
    let ev = events.next().await;
    assert_eq!(ev.event, "alert", "{ev:?}");
    assert_eq!(ev.id, Some(seq.to_string()));
    let a: Value = serde_json::from_str(&ev.data).unwrap();
    assert_eq!(a["score"], 91);
    assert_eq!(a["listing_id"], texan.listing_id.as_str());
    assert_eq!(a["title"], texan.title.as_deref().unwrap());
    assert_eq!(a["event_id"], "alert-due");
    assert_eq!(a["reason"], "new_listing");

    // A client resuming after the first alert (`Last-Event-ID`, no filters) gets everything
    // after it, in order, starting with the alert published before the first client came.
    let r = open_stream(&gw, &reader, "", Some(before - 1)).await;
    assert_eq!(r.status(), 200);
    let mut resumed = Events::new(r);
    assert_eq!(resumed.next().await.event, "ready");
    let mut ids = Vec::new();
    for _ in 0..4 {
        let ev = resumed.next().await;
        assert_eq!(ev.event, "alert");
        let a: Value = serde_json::from_str(&ev.data).unwrap();
        ids.push(a["event_id"].as_str().unwrap().to_string());
    }
    assert_eq!(
        ids,
        ["alert-before", "alert-low", "alert-elsewhere", "alert-due"]
    );
    drop(events);
    drop(resumed);
    // Open streams end when the gateway stops (graceful shutdown does not hang on them).
    let r = open_stream(&gw, &reader, "", None).await;
    let mut open = Events::new(r);
    assert_eq!(open.next().await.event, "ready");
    gw.stop().await;
}

async fn login(gw: &Gateway, user: &str) -> String {
    const PASSWORD: &str = "correct horse battery";
    users::add(&gw.cfg, user, Role::Admin, PASSWORD).unwrap();
    let r = gw.http.get(gw.url("/login")).send().await.unwrap();
    let csrf = cookie_value(&set_cookie(&r, "gsa_csrf").expect("csrf cookie"));
    let r = gw
        .http
        .post(gw.url("/login"))
        .header("cookie", format!("gsa_csrf={csrf}"))
        .form(&[
            ("username", user),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
            ("return_to", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = cookie_value(&set_cookie(&r, "gsa_session").expect("session cookie"));
    format!("gsa_session={session}; gsa_csrf={csrf}")
}

/// Polls `/metrics` until it holds every line of `want` (the figures are cached a few
/// seconds); fails after 30 s.
async fn metrics_with(gw: &Gateway, want: &[String]) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = metrics_text(gw).await;
        if want.iter().all(|w| text.lines().any(|l| l == w)) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "metrics never showed {want:?}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_and_the_dashboard_show_consumer_lag_and_dead_letters() {
    let (_server, js, gw) = setup().await;
    // The analyzer's durable consumer exists, but no analyzer runs.
    let spec = ConsumerSpec {
        stream: subjects::STREAM_LISTINGS.into(),
        durable: subjects::CONSUMER_ANALYZER.into(),
        filter_subject: None,
        batch: 1,
    };
    nats::durable_consumer(&js, &spec).await.unwrap();
    let ls = real_listings();
    let n = 7;
    for l in &ls[..n] {
        let env = Envelope::new(
            "scraper",
            event_type::LISTING_SCRAPED,
            l.event_id(),
            Some(l.listing_id.clone()),
            l.clone(),
        );
        nats::publish_event(&js, subjects::LISTING_SCRAPED, &env)
            .await
            .unwrap();
    }
    // One dead letter of a listing event.
    let mut h = async_nats::HeaderMap::new();
    h.insert(nats::HDR_DLQ_SUBJECT, subjects::LISTING_SCRAPED);
    h.insert(nats::HDR_DLQ_ERROR, "permanent: test");
    js.publish_with_headers(
        subjects::dlq_subject(subjects::LISTING_SCRAPED),
        h,
        "{not json".into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();

    // An open alert stream holds an ephemeral consumer on GSA_ALERTS.
    let reader = token_with_scopes(&gw, "alert-reader", &["alerts:read"]).await;
    let mut live = Events::new(open_stream(&gw, &reader, "", None).await);
    assert_eq!(live.next().await.event, "ready");
    let text = metrics_with(
        &gw,
        &[
            "gsa_nats_up 1".to_string(),
            format!("gsa_consumer_lag{{stream=\"GSA_LISTINGS\",consumer=\"analyzer\"}} {n}"),
            format!("gsa_consumer_pending{{stream=\"GSA_LISTINGS\",consumer=\"analyzer\"}} {n}"),
            "gsa_consumer_ack_pending{stream=\"GSA_LISTINGS\",consumer=\"analyzer\"} 0".to_string(),
            "gsa_dead_letters{stream=\"GSA_LISTINGS\"} 1".to_string(),
        ],
    )
    .await;
    assert!(text.contains("# TYPE gsa_consumer_lag gauge"), "{text}");
    // Ephemeral consumers (an open alert stream) are not pipeline lag.
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("gsa_consumer_lag{"))
            .count(),
        1,
        "{text}"
    );

    // Delivered but not acked: the lag stays, moved from pending to ack pending.
    let consumer = nats::durable_consumer(&js, &spec).await.unwrap();
    let mut batch = consumer.fetch().max_messages(2).messages().await.unwrap();
    let mut got = 0;
    while let Some(m) = batch.next().await {
        m.unwrap();
        got += 1;
    }
    assert_eq!(got, 2);
    metrics_with(
        &gw,
        &[
            format!("gsa_consumer_lag{{stream=\"GSA_LISTINGS\",consumer=\"analyzer\"}} {n}"),
            format!(
                "gsa_consumer_pending{{stream=\"GSA_LISTINGS\",consumer=\"analyzer\"}} {}",
                n - 2
            ),
            "gsa_consumer_ack_pending{stream=\"GSA_LISTINGS\",consumer=\"analyzer\"} 2".to_string(),
        ],
    )
    .await;

    // The dashboard's alerts page shows the same figures, and wires the live list to the
    // stream with a script its CSP allows.
    let cookie = login(&gw, "ops").await;
    let r = gw
        .http
        .get(gw.url("/alerts?min_score=85"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-src=\"/api/alerts/stream?min_score=85\""),
        "{html}"
    );
    assert!(html.contains("<td>GSA_LISTINGS</td><td>analyzer</td><td class=\"num\">7</td>"));
    assert!(html.contains("Dead letters: GSA_LISTINGS 1"), "{html}");
    let script = html
        .split("<script>")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("the page's script");
    assert!(script.contains("EventSource"));
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");

    // The session reads the stream too (what the page's EventSource does).
    let r = gw
        .http
        .get(gw.url("/api/alerts/stream"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(Events::new(r).next().await.event, "ready");
    drop(live);
    gw.stop().await;
}

#[tokio::test]
async fn metrics_say_when_nats_is_down() {
    // The harness points NATS_URL at a port where nothing listens.
    let gw = Gateway::start().await;
    let text = metrics_text(&gw).await;
    assert!(text.lines().any(|l| l == "gsa_nats_up 0"), "{text}");
    assert!(!text.contains("gsa_consumer_lag{"), "{text}");
    gw.stop().await;
}

/// The first pipeline read after start finds NATS up: the gateway's client connects in the
/// background, and the read used to ask it before it had (a trial's first `/metrics` said
/// `gsa_nats_up 0` with NATS running).
#[tokio::test(flavor = "multi_thread")]
async fn the_first_pipeline_read_waits_for_the_new_connection() {
    let server = NatsServer::start();
    let p = gsa_gateway::metrics::Pipeline::fetch(&server.url()).await;
    assert!(p.nats_up);
}
