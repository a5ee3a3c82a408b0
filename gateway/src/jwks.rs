//! A caching JWKS fetcher (RFC 7517 §5) for services that verify gateway tokens remotely.
//!
//! Decisions:
//! * Only Ed25519 public keys are taken (`kty` OKP, `crv` Ed25519, RFC 8037 §2), each bound to
//!   EdDSA; a key whose `alg` or `use` says otherwise, or whose `x` is not 32 bytes, is skipped.
//!   HMAC keys are never published, so a service verifying HS256 tokens needs the secret and
//!   [`crate::keys::KeyRing`] instead.
//! * The set is cached for `ttl`. A token whose `kid` is not in the cache triggers one refetch,
//!   at most once per `min_refetch` (so a flood of tokens with random `kid`s cannot turn the
//!   verifier into a load generator against the gateway); the token is then checked against
//!   the refreshed set, never against "some other key".
//! * The URL is fixed by the caller: `jku`/`x5u` in a token are refused by the verifier, never
//!   followed (RFC 8725 §3.10).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::keys::{KeyEntry, KeyRing};
use crate::verifier::{Rejection, Verified, Verifier};

/// Largest JWKS document accepted, in bytes.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// Why the key set could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The token was refused (see [`Rejection`]).
    #[error("token rejected: {0}")]
    Rejected(#[from] Rejection),
    /// The key set could not be fetched or parsed and no cached copy exists.
    #[error("key set unavailable: {0}")]
    Unavailable(String),
}

struct Cached {
    ring: Arc<KeyRing>,
    fetched_at: Option<Instant>,
}

/// A JWK Set fetched over HTTP and cached (see the module docs).
pub struct JwksCache {
    url: String,
    http: reqwest::Client,
    ttl: Duration,
    min_refetch: Duration,
    state: tokio::sync::Mutex<Cached>,
    fetches: AtomicU64,
}

impl JwksCache {
    /// A cache for the JWKS at `url` with a 5-minute TTL and at most one unknown-`kid` refetch
    /// per 30 s.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        Self::with_intervals(url, Duration::from_secs(300), Duration::from_secs(30))
    }

    /// A cache with explicit `ttl` and minimum interval between unknown-`kid` refetches.
    pub fn with_intervals(url: &str, ttl: Duration, min_refetch: Duration) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            anyhow::bail!("JWKS URL must be http(s)");
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            url: url.to_string(),
            http,
            ttl,
            min_refetch,
            state: tokio::sync::Mutex::new(Cached {
                ring: Arc::new(KeyRing::verify_only([])),
                fetched_at: None,
            }),
            fetches: AtomicU64::new(0),
        })
    }

    /// How many times the set was fetched (for tests and metrics).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Verifies `token` with `verifier` against the cached keys, refreshing them when stale or
    /// when the token names an unknown `kid` (rate-limited). The verifier's allow-list should
    /// be EdDSA only; HMAC keys never come from a JWKS anyway.
    pub async fn verify(
        &self,
        verifier: &Verifier,
        token: &str,
        now: i64,
    ) -> Result<Verified, JwksError> {
        let ring = self.ring_for(token).await?;
        Ok(verifier.verify(&ring, token, now)?)
    }

    /// The key ring to check `token` with.
    async fn ring_for(&self, token: &str) -> Result<Arc<KeyRing>, JwksError> {
        let kid = unverified_kid(token);
        let mut st = self.state.lock().await;
        let stale = st.fetched_at.is_none_or(|t| t.elapsed() >= self.ttl);
        let unknown = kid
            .as_deref()
            .is_some_and(|k| st.ring.get(k).is_none() && plausible_kid(k));
        let may_refetch = st
            .fetched_at
            .is_none_or(|t| t.elapsed() >= self.min_refetch);
        if stale || (unknown && may_refetch) {
            match self.fetch().await {
                Ok(ring) => {
                    st.ring = Arc::new(ring);
                    st.fetched_at = Some(Instant::now());
                }
                Err(e) if st.fetched_at.is_some() => {
                    // Keep serving the last good set; try again after min_refetch.
                    tracing::warn!(error = %e, "JWKS refresh failed; using the cached set");
                    st.fetched_at = st
                        .fetched_at
                        .map(|_| Instant::now() - self.ttl.saturating_sub(self.min_refetch));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(st.ring.clone())
    }

    async fn fetch(&self) -> Result<KeyRing, JwksError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let unavailable = |e: &dyn std::fmt::Display| JwksError::Unavailable(e.to_string());
        let resp = self
            .http
            .get(&self.url)
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        if !resp.status().is_success() {
            return Err(unavailable(&format!("HTTP {}", resp.status())));
        }
        let body = resp.bytes().await.map_err(|e| unavailable(&e))?;
        if body.len() > MAX_JWKS_BYTES {
            return Err(unavailable(&"JWKS too large"));
        }
        parse_jwks(&body).map_err(|e| unavailable(&e))
    }
}

/// Parses a JWK Set, keeping only usable Ed25519 signature keys (see the module docs).
pub fn parse_jwks(body: &[u8]) -> anyhow::Result<KeyRing> {
    let doc: Value = serde_json::from_slice(body)?;
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow::anyhow!("no \"keys\" array"))?;
    let mut out = Vec::new();
    for jwk in keys {
        let s = |k: &str| jwk.get(k).and_then(Value::as_str);
        if s("kty") != Some("OKP") || s("crv") != Some("Ed25519") {
            continue;
        }
        if s("alg").is_some_and(|a| a != "EdDSA") || s("use").is_some_and(|u| u != "sig") {
            continue;
        }
        if jwk.get("d").is_some() {
            // A private key has no business in a public set; do not touch it.
            continue;
        }
        let (Some(kid), Some(x)) = (s("kid"), s("x")) else {
            continue;
        };
        let Ok(public) = URL_SAFE_NO_PAD.decode(x) else {
            continue;
        };
        match KeyEntry::ed25519_public(&public) {
            Ok(mut entry) => {
                // Trust the publisher's kid (it is how tokens name keys), but only a plain one.
                if !plausible_kid(kid) {
                    continue;
                }
                entry.kid = kid.to_string();
                out.push(entry);
            }
            Err(_) => continue,
        }
    }
    Ok(KeyRing::verify_only(out))
}

/// The `kid` of an unverified token, only to decide whether to refetch.
fn unverified_kid(token: &str) -> Option<String> {
    let h64 = token.split('.').next()?;
    if h64.len() > 2048 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(h64).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("kid")?.as_str().map(str::to_string)
}

fn plausible_kid(kid: &str) -> bool {
    (1..=64).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ed25519_signature_keys_are_kept() {
        let (k, _) = KeyEntry::generate_ed25519().unwrap();
        let good = k.public_jwk().unwrap();
        let mut wrong_alg = good.clone();
        wrong_alg["alg"] = "HS256".into();
        wrong_alg["kid"] = "other".into();
        let mut short = good.clone();
        short["x"] = "AAAA".into();
        short["kid"] = "short".into();
        let oct = serde_json::json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"});
        let doc = serde_json::json!({"keys": [good, wrong_alg, short, oct]});
        let ring = parse_jwks(doc.to_string().as_bytes()).unwrap();
        assert_eq!(ring.kids(), vec![k.kid.clone()]);
        assert!(parse_jwks(b"{}").is_err());
    }
}
