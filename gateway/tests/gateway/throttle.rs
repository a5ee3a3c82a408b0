//! Throttling over HTTP: failed client authentications per address on `/token` and
//! `/introspect`, requests per address on `/verify`, requests per client on `/api`; 429 with
//! `Retry-After` and a JSON body; the address from `X-Forwarded-For` only via a trusted proxy.

use std::net::IpAddr;

use gsa_gateway::GatewayConfig;
use serde_json::{json, Value};

use crate::harness::{gw_config, token_with_scopes, Gateway};

fn limited(trusted: bool) -> GatewayConfig {
    GatewayConfig {
        client_auth_failures_per_min: 3,
        verify_per_min: 5,
        api_per_min: 2,
        trusted_proxies: if trusted {
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
        } else {
            vec![]
        },
        ..gw_config()
    }
}

async fn token_req(gw: &Gateway, secret: &str, xff: &str) -> reqwest::Response {
    gw.http
        .post(gw.url("/token"))
        .header("x-forwarded-for", xff)
        .json(&json!({"client_id": "svc", "client_secret": secret, "aud": "gsa-api"}))
        .send()
        .await
        .unwrap()
}

async fn assert_429(r: reqwest::Response) {
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "rate_limited");
}

#[tokio::test]
async fn failed_client_authentications_are_limited_per_address() {
    let gw = Gateway::start_with(tempfile::tempdir().unwrap(), None, limited(true)).await;
    let secret = gw.client("svc", &["gsa-api"], &["listings:read"]);
    // Successes are not counted.
    for _ in 0..5 {
        assert_eq!(token_req(&gw, &secret, "198.51.100.1").await.status(), 200);
    }
    for _ in 0..3 {
        assert_eq!(token_req(&gw, "wrong", "198.51.100.1").await.status(), 401);
    }
    // Over the limit: even the right secret gets 429 from that address...
    assert_429(token_req(&gw, &secret, "198.51.100.1").await).await;
    // ... and /introspect shares the limit.
    let r = gw
        .http
        .post(gw.url("/introspect"))
        .header("x-forwarded-for", "198.51.100.1")
        .basic_auth("svc", Some(&secret))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_429(r).await;
    // Another address is not affected.
    assert_eq!(token_req(&gw, &secret, "198.51.100.2").await.status(), 200);
    // Failed introspection authentications count too.
    for _ in 0..3 {
        let r = gw
            .http
            .post(gw.url("/introspect"))
            .header("x-forwarded-for", "198.51.100.3")
            .basic_auth("svc", Some("wrong"))
            .form(&[("token", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    assert_429(token_req(&gw, &secret, "198.51.100.3").await).await;
    gw.stop().await;
}

#[tokio::test]
async fn a_spoofed_forwarded_for_does_not_escape_the_limit_without_a_trusted_proxy() {
    let gw = Gateway::start_with(tempfile::tempdir().unwrap(), None, limited(false)).await;
    let _ = gw.client("svc", &["gsa-api"], &["listings:read"]);
    for i in 0..3 {
        let r = token_req(&gw, "wrong", &format!("192.0.2.{i}")).await;
        assert_eq!(r.status(), 401);
    }
    assert_429(token_req(&gw, "wrong", "192.0.2.99").await).await;
    gw.stop().await;
}

#[tokio::test]
async fn verify_per_address_and_api_per_client() {
    let gw = Gateway::start_with(tempfile::tempdir().unwrap(), None, limited(true)).await;
    for _ in 0..5 {
        let r = gw
            .http
            .post(gw.url("/verify"))
            .header("x-forwarded-for", "203.0.113.50")
            .json(&json!({"token": "a.b.c", "aud": "gsa-api"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = gw
        .http
        .post(gw.url("/verify"))
        .header("x-forwarded-for", "203.0.113.50")
        .json(&json!({"token": "a.b.c", "aud": "gsa-api"}))
        .send()
        .await
        .unwrap();
    assert_429(r).await;

    let a = token_with_scopes(&gw, "client-a", &["listings:read"]).await;
    let b = token_with_scopes(&gw, "client-b", &["listings:read"]).await;
    for _ in 0..2 {
        let r = gw
            .http
            .get(gw.url("/api/listings"))
            .bearer_auth(&a)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // Per client, whatever the address.
    let r = gw
        .http
        .get(gw.url("/api/listings"))
        .header("x-forwarded-for", "203.0.113.77")
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_429(r).await;
    let r = gw
        .http
        .get(gw.url("/api/listings"))
        .bearer_auth(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "another client has its own budget");
    let text = crate::harness::metrics_text(&gw).await;
    assert!(
        text.contains("gsa_throttled_total{limiter=\"api\"} 1"),
        "{text}"
    );
    assert!(text.contains("gsa_throttled_total{limiter=\"verify\"} 1"));
    gw.stop().await;
}
