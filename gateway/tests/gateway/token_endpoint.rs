//! `POST /token` over HTTP: both request shapes, the issued token's header and claims, and
//! every refusal.

use serde_json::{json, Value};

use crate::harness::{now, segment, Gateway, ISSUER, SECRET};

#[tokio::test]
async fn json_request_issues_an_rfc9068_token_that_verifies() {
    let gw = Gateway::start().await;
    let secret = gw.client(
        "scores-svc",
        &["gsa-api", "scores-api"],
        &["listings:read", "alerts:read"],
    );
    let t0 = now();
    let r = gw
        .http
        .post(gw.url("/token"))
        .json(&json!({"client_id": "scores-svc", "client_secret": secret, "aud": "gsa-api"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["scope"], "listings:read alerts:read");
    assert!(!body.to_string().contains(&secret) && !body.to_string().contains(SECRET));
    let tok = body["access_token"].as_str().unwrap();
    let h = segment(tok, 0);
    assert_eq!(h["alg"], "HS256");
    assert_eq!(h["typ"], "at+jwt");
    assert_eq!(h["kid"], gsa_gateway::keys::hmac_kid(SECRET.as_bytes()));
    let c = segment(tok, 1);
    assert_eq!(c["iss"], ISSUER);
    assert_eq!(c["sub"], "scores-svc");
    assert_eq!(c["client_id"], "scores-svc");
    assert_eq!(c["aud"], "gsa-api");
    assert_eq!(c["scope"], "listings:read alerts:read");
    let iat = c["iat"].as_i64().unwrap();
    assert!((t0 - 1..=t0 + 2).contains(&iat), "iat {iat} vs {t0}");
    assert_eq!(c["exp"].as_i64().unwrap() - iat, 900);
    assert_eq!(c["nbf"].as_i64().unwrap(), iat);
    assert_eq!(c["jti"].as_str().unwrap().len(), 36);
    // It verifies for its audience, with the same claims, and not for another.
    let (s, v) = gw.verify(tok, "gsa-api").await;
    assert_eq!(s, 200);
    assert_eq!(v["valid"], true);
    assert_eq!(v["claims"], c);
    let (s, v) = gw.verify(tok, "scores-api").await;
    assert_eq!((s, v["error"].as_str()), (401, Some("wrong_audience")));
    // Two tokens have distinct jti.
    let tok2 = gw.access_token("scores-svc", &secret, "gsa-api").await;
    assert_ne!(segment(&tok2, 1)["jti"], c["jti"]);
    gw.stop().await;
}

#[tokio::test]
async fn sub_is_a_synonym_and_scopes_narrow() {
    let gw = Gateway::start().await;
    let secret = gw.client("svc", &["gsa-api"], &["listings:read", "alerts:read"]);
    let (s, b) = gw
        .token_json(json!({"sub": "svc", "client_secret": secret, "aud": "gsa-api", "scope": "alerts:read"}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["scope"], "alerts:read");
    assert_eq!(
        segment(b["access_token"].as_str().unwrap(), 1)["scope"],
        "alerts:read"
    );
    let (s, b) = gw
        .token_json(json!({"sub": "svc", "client_secret": secret, "aud": "gsa-api", "scope": "alerts:read admin"}))
        .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_scope")));
    let (s, b) = gw
        .token_json(
            json!({"sub": "svc", "client_id": "other", "client_secret": secret, "aud": "gsa-api"}),
        )
        .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")));
    gw.stop().await;
}

#[tokio::test]
async fn form_client_credentials_with_basic_or_body_secret() {
    let gw = Gateway::start().await;
    let secret = gw.client("form-svc", &["gsa-api"], &["listings:read"]);
    // client_secret_basic (RFC 6749 §2.3.1).
    let r = gw
        .http
        .post(gw.url("/token"))
        .basic_auth("form-svc", Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", "gsa-api"),
            ("scope", "listings:read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(
        segment(b["access_token"].as_str().unwrap(), 1)["sub"],
        "form-svc"
    );
    // client_secret_post.
    let r = gw
        .http
        .post(gw.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", "gsa-api"),
            ("client_id", "form-svc"),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Both methods at once: refused (RFC 6749 §2.3).
    let r = gw
        .http
        .post(gw.url("/token"))
        .basic_auth("form-svc", Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", "gsa-api"),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Wrong Basic secret: 401 with a Basic challenge.
    let r = gw
        .http
        .post(gw.url("/token"))
        .basic_auth("form-svc", Some("wrong"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", "gsa-api"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    // Other grant types, missing grant type, repeated parameters.
    for (form, code) in [
        (
            "grant_type=password&audience=gsa-api",
            "unsupported_grant_type",
        ),
        ("audience=gsa-api", "invalid_request"),
        (
            "grant_type=client_credentials&audience=gsa-api&audience=x",
            "invalid_request",
        ),
        ("grant_type=client_credentials", "invalid_request"),
    ] {
        let r = gw
            .http
            .post(gw.url("/token"))
            .basic_auth("form-svc", Some(&secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{form}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], code, "{form}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn unknown_client_wrong_secret_and_disabled_client_look_the_same() {
    let gw = Gateway::start().await;
    let secret = gw.client("svc", &["gsa-api"], &["listings:read"]);
    let other = gw.client("svc2", &["gsa-api"], &[]);
    let (s1, b1) = gw
        .token_json(json!({"client_id": "svc", "client_secret": "wrong", "aud": "gsa-api"}))
        .await;
    let (s2, b2) = gw
        .token_json(json!({"client_id": "nobody", "client_secret": secret, "aud": "gsa-api"}))
        .await;
    let (s3, b3) = gw
        .token_json(json!({"client_id": "svc", "client_secret": other, "aud": "gsa-api"}))
        .await;
    assert_eq!((s1, s2, s3), (401, 401, 401));
    assert_eq!(b1, b2);
    assert_eq!(b1, b3);
    assert_eq!(b1["error"], "invalid_client");
    // Missing secret is also invalid_client.
    let (s, b) = gw
        .token_json(json!({"client_id": "svc", "aud": "gsa-api"}))
        .await;
    assert_eq!((s, b["error"].as_str()), (401, Some("invalid_client")));
    // Disabled.
    gsa_gateway::identity::disable_client(&gw.cfg, "svc").unwrap();
    let (s, b) = gw
        .token_json(json!({"client_id": "svc", "client_secret": secret, "aud": "gsa-api"}))
        .await;
    assert_eq!((s, &b), (401, &b1));
    gw.stop().await;
}

#[tokio::test]
async fn audience_must_be_registered_and_bodies_are_json() {
    let gw = Gateway::start().await;
    let secret = gw.client("svc", &["gsa-api"], &["listings:read"]);
    let (s, b) = gw
        .token_json(json!({"client_id": "svc", "client_secret": secret, "aud": "admin-api"}))
        .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_target")));
    let (s, b) = gw
        .token_json(json!({"client_id": "svc", "client_secret": secret}))
        .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")));
    // Unknown JSON fields, broken JSON, no content type.
    let (s, b) = gw
        .token_json(
            json!({"client_id": "svc", "client_secret": secret, "aud": "gsa-api", "admin": true}),
        )
        .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")));
    let r = gw
        .http
        .post(gw.url("/token"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    let r = gw
        .http
        .post(gw.url("/token"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_media_type"
    );
    let r = gw.http.get(gw.url("/token")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "method_not_allowed"
    );
    gw.stop().await;
}

#[tokio::test]
async fn introspection_and_jwks() {
    let gw = Gateway::start().await;
    let rs = gw.client("resource-server", &["gsa-api"], &[]);
    let other_rs = gw.client("other-rs", &["other-api"], &[]);
    let svc = gw.client("svc", &["gsa-api"], &["listings:read"]);
    let tok = gw.access_token("svc", &svc, "gsa-api").await;
    let introspect = |id: &'static str, secret: String, token: String| {
        let http = gw.http.clone();
        let url = gw.url("/introspect");
        async move {
            let r = http
                .post(url)
                .basic_auth(id, Some(secret))
                .form(&[
                    ("token", token.as_str()),
                    ("token_type_hint", "access_token"),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = introspect("resource-server", rs.clone(), tok.clone()).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["active"], true);
    assert_eq!(b["client_id"], "svc");
    assert_eq!(b["scope"], "listings:read");
    assert_eq!(b["aud"], "gsa-api");
    assert_eq!(b["exp"].as_i64().unwrap() - b["iat"].as_i64().unwrap(), 900);
    // A resource server for another audience learns nothing.
    let (s, b) = introspect("other-rs", other_rs, tok.clone()).await;
    assert_eq!((s, b), (200, json!({"active": false})));
    // Garbage token: inactive, no reason.
    let (s, b) = introspect("resource-server", rs.clone(), "x.y.z".into()).await;
    assert_eq!((s, b), (200, json!({"active": false})));
    // Caller must authenticate.
    let (s, b) = introspect("resource-server", "wrong".into(), tok.clone()).await;
    assert_eq!((s, b["error"].as_str()), (401, Some("invalid_client")));
    // HMAC keys are never published.
    let r = gw
        .http
        .get(gw.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"keys": []})
    );
    assert!(!body.contains(SECRET));
    gw.stop().await;
}
