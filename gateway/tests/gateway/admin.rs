//! Operator routes over HTTP: `/debug-env` and `/metrics` (admin only, nothing secret),
//! `/openapi.json` listing every route of the router, and CORS for configured origins only.

use gsa_gateway::GatewayConfig;
use serde_json::Value;

use crate::harness::{gw_config, metrics_text, now, token_with_scopes, Gateway, SECRET};

#[tokio::test]
async fn debug_env_is_admin_only_and_reveals_no_key() {
    for secret in [Some(SECRET), None] {
        let gw = Gateway::start_in(tempfile::tempdir().unwrap(), secret).await;
        let r = gw.http.get(gw.url("/debug-env")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let viewer = token_with_scopes(&gw, "viewer", &["listings:read"]).await;
        let r = gw
            .http
            .get(gw.url("/debug-env"))
            .bearer_auth(&viewer)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let secret_client = gw.client("scores", &["scores-api"], &["listings:read"]);
        let admin = token_with_scopes(&gw, "ops", &["admin"]).await;
        let r = gw
            .http
            .get(gw.url("/debug-env"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["issuer"], crate::harness::ISSUER);
        assert_eq!(v["audiences"], serde_json::json!(["gsa-api", "scores-api"]));
        let keys = v["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        let k = &keys[0];
        assert_eq!(k["signing"], true);
        let fp = k["fingerprint"].as_str().unwrap();
        assert!(fp.starts_with("sha256:") && fp.len() == 23, "{fp}");
        match secret {
            Some(s) => {
                assert_eq!(k["alg"], "HS256");
                assert_eq!(k["kid"], gsa_gateway::keys::hmac_kid(s.as_bytes()));
                assert!(!text.contains(s));
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD.encode(s);
                assert!(!text.contains(&b64[..20]));
            }
            None => {
                assert_eq!(k["alg"], "EdDSA");
                let (kid, der, _) = crate::harness::active_ed25519(&gw.cfg);
                assert_eq!(k["kid"], kid);
                let d = hex::encode(&der[16..]);
                assert!(!text.contains(&d[..16]));
            }
        }
        assert!(!text.contains(&secret_client));
        gw.stop().await;
    }
}

#[tokio::test]
async fn metrics_count_requests_tokens_and_rejections() {
    let gw = Gateway::start().await;
    let secret = gw.client("svc", &["gsa-api"], &["listings:read"]);
    let tok = gw.access_token("svc", &secret, "gsa-api").await;
    let (s, _) = gw
        .token_json(
            serde_json::json!({"client_id": "svc", "client_secret": "bad", "aud": "gsa-api"}),
        )
        .await;
    assert_eq!(s, 401);
    let n = now();
    let expired = crate::malformed_tokens::Keys::hs256().signed(
        &crate::malformed_tokens::Keys::hs256().header(serde_json::json!({})),
        &crate::malformed_tokens::claims(serde_json::json!({"iat": n - 400, "exp": n - 100})),
    );
    assert_eq!(gw.verify(&expired, "gsa-api").await.0, 401);
    assert_eq!(gw.verify(&tok, "gsa-api").await.0, 200);
    gw.http.get(gw.url("/nope")).send().await.unwrap();
    let r = gw.http.get(gw.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401, "metrics need a token");
    let text = metrics_text(&gw).await;
    for line in [
        // Two: the svc token and the metrics reader's.
        "gsa_http_requests_total{route=\"/token\",status=\"200\"} 2",
        "gsa_http_requests_total{route=\"/token\",status=\"401\"} 1",
        "gsa_http_requests_total{route=\"/verify\",status=\"401\"} 1",
        "gsa_http_requests_total{route=\"/verify\",status=\"200\"} 1",
        "gsa_http_requests_total{route=\"unmatched\",status=\"404\"} 1",
        "gsa_tokens_rejected_total{reason=\"expired\"} 1",
        "# TYPE gsa_login_failures_total counter",
    ] {
        assert!(text.contains(line), "missing {line}:\n{text}");
    }
    // Two issued: the svc token, and the metrics reader's admin token.
    assert!(text.contains("gsa_tokens_issued_total 2"), "{text}");
    assert!(!text.contains(SECRET) && !text.contains(&secret) && !text.contains(&tok));
    gw.stop().await;
}

/// Every `.route("path", method(...))` in any `.rs` file under `src/`, as (method, path).
fn router_routes() -> Vec<(String, String)> {
    let route = regex::Regex::new(r#"\.route\(\s*"([^"]+)",\s*([^\n]*)"#).unwrap();
    let method = regex::Regex::new(r"\b(get|post|put|delete|patch)\(").unwrap();
    let mut out = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for c in route.captures_iter(&text) {
                for m in method.captures_iter(&c[2]) {
                    out.push((m[1].to_string(), c[1].to_string()));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn openapi_describes_every_route_of_the_router() {
    let gw = Gateway::start().await;
    let r = gw.http.get(gw.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let routes = router_routes();
    assert!(routes.len() >= 15, "route scan found {routes:?}");
    let mut missing = Vec::new();
    for (method, path) in &routes {
        if doc["paths"][path][method].is_null() {
            missing.push(format!("{} {path}", method.to_uppercase()));
        }
        // And the route is really served (not 404) by the running router.
    }
    assert!(
        missing.is_empty(),
        "missing from /openapi.json: {missing:?}"
    );
    // The other direction: every documented path is routed.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(
                routes.iter().any(|(m, p)| m == method && p == path),
                "{method} {path} is documented but not routed"
            );
        }
    }
    gw.stop().await;
}

#[tokio::test]
async fn cors_only_for_configured_origins() {
    let cfg = GatewayConfig {
        cors_origins: vec!["https://dash.example".into()],
        ..gw_config()
    };
    let gw = Gateway::start_with(tempfile::tempdir().unwrap(), Some(SECRET), cfg).await;
    let preflight = |origin: &'static str| {
        gw.http
            .request(reqwest::Method::OPTIONS, gw.url("/api/listings"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let r = preflight("https://dash.example").await.unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://dash.example"
    );
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
    let r = preflight("https://evil.example").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    gw.stop().await;
    // Default: no CORS at all.
    let gw = Gateway::start().await;
    let r = gw
        .http
        .get(gw.url("/ping"))
        .header("origin", "https://dash.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    gw.stop().await;
    // A wildcard is refused at start (tower-http would panic with credentials).
    let bad = GatewayConfig {
        cors_origins: vec!["*".into()],
        ..gw_config()
    };
    assert!(bad.validate().is_err());
}
