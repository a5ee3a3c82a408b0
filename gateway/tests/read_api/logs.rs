//! `/api/logs`, `/api/logs/tail`, `/api/alerts`, `/api/events` and scopes, over HTTP against
//! the real store.

use chrono::{Duration, SecondsFormat, Utc};
use futures::StreamExt;
use serde_json::Value;

use crate::fixture::{self, LOGS};
use crate::listings::{get, setup, token};

fn enc(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn messages(b: &Value) -> Vec<String> {
    b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["message"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn scopes_are_checked_before_parameters() {
    let (gw, _f, reader) = setup().await;
    let logs = token(&gw, "log-reader", &["logs:read"]).await;
    let admin = token(&gw, "admin", &["admin"]).await;
    let alerts = token(&gw, "alerts", &["alerts:read"]).await;
    // A listings reader cannot read logs, alerts or events: 403 even with bad parameters.
    for path in [
        "/api/logs",
        "/api/logs?from=garbage&level=loud",
        "/api/logs?unknown=1",
        "/api/logs/tail?level=nope",
        "/api/alerts?limit=0",
        "/api/events?from=x",
    ] {
        let (s, b) = get(&gw, &reader, path).await;
        assert_eq!(
            (s, b["error"].as_str()),
            (403, Some("insufficient_scope")),
            "{path}: {b}"
        );
    }
    // A log reader cannot read listings or events.
    for path in ["/api/listings", "/api/events", "/api/listings/1/report.md"] {
        let (s, _) = get(&gw, &logs, path).await;
        assert_eq!(s, 403, "{path}");
    }
    // The alerts reader reads alerts; admin reads everything.
    assert_eq!(get(&gw, &alerts, "/api/alerts").await.0, 200);
    assert_eq!(get(&gw, &admin, "/api/events?limit=1").await.0, 200);
    assert_eq!(get(&gw, &admin, "/api/listings?limit=1").await.0, 200);
    // No token: 401.
    let r = gw.http.get(gw.url("/api/logs")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    gw.stop().await;
}

#[tokio::test]
async fn logs_filter_page_and_validate_the_window() {
    let (gw, f, _) = setup().await;
    let tok = token(&gw, "log-reader", &["logs:read"]).await;
    let from = enc(f.logs_start - Duration::minutes(1));
    let to = enc(f.logs_start + Duration::hours(1));
    let base = format!("/api/logs?from={from}&to={to}");

    // Everything, newest first by default.
    let (s, b) = get(&gw, &tok, &base).await;
    assert_eq!(s, 200, "{b}");
    let want: Vec<String> = LOGS.iter().rev().map(|(_, _, m)| m.to_string()).collect();
    assert_eq!(messages(&b), want);
    assert_eq!(b["items"][0]["service"], "scraper");
    assert_eq!(b["items"][0]["level"], "ERROR");

    // Service and minimum level.
    let (_, b) = get(
        &gw,
        &tok,
        &format!("{base}&service=analyzer&level=warn&direction=forward"),
    )
    .await;
    assert_eq!(
        messages(&b),
        vec!["listing has no cash flow", "score card failed validation"]
    );
    let (_, b) = get(&gw, &tok, &format!("{base}&level=ERROR")).await;
    assert_eq!(
        messages(&b),
        vec!["inbox file unreadable", "score card failed validation"]
    );

    // Full text over messages.
    let (_, b) = get(&gw, &tok, &format!("{base}&q=captcha")).await;
    assert_eq!(messages(&b), vec!["page blocked by a captcha wall"]);

    // Cursors across pages, both directions.
    for (dir, expect) in [
        (
            "backward",
            LOGS.iter()
                .rev()
                .map(|x| x.2.to_string())
                .collect::<Vec<_>>(),
        ),
        ("forward", LOGS.iter().map(|x| x.2.to_string()).collect()),
    ] {
        let mut got = Vec::new();
        let mut cursor = String::new();
        loop {
            let (s, b) = get(
                &gw,
                &tok,
                &format!("{base}&direction={dir}&limit=3{cursor}"),
            )
            .await;
            assert_eq!(s, 200, "{b}");
            got.extend(messages(&b));
            match b["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(got, expect, "{dir}");
    }

    // A window that ends before the fourth record: only the first three.
    let to3 = enc(f.logs_start + Duration::minutes(3));
    let (_, b) = get(
        &gw,
        &tok,
        &format!("/api/logs?from={from}&to={to3}&direction=forward"),
    )
    .await;
    assert_eq!(
        messages(&b),
        LOGS[..3]
            .iter()
            .map(|x| x.2.to_string())
            .collect::<Vec<_>>()
    );

    // Window validation.
    let now = Utc::now();
    for (q, code) in [
        (format!("/api/logs?to={to}"), "missing_time"),
        (format!("/api/logs?from={from}"), "missing_time"),
        (format!("/api/logs?from=yesterday&to={to}"), "invalid_time"),
        (format!("/api/logs?from={to}&to={from}"), "invalid_window"),
        (
            format!(
                "/api/logs?from={}&to={}",
                enc(now - Duration::days(8)),
                enc(now)
            ),
            "window_too_wide",
        ),
        (format!("{base}&level=loud"), "invalid_level"),
        (format!("{base}&direction=sideways"), "invalid_direction"),
        (format!("{base}&limit=1001"), "invalid_limit"),
    ] {
        let (s, b) = get(&gw, &tok, &q).await;
        assert_eq!((s, b["error"].as_str()), (400, Some(code)), "{q}: {b}");
    }
    // Exactly seven days is allowed.
    let (s, _) = get(
        &gw,
        &tok,
        &format!(
            "/api/logs?from={}&to={}",
            enc(now - Duration::days(7)),
            enc(now)
        ),
    )
    .await;
    assert_eq!(s, 200);
    gw.stop().await;
}

#[tokio::test]
async fn alerts_and_events() {
    let (gw, f, _) = setup().await;
    let tok = token(&gw, "alerts", &["alerts:read"]).await;
    let mut got = Vec::new();
    let mut cursor = String::new();
    loop {
        let (s, b) = get(&gw, &tok, &format!("/api/alerts?limit=2{cursor}")).await;
        assert_eq!(s, 200, "{b}");
        for i in b["items"].as_array().unwrap() {
            assert!(i["score"].as_i64().unwrap() >= 80);
            got.push(i["event_id"].as_str().unwrap().to_string());
        }
        match b["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert!(got.len() >= 2, "the test data has alerts");
    assert_eq!(got, f.alert_ids, "newest first, every alert once");

    let admin = token(&gw, "admin", &["admin"]).await;
    let id = &f.updated_id;
    let (s, b) = get(&gw, &admin, &format!("/api/events?subject={id}")).await;
    assert_eq!(s, 200, "{b}");
    let types: Vec<&str> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"gsa.listing.scraped.v1"), "{types:?}");
    assert!(types.contains(&"gsa.listing.updated.v1"));
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "gsa.listing.scored.v1")
            .count(),
        2
    );
    assert!(b["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["subject"] == id.as_str()));
    // Time range: the update happened at 15:00, scores at 14:30 and 16:00.
    let (_, b) = get(
        &gw,
        &admin,
        &format!("/api/events?subject={id}&from=2025-06-02T14:45:00Z&to=2025-06-02T15:30:00Z"),
    )
    .await;
    let types: Vec<&str> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["gsa.listing.updated.v1"]);
    // By NATS subject, paged.
    let (_, b) = get(&gw, &admin, "/api/events?subject=gsa.log.analyzer&limit=2").await;
    assert_eq!(b["items"].as_array().unwrap().len(), 2);
    let c = b["next_cursor"].as_str().unwrap();
    let (_, b2) = get(
        &gw,
        &admin,
        &format!("/api/events?subject=gsa.log.analyzer&limit=2&cursor={c}"),
    )
    .await;
    let n = LOGS.iter().filter(|l| l.0 == "analyzer").count();
    assert_eq!(b2["items"].as_array().unwrap().len(), 2.min(n - 2));
    assert_ne!(b["items"][0]["id"], b2["items"][0]["id"]);
    gw.stop().await;
}

#[tokio::test]
async fn the_tail_streams_records_stored_after_it_started() {
    let (gw, _f, _) = setup().await;
    let tok = token(&gw, "log-reader", &["logs:read"]).await;
    let r = gw
        .http
        .get(gw.url("/api/logs/tail?service=analyzer&level=INFO"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    // Store three new records: one from another service, one below the level, one that matches.
    let path = gw.cfg.db_path();
    tokio::task::spawn_blocking(move || {
        let mut store = gsa_logger::store::Store::open(&path).unwrap();
        let now = Utc::now();
        let res = store.store_batch(&[
            fixture::log_event("tail-1", now, "scraper", "ERROR", "other service"),
            fixture::log_event("tail-2", now, "analyzer", "DEBUG", "too quiet"),
            fixture::log_event("tail-3", now, "analyzer", "WARN", "tail sees this"),
        ]);
        assert!(res.iter().all(Result::is_ok));
    })
    .await
    .unwrap();
    let mut body = r.bytes_stream();
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if text.contains("tail sees this") {
                break;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), read)
        .await
        .expect("the record arrives");
    let data: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(data.len(), 1, "{text}");
    assert_eq!(data[0]["event_id"], "tail-3");
    assert!(text.contains("event: log"));
    assert!(!text.contains("other service") && !text.contains("too quiet"));
    drop(body);
    gw.stop().await;
}

#[tokio::test]
async fn reads_never_fail_while_the_logging_worker_writes() {
    let (gw, f, tok) = setup().await;
    let n0 = f.listings.len();
    let path = gw.cfg.db_path();
    // The writer: 40 batches of 25 log records and 5 new listings each, one transaction each.
    let writer = tokio::task::spawn_blocking(move || {
        let mut store = gsa_logger::store::Store::open(&path).unwrap();
        let base = fixture::real_listings().into_iter().next().unwrap();
        for b in 0..40 {
            let mut batch = Vec::new();
            for i in 0..25 {
                batch.push(fixture::log_event(
                    &format!("w-{b}-{i}"),
                    Utc::now(),
                    "logger",
                    "INFO",
                    "stored batch",
                ));
            }
            for i in 0..5 {
                let mut l = base.clone();
                l.listing_id = format!("w{b:02}{i}");
                let l = l.with_content_hash();
                let env = gsa_schemas::Envelope::new(
                    "scraper",
                    gsa_schemas::event_type::LISTING_SCRAPED,
                    l.event_id(),
                    Some(l.listing_id.clone()),
                    l,
                );
                batch.push(fixture::incoming("gsa.listing.scraped", &env));
            }
            for r in store.store_batch(&batch) {
                r.unwrap();
            }
        }
    });
    // Eight concurrent readers until the writer is done, then one more round.
    let mut readers = Vec::new();
    for _ in 0..8 {
        let http = gw.http.clone();
        let url = gw.url("/api/listings?limit=200&sort=newest");
        let tok = tok.clone();
        readers.push(tokio::spawn(async move {
            let mut last = 0usize;
            let mut rounds = 0;
            loop {
                let r = http.get(&url).bearer_auth(&tok).send().await.unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap();
                assert_eq!(status, 200, "{body}");
                let n = body["items"].as_array().unwrap().len();
                assert!(n >= last.min(200), "a read went backwards: {n} < {last}");
                last = n;
                rounds += 1;
                if rounds >= 30 {
                    return rounds;
                }
            }
        }));
    }
    writer.await.unwrap();
    for r in readers {
        assert_eq!(r.await.unwrap(), 30);
    }
    let everything = crate::listings::all(&gw, &tok, "", 200).await;
    assert_eq!(everything.len(), n0 + 200);
    gw.stop().await;
}
