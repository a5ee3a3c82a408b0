//! The identity store, `$GSA_DATA_DIR/identity.db`, owned by the gateway: registered OAuth
//! clients (RFC 6749 §2) with their allowed audiences (RFC 8707) and scopes (RFC 6749 §3.3).
//!
//! Client secrets are 256-bit random strings shown once at creation; only an argon2id hash
//! (RFC 9106) is stored. Because the secrets are random and long, not passwords, the hash uses
//! OWASP's minimum argon2id parameters (19 MiB, t=2, p=1) to keep `/token` cheap; brute force
//! against 256 random bits is not a concern either way.
//!
//! The `signing_keys` table (see [`crate::keys`]) holds the current and recently retired signing
//! keys (HMAC secrets, Ed25519 private keys), which is why the file and its WAL files are kept
//! at mode 0600.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{bail, Context};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gsa_common::Config;
use rand::RngCore;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// DDL of the identity store.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS clients (
    client_id    TEXT PRIMARY KEY,
    secret_hash  TEXT NOT NULL,
    audiences    TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    disabled     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS signing_keys (
    kid          TEXT PRIMARY KEY,
    alg          TEXT NOT NULL,
    secret       BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    retired_at   INTEGER
);

CREATE TABLE IF NOT EXISTS users (
    name           TEXT PRIMARY KEY,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS sessions (
    id_hash      TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    revoked      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_name);

CREATE TABLE IF NOT EXISTS meta (
    name         TEXT PRIMARY KEY,
    value        INTEGER NOT NULL
);
"#;

/// A registered client as listed by [`list_clients`]; never carries the secret or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientInfo {
    /// Client identifier (RFC 6749 §2.2).
    pub client_id: String,
    /// Audiences the client may request tokens for (RFC 8707 §2).
    pub audiences: Vec<String>,
    /// Scopes the client may be granted (RFC 6749 §3.3).
    pub scopes: Vec<String>,
    /// A disabled client cannot obtain tokens.
    pub disabled: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// Registers a client and returns its secret. The secret is shown once: only its argon2id hash
/// is stored. Fails when the id exists or an id, audience or scope is not a plain token.
pub fn create_client(
    cfg: &Config,
    client_id: &str,
    audiences: &[String],
    scopes: &[String],
) -> anyhow::Result<String> {
    if !is_plain(client_id, 64) {
        bail!("client_id must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    }
    if audiences.is_empty() {
        bail!("a client needs at least one audience");
    }
    for a in audiences {
        if !is_plain(a, 128) {
            bail!("audience {a:?} must be 1-128 characters of A-Z a-z 0-9 . _ : -");
        }
    }
    for s in scopes {
        // RFC 6749 §3.3 scope-token: printable ASCII without space, '"' or '\'.
        if s.is_empty()
            || s.len() > 128
            || !s
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
        {
            bail!("scope {s:?} is not a valid scope token (RFC 6749 §3.3)");
        }
    }
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let secret = URL_SAFE_NO_PAD.encode(raw);
    let hash = hash_secret(&secret)?;
    let conn = open(cfg)?;
    let inserted = conn.execute(
        "INSERT INTO clients (client_id, secret_hash, audiences, scopes, disabled, created_at)
         VALUES (?1, ?2, ?3, ?4, 0, ?5) ON CONFLICT(client_id) DO NOTHING",
        params![
            client_id,
            hash,
            serde_json::to_string(&dedup(audiences))?,
            serde_json::to_string(&dedup(scopes))?,
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ],
    )?;
    if inserted == 0 {
        bail!("client {client_id:?} already exists");
    }
    Ok(secret)
}

/// Every registered client, by id.
pub fn list_clients(cfg: &Config) -> anyhow::Result<Vec<ClientInfo>> {
    let conn = open(cfg)?;
    let mut stmt = conn.prepare(
        "SELECT client_id, audiences, scopes, disabled, created_at FROM clients ORDER BY client_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, bool>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (client_id, aud, scopes, disabled, created_at) = row?;
        out.push(ClientInfo {
            audiences: serde_json::from_str(&aud).context("clients.audiences")?,
            scopes: serde_json::from_str(&scopes).context("clients.scopes")?,
            client_id,
            disabled,
            created_at,
        });
    }
    Ok(out)
}

/// Disables a client: it can no longer obtain tokens (tokens already issued stay valid until
/// they expire, at most [`crate::tokens::MAX_LIFETIME_SECS`]). Fails when the client is unknown.
pub fn disable_client(cfg: &Config, client_id: &str) -> anyhow::Result<()> {
    let conn = open(cfg)?;
    let n = conn.execute(
        "UPDATE clients SET disabled = 1 WHERE client_id = ?1",
        [client_id],
    )?;
    if n == 0 {
        bail!("no client {client_id:?}");
    }
    Ok(())
}

/// Checks a client's credentials. `Ok(None)` for an unknown, disabled or wrong-secret client,
/// with the same work done in each case (an argon2 verification against a dummy hash for
/// unknown ids), so the answer and its timing do not reveal which.
pub fn authenticate(
    cfg: &Config,
    client_id: &str,
    secret: &str,
) -> anyhow::Result<Option<ClientInfo>> {
    let conn = open(cfg)?;
    let row = conn
        .query_row(
            "SELECT secret_hash, audiences, scopes, disabled, created_at FROM clients WHERE client_id = ?1",
            [client_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )
        .optional()?;
    drop(conn);
    let Some((hash, aud, scopes, disabled, created_at)) = row else {
        let _ = verify_secret(dummy_hash(), secret);
        return Ok(None);
    };
    let memo_key = (cfg.identity_db_path(), client_id.to_string());
    let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    if disabled {
        let _ = verify_secret(&hash, secret);
        return Ok(None);
    }
    if !verified_before(&memo_key, &hash, &digest) {
        if !verify_secret(&hash, secret)? {
            return Ok(None);
        }
        remember_verified(memo_key, hash, digest);
    }
    Ok(Some(ClientInfo {
        client_id: client_id.to_string(),
        audiences: serde_json::from_str(&aud).context("clients.audiences")?,
        scopes: serde_json::from_str(&scopes).context("clients.scopes")?,
        disabled,
        created_at,
    }))
}

/// Secrets that passed argon2 verification recently, per (identity store, client id): the
/// stored PHC string they were checked against and the SHA-256 of the secret.
///
/// Why: an argon2id verification (19 MiB, t=2) costs tens of milliseconds of CPU and memory
/// bandwidth, which capped `POST /token` at a few dozen tokens a second per core; a service
/// asking for a token every few minutes pays it each time. A client secret is 256 random bits
/// (see the module docs), so a SHA-256 of it kept in memory reveals nothing usable, and a
/// match is only possible with the very secret that passed argon2.
///
/// Safety of the shortcut: the client row is read from `identity.db` on every request first,
/// so a disabled client is refused at once, and a new secret (a new PHC string) no longer
/// matches the memo; only a success is remembered, so a wrong secret always pays the full
/// argon2 verification (no timing difference between an unknown client and a wrong secret).
/// Bounded to [`VERIFIED_MEMO_MAX`] entries (cleared when full).
type Verified = HashMap<(PathBuf, String), (String, [u8; 32])>;

/// Most (store, client) pairs remembered by the verified-secret memo.
pub const VERIFIED_MEMO_MAX: usize = 10_000;

fn verified_memo() -> &'static Mutex<Verified> {
    static MEMO: OnceLock<Mutex<Verified>> = OnceLock::new();
    MEMO.get_or_init(Default::default)
}

fn verified_before(key: &(PathBuf, String), phc: &str, digest: &[u8; 32]) -> bool {
    use subtle::ConstantTimeEq;
    let memo = verified_memo().lock().unwrap_or_else(|p| p.into_inner());
    memo.get(key)
        .is_some_and(|(h, d)| h == phc && bool::from(d.ct_eq(digest)))
}

fn remember_verified(key: (PathBuf, String), phc: String, digest: [u8; 32]) {
    let mut memo = verified_memo().lock().unwrap_or_else(|p| p.into_inner());
    if memo.len() >= VERIFIED_MEMO_MAX {
        memo.clear();
    }
    memo.insert(key, (phc, digest));
}

/// Opens (creating and migrating) the identity store: WAL, busy timeout, mode 0600.
pub fn open(cfg: &Config) -> anyhow::Result<Connection> {
    open_path(&cfg.identity_db_path())
}

pub(crate) fn open_path(path: &Path) -> anyhow::Result<Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(gsa_common::db::BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.execute_batch(SCHEMA)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The WAL and shared-memory files hold recent pages, key material included.
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        for p in [path.as_os_str(), wal.as_os_str(), shm.as_os_str()] {
            match std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
    }
    Ok(conn)
}

fn argon2() -> Argon2<'static> {
    // OWASP minimum for argon2id; see the module docs for why not more.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// argon2id PHC string of `secret` with a fresh random salt.
pub(crate) fn hash_secret(secret: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

/// Constant-time check of `secret` against a PHC string (argon2's own comparison).
pub(crate) fn verify_secret(phc: &str, secret: &str) -> anyhow::Result<bool> {
    let parsed = PasswordHash::new(phc).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
    Ok(argon2().verify_password(secret.as_bytes(), &parsed).is_ok())
}

pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_secret("gsa-dummy-secret-for-equal-timing").unwrap_or_default())
}

fn is_plain(s: &str, max: usize) -> bool {
    (1..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

fn dedup(v: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(dir: &Path) -> Config {
        let d = dir.to_string_lossy().to_string();
        Config::load_from(&Default::default(), |k| {
            (k == "GSA_DATA_DIR").then(|| d.clone())
        })
        .unwrap()
    }

    #[test]
    fn secret_is_hashed_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = cfg(dir.path());
        let secret = create_client(
            &cfg,
            "svc-a",
            &["gsa-api".into()],
            &["listings:read".into()],
        )
        .unwrap();
        assert!(create_client(&cfg, "svc-a", &["gsa-api".into()], &[]).is_err());
        let stored: String = open(&cfg)
            .unwrap()
            .query_row("SELECT secret_hash FROM clients", [], |r| r.get(0))
            .unwrap();
        assert!(stored.starts_with("$argon2id$") && !stored.contains(&secret));
        assert!(authenticate(&cfg, "svc-a", &secret).unwrap().is_some());
        assert!(authenticate(&cfg, "svc-a", "nope").unwrap().is_none());
        assert!(authenticate(&cfg, "svc-b", &secret).unwrap().is_none());
        disable_client(&cfg, "svc-a").unwrap();
        assert!(authenticate(&cfg, "svc-a", &secret).unwrap().is_none());
        assert!(list_clients(&cfg).unwrap()[0].disabled);
        assert!(disable_client(&cfg, "nobody").is_err());
        assert!(create_client(&cfg, "bad id", &["a".into()], &[]).is_err());
    }

    #[test]
    fn a_remembered_secret_stops_working_when_the_stored_hash_changes() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = cfg(dir.path());
        let secret = create_client(&cfg, "svc-m", &["gsa-api".into()], &[]).unwrap();
        assert!(authenticate(&cfg, "svc-m", &secret).unwrap().is_some());
        // Remembered now: the second success skips argon2 but must still be right.
        assert!(authenticate(&cfg, "svc-m", &secret).unwrap().is_some());
        assert!(authenticate(&cfg, "svc-m", &format!("{secret}x"))
            .unwrap()
            .is_none());
        // A new secret is registered for the client: the old one no longer passes, the new
        // one does.
        let new_hash = hash_secret("the-new-secret").unwrap();
        open(&cfg)
            .unwrap()
            .execute(
                "UPDATE clients SET secret_hash = ?1 WHERE client_id = 'svc-m'",
                [&new_hash],
            )
            .unwrap();
        assert!(authenticate(&cfg, "svc-m", &secret).unwrap().is_none());
        assert!(authenticate(&cfg, "svc-m", "the-new-secret")
            .unwrap()
            .is_some());
    }
}
