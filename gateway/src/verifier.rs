//! The access-token verifier, used by the gateway itself and offered to other Rust services
//! (with [`JwksCache`] for remote keys).
//!
//! It follows the RFC 8725 checklist (`identity-and-security.md` §2a) and does not delegate
//! the decision to a library's defaults: the structure, header and claims are parsed strictly
//! here, and `jsonwebtoken` only checks the signature with the key the `kid` names, using that
//! key's own algorithm. Every rejection has a stable [`Rejection`] reason code.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use gsa_gateway::verifier::{JwksCache, Verifier};
//! let jwks = JwksCache::new("http://gateway:8080/.well-known/jwks.json")?;
//! let verifier = Verifier::new("gsa", "scores-api").with_leeway(30);
//! let now = chrono::Utc::now().timestamp();
//! let verified = jwks.verify(&verifier, "eyJ...", now).await?;
//! println!("{} may {:?}", verified.sub, verified.scopes);
//! # Ok(()) }
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::keys::KeyRing;
use crate::tokens::{LEEWAY_SECS, MAX_LIFETIME_SECS, MAX_TOKEN_LEN, TOKEN_TYP};

pub use crate::jwks::{JwksCache, JwksError};

/// Algorithm names the verifier understands, each mapped to one [`Algorithm`]. Anything else
/// (`none`, `HS512`, `RS256`, case variants) is refused before a key is looked up
/// (RFC 8725 §3.1).
const KNOWN_ALGS: &[(&str, Algorithm)] =
    &[("HS256", Algorithm::HS256), ("EdDSA", Algorithm::EdDSA)];

/// Header parameters that name or carry keys, or demand extensions: refused outright
/// (RFC 8725 §2.9, RFC 7515 §4.1.11 `crit`, §4.1.2-4.1.6 `jku`/`jwk`/`x5u`/`x5c`).
const FORBIDDEN_HEADER_PARAMS: &[&str] = &["crit", "jku", "x5u", "jwk", "x5c", "b64", "zip", "enc"];

/// What a token must satisfy. Build with [`Verifier::new`], then adjust; every knob is
/// explicit (no library default decides: jsonwebtoken's leeway default is 60 s, its `nbf`
/// check is off by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// Exact, case-sensitive `iss` (RFC 8725 §3.8).
    pub issuer: String,
    /// Accepted audiences: the token's `aud` must contain one (RFC 7519 §4.1.3, RFC 8725 §3.9).
    pub audiences: Vec<String>,
    /// Accepted `typ` header values, compared case-insensitively (RFC 8725 §3.11,
    /// RFC 7515 §4.1.9); default `at+jwt` and `application/at+jwt` (RFC 9068 §4).
    pub typs: Vec<String>,
    /// Clock-skew leeway for `exp`, `nbf` and `iat`, in seconds (RFC 7519 §4.1.4).
    pub leeway_secs: i64,
    /// Longest accepted `exp - iat`, in seconds.
    pub max_lifetime_secs: i64,
    /// Algorithm allow-list (RFC 8725 §3.1); each key is also bound to its own algorithm.
    pub algorithms: Vec<Algorithm>,
    /// Longest compact token accepted before decoding.
    pub max_token_len: usize,
}

impl Verifier {
    /// The gateway policy for `issuer` and one `audience`: typ `at+jwt`, leeway
    /// [`LEEWAY_SECS`], lifetime cap [`MAX_LIFETIME_SECS`], algorithms HS256 and EdDSA.
    pub fn new(issuer: &str, audience: &str) -> Self {
        Self {
            issuer: issuer.to_string(),
            audiences: vec![audience.to_string()],
            typs: vec![TOKEN_TYP.to_string(), "application/at+jwt".to_string()],
            leeway_secs: LEEWAY_SECS,
            max_lifetime_secs: MAX_LIFETIME_SECS,
            algorithms: vec![Algorithm::HS256, Algorithm::EdDSA],
            max_token_len: MAX_TOKEN_LEN,
        }
    }

    /// Sets the leeway in seconds.
    pub fn with_leeway(mut self, secs: i64) -> Self {
        self.leeway_secs = secs;
        self
    }

    /// Sets the lifetime cap in seconds.
    pub fn with_max_lifetime(mut self, secs: i64) -> Self {
        self.max_lifetime_secs = secs;
        self
    }

    /// Restricts the algorithm allow-list (e.g. `[Algorithm::EdDSA]` for a service that only
    /// trusts the gateway's public keys).
    pub fn with_algorithms(mut self, algs: &[Algorithm]) -> Self {
        self.algorithms = algs.to_vec();
        self
    }

    /// Sets the accepted `typ` values.
    pub fn with_typs(mut self, typs: &[&str]) -> Self {
        self.typs = typs.iter().map(|s| s.to_string()).collect();
        self
    }
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

impl Verifier {
    /// Verifies a compact access token against `keys` at time `now` (seconds since the epoch).
    ///
    /// Order: size, structure and strict base64url (RFC 7515 §7.1), header (alg allow-list, `kid`
    /// exact lookup, alg bound to the key, forbidden parameters, `typ`), signature, then claims
    /// (types, `iss`, `aud`, `exp`, `nbf`, `iat`, lifetime, `sub`). Claims are only read after the
    /// signature verified.
    pub fn verify(&self, keys: &KeyRing, token: &str, now: i64) -> Result<Verified, Rejection> {
        let leeway = self.leeway_secs;
        if token.len() > self.max_token_len {
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
        let Ok(signature) = URL_SAFE_NO_PAD.decode(s64) else {
            return Err(Rejection::Malformed);
        };
        let header = decode_object(h64)?;

        // 1. Algorithm allow-list, before any key is touched.
        let alg_name = header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or(Rejection::Malformed)?;
        let alg = KNOWN_ALGS
            .iter()
            .find(|(name, _)| *name == alg_name)
            .map(|(_, a)| *a)
            .filter(|a| self.algorithms.contains(a))
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
            Some(t) if self.typs.iter().any(|ok| t.eq_ignore_ascii_case(ok)) => {}
            _ => return Err(Rejection::WrongTyp),
        }

        // 6. Signature, with the key's algorithm.
        let signing_input = &token[..h64.len() + 1 + p64.len()];
        let valid = match &key.ed_verifying {
            // The same check jsonwebtoken's RustCrypto backend makes (ed25519-dalek `verify`),
            // with the public key decompressed once at load instead of on every token.
            Some(public) if key.alg == Algorithm::EdDSA => {
                use ed25519_dalek::Verifier as _;
                ed25519_dalek::Signature::from_slice(&signature)
                    .is_ok_and(|sig| public.verify(signing_input.as_bytes(), &sig).is_ok())
            }
            // An error is a wrong signature length or encoding.
            _ => {
                jsonwebtoken::crypto::verify(s64, signing_input.as_bytes(), &key.decoding, key.alg)
                    .unwrap_or(false)
            }
        };
        if !valid {
            return Err(Rejection::BadSignature);
        }

        // 7. Claims.
        let claims = decode_object(p64)?;
        let iss = string_claim(&claims, "iss", Rejection::MissingIss)?;
        if iss != self.issuer {
            return Err(Rejection::WrongIssuer);
        }
        check_audience(&claims, &self.audiences)?;
        let exp = int_claim(&claims, "exp")?.ok_or(Rejection::MissingExp)?;
        let iat = int_claim(&claims, "iat")?.ok_or(Rejection::MissingIat)?;
        let nbf = int_claim(&claims, "nbf")?;
        if now > exp.saturating_add(leeway) {
            return Err(Rejection::Expired);
        }
        if nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
            return Err(Rejection::NotYetValid);
        }
        if iat > now.saturating_add(leeway) {
            return Err(Rejection::IatInFuture);
        }
        if exp <= iat {
            return Err(Rejection::InvalidClaim);
        }
        if exp - iat > self.max_lifetime_secs {
            return Err(Rejection::LifetimeExceeded);
        }
        if let Some(retired_at) = key.retired_at {
            // A retired key only vouches for tokens it signed while it was the signing key, and
            // only while those can still be valid.
            if iat > retired_at.saturating_add(leeway)
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

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3) and must contain one of
/// `expected`.
fn check_audience(claims: &Map<String, Value>, expected: &[String]) -> Result<(), Rejection> {
    match claims.get("aud") {
        None => Err(Rejection::MissingAud),
        Some(Value::String(a)) if expected.contains(a) => Ok(()),
        Some(Value::String(_)) => Err(Rejection::WrongAudience),
        Some(Value::Array(items)) => {
            let mut found = false;
            for item in items {
                match item {
                    Value::String(a) => found |= expected.contains(a),
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

    #[test]
    fn duplicate_members_are_malformed() {
        let seg = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","alg":"none"}"#);
        assert!(decode_object(&seg).is_err());
        let seg = URL_SAFE_NO_PAD.encode(r#"[1,2]"#);
        assert!(decode_object(&seg).is_err());
    }

    #[test]
    fn allow_list_and_typ_are_the_callers() {
        use crate::keys::KeyEntry;
        let ring = KeyRing::single(KeyEntry::hs256(&[3u8; 32]).unwrap());
        let (tok, _) =
            crate::tokens::issue(&ring, "gsa", "s", "a", &[], 60, 1_700_000_000).unwrap();
        let v = Verifier::new("gsa", "a");
        assert!(v.verify(&ring, &tok, 1_700_000_001).is_ok());
        let eddsa_only = v.clone().with_algorithms(&[Algorithm::EdDSA]);
        assert_eq!(
            eddsa_only.verify(&ring, &tok, 1_700_000_001).unwrap_err(),
            Rejection::AlgNotAllowed
        );
        let other_typ = v.clone().with_typs(&["session+jwt"]);
        assert_eq!(
            other_typ.verify(&ring, &tok, 1_700_000_001).unwrap_err(),
            Rejection::WrongTyp
        );
        // Leeway is the caller's: 10 s past exp fails with none, passes with 30.
        let v0 = v.clone().with_leeway(0);
        assert_eq!(
            v0.verify(&ring, &tok, 1_700_000_070).unwrap_err(),
            Rejection::Expired
        );
        assert!(v.verify(&ring, &tok, 1_700_000_070).is_ok());
        let short = v.with_max_lifetime(30);
        assert_eq!(
            short.verify(&ring, &tok, 1_700_000_001).unwrap_err(),
            Rejection::LifetimeExceeded
        );
    }
}
