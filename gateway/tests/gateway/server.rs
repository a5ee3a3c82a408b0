//! Server-wide behaviour: ping, 404/405 JSON, security headers, body limit, the generated
//! secret file, graceful shutdown, and that no secret leaves the process.

use serde_json::{json, Value};

use crate::harness::{Gateway, SECRET};

#[tokio::test]
async fn ping_health_and_security_headers() {
    let gw = Gateway::start().await;
    let r = gw.http.get(gw.url("/ping")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    for (h, v) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(r.headers()[h], v, "{h}");
    }
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    assert_eq!(r.text().await.unwrap(), "OK");
    let r = gw.http.get(gw.url("/healthz")).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "ok");
    // The harness points NATS_URL at a closed port: up, serving, but not ready.
    let r = gw.http.get(gw.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let b = r.json::<Value>().await.unwrap();
    assert_eq!(b["status"], "not_ready");
    assert_eq!(b["checks"]["nats"], "unreachable");
    assert_eq!(b["checks"]["identity_db"], "ok");
    // Unknown path: 404 JSON even without a token; security headers there too.
    let r = gw.http.get(gw.url("/does/not/exist")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"], "not_found");
    assert!(b["message"].is_string());
    let r = gw.http.delete(gw.url("/ping")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "method_not_allowed"
    );
    gw.stop().await;
}

#[tokio::test]
async fn oversized_body_is_413_json() {
    let gw = Gateway::start().await;
    let big = "x".repeat(200 * 1024);
    let r = gw
        .http
        .post(gw.url("/token"))
        .header("content-type", "application/json")
        .body(format!("{{\"client_id\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "payload_too_large"
    );
    // Same with a chunked body (no Content-Length): the limit applies while reading.
    let stream =
        futures::stream::iter((0..40).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 8 * 1024])));
    let r = gw
        .http
        .post(gw.url("/verify"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "payload_too_large"
    );
    gw.stop().await;
}

#[tokio::test]
async fn default_mode_is_eddsa_with_a_generated_key_kept_at_0600() {
    let gw = Gateway::start_in(tempfile::tempdir().unwrap(), None).await;
    let (kid, der, public) = crate::harness::active_ed25519(&gw.cfg);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The WAL file exists only while a connection is open; check it when it does.
        for name in ["identity.db", "identity.db-wal"] {
            let path = gw.dir.path().join(name);
            if name != "identity.db" && !path.exists() {
                continue;
            }
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}: mode {mode:o}");
        }
    }
    assert!(
        !gw.dir.path().join("jwt_secret.key").exists(),
        "no HMAC secret is generated any more"
    );
    let client_secret = gw.client("svc", &["gsa-api"], &["listings:read"]);
    let tok = gw.access_token("svc", &client_secret, "gsa-api").await;
    let h = crate::harness::segment(&tok, 0);
    assert_eq!(h["alg"], "EdDSA");
    assert_eq!(h["kid"], kid);
    // The JWKS publishes exactly that public key (RFC 8037 §2), and nothing private.
    let r = gw
        .http
        .get(gw.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let jwks: Value = r.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{jwks}");
    let k = &keys[0];
    assert_eq!(
        (
            k["kty"].as_str(),
            k["crv"].as_str(),
            k["alg"].as_str(),
            k["use"].as_str()
        ),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"), Some("sig"))
    );
    assert_eq!(k["kid"], kid);
    use base64::Engine;
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&public);
    assert_eq!(k["x"], x);
    assert!(k.get("d").is_none());
    assert_eq!(
        kid,
        gsa_gateway::keys::jwk_thumbprint_okp(&x),
        "kid is the RFC 7638 thumbprint"
    );
    // Restart: the same key is reused, and the token still verifies.
    let dir = gw.stop().await;
    let gw = Gateway::start_in(dir, None).await;
    let (kid2, der2, _) = crate::harness::active_ed25519(&gw.cfg);
    assert_eq!(
        (kid2, der2),
        (kid.clone(), der.clone()),
        "key reused, not regenerated"
    );
    let (s, v) = gw.verify(&tok, "gsa-api").await;
    assert_eq!(s, 200, "{v}");
    // The identity store holds no plaintext client secret.
    let db = std::fs::read(gw.dir.path().join("identity.db")).unwrap();
    assert!(!db
        .windows(client_secret.len())
        .any(|w| w == client_secret.as_bytes()));
    // Switching to HS256: the Ed25519 key retires but still verifies its token; the JWKS keeps
    // publishing it during the overlap, never the HMAC secret.
    let dir = gw.stop().await;
    let gw = Gateway::start_in(dir, Some(SECRET)).await;
    let (s, v) = gw.verify(&tok, "gsa-api").await;
    assert_eq!(s, 200, "{v}");
    let jwks: Value = gw
        .http
        .get(gw.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], kid);
    assert!(!jwks.to_string().contains(SECRET));
    let tok_hs = gw.access_token("svc", &client_secret, "gsa-api").await;
    assert_eq!(crate::harness::segment(&tok_hs, 0)["alg"], "HS256");
    gw.stop().await;
}

#[tokio::test]
async fn hs256_only_jwks_is_empty() {
    let gw = Gateway::start().await;
    let r = gw
        .http
        .get(gw.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"keys": []}));
    gw.stop().await;
}

#[tokio::test]
async fn no_response_contains_a_secret_and_shutdown_is_graceful() {
    let gw = Gateway::start().await;
    let client_secret = gw.client("svc", &["gsa-api"], &["listings:read"]);
    let tok = gw.access_token("svc", &client_secret, "gsa-api").await;
    let mut bodies = Vec::new();
    for (method, path, body) in [
        ("GET", "/ping", Value::Null),
        ("GET", "/healthz", Value::Null),
        ("GET", "/readyz", Value::Null),
        (
            "POST",
            "/token",
            json!({"client_id": "svc", "client_secret": client_secret, "aud": "gsa-api"}),
        ),
        (
            "POST",
            "/token",
            json!({"client_id": "svc", "client_secret": "bad", "aud": "gsa-api"}),
        ),
        ("POST", "/verify", json!({"token": tok, "aud": "gsa-api"})),
        (
            "POST",
            "/verify",
            json!({"token": "x.y.z", "aud": "gsa-api"}),
        ),
        ("GET", "/api/listings", Value::Null),
        ("GET", "/nope", Value::Null),
    ] {
        let mut req = gw
            .http
            .request(method.parse().unwrap(), gw.url(path))
            .bearer_auth(&tok);
        if !body.is_null() {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        let headers = format!("{:?}", r.headers());
        bodies.push(format!("{path}: {headers} {}", r.text().await.unwrap()));
    }
    for b in &bodies {
        assert!(!b.contains(SECRET), "JWT secret leaked: {b}");
        assert!(!b.contains(&client_secret), "client secret leaked: {b}");
    }
    // A request in flight when shutdown starts still completes: its body is held open across
    // the shutdown signal, so the server must wait for it.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
    let json =
        json!({"client_id": "svc", "client_secret": client_secret, "aud": "gsa-api"}).to_string();
    let (first, rest) = json.split_at(10);
    tx.send(Ok(first.as_bytes().to_vec())).await.unwrap();
    let in_flight = {
        let url = gw.url("/token");
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .body(reqwest::Body::wrap_stream(body))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let base = gw.base.clone();
    let stopping = tokio::spawn(gw.stop());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !stopping.is_finished(),
        "serve returned while a request was in flight"
    );
    tx.send(Ok(rest.as_bytes().to_vec())).await.unwrap();
    drop(tx);
    assert_eq!(in_flight.await.unwrap().unwrap(), 200);
    stopping.await.unwrap();
    assert!(
        reqwest::get(format!("{base}/ping")).await.is_err(),
        "listener closed after shutdown"
    );
}
