//! Polite fetching against a real HTTP server on loopback (axum on 127.0.0.1:0) that serves the
//! real BizBuySell pages from testdata, a 403 block page, a 429-then-200 with Retry-After, a
//! 503 with an HTTP-date Retry-After, a server that never answers, and a robots.txt that
//! forbids a path. Assertions are on what the server recorded (paths, counts, user agents,
//! request times as lower bounds) and on what the fetcher returned.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use gsa_schemas::{ListingSource, RejectionKind};
use gsa_scraper::crawl::{Crawl, CrawlOptions};
use gsa_scraper::fetch::{FetchConfig, FetchError, Fetcher};
use url::Url;

fn page(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/bizbuysell/html")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const HVAC: &str = "search-hvac-keyword-rendered-2026.html";
const CALIFORNIA: &str = "search-california-rendered-2026.html";
const AMAZON: &str = "search-amazon-stores-server-2025.html";
const CAR_WASH: &str = "detail-self-serve-car-wash-coalinga-ca-2026.html";
const OHIO: &str = "detail-specialty-contract-manufacturer-oh-2025.html";

/// Akamai's "Access Denied" page as plain HTTP clients get it from BizBuySell (HTTP 403).
const ACCESS_DENIED: &str = "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \nYou don't have permission to access \"http&#58;&#47;&#47;www&#46;bizbuysell&#46;com&#47;businesses&#45;for&#45;sale&#47;\" on this server.<P>\nReference&#32;&#35;18&#46;6f2c3e17&#46;1718000000&#46;1a2b3c4d\n<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;6f2c3e17\n</BODY>\n</HTML>\n";

/// A Cloudflare challenge served with HTTP 200.
const CHALLENGE: &str = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><div id=\"cf-chl-widget\"></div><script src=\"/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1\"></script></body></html>";

#[derive(Clone, Debug)]
struct Hit {
    path: String,
    at: Instant,
    user_agent: String,
}

#[derive(Clone, Default)]
struct Server {
    hits: Arc<Mutex<Vec<Hit>>>,
    /// Extra routes: path -> body served with 200 (detail pages at card URLs).
    extra: Arc<Mutex<HashMap<String, Vec<u8>>>>,
}

impl Server {
    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
    fn count(&self, path: &str) -> usize {
        self.hits().iter().filter(|h| h.path == path).count()
    }
    fn times(&self, path: &str) -> Vec<Instant> {
        self.hits()
            .iter()
            .filter(|h| h.path == path)
            .map(|h| h.at)
            .collect()
    }
}

fn html(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        Body::from(body),
    )
        .into_response()
}

async fn handle(State(s): State<Server>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let n_before = s.count(&path);
    s.hits.lock().unwrap().push(Hit {
        path: path.clone(),
        at: Instant::now(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
    });
    if let Some(body) = s.extra.lock().unwrap().get(&path).cloned() {
        return html(StatusCode::OK, body);
    }
    match path.as_str() {
        "/robots.txt" => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain")],
            "# test robots.txt\nUser-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n",
        )
            .into_response(),
        "/businesses-for-sale/" => html(StatusCode::OK, page(HVAC)),
        "/businesses-for-sale/2/" => html(StatusCode::OK, page(CALIFORNIA)),
        "/businesses-for-sale/3/" => html(StatusCode::OK, page(AMAZON)),
        "/business-opportunity/self-serve-carwash-for-sale/2445151/" => {
            html(StatusCode::OK, page(CAR_WASH))
        }
        "/private/listing/1/" => html(StatusCode::OK, page(OHIO)),
        "/blocked/" => html(StatusCode::FORBIDDEN, ACCESS_DENIED.as_bytes().to_vec()),
        "/challenge/" => html(StatusCode::OK, CHALLENGE.as_bytes().to_vec()),
        "/flaky/" if n_before == 0 => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            "Too Many Requests",
        )
            .into_response(),
        "/flaky/" => html(StatusCode::OK, page(OHIO)),
        "/flaky-date/" if n_before == 0 => {
            let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, when)],
                "maintenance",
            )
                .into_response()
        }
        "/flaky-date/" => html(StatusCode::OK, page(CAR_WASH)),
        "/too-long/" => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "86400")],
            "come back tomorrow",
        )
            .into_response(),
        "/down/" => (StatusCode::BAD_GATEWAY, "bad gateway").into_response(),
        "/slow/" => {
            // Never answers: the client's timeout must end the request.
            std::future::pending::<()>().await;
            StatusCode::OK.into_response()
        }
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

async fn start() -> (Server, SocketAddr) {
    let s = Server::default();
    let app = axum::Router::new().fallback(handle).with_state(s.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (s, addr)
}

/// Fast settings for tests: no pause between requests, short backoff.
fn quick() -> FetchConfig {
    FetchConfig {
        contact: "mailto:tests@example.org".into(),
        min_interval: Duration::ZERO,
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
        max_retries: 2,
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(30),
        respect_robots: true,
        max_body_bytes: 16 * 1024 * 1024,
    }
}

fn url(addr: SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

#[tokio::test]
async fn search_pages_are_paginated_up_to_the_limit_with_real_values() {
    let (server, addr) = start().await;
    let fetcher = Fetcher::new(quick()).unwrap();
    let opts = CrawlOptions {
        max_pages: 3,
        details: false,
    };
    let mut crawl = Crawl::new(&fetcher, vec![url(addr, "/businesses-for-sale/")], opts);
    let mut listings = Vec::new();
    let mut steps = Vec::new();
    while let Some(step) = crawl.next().await {
        assert!(
            step.outcome.rejections.is_empty(),
            "{:?}",
            step.outcome.rejections
        );
        steps.push(step.url.path().to_string());
        listings.extend(step.outcome.listings);
    }
    // The HVAC page's BBS-state says 10000 results, 50 a page: pages 2 and 3 are read, page 4
    // is past the limit.
    assert_eq!(
        steps,
        [
            "/businesses-for-sale/",
            "/businesses-for-sale/2/",
            "/businesses-for-sale/3/"
        ]
    );
    let paths: Vec<String> = server.hits().into_iter().map(|h| h.path).collect();
    assert_eq!(
        paths,
        [
            "/robots.txt",
            "/businesses-for-sale/",
            "/businesses-for-sale/2/",
            "/businesses-for-sale/3/"
        ],
        "robots.txt once, then each page once, nothing else"
    );
    assert_eq!(listings.len(), 51 * 3);
    let juice = listings.iter().find(|l| l.listing_id == "2460501").unwrap();
    assert_eq!(juice.asking_price, Some(249_000));
    assert_eq!(juice.cash_flow, None);
    assert_eq!(
        juice.ebitda,
        Some(75_000),
        "the card's second figure is EBITDA"
    );
    assert_eq!(juice.city.as_deref(), Some("Palm Beach Gardens"));
    assert_eq!(juice.source, ListingSource::SearchCard);
    let auto = listings.iter().find(|l| l.listing_id == "2412526").unwrap();
    assert_eq!(
        (auto.asking_price, auto.cash_flow),
        (Some(350_000), Some(125_000))
    );
    let boulder = listings.iter().find(|l| l.listing_id == "2063617").unwrap();
    assert_eq!(boulder.state.as_deref(), Some("CO"));
    assert_eq!(boulder.asking_price, Some(250_000));
    // The user agent names gsa, its version and the contact.
    for h in server.hits() {
        assert!(h.user_agent.starts_with("gsa/"), "{}", h.user_agent);
        assert!(h.user_agent.contains("(+mailto:tests@example.org)"));
    }
}

#[tokio::test]
async fn detail_pages_are_fetched_for_each_card_on_the_same_host() {
    let (server, addr) = start().await;
    let cards = gsa_scraper::parse_bytes("hvac", &page(HVAC), chrono::Utc::now()).listings;
    let first_path = Url::parse(cards[0].url.as_deref().unwrap())
        .unwrap()
        .path()
        .to_string();
    // The first card's link answers with a real detail page; the other cards' links are 404.
    server
        .extra
        .lock()
        .unwrap()
        .insert(first_path.clone(), page(CAR_WASH));
    let fetcher = Fetcher::new(quick()).unwrap();
    let opts = CrawlOptions {
        max_pages: 1,
        details: true,
    };
    let mut crawl = Crawl::new(&fetcher, vec![url(addr, "/businesses-for-sale/")], opts);
    let mut listings = Vec::new();
    let mut rejections = Vec::new();
    let first = crawl.next().await.unwrap();
    assert!(
        first.outcome.listings.is_empty(),
        "cards wait for their detail page"
    );
    assert_eq!(crawl.remaining(), cards.len());
    while let Some(step) = crawl.next().await {
        listings.extend(step.outcome.listings);
        rejections.extend(step.outcome.rejections);
    }
    // One request per card, each on the test server (never the real site), none twice.
    let detail_hits: Vec<String> = server
        .hits()
        .into_iter()
        .map(|h| h.path)
        .filter(|p| p != "/robots.txt" && p != "/businesses-for-sale/")
        .collect();
    assert_eq!(detail_hits.len(), cards.len());
    assert_eq!(detail_hits[0], first_path);
    // Every card is still there; the real detail page read as its own listing.
    for c in &cards {
        assert!(
            listings.iter().any(|l| l.listing_id == c.listing_id),
            "{}",
            c.listing_id
        );
    }
    let wash = listings.iter().find(|l| l.listing_id == "2445151").unwrap();
    assert_eq!(wash.source, ListingSource::DetailPage);
    assert_eq!(wash.asking_price, Some(625_000));
    assert_eq!(wash.cash_flow, Some(72_700));
    assert_eq!(wash.real_estate.value, Some(300_000));
    assert_eq!(wash.established_year, Some(1969));
    // The 404s are fetch failures that name the card's listing.
    assert_eq!(rejections.len(), cards.len() - 1);
    assert!(rejections
        .iter()
        .all(|r| r.kind == RejectionKind::FetchFailed
            && r.reason.contains("HTTP 404")
            && r.listing_id.is_some()));
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let (server, addr) = start().await;
    let fetcher = Fetcher::new(quick()).unwrap();
    let page = fetcher.fetch(&url(addr, "/flaky/")).await.unwrap();
    assert_eq!(page.attempts, 2);
    assert_eq!(
        page.waits,
        [Duration::from_secs(1)],
        "Retry-After: 1 replaces the backoff"
    );
    let t = server.times("/flaky/");
    assert_eq!(t.len(), 2);
    // The second request came at least the asked second after the first (small allowance for
    // the two requests' different travel times on loopback).
    assert!(
        t[1] - t[0] >= Duration::from_millis(950),
        "{:?}",
        t[1] - t[0]
    );
    let out = gsa_scraper::parse_bytes(page.url.as_str(), &page.body, page.fetched_at);
    assert_eq!(out.listings[0].listing_id, "2365036");
    assert_eq!(out.listings[0].asking_price, Some(1_370_000));
}

#[tokio::test]
async fn retry_after_http_date_is_honoured_and_too_long_gives_up() {
    let (server, addr) = start().await;
    let fetcher = Fetcher::new(quick()).unwrap();
    let page = fetcher.fetch(&url(addr, "/flaky-date/")).await.unwrap();
    assert_eq!(page.attempts, 2);
    // An HTTP-date two seconds ahead, at one-second resolution: between 1 and 2 seconds.
    assert!(
        page.waits[0] >= Duration::from_secs(1) && page.waits[0] <= Duration::from_secs(2),
        "{:?}",
        page.waits
    );
    let t = server.times("/flaky-date/");
    assert!(t[1] - t[0] >= page.waits[0] - Duration::from_millis(50));
    // A day's Retry-After is more than the configured 30 s: one request, then a clear error.
    let err = fetcher.fetch(&url(addr, "/too-long/")).await.unwrap_err();
    assert_eq!(
        err,
        FetchError::RetryAfterTooLong {
            asked_secs: 86_400,
            max_secs: 30
        }
    );
    assert_eq!(server.count("/too-long/"), 1);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_reported() {
    let (server, addr) = start().await;
    let fetcher = Fetcher::new(quick()).unwrap();
    let err = fetcher.fetch(&url(addr, "/down/")).await.unwrap_err();
    assert_eq!(
        err,
        FetchError::Status {
            status: 502,
            attempts: 3
        }
    );
    assert_eq!(err.kind(), RejectionKind::FetchFailed);
    let t = server.times("/down/");
    assert_eq!(t.len(), 3, "first try + max_retries (2)");
    // Backoff 20 ms then 40 ms, each at least half of that after jitter.
    assert!(t[1] - t[0] >= Duration::from_millis(9));
    assert!(t[2] - t[1] >= Duration::from_millis(19));
}

#[tokio::test]
async fn a_server_that_never_answers_trips_the_timeout() {
    let (server, addr) = start().await;
    let cfg = FetchConfig {
        timeout: Duration::from_millis(300),
        max_retries: 1,
        ..quick()
    };
    let fetcher = Fetcher::new(cfg).unwrap();
    let err = fetcher.fetch(&url(addr, "/slow/")).await.unwrap_err();
    assert!(
        matches!(err, FetchError::Timeout { attempts: 2, .. }),
        "{err:?}"
    );
    assert_eq!(server.count("/slow/"), 2);
    assert_eq!(err.to_rejection("x", None).kind, RejectionKind::FetchFailed);
}

#[tokio::test]
async fn robots_txt_forbids_a_path_and_is_fetched_once() {
    let (server, addr) = start().await;
    let fetcher = Fetcher::new(quick()).unwrap();
    let err = fetcher
        .fetch(&url(addr, "/private/listing/1/"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::RobotsDisallowed { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("RFC 9309"));
    assert_eq!(server.count("/private/listing/1/"), 0, "never requested");
    fetcher
        .fetch(&url(addr, "/businesses-for-sale/2/"))
        .await
        .unwrap();
    assert_eq!(server.count("/robots.txt"), 1, "cached per host");
    // With robots.txt ignored (explicit opt-out) the page is fetched.
    let rude = Fetcher::new(FetchConfig {
        respect_robots: false,
        ..quick()
    })
    .unwrap();
    let page = rude.fetch(&url(addr, "/private/listing/1/")).await.unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(server.count("/robots.txt"), 1);
}

#[tokio::test]
async fn block_pages_are_blocked_rejections_and_the_host_is_left_alone() {
    let (server, addr) = start().await;
    let fetcher = Fetcher::new(quick()).unwrap();
    let mut crawl = Crawl::new(
        &fetcher,
        vec![url(addr, "/blocked/"), url(addr, "/businesses-for-sale/")],
        CrawlOptions::default(),
    );
    let blocked = crawl.next().await.unwrap();
    assert!(blocked.outcome.listings.is_empty());
    assert_eq!(blocked.outcome.rejections.len(), 1);
    let r = &blocked.outcome.rejections[0];
    assert_eq!(r.kind, RejectionKind::Blocked);
    assert!(r.reason.contains("403"), "{}", r.reason);
    assert_eq!(server.count("/blocked/"), 1, "a 403 is not retried");
    // The host is not asked again in this run.
    let next = crawl.next().await.unwrap();
    assert_eq!(next.outcome.rejections[0].kind, RejectionKind::FetchFailed);
    assert!(next.outcome.rejections[0]
        .reason
        .contains("blocked an earlier request"));
    assert_eq!(server.count("/businesses-for-sale/"), 0);
    assert!(crawl.next().await.is_none());

    // A challenge page served with HTTP 200 is a block too, never an empty listing.
    let (_server2, addr2) = start().await;
    let f2 = Fetcher::new(quick()).unwrap();
    let err = f2.fetch(&url(addr2, "/challenge/")).await.unwrap_err();
    assert_eq!(err.kind(), RejectionKind::Blocked);
    assert!(err.to_string().contains("Cloudflare"), "{err}");
}

#[tokio::test]
async fn requests_to_one_host_are_spaced_by_the_rate_limit() {
    let (server, addr) = start().await;
    let interval = Duration::from_millis(300);
    let fetcher = Fetcher::new(FetchConfig {
        min_interval: interval,
        ..quick()
    })
    .unwrap();
    for p in ["/businesses-for-sale/2/", "/businesses-for-sale/3/"] {
        fetcher.fetch(&url(addr, p)).await.unwrap();
    }
    // robots.txt, page 2, page 3: each at least the interval after the previous one
    // (allowing 50 ms for differences in loopback travel time).
    let t: Vec<Instant> = server.hits().iter().map(|h| h.at).collect();
    assert_eq!(t.len(), 3);
    for w in t.windows(2) {
        assert!(
            w[1] - w[0] >= interval - Duration::from_millis(50),
            "{:?}",
            w[1] - w[0]
        );
    }
}
