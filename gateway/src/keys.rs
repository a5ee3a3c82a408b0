//! The signing key ring: which key signs, which keys verify, and which algorithm each key is
//! bound to; and key management ([`rotate`], [`list`], [`retire`]).
//!
//! Decisions (RFC 8725):
//! * Each key is bound to exactly one algorithm (§3.1); a token's header `alg` must equal the
//!   algorithm of the key its `kid` names, so the header never chooses the algorithm.
//! * Two modes, chosen by configuration:
//!   - `JWT_SECRET_KEY` set: HS256 with its raw bytes, as the seed's services expect. Secrets
//!     shorter than [`MIN_HMAC_SECRET_LEN`] bytes are refused at start (§3.5, RFC 7518 §3.2).
//!     The `kid` is a truncated SHA-256 of a domain-separated copy of the secret: stable across
//!     restarts, different when the secret changes, useless for recovering the secret.
//!   - unset (the default): EdDSA with Ed25519 keys (RFC 8037) the gateway generates itself.
//!     The `kid` is the RFC 7638 JWK thumbprint of the public key.
//! * Every key lives in the `signing_keys` table of `$GSA_DATA_DIR/identity.db` (mode 0600,
//!   WAL files too). Keeping private keys in the database rather than in loose files makes a
//!   rotation by `gsa keys rotate` one SQLite transaction that a running gateway and a second
//!   gateway on the same directory observe atomically; the file is in the data directory and
//!   is as protected as a key file would be.
//! * Rotation: one key is *active* (signs); older keys are *retired* (verify-only) and verify
//!   only tokens issued before they retired, until [`retention_secs`] after retirement, when
//!   every token they signed has expired; then they are deleted. [`retire`] removes a
//!   non-signing key at once (a compromised key).
//! * A running gateway re-reads the table when the `key_generation` counter changes (polled
//!   every few seconds, see [`generation`]); it never looks at other keys when a `kid` is
//!   unknown (§2.9 of the reference: no "try every key").

use std::collections::HashMap;

use anyhow::{bail, Context};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rand::RngCore;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Shortest accepted HMAC secret, in bytes (RFC 7518 §3.2: HS256 needs at least 256 bits).
pub const MIN_HMAC_SECRET_LEN: usize = 32;

/// RFC 8410 §7: the fixed DER prefix of a PKCS #8 v1 `OneAsymmetricKey` holding an Ed25519
/// private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// One key of the ring.
pub struct KeyEntry {
    /// Key id sent in the JWS header (RFC 7515 §4.1.4).
    pub kid: String,
    /// The one algorithm this key may be used with (RFC 8725 §3.1).
    pub alg: Algorithm,
    /// Signing half; `None` for keys known only by their public half (a remote JWKS).
    pub(crate) encoding: Option<EncodingKey>,
    /// Verifying half.
    pub(crate) decoding: DecodingKey,
    /// Ed25519 signing key, parsed once. jsonwebtoken re-parses its PKCS #8 bytes (deriving
    /// the public key, a scalar multiplication) on every token it signs, which doubled the
    /// cost of an EdDSA token; we sign with this instead (see [`crate::tokens::issue`]).
    pub(crate) ed_signing: Option<ed25519_dalek::SigningKey>,
    /// Ed25519 public key, decompressed once (jsonwebtoken decompresses the point on every
    /// verification); used by [`crate::verifier`].
    pub(crate) ed_verifying: Option<ed25519_dalek::VerifyingKey>,
    /// Ed25519 public key, base64url (the JWK `x`, RFC 8037 §2); `None` for HMAC keys.
    pub public_x: Option<String>,
    /// Short SHA-256 fingerprint, safe to show (see [`KeyEntry::fingerprint`]).
    fingerprint: String,
    /// When this key stopped signing (seconds since the epoch); `None` while it signs.
    /// A retired key verifies only tokens issued before it retired, and only until
    /// `retired_at + retention_secs()`, when every such token has expired.
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("retired_at", &self.retired_at)
            .finish()
    }
}

impl KeyEntry {
    /// An HS256 key from raw secret bytes; fails when the secret is too short (RFC 8725 §3.5).
    pub fn hs256(secret: &[u8]) -> anyhow::Result<Self> {
        if secret.len() < MIN_HMAC_SECRET_LEN {
            bail!(
                "JWT secret is {} bytes; at least {MIN_HMAC_SECRET_LEN} bytes are required \
                 (RFC 7518 §3.2, RFC 8725 §3.5)",
                secret.len()
            );
        }
        Ok(Self {
            kid: hmac_kid(secret),
            alg: Algorithm::HS256,
            encoding: Some(EncodingKey::from_secret(secret)),
            decoding: DecodingKey::from_secret(secret),
            ed_signing: None,
            ed_verifying: None,
            public_x: None,
            fingerprint: short_sha256(&[b"gsa-fp\0", secret]),
            retired_at: None,
        })
    }

    /// An Ed25519 key from its PKCS #8 v1 DER encoding (RFC 8410 §7).
    pub fn ed25519_from_pkcs8(der: &[u8]) -> anyhow::Result<Self> {
        let seed: [u8; 32] = der
            .strip_prefix(&ED25519_PKCS8_PREFIX[..])
            .and_then(|s| s.try_into().ok())
            .context("not an RFC 8410 Ed25519 PKCS #8 key")?;
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let public = signing.verifying_key().to_bytes();
        let mut entry = Self::ed25519_public(&public)?;
        entry.encoding = Some(EncodingKey::from_ed_der(der));
        entry.ed_signing = Some(signing);
        Ok(entry)
    }

    /// A verify-only Ed25519 key from its 32 public bytes (RFC 8037 §2).
    pub fn ed25519_public(public: &[u8]) -> anyhow::Result<Self> {
        let bytes: &[u8; 32] = public
            .try_into()
            .context("an Ed25519 public key is 32 bytes")?;
        let verifying = ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map_err(|_| anyhow::anyhow!("not a valid Ed25519 public key"))?;
        let x = URL_SAFE_NO_PAD.encode(bytes);
        Ok(Self {
            kid: jwk_thumbprint_okp(&x),
            alg: Algorithm::EdDSA,
            encoding: None,
            decoding: DecodingKey::from_ed_der(bytes),
            ed_signing: None,
            ed_verifying: Some(verifying),
            fingerprint: short_sha256(&[bytes]),
            public_x: Some(x),
            retired_at: None,
        })
    }

    /// A fresh Ed25519 key and its PKCS #8 DER (the bytes to store).
    pub fn generate_ed25519() -> anyhow::Result<(Self, Vec<u8>)> {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let mut der = ED25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(&seed);
        Ok((Self::ed25519_from_pkcs8(&der)?, der))
    }

    /// A short SHA-256 fingerprint (`sha256:` + 16 hex digits) identifying the key material
    /// without revealing it: of the public key for Ed25519, of a domain-separated copy of the
    /// secret for HMAC (so it differs from the `kid`). Two services can compare keys with it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The public JWK of this key (RFC 7517 §4, RFC 8037 §2), or `None` for an HMAC key, which
    /// is a secret and never published.
    pub fn public_jwk(&self) -> Option<serde_json::Value> {
        let x = self.public_x.as_ref()?;
        Some(serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "alg": "EdDSA", "use": "sig",
        }))
    }
}

fn short_sha256(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    format!("sha256:{}", &hex::encode(h.finalize())[..16])
}

/// The `kid` of an HMAC secret: `hs256-` + 16 hex digits of SHA-256("gsa-kid\0" || secret).
pub fn hmac_kid(secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"gsa-kid\0");
    h.update(secret);
    format!("hs256-{}", &hex::encode(h.finalize())[..16])
}

/// RFC 7638 §3 JWK thumbprint of an Ed25519 public key given as its base64url `x`: SHA-256 of
/// the required members in lexicographic order, base64url (43 characters).
pub fn jwk_thumbprint_okp(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// How the gateway signs, from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mode {
    /// `JWT_SECRET_KEY` is set: HS256 with its raw bytes.
    Hs256,
    /// The default: EdDSA with generated Ed25519 keys.
    EdDsa,
}

impl Mode {
    /// The mode `cfg` selects.
    pub fn of(cfg: &gsa_common::Config) -> Self {
        if cfg.jwt_secret_key.is_some() {
            Self::Hs256
        } else {
            Self::EdDsa
        }
    }
}

/// The keys the gateway signs and verifies with. One key signs; every key in the ring verifies
/// (RFC 7517 key sets, the Hydra "latest key signs" model).
#[derive(Debug)]
pub struct KeyRing {
    signing_kid: Option<String>,
    keys: HashMap<String, KeyEntry>,
    generation: i64,
}

impl KeyRing {
    /// A ring with one key, which signs.
    pub fn single(key: KeyEntry) -> Self {
        let signing_kid = key.encoding.as_ref().map(|_| key.kid.clone());
        Self {
            signing_kid,
            keys: HashMap::from([(key.kid.clone(), key)]),
            generation: 0,
        }
    }

    /// A verify-only ring (no signing key), e.g. from a remote JWKS.
    pub fn verify_only(keys: impl IntoIterator<Item = KeyEntry>) -> Self {
        Self {
            signing_kid: None,
            keys: keys.into_iter().map(|k| (k.kid.clone(), k)).collect(),
            generation: 0,
        }
    }

    /// Prepares the key table for this configuration at start, then loads the ring.
    ///
    /// HS256 mode: the raw bytes of `JWT_SECRET_KEY` (refused when shorter than
    /// [`MIN_HMAC_SECRET_LEN`]) become the active key; any other active key is retired.
    /// EdDSA mode: an active Ed25519 key is generated when there is none; an active HMAC key
    /// left from HS256 mode is retired. Keys past their retention are deleted.
    pub fn load(cfg: &gsa_common::Config) -> anyhow::Result<Self> {
        let env_key = match &cfg.jwt_secret_key {
            Some(s) => Some(KeyEntry::hs256(s.expose().as_bytes()).context("JWT_SECRET_KEY")?),
            None => None,
        };
        let mut conn = crate::identity::open(cfg)?;
        let now = chrono::Utc::now().timestamp();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        purge_expired(&tx, now)?;
        let mut changed = false;
        match (&env_key, &cfg.jwt_secret_key) {
            (Some(key), Some(secret)) => {
                tx.execute(
                    "INSERT INTO signing_keys (kid, alg, secret, created_at, retired_at)
                     VALUES (?1, 'HS256', ?2, ?3, NULL)
                     ON CONFLICT(kid) DO UPDATE SET retired_at = NULL",
                    params![key.kid, secret.expose().as_bytes(), now],
                )?;
                changed |= retire_others(&tx, &key.kid, now)? > 0;
            }
            _ => {
                let active: Option<String> = tx
                    .query_row(
                        "SELECT kid FROM signing_keys WHERE retired_at IS NULL AND alg = 'EdDSA'
                         ORDER BY created_at DESC, kid LIMIT 1",
                        [],
                        |r| r.get(0),
                    )
                    .optional()?;
                let kid = match active {
                    Some(kid) => kid,
                    None => {
                        changed = true;
                        insert_new_ed25519(&tx, now)?
                    }
                };
                changed |= retire_others(&tx, &kid, now)? > 0;
            }
        }
        if changed {
            bump_generation(&tx)?;
        }
        tx.commit()?;
        Self::read(&conn, cfg)
    }

    /// Reads the ring from the key table without changing it (what a running gateway does
    /// when [`generation`] changes). Keys past their retention are left out.
    pub fn read(conn: &Connection, cfg: &gsa_common::Config) -> anyhow::Result<Self> {
        let now = chrono::Utc::now().timestamp();
        let generation = generation(conn)?;
        let mut stmt = conn.prepare(
            "SELECT kid, alg, secret, retired_at FROM signing_keys
             WHERE retired_at IS NULL OR retired_at >= ?1
             ORDER BY created_at DESC, kid",
        )?;
        let rows = stmt.query_map([now - retention_secs()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })?;
        let mut keys = HashMap::new();
        let mut newest_active_ed: Option<String> = None;
        for row in rows {
            let (kid, alg, secret, retired_at) = row?;
            let entry = match alg.as_str() {
                "HS256" => KeyEntry::hs256(&secret),
                "EdDSA" => KeyEntry::ed25519_from_pkcs8(&secret),
                other => Err(anyhow::anyhow!("unknown algorithm {other:?}")),
            };
            match entry {
                Ok(mut e) if e.kid == kid => {
                    e.retired_at = retired_at;
                    if e.alg == Algorithm::EdDSA
                        && retired_at.is_none()
                        && newest_active_ed.is_none()
                    {
                        newest_active_ed = Some(kid.clone());
                    }
                    keys.insert(kid, e);
                }
                _ => tracing::warn!(kid = %kid, "ignoring an unusable stored key"),
            }
        }
        let signing_kid = match &cfg.jwt_secret_key {
            // HS256 mode signs with the configured secret whatever the table says; it also
            // always verifies with it.
            Some(secret) => {
                let mut key = KeyEntry::hs256(secret.expose().as_bytes())?;
                key.retired_at = None;
                let kid = key.kid.clone();
                keys.insert(kid.clone(), key);
                kid
            }
            None => newest_active_ed.context("no active Ed25519 signing key in identity.db")?,
        };
        Ok(Self {
            signing_kid: Some(signing_kid),
            keys,
            generation,
        })
    }

    /// The key that signs new tokens; an error for a verify-only ring.
    pub fn signing(&self) -> anyhow::Result<&KeyEntry> {
        self.signing_kid
            .as_ref()
            .and_then(|k| self.keys.get(k))
            .context("this key ring has no signing key")
    }

    /// The key with this exact `kid`, if any. No fallback to other keys (RFC 8725 §2.9).
    pub fn get(&self, kid: &str) -> Option<&KeyEntry> {
        self.keys.get(kid)
    }

    /// The public keys as JWKs (RFC 7517 §4, RFC 8037 §2) for `/.well-known/jwks.json`, the
    /// signing key first. HMAC keys are symmetric secrets and are never published, so an
    /// HS256-only ring yields none.
    pub fn public_jwks(&self) -> Vec<serde_json::Value> {
        self.kids()
            .iter()
            .filter_map(|k| self.keys.get(k).and_then(KeyEntry::public_jwk))
            .collect()
    }

    /// Every key id, signing key first.
    pub fn kids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.keys.keys().cloned().collect();
        v.sort_by_key(|k| (Some(k) != self.signing_kid.as_ref(), k.clone()));
        v
    }

    /// Every key, signing key first.
    pub fn entries(&self) -> Vec<&KeyEntry> {
        self.kids()
            .iter()
            .filter_map(|k| self.keys.get(k))
            .collect()
    }

    /// The [`generation`] this ring was read at.
    pub fn generation(&self) -> i64 {
        self.generation
    }
}

/// How long a retired key keeps verifying: the longest token lifetime plus the leeway.
pub fn retention_secs() -> i64 {
    crate::tokens::MAX_LIFETIME_SECS + crate::tokens::LEEWAY_SECS
}

/// The key table's change counter: bumped by every rotation, retirement or mode change, so a
/// running gateway reloads only when something changed.
pub fn generation(conn: &Connection) -> anyhow::Result<i64> {
    Ok(conn
        .query_row(
            "SELECT value FROM meta WHERE name = 'key_generation'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

fn bump_generation(conn: &Connection) -> anyhow::Result<()> {
    conn.execute(
        "INSERT INTO meta (name, value) VALUES ('key_generation', 1)
         ON CONFLICT(name) DO UPDATE SET value = value + 1",
        [],
    )?;
    Ok(())
}

fn purge_expired(conn: &Connection, now: i64) -> anyhow::Result<usize> {
    Ok(conn.execute(
        "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?1",
        [now - retention_secs()],
    )?)
}

fn retire_others(conn: &Connection, kid: &str, now: i64) -> anyhow::Result<usize> {
    let n = conn.execute(
        "UPDATE signing_keys SET retired_at = ?2 WHERE kid != ?1 AND retired_at IS NULL",
        params![kid, now],
    )?;
    if n > 0 {
        tracing::info!(
            kid,
            retired = n,
            "signing key rotated; previous keys verify until their tokens expire"
        );
    }
    Ok(n)
}

fn insert_new_ed25519(conn: &Connection, now: i64) -> anyhow::Result<String> {
    let (key, der) = KeyEntry::generate_ed25519()?;
    conn.execute(
        "INSERT INTO signing_keys (kid, alg, secret, created_at, retired_at)
         VALUES (?1, 'EdDSA', ?2, ?3, NULL)",
        params![key.kid, der, now],
    )?;
    tracing::info!(kid = %key.kid, "generated a new Ed25519 signing key");
    Ok(key.kid)
}

/// A stored key as [`list`] shows it: never the key material, only a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// Key id (RFC 7515 §4.1.4).
    pub kid: String,
    /// `HS256` or `EdDSA`.
    pub alg: String,
    /// `active` (signs) or `retired` (verify-only).
    pub state: String,
    /// Creation time, seconds since the epoch.
    pub created_at: i64,
    /// Retirement time, seconds since the epoch.
    pub retired_at: Option<i64>,
    /// For a retired key: when it stops verifying and is deleted.
    pub verifies_until: Option<i64>,
    /// Short SHA-256 fingerprint (see [`KeyEntry::fingerprint`]).
    pub fingerprint: String,
}

/// Makes a new Ed25519 signing key; the previous signing key retires and keeps verifying the
/// tokens it signed until they have all expired ([`retention_secs`]). A running gateway picks
/// the change up within its reload interval. Refused in HS256 mode, where the signing key is
/// `JWT_SECRET_KEY` itself (change the variable and restart to rotate it).
pub fn rotate(cfg: &gsa_common::Config) -> anyhow::Result<KeyInfo> {
    if Mode::of(cfg) == Mode::Hs256 {
        bail!(
            "JWT_SECRET_KEY is set: the HS256 key is the variable itself; \
             change it and restart the gateway to rotate"
        );
    }
    let mut conn = crate::identity::open(cfg)?;
    let now = chrono::Utc::now().timestamp();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    purge_expired(&tx, now)?;
    let kid = insert_new_ed25519(&tx, now)?;
    retire_others(&tx, &kid, now)?;
    bump_generation(&tx)?;
    tx.commit()?;
    list(cfg)?
        .into_iter()
        .find(|k| k.kid == kid)
        .context("new key vanished")
}

/// Every stored key, active first, then by creation time (newest first).
pub fn list(cfg: &gsa_common::Config) -> anyhow::Result<Vec<KeyInfo>> {
    let conn = crate::identity::open(cfg)?;
    let mut stmt = conn.prepare(
        "SELECT kid, alg, secret, created_at, retired_at FROM signing_keys
         ORDER BY (retired_at IS NOT NULL), created_at DESC, kid",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Vec<u8>>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, Option<i64>>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (kid, alg, secret, created_at, retired_at) = row?;
        let fingerprint = match alg.as_str() {
            "HS256" => KeyEntry::hs256(&secret).map(|k| k.fingerprint),
            _ => KeyEntry::ed25519_from_pkcs8(&secret).map(|k| k.fingerprint),
        }
        .unwrap_or_else(|_| "unusable".into());
        out.push(KeyInfo {
            kid,
            alg,
            state: if retired_at.is_some() {
                "retired".into()
            } else {
                "active".into()
            },
            created_at,
            retired_at,
            verifies_until: retired_at.map(|r| r + retention_secs()),
            fingerprint,
        });
    }
    Ok(out)
}

/// Removes a retired key at once: tokens it signed stop verifying as soon as the gateway
/// reloads (use it for a compromised key). The active key cannot be retired this way: rotate
/// first. Fails when the key is unknown.
pub fn retire(cfg: &gsa_common::Config, kid: &str) -> anyhow::Result<()> {
    let mut conn = crate::identity::open(cfg)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let state: Option<Option<i64>> = tx
        .query_row(
            "SELECT retired_at FROM signing_keys WHERE kid = ?1",
            [kid],
            |r| r.get(0),
        )
        .optional()?;
    match state {
        None => bail!("no key {kid:?}"),
        Some(None) => bail!("{kid} is the active signing key; run `gsa keys rotate` first"),
        Some(Some(_)) => {}
    }
    tx.execute("DELETE FROM signing_keys WHERE kid = ?1", [kid])?;
    bump_generation(&tx)?;
    tx.commit()?;
    tracing::info!(kid, "key retired and deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secret_is_refused_and_kid_is_stable() {
        assert!(KeyEntry::hs256(&[7u8; 31]).is_err());
        let a = KeyEntry::hs256(&[7u8; 32]).unwrap();
        let b = KeyEntry::hs256(&[7u8; 32]).unwrap();
        let c = KeyEntry::hs256(&[8u8; 32]).unwrap();
        assert_eq!(a.kid, b.kid);
        assert_ne!(a.kid, c.kid);
        assert!(a.kid.starts_with("hs256-") && a.kid.len() == 22);
        assert!(a.public_jwk().is_none());
        assert_ne!(a.fingerprint(), a.kid);
    }

    #[test]
    fn rfc8037_a2_thumbprint_and_pkcs8_round_trip() {
        // RFC 8037 Appendix A.3: thumbprint of the A.2 public key.
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        assert_eq!(
            jwk_thumbprint_okp(x),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        // RFC 8037 A.1 private key d -> public x of A.2.
        let d = URL_SAFE_NO_PAD
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .unwrap();
        let mut der = ED25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(&d);
        let k = KeyEntry::ed25519_from_pkcs8(&der).unwrap();
        assert_eq!(k.public_x.as_deref(), Some(x));
        assert_eq!(k.kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        let jwk = k.public_jwk().unwrap();
        assert_eq!(jwk["kty"], "OKP");
        assert_eq!(jwk["alg"], "EdDSA");
        assert!(jwk.get("d").is_none());
        assert!(KeyEntry::ed25519_from_pkcs8(&der[1..]).is_err());
        assert!(KeyEntry::ed25519_public(&[1u8; 31]).is_err());
    }
}
