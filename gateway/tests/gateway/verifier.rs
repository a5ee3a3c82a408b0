//! The verifier library and its caching JWKS fetcher against a running EdDSA gateway over
//! real HTTP: verification with the published keys, a refetch when a rotation brings a new
//! `kid`, at most one refetch per interval for unknown `kid`s, and the caller's policy.

use std::time::Duration;

use gsa_gateway::verifier::{JwksCache, JwksError, Rejection, Verifier};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;

use crate::harness::{forge, forge_with, now, segment, Gateway, ISSUER, SECRET};

const AUD: &str = "gsa-api";

#[tokio::test]
async fn jwks_cache_verifies_gateway_tokens_and_follows_rotation() {
    let gw = Gateway::start_in(tempfile::tempdir().unwrap(), None).await;
    let secret = gw.client("svc", &[AUD, "scores-api"], &["listings:read"]);
    let tok = gw.access_token("svc", &secret, AUD).await;
    // Long TTL, and at most one unknown-kid refetch per hour: fetches are counted exactly.
    let jwks = JwksCache::with_intervals(
        &gw.url("/.well-known/jwks.json"),
        Duration::from_secs(3600),
        Duration::from_secs(3600),
    )
    .unwrap();
    let verifier = Verifier::new(ISSUER, AUD).with_algorithms(&[Algorithm::EdDSA]);
    let v = jwks.verify(&verifier, &tok, now()).await.unwrap();
    assert_eq!(v.sub, "svc");
    assert_eq!(v.scopes, vec!["listings:read"]);
    assert_eq!(v.kid, segment(&tok, 0)["kid"].as_str().unwrap());
    assert_eq!(jwks.fetch_count(), 1);
    // Cached: no second fetch.
    jwks.verify(&verifier, &tok, now()).await.unwrap();
    assert_eq!(jwks.fetch_count(), 1);
    // The caller's audience is enforced.
    let other = Verifier::new(ISSUER, "scores-api");
    assert!(matches!(
        jwks.verify(&other, &tok, now()).await,
        Err(JwksError::Rejected(Rejection::WrongAudience))
    ));

    // A token naming an unknown kid, less than the refetch interval after the last fetch:
    // rejected without refetching (a flood of random kids cannot hammer the gateway).
    let (_, der) = gsa_gateway::keys::KeyEntry::generate_ed25519().unwrap();
    let n = now();
    let claims =
        json!({"iss": ISSUER, "aud": AUD, "sub": "x", "iat": n, "exp": n + 60}).to_string();
    let forged = forge_with(
        &json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "attacker-kid"}).to_string(),
        &claims,
        &EncodingKey::from_ed_der(&der),
        Algorithm::EdDSA,
    );
    assert!(matches!(
        jwks.verify(&verifier, &forged, now()).await,
        Err(JwksError::Rejected(Rejection::UnknownKid))
    ));
    assert!(matches!(
        jwks.verify(&verifier, &forged, now()).await,
        Err(JwksError::Rejected(Rejection::UnknownKid))
    ));
    assert_eq!(jwks.fetch_count(), 1, "rate-limited refetch");
    // An HS256 token is never accepted from a JWKS-backed verifier, even "signed" with the
    // published public key.
    let kid = segment(&tok, 0)["kid"].as_str().unwrap().to_string();
    let confused = forge(
        &json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}).to_string(),
        &claims,
        SECRET.as_bytes(),
        Algorithm::HS256,
    );
    assert!(matches!(
        jwks.verify(&verifier, &confused, now()).await,
        Err(JwksError::Rejected(Rejection::AlgNotAllowed))
    ));
    gw.stop().await;
}

#[tokio::test]
async fn a_new_kid_after_rotation_is_fetched_once() {
    let gw = Gateway::start_in(tempfile::tempdir().unwrap(), None).await;
    let secret = gw.client("svc", &[AUD], &["listings:read"]);
    let old = gw.access_token("svc", &secret, AUD).await;
    let jwks = JwksCache::with_intervals(
        &gw.url("/.well-known/jwks.json"),
        Duration::from_secs(3600),
        Duration::from_millis(1),
    )
    .unwrap();
    let verifier = Verifier::new(ISSUER, AUD);
    jwks.verify(&verifier, &old, now()).await.unwrap();
    let new = gsa_gateway::keys::rotate(&gw.cfg).unwrap();
    let fresh = crate::keys::wait_for_signing_kid(&gw, "svc", &secret, &new.kid).await;
    let before = jwks.fetch_count();
    let v = jwks.verify(&verifier, &fresh, now()).await.unwrap();
    assert_eq!(v.kid, new.kid);
    assert_eq!(jwks.fetch_count(), before + 1);
    // The old token still verifies (overlap), from the same fetched set.
    jwks.verify(&verifier, &old, now()).await.unwrap();
    assert_eq!(jwks.fetch_count(), before + 1);
    // Once the interval has passed, an unknown kid refetches once and is still refused.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let forged = forge(
        &json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "unknown-kid"}).to_string(),
        "{}",
        SECRET.as_bytes(),
        Algorithm::HS256,
    );
    assert!(matches!(
        jwks.verify(&verifier, &forged, now()).await,
        Err(JwksError::Rejected(Rejection::UnknownKid))
    ));
    assert_eq!(jwks.fetch_count(), before + 2);
    gw.stop().await;
}

#[tokio::test]
async fn an_unreachable_jwks_is_an_error_not_a_pass() {
    let port = gsa_common::testkit::free_port();
    let jwks = JwksCache::new(&format!("http://127.0.0.1:{port}/.well-known/jwks.json")).unwrap();
    let r = jwks
        .verify(&Verifier::new(ISSUER, AUD), "a.b.c", now())
        .await;
    assert!(matches!(r, Err(JwksError::Unavailable(_))), "{r:?}");
    assert!(JwksCache::new("file:///etc/passwd").is_err());
}
