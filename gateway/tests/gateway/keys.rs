//! Key management against a running EdDSA gateway: `keys::rotate` with overlap, the gateway
//! picking the change up without a restart, `keys::retire`, and refusal in HS256 mode.

use serde_json::Value;

use crate::harness::{segment, Gateway, SECRET};

const AUD: &str = "gsa-api";

/// Polls until the gateway signs with `kid` (the reload runs every 100 ms in tests); panics
/// after 10 s. Not a timing assertion: it only waits for the reload to happen.
pub async fn wait_for_signing_kid(gw: &Gateway, id: &str, secret: &str, kid: &str) -> String {
    for _ in 0..200 {
        let tok = gw.access_token(id, secret, AUD).await;
        if segment(&tok, 0)["kid"] == kid {
            return tok;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("gateway never picked up key {kid}");
}

async fn jwks_kids(gw: &Gateway) -> Vec<String> {
    let v: Value = gw
        .http
        .get(gw.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn rotation_overlap_and_retirement_without_restart() {
    let gw = Gateway::start_in(tempfile::tempdir().unwrap(), None).await;
    let secret = gw.client("svc", &[AUD], &["listings:read"]);
    let old_tok = gw.access_token("svc", &secret, AUD).await;
    let old_kid = segment(&old_tok, 0)["kid"].as_str().unwrap().to_string();
    let listed = gsa_gateway::keys::list(&gw.cfg).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].kid.as_str(),
            listed[0].state.as_str(),
            listed[0].alg.as_str()
        ),
        (old_kid.as_str(), "active", "EdDSA")
    );

    // Rotate while the gateway runs.
    let new = gsa_gateway::keys::rotate(&gw.cfg).unwrap();
    assert_ne!(new.kid, old_kid);
    assert_eq!(new.state, "active");
    let new_tok = wait_for_signing_kid(&gw, "svc", &secret, &new.kid).await;
    // Overlap: the old key still verifies the token it signed, and both are published.
    assert_eq!(gw.verify(&old_tok, AUD).await.0, 200);
    assert_eq!(gw.verify(&new_tok, AUD).await.0, 200);
    assert_eq!(jwks_kids(&gw).await, vec![new.kid.clone(), old_kid.clone()]);
    let r = gw
        .http
        .get(gw.url("/api/listings"))
        .bearer_auth(&old_tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let listed = gsa_gateway::keys::list(&gw.cfg).unwrap();
    assert_eq!(listed[1].kid, old_kid);
    assert_eq!(listed[1].state, "retired");
    let retired_at = listed[1].retired_at.unwrap();
    assert_eq!(
        listed[1].verifies_until,
        Some(retired_at + gsa_gateway::keys::retention_secs())
    );
    // The listing never shows key material.
    let text = serde_json::to_string(&listed).unwrap();
    assert!(!text.contains("secret") && text.contains("sha256:"));

    // The active key cannot be retired; an unknown one is an error.
    assert!(gsa_gateway::keys::retire(&gw.cfg, &new.kid).is_err());
    assert!(gsa_gateway::keys::retire(&gw.cfg, "nope").is_err());
    // Retiring the old key ends its overlap at once (after the reload), and unpublishes it.
    gsa_gateway::keys::retire(&gw.cfg, &old_kid).unwrap();
    let mut last = (0, Value::Null);
    for _ in 0..200 {
        last = gw.verify(&old_tok, AUD).await;
        if last.0 == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        (last.0, last.1["error"].as_str()),
        (401, Some("unknown_kid"))
    );
    assert_eq!(jwks_kids(&gw).await, vec![new.kid.clone()]);
    assert_eq!(gw.verify(&new_tok, AUD).await.0, 200);
    assert_eq!(gsa_gateway::keys::list(&gw.cfg).unwrap().len(), 1);
    gw.stop().await;
}

#[tokio::test]
async fn rotation_is_refused_in_hs256_mode() {
    let gw = Gateway::start().await;
    let err = gsa_gateway::keys::rotate(&gw.cfg).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("JWT_SECRET_KEY"), "{msg}");
    assert!(!msg.contains(SECRET));
    let listed = gsa_gateway::keys::list(&gw.cfg).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].alg, "HS256");
    assert_eq!(
        listed[0].kid,
        gsa_gateway::keys::hmac_kid(SECRET.as_bytes())
    );
    gw.stop().await;
}
