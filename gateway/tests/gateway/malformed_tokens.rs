//! Every row of the malformed-token list (identity-and-security.md §2c) against a running
//! gateway, in both signing modes (HS256 with `JWT_SECRET_KEY`, EdDSA with generated keys):
//! `/verify` for token rows, `/api/listings` for the `Authorization` header rows.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

use crate::harness::{active_ed25519, forge, forge_with, now, Gateway, ISSUER, SECRET};
use gsa_gateway::keys::hmac_kid;

const AUD: &str = "gsa-api";

/// The signing mode under test: the gateway's key, as a forger who holds it would sign.
pub struct Keys {
    pub alg: &'static str,
    pub algorithm: Algorithm,
    pub kid: String,
    pub key: EncodingKey,
    /// The Ed25519 public key (EdDSA mode), for algorithm-confusion rows.
    pub public: Option<Vec<u8>>,
}

impl Keys {
    pub fn hs256() -> Self {
        Self {
            alg: "HS256",
            algorithm: Algorithm::HS256,
            kid: hmac_kid(SECRET.as_bytes()),
            key: EncodingKey::from_secret(SECRET.as_bytes()),
            public: None,
        }
    }

    /// The active Ed25519 key of a running EdDSA-mode gateway, read from its identity.db.
    pub fn eddsa(gw: &Gateway) -> Self {
        let (kid, der, public) = active_ed25519(&gw.cfg);
        Self {
            alg: "EdDSA",
            algorithm: Algorithm::EdDSA,
            kid,
            key: EncodingKey::from_ed_der(&der),
            public: Some(public),
        }
    }

    pub fn header(&self, extra: Value) -> String {
        let mut h = json!({"alg": self.alg, "typ": "at+jwt", "kid": self.kid});
        if let (Some(h), Some(e)) = (h.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                if v.is_null() {
                    h.remove(k);
                } else {
                    h.insert(k.clone(), v.clone());
                }
            }
        }
        h.to_string()
    }

    /// Signs with the gateway's key and algorithm, whatever the header says.
    pub fn signed(&self, h: &str, c: &str) -> String {
        forge_with(h, c, &self.key, self.algorithm)
    }

    pub fn valid(&self) -> String {
        self.signed(&self.header(json!({})), &claims(json!({})))
    }
}

pub fn claims(extra: Value) -> String {
    let n = now();
    let mut c = json!({"iss": ISSUER, "aud": [AUD], "sub": "svc-x", "iat": n, "exp": n + 300,
                       "scope": "listings:read"});
    if let (Some(c), Some(e)) = (c.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            if v.is_null() {
                c.remove(k);
            } else {
                c.insert(k.clone(), v.clone());
            }
        }
    }
    // Markers for JSON that a `Value` cannot hold or that `null` above would remove.
    c.to_string()
        .replace("\"__null__\"", "null")
        .replace("\"__1e309__\"", "1e309")
}

/// Replaces one segment of a token.
fn with_segment(tok: &str, i: usize, seg: &str) -> String {
    let mut parts: Vec<String> = tok.split('.').map(String::from).collect();
    parts[i] = seg.to_string();
    parts.join(".")
}

fn b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn every_malformed_token_row_is_refused_with_its_reason_hs256() {
    let gw = Gateway::start().await;
    run_table(&gw, &Keys::hs256()).await;
    gw.stop().await;
}

#[tokio::test]
async fn every_malformed_token_row_is_refused_with_its_reason_eddsa() {
    let gw = Gateway::start_in(tempfile::tempdir().unwrap(), None).await;
    let k = Keys::eddsa(&gw);
    run_table(&gw, &k).await;
    gw.stop().await;
}

/// Rows whose forgery depends on the mode (algorithm confusion, foreign keys).
fn mode_rows(k: &Keys) -> Vec<(&'static str, &'static str, String, u16, &'static str)> {
    let c = claims(json!({}));
    let mut rows = vec![
        (
            "4b",
            "alg hs256 (case variant)",
            k.signed(&k.header(json!({"alg": "hs256"})), &c),
            401,
            "alg_not_allowed",
        ),
        (
            "5",
            "RS256 header with our kid",
            k.signed(&k.header(json!({"alg": "RS256"})), &c),
            401,
            "alg_not_allowed",
        ),
        (
            "5b",
            "ES256 header with our kid",
            k.signed(&k.header(json!({"alg": "ES256"})), &c),
            401,
            "alg_not_allowed",
        ),
    ];
    match &k.public {
        None => {
            rows.push((
                "4",
                "HS512 with the right secret",
                forge(
                    &k.header(json!({"alg": "HS512"})),
                    &c,
                    SECRET.as_bytes(),
                    Algorithm::HS512,
                ),
                401,
                "alg_not_allowed",
            ));
            rows.push((
                "6",
                "EdDSA header with the HS256 kid",
                k.signed(&k.header(json!({"alg": "EdDSA"})), &c),
                401,
                "alg_not_allowed",
            ));
            rows.push((
                "13c",
                "wrong secret",
                forge(
                    &k.header(json!({})),
                    &c,
                    b"another-secret-that-is-32-bytes-long!!",
                    Algorithm::HS256,
                ),
                401,
                "bad_signature",
            ));
        }
        Some(public) => {
            let x = URL_SAFE_NO_PAD.encode(public);
            // Algorithm confusion (RFC 8725 §2.1): HMAC keyed with the public key.
            rows.push((
                "6",
                "HS256 signed with the public key bytes",
                forge(
                    &k.header(json!({"alg": "HS256"})),
                    &c,
                    public,
                    Algorithm::HS256,
                ),
                401,
                "alg_not_allowed",
            ));
            rows.push((
                "6b",
                "HS256 signed with the public key's base64url x",
                forge(
                    &k.header(json!({"alg": "HS256"})),
                    &c,
                    x.as_bytes(),
                    Algorithm::HS256,
                ),
                401,
                "alg_not_allowed",
            ));
            rows.push((
                "6c",
                "HS256 signed with the public JWK text",
                forge(
                    &k.header(json!({"alg": "HS256"})),
                    &c,
                    format!("{{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"{x}\"}}").as_bytes(),
                    Algorithm::HS256,
                ),
                401,
                "alg_not_allowed",
            ));
            rows.push((
                "4",
                "HS512 signed with the public key bytes",
                forge(
                    &k.header(json!({"alg": "HS512"})),
                    &c,
                    public,
                    Algorithm::HS512,
                ),
                401,
                "alg_not_allowed",
            ));
            // Another Ed25519 key claiming our kid.
            let (_, other) = gsa_gateway::keys::KeyEntry::generate_ed25519().unwrap();
            rows.push((
                "13c",
                "signed by another Ed25519 key",
                forge_with(
                    &k.header(json!({})),
                    &c,
                    &EncodingKey::from_ed_der(&other),
                    Algorithm::EdDSA,
                ),
                401,
                "bad_signature",
            ));
            // The gateway's own HS-shaped kid does not exist in this mode.
            rows.push((
                "8b",
                "an HS256 kid in EdDSA mode",
                forge(
                    &k.header(json!({"alg": "HS256", "kid": hmac_kid(SECRET.as_bytes())})),
                    &c,
                    SECRET.as_bytes(),
                    Algorithm::HS256,
                ),
                401,
                "unknown_kid",
            ));
        }
    }
    rows
}

async fn run_table(gw: &Gateway, k: &Keys) {
    let n = now();
    let v = k.valid();
    let (h64, p64, s64) = {
        let p: Vec<&str> = v.split('.').collect();
        (p[0].to_string(), p[1].to_string(), p[2].to_string())
    };
    let flipped_sig = {
        let mut b = s64.clone().into_bytes();
        b[0] = if b[0] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    // (row, description, token, expected status, expected reason code)
    let mut rows: Vec<(&str, &str, String, u16, &str)> = vec![
        ("1", "valid base", v.clone(), 200, ""),
        ("2", "alg none, empty signature", format!("{}.{}.", b64(&k.header(json!({"alg": "none"}))), p64), 401, "alg_not_allowed"),
        ("2b", "alg none with a signature", k.signed(&k.header(json!({"alg": "none"})), &claims(json!({}))), 401, "alg_not_allowed"),
        ("3", "alg NONE", format!("{}.{}.", b64(&k.header(json!({"alg": "NONE"}))), p64), 401, "alg_not_allowed"),
        ("3b", "alg None", format!("{}.{}.", b64(&k.header(json!({"alg": "None"}))), p64), 401, "alg_not_allowed"),
        ("7", "missing kid", k.signed(&k.header(json!({"kid": null})), &claims(json!({}))), 401, "missing_kid"),
        ("8", "unknown kid", k.signed(&k.header(json!({"kid": "k999"})), &claims(json!({}))), 401, "unknown_kid"),
        ("9a", "kid path traversal", k.signed(&k.header(json!({"kid": "../../etc/passwd"})), &claims(json!({}))), 401, "unknown_kid"),
        ("9b", "kid SQL injection", k.signed(&k.header(json!({"kid": "' OR 1=1--"})), &claims(json!({}))), 401, "unknown_kid"),
        ("9c", "kid 10 KB", k.signed(&k.header(json!({"kid": "k".repeat(10_000)})), &claims(json!({}))), 401, "token_too_large"),
        ("9d", "kid 2 KB", k.signed(&k.header(json!({"kid": "k".repeat(2_000)})), &claims(json!({}))), 401, "unknown_kid"),
        ("9e", "kid non-ASCII", k.signed(&k.header(json!({"kid": "ключ"})), &claims(json!({}))), 401, "unknown_kid"),
        ("9f", "kid not a string", k.signed(&k.header(json!({"kid": 1})), &claims(json!({}))), 401, "malformed"),
        ("10a", "jku header", k.signed(&k.header(json!({"jku": "https://evil.example/jwks.json"})), &claims(json!({}))), 401, "header_not_allowed"),
        ("10b", "x5u header", k.signed(&k.header(json!({"x5u": "https://evil.example/cert.pem"})), &claims(json!({}))), 401, "header_not_allowed"),
        ("10c", "jwk header", k.signed(&k.header(json!({"jwk": {"kty": "oct", "k": "AAAA"}})), &claims(json!({}))), 401, "header_not_allowed"),
        ("10d", "x5c header", k.signed(&k.header(json!({"x5c": ["MIIB"]})), &claims(json!({}))), 401, "header_not_allowed"),
        ("11a", "crit exp", k.signed(&k.header(json!({"crit": ["exp"]})), &claims(json!({}))), 401, "header_not_allowed"),
        ("11b", "crit foo", k.signed(&k.header(json!({"crit": ["foo"], "foo": 1})), &claims(json!({}))), 401, "header_not_allowed"),
        ("13a", "signature bit flip", with_segment(&v, 2, &flipped_sig), 401, "bad_signature"),
        ("13b", "truncated signature", with_segment(&v, 2, &s64[..20]), 401, "bad_signature"),
        ("13d", "extra dot segment", format!("{v}."), 401, "malformed"),
        ("13e", "two segments", format!("{h64}.{p64}"), 401, "malformed"),
        ("13f", "four segments", format!("{v}.{s64}"), 401, "malformed"),
        ("13g", "empty string", String::new(), 401, "malformed"),
        ("14a", "'+' in signature", with_segment(&v, 2, &s64.replacen(|c: char| c == '-' || c == '_' || c.is_ascii_alphanumeric(), "+", 1)), 401, "malformed"),
        ("14b", "'/' in payload", with_segment(&v, 1, &format!("{}/", &p64[..p64.len() - 1])), 401, "malformed"),
        ("14c", "'=' padding on header", with_segment(&v, 0, &format!("{h64}==")), 401, "malformed"),
        ("14d", "non-canonical trailing bits", with_segment(&v, 2, &format!("{}B", &s64[..s64.len() - 1])), 401, "malformed"),
        ("15a", "header not JSON", with_segment(&v, 0, &b64("not json")), 401, "malformed"),
        ("15b", "header JSON array", with_segment(&v, 0, &b64("[\"HS256\"]")), 401, "malformed"),
        ("15c", "duplicate alg", k.signed(&format!("{{\"alg\":\"none\",\"alg\":\"{}\",\"typ\":\"at+jwt\",\"kid\":\"{}\"}}", k.alg, k.kid), &claims(json!({}))), 401, "malformed"),
        ("15d", "payload not JSON (signed)", k.signed(&k.header(json!({})), "hello"), 401, "malformed"),
        ("15e", "payload JSON array (signed)", k.signed(&k.header(json!({})), "[1,2,3]"), 401, "malformed"),
        ("15f", "duplicate exp in payload (signed)", k.signed(&k.header(json!({})), &format!("{{\"iss\":\"{ISSUER}\",\"aud\":\"{AUD}\",\"sub\":\"s\",\"iat\":{n},\"exp\":{},\"exp\":{}}}", n - 1000, n + 300)), 401, "malformed"),
        ("16", "expired beyond leeway", k.signed(&k.header(json!({})), &claims(json!({"iat": n - 400, "exp": n - 100}))), 401, "expired"),
        ("17", "expired inside leeway", k.signed(&k.header(json!({})), &claims(json!({"iat": n - 300, "exp": n - 10}))), 200, ""),
        ("18", "exp missing", k.signed(&k.header(json!({})), &claims(json!({"exp": null}))), 401, "missing_exp"),
        ("19a", "exp as string", k.signed(&k.header(json!({})), &claims(json!({"exp": "9999999999"}))), 401, "invalid_claim"),
        ("19b", "exp null", k.signed(&k.header(json!({})), &claims(json!({"exp": "__null__"}))), 401, "invalid_claim"),
        ("19c", "exp -1", k.signed(&k.header(json!({})), &claims(json!({"exp": -1}))), 401, "invalid_claim"),
        ("19d", "exp 1e309", k.signed(&k.header(json!({})), &claims(json!({"exp": "__1e309__"}))), 401, "malformed"),
        ("19e", "exp float", k.signed(&k.header(json!({})), &claims(json!({"exp": (n + 300) as f64 + 0.5}))), 401, "invalid_claim"),
        ("20", "nbf in an hour", k.signed(&k.header(json!({})), &claims(json!({"nbf": n + 3600, "exp": n + 3700, "iat": n}))), 401, "not_yet_valid"),
        ("21", "nbf as string (CVE-2026-25537)", k.signed(&k.header(json!({})), &claims(json!({"nbf": "99999999999"}))), 401, "invalid_claim"),
        ("22", "iat in an hour", k.signed(&k.header(json!({})), &claims(json!({"iat": n + 3600, "exp": n + 3900}))), 401, "iat_in_future"),
        ("23", "lifetime 30 days", k.signed(&k.header(json!({})), &claims(json!({"exp": n + 30 * 86400}))), 401, "lifetime_exceeded"),
        ("24", "aud missing", k.signed(&k.header(json!({})), &claims(json!({"aud": null}))), 401, "missing_aud"),
        ("25", "aud plain string", k.signed(&k.header(json!({})), &claims(json!({"aud": AUD}))), 200, ""),
        ("26a", "aud other-api", k.signed(&k.header(json!({})), &claims(json!({"aud": ["other-api"]}))), 401, "wrong_audience"),
        ("26b", "aud []", k.signed(&k.header(json!({})), &claims(json!({"aud": []}))), 401, "wrong_audience"),
        ("26c", "aud empty string", k.signed(&k.header(json!({})), &claims(json!({"aud": ""}))), 401, "wrong_audience"),
        ("26d", "aud 123", k.signed(&k.header(json!({})), &claims(json!({"aud": 123}))), 401, "invalid_claim"),
        ("27", "aud [other, ours]", k.signed(&k.header(json!({})), &claims(json!({"aud": ["other-api", AUD]}))), 200, ""),
        ("28a", "iss missing", k.signed(&k.header(json!({})), &claims(json!({"iss": null}))), 401, "missing_iss"),
        ("28b", "iss wrong", k.signed(&k.header(json!({})), &claims(json!({"iss": "gateway"}))), 401, "wrong_issuer"),
        ("28c", "iss different case", k.signed(&k.header(json!({})), &claims(json!({"iss": ISSUER.to_uppercase()}))), 401, "wrong_issuer"),
        ("29a", "typ missing", k.signed(&k.header(json!({"typ": null})), &claims(json!({}))), 401, "wrong_typ"),
        ("29b", "typ JWT", k.signed(&k.header(json!({"typ": "JWT"})), &claims(json!({}))), 401, "wrong_typ"),
        ("29c", "typ of a dashboard session", k.signed(&k.header(json!({"typ": "session+jwt"})), &claims(json!({}))), 401, "wrong_typ"),
        ("29d", "typ application/at+jwt", k.signed(&k.header(json!({"typ": "application/at+jwt"})), &claims(json!({}))), 200, ""),
        ("30a", "sub missing", k.signed(&k.header(json!({})), &claims(json!({"sub": null}))), 401, "missing_sub"),
        ("30b", "sub empty", k.signed(&k.header(json!({})), &claims(json!({"sub": ""}))), 401, "missing_sub"),
        ("31", "20 KB token (100 KB: see the header test)", format!("{}.{}.{}", h64, "A".repeat(20_000), s64), 401, "token_too_large"),
    ];
    rows.extend(mode_rows(k));
    let mut failures = Vec::new();
    for (row, what, token, status, code) in &rows {
        let (s, body) = gw.verify(token, AUD).await;
        let got_code = body["error"].as_str().unwrap_or("");
        let ok = s == *status
            && if *status == 200 {
                body["valid"] == true && body["claims"]["sub"].is_string()
            } else {
                body["valid"] == false && got_code == *code
            };
        if !ok {
            failures.push(format!(
                "row {row} ({what}): expected {status} {code}, got {s} {body}"
            ));
        }
        // Whatever the outcome, nothing about the key is ever returned.
        assert!(!body.to_string().contains(SECRET));
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn kid() -> String {
    hmac_kid(SECRET.as_bytes())
}

fn header(extra: Value) -> String {
    Keys::hs256().header(extra)
}

fn signed(h: &str, c: &str) -> String {
    Keys::hs256().signed(h, c)
}

fn valid() -> String {
    Keys::hs256().valid()
}

#[tokio::test]
async fn authorization_header_rows_on_a_protected_route() {
    let gw = Gateway::start().await;
    let url = gw.url("/api/listings");
    let tok = valid();
    // Row 1 / 32: the scheme is case-insensitive.
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let r = gw
            .http
            .get(&url)
            .header("authorization", format!("{scheme} {tok}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "scheme {scheme}");
    }
    // Row 31: a 100 KB bearer token is refused before decoding.
    let big = format!("Bearer {}", "A".repeat(100_000));
    let r = gw
        .http
        .get(&url)
        .header("authorization", big)
        .send()
        .await
        .unwrap();
    assert!(r.status() == 401 || r.status() == 431, "{}", r.status());
    // Row 33: two Authorization headers, deterministic 400.
    let r = gw
        .http
        .get(&url)
        .header("authorization", format!("Bearer {tok}"))
        .header("authorization", format!("Bearer {tok}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    // No token: 401 with a bare Bearer challenge (RFC 6750 §3.1).
    let r = gw.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"gsa\"");
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_token");
    // A bad token: 401 with error="invalid_token"; the reason is not disclosed on the API.
    let expired = signed(
        &header(json!({})),
        &claims(json!({"iat": now() - 400, "exp": now() - 100})),
    );
    let r = gw.http.get(&url).bearer_auth(expired).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("error=\"invalid_token\""));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    assert!(body["message"].is_string());
    // Basic credentials are not a bearer token.
    let r = gw
        .http
        .get(&url)
        .basic_auth("svc", Some("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Row 35: a valid token on an unknown route is 404, not 401.
    let r = gw
        .http
        .get(gw.url("/api/nope"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "not_found");
    let r = gw.http.get(gw.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    gw.stop().await;
}

#[tokio::test]
async fn row_34_a_31_byte_secret_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = crate::harness::config(dir.path(), Some(&"x".repeat(31)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (_t, shutdown) = gsa_common::shutdown::channel();
    let err = gsa_gateway::serve(cfg, listener, shutdown)
        .await
        .expect_err("must refuse");
    let msg = format!("{err:#}");
    assert!(msg.contains("32 bytes"), "{msg}");
    assert!(
        !msg.contains(&"x".repeat(31)),
        "the secret must not appear in the error"
    );
    // 32 bytes is enough.
    let gw = Gateway::start_in(tempfile::tempdir().unwrap(), Some(&"y".repeat(32))).await;
    let r = gw.http.get(gw.url("/ping")).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "OK");
    gw.stop().await;
}

#[tokio::test]
async fn row_12_rotation_overlap_then_retirement() {
    const NEW: &str = "a-completely-different-secret-of-40-bytes!";
    let gw = Gateway::start().await;
    let old = valid();
    assert_eq!(gw.verify(&old, AUD).await.0, 200);
    let dir = gw.stop().await;

    // Rotated: the new key signs, the old one still verifies tokens it signed before.
    let gw = Gateway::start_in(dir, Some(NEW)).await;
    let s = gw.client("svc", &[AUD], &["listings:read"]);
    let fresh = gw.access_token("svc", &s, AUD).await;
    assert_eq!(
        crate::harness::segment(&fresh, 0)["kid"],
        hmac_kid(NEW.as_bytes())
    );
    let (st, body) = gw.verify(&old, AUD).await;
    assert_eq!(st, 200, "overlap: {body}");
    let r = gw
        .http
        .get(gw.url("/api/listings"))
        .bearer_auth(&old)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let db = gw.cfg.identity_db_path();
    let dir = gw.stop().await;

    // The old key retired 100 s ago: a token it "signed" now is refused, and the retirement
    // time survives restarts.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n = conn
        .execute(
            "UPDATE signing_keys SET retired_at = ?1 WHERE kid = ?2",
            rusqlite::params![now() - 100, kid()],
        )
        .unwrap();
    assert_eq!(n, 1);
    let gw = Gateway::start_in(dir, Some(NEW)).await;
    let minted_after = valid();
    let (st, body) = gw.verify(&minted_after, AUD).await;
    assert_eq!((st, body["error"].as_str()), (401, Some("key_retired")));
    let dir = gw.stop().await;

    // Past the retention window the old key is deleted: unknown kid, secret wiped.
    conn.execute(
        "UPDATE signing_keys SET retired_at = ?1 WHERE kid = ?2",
        rusqlite::params![now() - 7200, kid()],
    )
    .unwrap();
    let gw = Gateway::start_in(dir, Some(NEW)).await;
    let (st, body) = gw.verify(&old, AUD).await;
    assert_eq!((st, body["error"].as_str()), (401, Some("unknown_kid")));
    let left: i64 = conn
        .query_row("SELECT COUNT(*) FROM signing_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 1, "only the signing key remains");
    assert_eq!(gw.verify(&fresh, AUD).await.0, 200);
    gw.stop().await;
}
