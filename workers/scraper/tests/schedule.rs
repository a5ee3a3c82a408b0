//! The scraper worker's schedule against a real nats-server (private, free port) and real HTTP
//! servers on loopback (axum on 127.0.0.1:0) serving the real BizBuySell pages from testdata:
//! rounds a second apart fetch the search page and each card's detail page and publish the
//! listings; the next round publishes nothing new; robots.txt forbids a path and it is never
//! requested; a 403 "Access Denied" site is reported as blocked (event + summary); shutdown
//! in the middle of a round ends the worker. Settings come from the same `GSA_SCRAPE_*`
//! variables the worker reads.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use gsa_common::testkit::NatsServer;
use gsa_common::{nats, shutdown, Config, Overrides};
use gsa_schemas::subjects;
use gsa_scraper::publish::Publisher;
use gsa_scraper::schedule::{self, RoundReport, Schedule};
use serde_json::Value;
use url::Url;

fn page(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/bizbuysell/html")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const HVAC: &str = "search-hvac-keyword-rendered-2026.html";
const CAR_WASH: &str = "detail-self-serve-car-wash-coalinga-ca-2026.html";
const OHIO: &str = "detail-specialty-contract-manufacturer-oh-2025.html";

/// Akamai's "Access Denied" page as plain HTTP clients get it from BizBuySell (HTTP 403).
const ACCESS_DENIED: &str = "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \nYou don't have permission to access \"http&#58;&#47;&#47;www&#46;bizbuysell&#46;com&#47;businesses&#45;for&#45;sale&#47;\" on this server.<P>\nReference&#32;&#35;18&#46;6f2c3e17&#46;1718000000&#46;1a2b3c4d\n</BODY>\n</HTML>\n";

enum Answer {
    Page(StatusCode, Vec<u8>),
    /// Never answers (the request hangs until the client drops it).
    Hang,
}

/// A loopback site: path -> answer; everything else is 404. Records every request path.
#[derive(Clone, Default)]
struct Site {
    hits: Arc<Mutex<Vec<String>>>,
    routes: Arc<Mutex<HashMap<String, Arc<Answer>>>>,
}

impl Site {
    fn route(&self, path: &str, a: Answer) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), Arc::new(a));
    }
    fn count(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
    fn total(&self) -> usize {
        self.hits.lock().unwrap().len()
    }
}

async fn handle(State(s): State<Site>, uri: Uri) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    s.hits.lock().unwrap().push(path.clone());
    let answer = s.routes.lock().unwrap().get(&path).cloned();
    match answer.as_deref() {
        Some(Answer::Page(status, body)) => (
            *status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            Body::from(body.clone()),
        )
            .into_response(),
        Some(Answer::Hang) => {
            std::future::pending::<()>().await;
            StatusCode::OK.into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

async fn start_site() -> (Site, SocketAddr) {
    let s = Site::default();
    s.route(
        "/robots.txt",
        Answer::Page(
            StatusCode::OK,
            b"User-agent: *\nDisallow: /private/\n".to_vec(),
        ),
    );
    let app = axum::Router::new().fallback(handle).with_state(s.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (s, addr)
}

/// The HVAC search page's cards, and the paths of their detail pages.
fn cards() -> Vec<(String, String)> {
    gsa_scraper::parse_bytes("hvac", &page(HVAC), chrono::Utc::now())
        .listings
        .into_iter()
        .map(|l| {
            let path = Url::parse(l.url.as_deref().unwrap())
                .unwrap()
                .path()
                .to_string();
            (l.listing_id, path)
        })
        .collect()
}

/// A gsa configuration as the worker reads it: data dir, NATS, and `GSA_SCRAPE_*`.
fn config(nats_url: &str, data: &std::path::Path, scrape: &[(&str, String)]) -> Config {
    let mut env: HashMap<String, String> = scrape
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    env.insert("GSA_DATA_DIR".into(), data.display().to_string());
    let o = Overrides {
        nats_url: Some(nats_url.to_string()),
        ..Default::default()
    };
    Config::load_from(&o, |k| env.get(k).cloned()).expect("config")
}

async fn jetstream_for(cfg: &Config) -> jetstream::Context {
    let client = nats::connect(&cfg.nats_url, "schedule-test").await.unwrap();
    let js = jetstream::new(client);
    nats::ensure_streams(&js, cfg).await.unwrap();
    js
}

/// Every message of the listings stream as (subject, event JSON).
async fn listing_events(js: &jetstream::Context) -> Vec<(String, Value)> {
    let stream = js.get_stream(subjects::STREAM_LISTINGS).await.unwrap();
    let last = stream.get_info().await.unwrap().state.last_sequence;
    let mut out = Vec::new();
    for seq in 1..=last {
        let m = stream.get_raw_message(seq).await.unwrap();
        out.push((
            m.subject.to_string(),
            serde_json::from_slice(&m.payload).unwrap(),
        ));
    }
    out
}

fn on(events: &[(String, Value)], subject: &str) -> Vec<Value> {
    events
        .iter()
        .filter(|(s, _)| s == subject)
        .map(|(_, v)| v["data"].clone())
        .collect()
}

#[tokio::test]
async fn scheduled_rounds_read_search_and_detail_pages_then_publish_nothing_new() {
    let nats_server = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let (site, addr) = start_site().await;
    let (blocking_site, blocking_addr) = start_site().await;
    site.route(
        "/businesses-for-sale/",
        Answer::Page(StatusCode::OK, page(HVAC)),
    );
    let cards = cards();
    assert_eq!(cards.len(), 51);
    // Two cards' links answer with real detail pages; the others are 404 (taken down).
    site.route(&cards[0].1, Answer::Page(StatusCode::OK, page(CAR_WASH)));
    site.route(&cards[1].1, Answer::Page(StatusCode::OK, page(OHIO)));
    blocking_site.route(
        "/businesses-for-sale/",
        Answer::Page(StatusCode::FORBIDDEN, ACCESS_DENIED.as_bytes().to_vec()),
    );
    let search = format!("http://{addr}/businesses-for-sale/");
    let private = format!("http://{addr}/private/listing/1/");
    let blocked = format!("http://{blocking_addr}/businesses-for-sale/");
    let cfg = config(
        &nats_server.url(),
        data.path(),
        &[
            ("GSA_SCRAPE_URLS", format!("{search},{private} {blocked}")),
            ("GSA_SCRAPE_EVERY_SECS", "1".into()),
            ("GSA_SCRAPE_CONTACT", "mailto:tests@example.org".into()),
            ("GSA_SCRAPE_DELAY_SECS", "0".into()),
            ("GSA_SCRAPE_MAX_PAGES", "1".into()),
        ],
    );
    let sched = Schedule::from_settings(&cfg.scrape)
        .unwrap()
        .expect("a schedule");
    assert!(sched.crawl.details, "detail pages are fetched by default");
    assert_eq!(sched.every, Duration::from_secs(1));
    let js = jetstream_for(&cfg).await;
    let publisher = Publisher::new(js.clone()).await.unwrap();
    let (trigger, sd) = shutdown::channel();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<RoundReport>();
    let worker = tokio::spawn(async move {
        schedule::run_with(&sched, &publisher, sd, move |r| {
            let _ = tx.send(r.as_ref().expect("round published").clone());
        })
        .await
    });
    let guard = Duration::from_secs(120);
    let first = tokio::time::timeout(guard, rx.recv())
        .await
        .unwrap()
        .unwrap();
    let events_after_first = listing_events(&js).await;
    let second = tokio::time::timeout(guard, rx.recv())
        .await
        .unwrap()
        .unwrap();
    trigger.trigger();
    tokio::time::timeout(guard, worker)
        .await
        .expect("the worker stops on shutdown")
        .unwrap()
        .unwrap();

    // Round 1: 51 cards (each waited for its detail page), plus the two real detail pages
    // read as their own listings beside the cards they were served for.
    assert_eq!(first.round, 1);
    assert!(!first.interrupted);
    let s = first.summary;
    assert_eq!(
        (s.read, s.published, s.updated, s.unchanged),
        (53, 53, 0, 0)
    );
    // 49 detail links are 404, robots.txt forbids one URL: 50 rejections; one site blocked.
    assert_eq!((s.rejected, s.blocked), (50, 1));
    assert_eq!(first.blocked.len(), 1);
    assert_eq!(first.blocked[0].0, blocked);
    assert!(first.blocked[0].1.contains("403"), "{:?}", first.blocked);
    // 1 search page + 51 detail links + the forbidden URL (refused) + the blocked page.
    assert_eq!(first.urls, 54);

    // What the site saw in two rounds: robots.txt once per round (a fresh fetcher each round),
    // the search page and every detail link once per round, the forbidden path never.
    assert_eq!(site.count("/robots.txt"), 2);
    assert_eq!(site.count("/businesses-for-sale/"), 2);
    for (_, path) in &cards {
        assert_eq!(site.count(path), 2, "{path}");
    }
    assert_eq!(
        site.count("/private/listing/1/"),
        0,
        "robots.txt forbids it"
    );
    assert_eq!(site.total(), 2 * (1 + 1 + 51));
    // The blocking site was asked once per round: robots.txt, then the 403.
    assert_eq!(blocking_site.count("/businesses-for-sale/"), 2);

    // On NATS after round 1: every listing on gsa.listing.scraped with the page's values.
    let scraped = on(&events_after_first, subjects::LISTING_SCRAPED);
    assert_eq!(scraped.len(), 53);
    let wash = scraped
        .iter()
        .find(|l| l["listing_id"] == "2445151")
        .expect("the car wash detail page");
    assert_eq!(wash["source"], "detail_page");
    assert_eq!(wash["asking_price"], 625_000);
    assert_eq!(wash["cash_flow"], 72_700);
    assert_eq!(wash["established_year"], 1969);
    let ohio = scraped
        .iter()
        .find(|l| l["listing_id"] == "2365036")
        .unwrap();
    assert_eq!(ohio["asking_price"], 1_370_000);
    let juice = scraped
        .iter()
        .find(|l| l["listing_id"] == "2460501")
        .unwrap();
    assert_eq!(
        (juice["asking_price"].clone(), juice["ebitda"].clone()),
        (Value::from(249_000), Value::from(75_000))
    );
    for (id, _) in &cards {
        assert!(scraped.iter().any(|l| l["listing_id"] == *id), "card {id}");
    }
    // Rejections: the blocked page as `blocked` (never an empty listing), the forbidden URL
    // and the 404 detail links as `fetch_failed` naming their card.
    let rejected = on(&events_after_first, subjects::LISTING_REJECTED);
    assert_eq!(rejected.len(), 51);
    let b: Vec<&Value> = rejected.iter().filter(|r| r["kind"] == "blocked").collect();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0]["input"], blocked.as_str());
    let robots = rejected
        .iter()
        .find(|r| r["input"] == private.as_str())
        .expect("robots rejection");
    assert_eq!(robots["kind"], "fetch_failed");
    assert!(robots["reason"].as_str().unwrap().contains("RFC 9309"));
    let not_found = rejected
        .iter()
        .filter(|r| r["reason"].as_str().unwrap().contains("HTTP 404"))
        .count();
    assert_eq!(not_found, 49);

    // Round 2: the same pages, nothing new: no listing event published.
    assert_eq!(second.round, 2);
    let s = second.summary;
    assert_eq!(
        (s.read, s.published, s.updated, s.unchanged),
        (53, 0, 0, 53)
    );
    assert_eq!(s.blocked, 1, "still blocked, still reported");
    let events_after_second = listing_events(&js).await;
    assert_eq!(
        on(&events_after_second, subjects::LISTING_SCRAPED).len(),
        53
    );
    assert!(on(&events_after_second, subjects::LISTING_UPDATED).is_empty());
}

#[tokio::test]
async fn shutdown_in_the_middle_of_a_round_ends_the_worker() {
    let nats_server = NatsServer::start();
    let data = tempfile::tempdir().unwrap();
    let (site, addr) = start_site().await;
    site.route(
        "/businesses-for-sale/",
        Answer::Page(StatusCode::OK, page(HVAC)),
    );
    let cards = cards();
    // The first card's detail page never answers (a minute's timeout, four retries).
    site.route(&cards[0].1, Answer::Hang);
    let cfg = config(
        &nats_server.url(),
        data.path(),
        &[
            (
                "GSA_SCRAPE_URLS",
                format!("http://{addr}/businesses-for-sale/"),
            ),
            ("GSA_SCRAPE_EVERY_SECS", "1".into()),
            ("GSA_SCRAPE_CONTACT", "https://example.org/ops".into()),
            ("GSA_SCRAPE_DELAY_SECS", "0".into()),
            ("GSA_SCRAPE_TIMEOUT_SECS", "60".into()),
            ("GSA_SCRAPE_MAX_PAGES", "1".into()),
        ],
    );
    let js = jetstream_for(&cfg).await;
    let (trigger, sd) = shutdown::channel();
    let worker_js = js.clone();
    let worker_cfg = cfg.clone();
    // The worker's own entry point, as `gsa worker scraper` runs it.
    let worker = tokio::spawn(async move { schedule::run(&worker_cfg, worker_js, sd).await });
    // Polls until the round is stuck on the hanging page (asserts no duration).
    let mut stuck = false;
    for _ in 0..600 {
        if site.count(&cards[0].1) == 1 {
            stuck = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stuck, "the round reached the hanging detail page");
    trigger.trigger();
    // Without shutdown handling this would wait for the minute's timeout and its retries.
    let ended = tokio::time::timeout(Duration::from_secs(30), worker).await;
    ended
        .expect("the worker stops on shutdown mid-round")
        .unwrap()
        .unwrap();
    // The round stopped there: no later detail page was asked for.
    assert_eq!(site.count(&cards[1].1), 0);
    assert_eq!(site.count(&cards[0].1), 1);
    // Nothing half-read was published: the cards waited for their detail pages.
    assert!(on(&listing_events(&js).await, subjects::LISTING_SCRAPED).is_empty());
}

#[test]
fn no_urls_means_no_schedule_and_bad_urls_fail_at_start() {
    let data = tempfile::tempdir().unwrap();
    let cfg = config("nats://127.0.0.1:9", data.path(), &[]);
    assert!(Schedule::from_settings(&cfg.scrape).unwrap().is_none());
    let mut s = cfg.scrape.clone();
    s.urls = vec!["http://[::1".into()];
    s.contact = Some("mailto:ops@example.org".into());
    assert!(Schedule::from_settings(&s).is_err());
    s.urls = vec!["https://www.bizbuysell.com/gas-stations-for-sale/".into()];
    s.contact = None;
    let err = Schedule::from_settings(&s).unwrap_err().to_string();
    assert!(err.contains("GSA_SCRAPE_CONTACT"), "{err}");
}
