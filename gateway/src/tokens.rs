//! Issuing access tokens: JWTs in the RFC 9068 profile (`typ: at+jwt`), signed by the
//! [`KeyRing`]'s signing key with that key's own algorithm (HS256 or EdDSA).
//!
//! Verification lives in [`crate::verifier`] (also offered to other services); [`verify`] here
//! is the gateway's own policy applied to it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Header;
use serde::{Deserialize, Serialize};

use crate::keys::KeyRing;
pub use crate::verifier::{Rejection, Verified, Verifier};

/// The `typ` header of an access token (RFC 9068 §2.1).
pub const TOKEN_TYP: &str = "at+jwt";
/// Default access-token lifetime in seconds (15 minutes).
pub const DEFAULT_TTL_SECS: i64 = 900;
/// Longest `exp - iat` the verifier accepts, in seconds (policy; Kong `maximum_expiration`).
pub const MAX_LIFETIME_SECS: i64 = 3600;
/// Clock-skew leeway applied to `exp`, `nbf` and `iat`, in seconds (RFC 7519 §4.1.4: "small").
/// Set explicitly: jsonwebtoken's default is 60 s.
pub const LEEWAY_SECS: i64 = 30;
/// Longest compact token accepted before any decoding (DoS guard, RFC 8725 §2a item 16).
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The claims of an issued access token (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer (RFC 7519 §4.1.1).
    pub iss: String,
    /// Subject: the client id for client-credentials tokens (RFC 9068 §2.2).
    pub sub: String,
    /// Audience (RFC 7519 §4.1.3); one resource per token.
    pub aud: String,
    /// Expiry, seconds since the epoch (RFC 7519 §4.1.4).
    pub exp: i64,
    /// Issued at (RFC 7519 §4.1.6).
    pub iat: i64,
    /// Not before (RFC 7519 §4.1.5).
    pub nbf: i64,
    /// Unique token id (RFC 7519 §4.1.7).
    pub jti: String,
    /// Space-separated granted scopes (RFC 9068 §2.2.3).
    pub scope: String,
    /// The client the token was issued to (RFC 9068 §2.2).
    pub client_id: String,
}

/// Issues a signed access token for `sub` and `aud` with the given scopes, valid `ttl` seconds
/// from `now`. Returns the compact JWS and its claims.
pub fn issue(
    keys: &KeyRing,
    issuer: &str,
    client_id: &str,
    aud: &str,
    scopes: &[String],
    ttl: i64,
    now: i64,
) -> anyhow::Result<(String, AccessClaims)> {
    let key = keys.signing()?;
    let encoding = key
        .encoding
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("signing key has no private half"))?;
    let claims = AccessClaims {
        iss: issuer.to_string(),
        sub: client_id.to_string(),
        aud: aud.to_string(),
        exp: now + ttl,
        iat: now,
        nbf: now,
        jti: uuid::Uuid::new_v4().to_string(),
        scope: scopes.join(" "),
        client_id: client_id.to_string(),
    };
    let mut header = Header::new(key.alg);
    header.typ = Some(TOKEN_TYP.to_string());
    header.kid = Some(key.kid.clone());
    let token = match &key.ed_signing {
        // The same compact JWS jsonwebtoken writes (RFC 7515 §7.1, RFC 8037 §3.1), signed with
        // the key parsed once at load rather than re-parsed from PKCS #8 for every token.
        Some(signing) => {
            use ed25519_dalek::Signer as _;
            let mut jws = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
            jws.push('.');
            URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(&claims)?, &mut jws);
            let sig = signing.sign(jws.as_bytes());
            jws.push('.');
            URL_SAFE_NO_PAD.encode_string(sig.to_bytes(), &mut jws);
            jws
        }
        None => jsonwebtoken::encode(&header, &claims, encoding)?,
    };
    Ok((token, claims))
}

/// Verifies a compact access token for `expected_aud`, issued by `expected_iss`, at time `now`
/// (seconds since the epoch), with the gateway's policy: [`Verifier::new`] defaults
/// (`typ` `at+jwt`, leeway [`LEEWAY_SECS`], lifetime cap [`MAX_LIFETIME_SECS`], algorithms
/// HS256 and EdDSA, each bound to its key).
pub fn verify(
    keys: &KeyRing,
    token: &str,
    expected_iss: &str,
    expected_aud: &str,
    now: i64,
) -> Result<Verified, Rejection> {
    Verifier::new(expected_iss, expected_aud).verify(keys, token, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyEntry;

    fn round_trip(ring: &KeyRing) {
        let now = 1_700_000_000;
        let (tok, claims) = issue(
            ring,
            "gsa",
            "svc",
            "gsa-api",
            &["a".into(), "b".into()],
            900,
            now,
        )
        .unwrap();
        let v = verify(ring, &tok, "gsa", "gsa-api", now + 10).unwrap();
        assert_eq!(v.sub, "svc");
        assert_eq!(v.scopes, vec!["a", "b"]);
        assert_eq!(v.claims["jti"], claims.jti);
        assert_eq!(
            verify(ring, &tok, "gsa", "other", now).unwrap_err(),
            Rejection::WrongAudience
        );
        assert_eq!(
            verify(ring, &tok, "gsa", "gsa-api", now + 931).unwrap_err(),
            Rejection::Expired
        );
        let mut bad = tok.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == 'A' { 'B' } else { 'A' });
        assert!(matches!(
            verify(ring, &bad, "gsa", "gsa-api", now).unwrap_err(),
            Rejection::BadSignature | Rejection::Malformed
        ));
    }

    #[test]
    fn eddsa_tokens_match_what_jsonwebtoken_signs() {
        let (ed, _) = KeyEntry::generate_ed25519().unwrap();
        let ring = KeyRing::single(ed);
        let key = ring.signing().unwrap();
        let (tok, claims) = issue(&ring, "gsa", "s", "gsa-api", &[], 60, 1_700_000_000).unwrap();
        // Ed25519 signatures are deterministic (RFC 8032 §5.1.6): jsonwebtoken signing the
        // same header and claims must give the very same token.
        let mut header = Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.typ = Some(TOKEN_TYP.to_string());
        header.kid = Some(key.kid.clone());
        let theirs =
            jsonwebtoken::encode(&header, &claims, key.encoding.as_ref().unwrap()).unwrap();
        assert_eq!(tok, theirs);
    }

    #[test]
    fn issued_token_verifies_and_tampering_does_not() {
        round_trip(&KeyRing::single(KeyEntry::hs256(&[9u8; 32]).unwrap()));
        let (ed, _) = KeyEntry::generate_ed25519().unwrap();
        let ring = KeyRing::single(ed);
        round_trip(&ring);
        let tok = issue(&ring, "gsa", "s", "gsa-api", &[], 60, 1).unwrap().0;
        assert_eq!(
            tok.split('.').next().map(|h| h.len() > 10),
            Some(true),
            "compact JWS"
        );
    }
}
