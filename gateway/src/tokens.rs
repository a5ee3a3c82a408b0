//! Issuing and verifying access tokens: JWTs in the RFC 9068 profile (`typ: at+jwt`), signed by
//! the [`KeyRing`].
//!
//! The verifier follows the RFC 8725 checklist (see `identity-and-security.md` §2a) and does not
//! delegate the decision to a library's defaults: the structure, header and claims are parsed
//! strictly here, and `jsonwebtoken` only checks the signature with the key the `kid` names,
//! using that key's own algorithm. Every rejection has a stable [`Rejection`] reason code.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, Header};
use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::keys::KeyRing;

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

/// Algorithms any key of the ring may use. Anything else (`none`, `HS512`, `RS256`, case
/// variants) is refused before a key is looked up (RFC 8725 §3.1).
const ALLOWED_ALGS: &[(&str, Algorithm)] =
    &[("HS256", Algorithm::HS256), ("EdDSA", Algorithm::EdDSA)];

/// Header parameters that name or carry keys, or demand extensions: refused outright
/// (RFC 8725 §2.9, RFC 7515 §4.1.11).
const FORBIDDEN_HEADER_PARAMS: &[&str] = &["crit", "jku", "x5u", "jwk", "x5c", "b64", "zip", "enc"];

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
    let key = keys.signing();
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
    let token = jsonwebtoken::encode(&header, &claims, &key.encoding)?;
    Ok((token, claims))
}

/// Why a token was refused. [`Rejection::code`] is the stable reason code `/verify` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum Rejection {
    /// Not a compact JWS: segment count, base64url, JSON, duplicate members (RFC 7515 §7.1).
    Malformed,
    /// Longer than [`MAX_TOKEN_LEN`].
    TooLarge,
    /// Header `alg` not in the allow-list, or not the algorithm of the key (RFC 8725 §3.1).
    AlgNotAllowed,
    /// No `kid` header (no "try every key" fallback, RFC 8725 §2.9).
    MissingKid,
    /// `kid` names no key of the ring.
    UnknownKid,
    /// `typ` is not `at+jwt` (RFC 8725 §3.11, RFC 9068 §4).
    WrongTyp,
    /// A key-carrying or critical header (`crit`, `jku`, `x5u`, `jwk`, `x5c`, ...).
    HeaderNotAllowed,
    /// The signature does not verify.
    BadSignature,
    /// A registered claim has the wrong JSON type (e.g. `"exp": "9999999999"`, CVE-2026-25537).
    InvalidClaim,
    /// `exp` is absent.
    MissingExp,
    /// `iat` is absent.
    MissingIat,
    /// `iss` is absent.
    MissingIss,
    /// `aud` is absent.
    MissingAud,
    /// `sub` is absent or empty.
    MissingSub,
    /// `exp` is in the past by more than the leeway.
    Expired,
    /// `nbf` is in the future by more than the leeway.
    NotYetValid,
    /// `iat` is in the future by more than the leeway.
    IatInFuture,
    /// `exp - iat` exceeds [`MAX_LIFETIME_SECS`].
    LifetimeExceeded,
    /// `iss` differs from ours (exact, case-sensitive match; RFC 8725 §3.8).
    WrongIssuer,
    /// `aud` does not contain the expected audience (RFC 7519 §4.1.3, RFC 8725 §3.9).
    WrongAudience,
    /// Signed by a retired key, after its retention window or with an `iat` after it retired.
    KeyRetired,
}

impl Rejection {
    /// Stable reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::TooLarge => "token_too_large",
            Self::AlgNotAllowed => "alg_not_allowed",
            Self::MissingKid => "missing_kid",
            Self::UnknownKid => "unknown_kid",
            Self::WrongTyp => "wrong_typ",
            Self::HeaderNotAllowed => "header_not_allowed",
            Self::BadSignature => "bad_signature",
            Self::InvalidClaim => "invalid_claim",
            Self::MissingExp => "missing_exp",
            Self::MissingIat => "missing_iat",
            Self::MissingIss => "missing_iss",
            Self::MissingAud => "missing_aud",
            Self::MissingSub => "missing_sub",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IatInFuture => "iat_in_future",
            Self::LifetimeExceeded => "lifetime_exceeded",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::KeyRetired => "key_retired",
        }
    }
}

/// A token that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    /// All claims, as signed.
    pub claims: Map<String, Value>,
    /// `sub`.
    pub sub: String,
    /// Granted scopes (`scope` split on spaces).
    pub scopes: Vec<String>,
    /// `exp`.
    pub exp: i64,
    /// `iat`.
    pub iat: i64,
    /// The `kid` that verified it.
    pub kid: String,
}

impl Verified {
    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Verifies a compact access token for `expected_aud`, issued by `expected_iss`, at time `now`
/// (seconds since the epoch).
///
/// Order: size, structure and strict base64url (RFC 7515 §7.1), header (alg allow-list, `kid`
/// exact lookup, alg bound to the key, forbidden parameters, `typ`), signature, then claims
/// (types, `iss`, `aud`, `exp`, `nbf`, `iat`, lifetime, `sub`). Claims are only read after the
/// signature verified.
pub fn verify(
    keys: &KeyRing,
    token: &str,
    expected_iss: &str,
    expected_aud: &str,
    now: i64,
) -> Result<Verified, Rejection> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(Rejection::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejection::Malformed);
    };
    if [h64, p64, s64]
        .iter()
        .any(|s| s.is_empty() || !is_base64url(s))
    {
        // An empty signature is how `alg: none` tokens look; report it as the alg problem when
        // the header says so, so operators see the attack for what it is.
        if s64.is_empty() && is_base64url(h64) && !h64.is_empty() {
            if let Ok(h) = decode_object(h64) {
                if h.get("alg")
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.eq_ignore_ascii_case("none"))
                {
                    return Err(Rejection::AlgNotAllowed);
                }
            }
        }
        return Err(Rejection::Malformed);
    }
    // Canonical base64url signature (no stray trailing bits), so one token has one spelling.
    if URL_SAFE_NO_PAD.decode(s64).is_err() {
        return Err(Rejection::Malformed);
    }
    let header = decode_object(h64)?;

    // 1. Algorithm allow-list, before any key is touched.
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(Rejection::Malformed)?;
    let alg = ALLOWED_ALGS
        .iter()
        .find(|(name, _)| *name == alg_name)
        .map(|(_, a)| *a)
        .ok_or(Rejection::AlgNotAllowed)?;

    // 2. kid: required, syntactically plain, exact hit; never a path, query or URL.
    let kid = match header.get("kid") {
        None => return Err(Rejection::MissingKid),
        Some(Value::String(k)) => k,
        Some(_) => return Err(Rejection::Malformed),
    };
    if !is_plain_kid(kid) {
        return Err(Rejection::UnknownKid);
    }
    let key = keys.get(kid).ok_or(Rejection::UnknownKid)?;

    // 3. The key's own algorithm, not the header's choice (RFC 8725 §3.1).
    if key.alg != alg {
        return Err(Rejection::AlgNotAllowed);
    }

    // 4. Nothing that names keys elsewhere or demands extensions.
    if FORBIDDEN_HEADER_PARAMS
        .iter()
        .any(|p| header.contains_key(*p))
    {
        return Err(Rejection::HeaderNotAllowed);
    }

    // 5. Explicit typing (RFC 8725 §3.11; RFC 9068 §4: "at+jwt" or "application/at+jwt",
    //    media types compare case-insensitively per RFC 7515 §4.1.9).
    match header.get("typ").and_then(Value::as_str) {
        Some(t)
            if t.eq_ignore_ascii_case(TOKEN_TYP)
                || t.eq_ignore_ascii_case("application/at+jwt") => {}
        _ => return Err(Rejection::WrongTyp),
    }

    // 6. Signature, with the key's algorithm.
    let signing_input = &token[..h64.len() + 1 + p64.len()];
    match jsonwebtoken::crypto::verify(s64, signing_input.as_bytes(), &key.decoding, key.alg) {
        Ok(true) => {}
        Ok(false) => return Err(Rejection::BadSignature),
        // Wrong signature length or encoding.
        Err(_) => return Err(Rejection::BadSignature),
    }

    // 7. Claims.
    let claims = decode_object(p64)?;
    let iss = string_claim(&claims, "iss", Rejection::MissingIss)?;
    if iss != expected_iss {
        return Err(Rejection::WrongIssuer);
    }
    check_audience(&claims, expected_aud)?;
    let exp = int_claim(&claims, "exp")?.ok_or(Rejection::MissingExp)?;
    let iat = int_claim(&claims, "iat")?.ok_or(Rejection::MissingIat)?;
    let nbf = int_claim(&claims, "nbf")?;
    if now > exp.saturating_add(LEEWAY_SECS) {
        return Err(Rejection::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS)) {
        return Err(Rejection::NotYetValid);
    }
    if iat > now.saturating_add(LEEWAY_SECS) {
        return Err(Rejection::IatInFuture);
    }
    if exp <= iat {
        return Err(Rejection::InvalidClaim);
    }
    if exp - iat > MAX_LIFETIME_SECS {
        return Err(Rejection::LifetimeExceeded);
    }
    if let Some(retired_at) = key.retired_at {
        // A retired key only vouches for tokens it signed while it was the signing key, and
        // only while those can still be valid.
        if iat > retired_at.saturating_add(LEEWAY_SECS)
            || now > retired_at.saturating_add(crate::keys::retention_secs())
        {
            return Err(Rejection::KeyRetired);
        }
    }
    let sub = string_claim(&claims, "sub", Rejection::MissingSub)?;
    if sub.is_empty() {
        return Err(Rejection::MissingSub);
    }
    let scopes = match claims.get("scope") {
        None => Vec::new(),
        Some(Value::String(s)) => s
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        Some(_) => return Err(Rejection::InvalidClaim),
    };
    Ok(Verified {
        sub: sub.to_string(),
        scopes,
        exp,
        iat,
        kid: kid.clone(),
        claims,
    })
}

/// Strict base64url (RFC 7515 §2, RFC 4648 §5): only `A-Z a-z 0-9 - _`, no padding.
fn is_base64url(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A `kid` we could have issued: 1-64 of `A-Z a-z 0-9 _ -`.
fn is_plain_kid(kid: &str) -> bool {
    (1..=64).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Decodes one segment into a JSON object, refusing duplicate members (RFC 8725 §3.7: serde_json
/// alone keeps the last duplicate silently) and non-canonical base64.
fn decode_object(seg: &str) -> Result<Map<String, Value>, Rejection> {
    let bytes = URL_SAFE_NO_PAD
        .decode(seg)
        .map_err(|_| Rejection::Malformed)?;
    serde_json::from_slice::<StrictObject>(&bytes)
        .map(|o| o.0)
        .map_err(|_| Rejection::Malformed)
}

fn string_claim<'a>(
    claims: &'a Map<String, Value>,
    name: &str,
    missing: Rejection,
) -> Result<&'a str, Rejection> {
    match claims.get(name) {
        None => Err(missing),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Rejection::InvalidClaim),
    }
}

/// A NumericDate claim (RFC 7519 §2): here a non-negative JSON integer. Strings, floats, null,
/// booleans and negative numbers are refused, never treated as absent (CVE-2026-25537).
fn int_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, Rejection> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) if v >= 0 => Ok(Some(v)),
            _ => Err(Rejection::InvalidClaim),
        },
        Some(_) => Err(Rejection::InvalidClaim),
    }
}

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3) and must contain `expected`.
fn check_audience(claims: &Map<String, Value>, expected: &str) -> Result<(), Rejection> {
    match claims.get("aud") {
        None => Err(Rejection::MissingAud),
        Some(Value::String(a)) if a == expected => Ok(()),
        Some(Value::String(_)) => Err(Rejection::WrongAudience),
        Some(Value::Array(items)) => {
            let mut found = false;
            for item in items {
                match item {
                    Value::String(a) => found |= a == expected,
                    _ => return Err(Rejection::InvalidClaim),
                }
            }
            if found {
                Ok(())
            } else {
                Err(Rejection::WrongAudience)
            }
        }
        Some(_) => Err(Rejection::InvalidClaim),
    }
}

/// A top-level JSON object whose deserializer refuses duplicate member names.
struct StrictObject(Map<String, Value>);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrictObject;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<StrictObject, A::Error> {
                let mut m = Map::new();
                while let Some(k) = a.next_key::<String>()? {
                    if m.contains_key(&k) {
                        return Err(A::Error::custom(format!("duplicate member {k:?}")));
                    }
                    let v: Value = a.next_value()?;
                    m.insert(k, v);
                }
                Ok(StrictObject(m))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyEntry;

    #[test]
    fn issued_token_verifies_and_tampering_does_not() {
        let ring = KeyRing::single(KeyEntry::hs256(&[9u8; 32]).unwrap());
        let now = 1_700_000_000;
        let (tok, claims) = issue(
            &ring,
            "gsa",
            "svc",
            "gsa-api",
            &["a".into(), "b".into()],
            900,
            now,
        )
        .unwrap();
        let v = verify(&ring, &tok, "gsa", "gsa-api", now + 10).unwrap();
        assert_eq!(v.sub, "svc");
        assert_eq!(v.scopes, vec!["a", "b"]);
        assert_eq!(v.claims["jti"], claims.jti);
        assert_eq!(
            verify(&ring, &tok, "gsa", "other", now).unwrap_err(),
            Rejection::WrongAudience
        );
        assert_eq!(
            verify(&ring, &tok, "gsa", "gsa-api", now + 931).unwrap_err(),
            Rejection::Expired
        );
        let mut bad = tok.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(
            verify(&ring, &bad, "gsa", "gsa-api", now).unwrap_err(),
            Rejection::BadSignature
        );
    }

    #[test]
    fn duplicate_members_are_malformed() {
        let seg = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","alg":"none"}"#);
        assert!(decode_object(&seg).is_err());
        let seg = URL_SAFE_NO_PAD.encode(r#"[1,2]"#);
        assert!(decode_object(&seg).is_err());
    }
}
