//! The signing key ring: which keys sign, which keys verify, and which algorithm each key is
//! bound to.
//!
//! Decisions (RFC 8725):
//! * Each key is bound to exactly one algorithm (§3.1); a token's header `alg` must equal the
//!   algorithm of the key its `kid` names, so the header never chooses the algorithm.
//! * HMAC secrets shorter than [`MIN_HMAC_SECRET_LEN`] bytes are refused at start (§3.5,
//!   RFC 7518 §3.2: at least the hash output size).
//! * The `kid` of an HMAC key is a truncated SHA-256 of a domain-separated copy of the secret:
//!   stable across restarts (tokens survive a restart), different when the secret changes, and
//!   useless for recovering the secret.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Shortest accepted HMAC secret, in bytes (RFC 7518 §3.2: HS256 needs at least 256 bits).
pub const MIN_HMAC_SECRET_LEN: usize = 32;

/// File inside the data directory holding the generated HS256 secret when `JWT_SECRET_KEY` is
/// unset. Mode 0600.
pub const SECRET_FILE: &str = "jwt_secret.key";

/// Random bytes in a generated secret (stored base64url, so the key itself is 64 bytes).
const GENERATED_SECRET_BYTES: usize = 48;

/// One key of the ring.
pub struct KeyEntry {
    /// Key id sent in the JWS header (RFC 7515 §4.1.4).
    pub kid: String,
    /// The one algorithm this key may be used with (RFC 8725 §3.1).
    pub alg: Algorithm,
    /// Signing half.
    pub(crate) encoding: EncodingKey,
    /// Verifying half.
    pub(crate) decoding: DecodingKey,
    /// When this key stopped signing (seconds since the epoch); `None` for the signing key.
    /// A retired key verifies only tokens issued before it retired, and only until
    /// `retired_at + MAX_LIFETIME_SECS + LEEWAY_SECS`, when every such token has expired.
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

impl KeyEntry {
    /// An HS256 key from raw secret bytes; fails when the secret is too short.
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
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            retired_at: None,
        })
    }
}

/// The `kid` of an HMAC secret: `hs256-` + 16 hex digits of SHA-256("gsa-kid\0" || secret).
pub fn hmac_kid(secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"gsa-kid\0");
    h.update(secret);
    format!("hs256-{}", &hex::encode(h.finalize())[..16])
}

/// The keys the gateway signs and verifies with. The newest key signs; every key in the ring
/// verifies (RFC 7517 key sets, the Hydra "latest key signs" model).
#[derive(Debug)]
pub struct KeyRing {
    signing_kid: String,
    keys: HashMap<String, KeyEntry>,
}

impl KeyRing {
    /// A ring with one key, which signs.
    pub fn single(key: KeyEntry) -> Self {
        let signing_kid = key.kid.clone();
        Self {
            signing_kid,
            keys: HashMap::from([(key.kid.clone(), key)]),
        }
    }

    /// Loads the ring from configuration: the raw bytes of `JWT_SECRET_KEY` when set (refused
    /// when shorter than [`MIN_HMAC_SECRET_LEN`]), else the secret kept in
    /// `$GSA_DATA_DIR/jwt_secret.key`, generated (mode 0600) on first start.
    ///
    /// Rotation: the signing key is recorded in the `signing_keys` table of identity.db. When
    /// the secret changes between starts, the previous key is marked retired and stays in the
    /// ring, verify-only, until every token it signed has expired ([`retention_secs`]); then it
    /// is deleted. Several gateways sharing one data directory must share one secret.
    pub fn load(cfg: &gsa_common::Config) -> anyhow::Result<Self> {
        let key = match &cfg.jwt_secret_key {
            Some(s) => KeyEntry::hs256(s.expose().as_bytes()).context("JWT_SECRET_KEY")?,
            None => {
                let secret = load_or_create_secret(&cfg.data_dir.join(SECRET_FILE))?;
                KeyEntry::hs256(&secret).context("generated secret file")?
            }
        };
        let secret = key.encoding.try_get_hmac_secret().map(<[u8]>::to_vec)?;
        let now = chrono::Utc::now().timestamp();
        let mut conn = crate::identity::open(cfg)?;
        let retired = record_rotation(&mut conn, &key.kid, &secret, now)?;
        let mut ring = Self::single(key);
        for (kid, secret, retired_at) in retired {
            match KeyEntry::hs256(&secret) {
                Ok(mut old) if old.kid == kid => {
                    old.retired_at = Some(retired_at);
                    ring.keys.insert(kid, old);
                }
                _ => tracing::warn!(kid = %kid, "ignoring an unusable retired key"),
            }
        }
        Ok(ring)
    }

    /// The key that signs new tokens.
    pub fn signing(&self) -> &KeyEntry {
        // The constructor guarantees the signing kid is in the map.
        &self.keys[&self.signing_kid]
    }

    /// The key with this exact `kid`, if any. No fallback to other keys (RFC 8725 §2.9).
    pub fn get(&self, kid: &str) -> Option<&KeyEntry> {
        self.keys.get(kid)
    }

    /// The public keys as JWKs (RFC 7517 §4) for `/.well-known/jwks.json`. HMAC keys are
    /// symmetric secrets and are never published, so an HS256-only ring yields none.
    pub fn public_jwks(&self) -> Vec<serde_json::Value> {
        // Only HS256 keys exist today (every KeyEntry is built by `KeyEntry::hs256`); an EdDSA
        // key would be listed here as an OKP/Ed25519 JWK (RFC 8037 §2).
        debug_assert!(self.keys.values().all(|k| k.alg == Algorithm::HS256));
        Vec::new()
    }

    /// Every key id, signing key first.
    pub fn kids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.keys.keys().cloned().collect();
        v.sort_by_key(|k| (k != &self.signing_kid, k.clone()));
        v
    }
}

/// How long a retired key keeps verifying: the longest token lifetime plus the leeway.
pub fn retention_secs() -> i64 {
    crate::tokens::MAX_LIFETIME_SECS + crate::tokens::LEEWAY_SECS
}

/// Records `kid` as the signing key, retires any other signing key as of `now`, deletes keys
/// retired longer than [`retention_secs`] ago, and returns the retired keys still kept
/// (`kid`, secret, `retired_at`).
fn record_rotation(
    conn: &mut rusqlite::Connection,
    kid: &str,
    secret: &[u8],
    now: i64,
) -> anyhow::Result<Vec<(String, Vec<u8>, i64)>> {
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO signing_keys (kid, alg, secret, created_at, retired_at) VALUES (?1, 'HS256', ?2, ?3, NULL)
         ON CONFLICT(kid) DO UPDATE SET retired_at = NULL",
        rusqlite::params![kid, secret, now],
    )?;
    let n = tx.execute(
        "UPDATE signing_keys SET retired_at = ?2 WHERE kid != ?1 AND retired_at IS NULL",
        rusqlite::params![kid, now],
    )?;
    if n > 0 {
        tracing::info!(
            kid,
            retired = n,
            "signing key rotated; previous keys verify until their tokens expire"
        );
    }
    tx.execute(
        "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?1",
        [now - retention_secs()],
    )?;
    let kept = {
        let mut stmt = tx.prepare(
            "SELECT kid, secret, retired_at FROM signing_keys WHERE retired_at IS NOT NULL ORDER BY retired_at DESC",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    tx.commit()?;
    Ok(kept)
}

/// Reads the secret file, or creates it with fresh random bytes and mode 0600. Two processes
/// racing to create it both end up with the one that was written first (`create_new`).
pub fn load_or_create_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    match read_secret(path)? {
        Some(s) => Ok(s),
        None => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating data directory {}", dir.display()))?;
            }
            let mut raw = [0u8; GENERATED_SECRET_BYTES];
            rand::rngs::OsRng.fill_bytes(&mut raw);
            let text = URL_SAFE_NO_PAD.encode(raw);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            match opts.open(path) {
                Ok(mut f) => {
                    f.write_all(text.as_bytes())
                        .and_then(|_| f.sync_all())
                        .with_context(|| format!("writing {}", path.display()))?;
                    tracing::info!(path = %path.display(), "generated a new JWT signing secret");
                    Ok(text.into_bytes())
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    read_secret(path)?.context("secret file vanished while starting")
                }
                Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
            }
        }
    }
}

fn read_secret(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            tighten_mode(path)?;
            let trimmed = bytes.trim_ascii().to_vec();
            Ok(Some(trimmed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// A secret file readable by group or others is put back to 0600 (with a warning) rather than
/// refused: the gateway may not be the one that copied it there.
fn tighten_mode(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path)?;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "secret file was readable by others; setting mode 0600");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
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
    }
}
