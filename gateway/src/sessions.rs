//! Dashboard sessions: an opaque random id in an `HttpOnly` cookie, the server-side record in
//! `identity.db` (so a session can be revoked), idle and absolute expiry.
//!
//! Only a SHA-256 of the id is stored, so a copy of the database does not yield live cookies.
//! A session is valid while it is not revoked, its user is enabled, it was used within the idle
//! timeout, and it is younger than the absolute maximum (OWASP Session Management cheat sheet).
//!
//! Also the login *device cookie* (OWASP "Slow Down Online Guessing Attacks with Device
//! Cookies"): after a successful login the browser gets `gsa_device`, signed with HMAC-SHA256
//! and bound to the user, which lets that browser past the user-level login ban (see
//! `crate::routes::login`). Format: `<base64url(user)>.<nonce>.<issued_at>.<base64url(mac)>`
//! with `mac = HMAC-SHA256(key, "gsa-device-v1|" + user + "|" + nonce + "|" + issued_at)`. The
//! key is 32 random bytes made on first use and kept in `identity.db` (mode 0600, table
//! `device_cookie_key`); it never leaves the gateway.

use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gsa_common::Config;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::identity::open;
use crate::users::Role;

/// Name of the session cookie.
pub const COOKIE: &str = "gsa_session";
/// Name of the double-submit CSRF cookie set by `GET /login`.
pub const CSRF_COOKIE: &str = "gsa_csrf";
/// `last_seen` is written at most this often per session (seconds), to keep reads cheap.
const TOUCH_EVERY: i64 = 15;
/// Name of the login device cookie (OWASP device cookies; see the module docs).
pub const DEVICE_COOKIE: &str = "gsa_device";
/// How long a device cookie is honoured after the login that issued it, in seconds (30 days);
/// every successful login issues a fresh one, so a browser in regular use keeps its exemption.
pub const DEVICE_COOKIE_MAX_AGE_SECS: i64 = 30 * 86_400;
/// Domain separation of the device-cookie MAC (a format version; never reused for another
/// purpose).
const DEVICE_MAC_CONTEXT: &str = "gsa-device-v1";

/// 32 random bytes, base64url (an unguessable token, 256 bits).
pub fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
}

fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// Starts a session for `user`; returns the id to put in the cookie.
pub fn create(cfg: &Config, user: &str, now: i64) -> anyhow::Result<String> {
    let id = random_token();
    let conn = open(cfg)?;
    conn.execute(
        "INSERT INTO sessions (id_hash, user_name, created_at, last_seen, revoked)
         VALUES (?1, ?2, ?3, ?3, 0)",
        params![id_hash(&id), user, now],
    )?;
    // Sweep long-dead sessions now and then (cheap: indexed by primary key scan).
    conn.execute(
        "DELETE FROM sessions WHERE last_seen < ?1",
        [now - 7 * 86_400],
    )?;
    Ok(id)
}

/// The user and role of a valid session, touching its `last_seen`; `None` when the session is
/// unknown, revoked, idle for longer than `idle_secs`, older than `max_secs`, or its user is
/// disabled.
pub fn lookup(
    cfg: &Config,
    id: &str,
    idle_secs: i64,
    max_secs: i64,
    now: i64,
) -> anyhow::Result<Option<(String, Role)>> {
    if id.len() > 128 {
        return Ok(None);
    }
    let conn = open(cfg)?;
    let h = id_hash(id);
    let row: Option<(String, i64, i64, bool, String, bool)> = conn
        .query_row(
            "SELECT s.user_name, s.created_at, s.last_seen, s.revoked, u.role, u.disabled
             FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.id_hash = ?1",
            [&h],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()?;
    let Some((user, created, last_seen, revoked, role, disabled)) = row else {
        return Ok(None);
    };
    if revoked || disabled || now - last_seen > idle_secs || now - created > max_secs {
        return Ok(None);
    }
    if now - last_seen >= TOUCH_EVERY {
        conn.execute(
            "UPDATE sessions SET last_seen = ?2 WHERE id_hash = ?1",
            params![h, now],
        )?;
    }
    Ok(Some((user, Role::parse(&role)?)))
}

/// Revokes a session; returns the user it belonged to, if it existed.
pub fn revoke(cfg: &Config, id: &str) -> anyhow::Result<Option<String>> {
    let conn = open(cfg)?;
    let h = id_hash(id);
    let user: Option<String> = conn
        .query_row(
            "SELECT user_name FROM sessions WHERE id_hash = ?1",
            [&h],
            |r| r.get(0),
        )
        .optional()?;
    conn.execute("UPDATE sessions SET revoked = 1 WHERE id_hash = ?1", [&h])?;
    Ok(user)
}

/// The value of cookie `name` from the request's `Cookie` headers (RFC 6265 §5.4), if sent
/// exactly once.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut found = None;
    for v in headers.get_all(axum::http::header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for pair in v.split(';') {
            if let Some((k, val)) = pair.trim().split_once('=') {
                if k == name {
                    if found.is_some() {
                        // Two cookies of the same name (a planted one): trust neither.
                        return None;
                    }
                    found = Some(val.trim().to_string());
                }
            }
        }
    }
    found
}

/// The device-cookie signing key (32 bytes): made with the OS RNG the first time it is asked
/// for and kept in `identity.db`, so cookies survive a gateway restart and are shared by every
/// gateway on the same data directory. Read from the database once per `identity.db` and
/// process, then served from memory, so a flood of login attempts takes no write lock on
/// `identity.db` (a key replaced by hand in the database takes effect at the next restart).
pub fn device_key(cfg: &Config) -> anyhow::Result<Vec<u8>> {
    static KEYS: std::sync::LazyLock<
        std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, Vec<u8>>>,
    > = std::sync::LazyLock::new(Default::default);
    let dir = cfg.identity_db_path();
    if let Some(key) = KEYS.lock().ok().and_then(|m| m.get(&dir).cloned()) {
        return Ok(key);
    }
    let key = load_device_key(cfg)?;
    if let Ok(mut m) = KEYS.lock() {
        m.insert(dir, key.clone());
    }
    Ok(key)
}

/// Reads (creating on first use) the device-cookie key row of `identity.db`.
fn load_device_key(cfg: &Config) -> anyhow::Result<Vec<u8>> {
    let conn = open(cfg)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS device_cookie_key (
            id          INTEGER PRIMARY KEY CHECK (id = 1),
            secret      BLOB NOT NULL,
            created_at  INTEGER NOT NULL
        );",
    )?;
    let mut fresh = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    // Two gateways starting together: the first insert wins, both read the same key.
    conn.execute(
        "INSERT OR IGNORE INTO device_cookie_key (id, secret, created_at) VALUES (1, ?1, ?2)",
        params![fresh.to_vec(), chrono::Utc::now().timestamp()],
    )?;
    let key: Vec<u8> = conn.query_row(
        "SELECT secret FROM device_cookie_key WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    anyhow::ensure!(
        key.len() >= 32,
        "device_cookie_key: key shorter than 32 bytes"
    );
    Ok(key)
}

fn device_mac(key: &[u8], user: &str, nonce: &str, issued_at: i64) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; the key is 32 bytes anyway.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any size"));
    mac.update(format!("{DEVICE_MAC_CONTEXT}|{user}|{nonce}|{issued_at}").as_bytes());
    mac
}

/// A new device cookie value for `user`, issued at `now` (seconds since the epoch).
pub fn device_cookie(key: &[u8], user: &str, now: i64) -> String {
    let nonce = random_token();
    let tag = device_mac(key, user, &nonce, now).finalize().into_bytes();
    format!(
        "{}.{nonce}.{now}.{}",
        URL_SAFE_NO_PAD.encode(user.as_bytes()),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// A device cookie that verified: whose browser it is, and its nonce (the key of its own
/// failure count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The user the cookie was issued to.
    pub user: String,
    /// The cookie's random nonce (unique per cookie).
    pub nonce: String,
}

/// Verifies a device cookie value: well-formed, MAC correct (constant-time compare), issued at
/// most [`DEVICE_COOKIE_MAX_AGE_SECS`] before `now` and not in the future (60 s of clock
/// skew allowed). `None` for anything else; never panics on input.
pub fn check_device_cookie(key: &[u8], value: &str, now: i64) -> Option<Device> {
    if value.len() > 512 {
        return None;
    }
    let mut parts = value.split('.');
    let (user_b64, nonce, issued, tag_b64) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let user = String::from_utf8(URL_SAFE_NO_PAD.decode(user_b64).ok()?).ok()?;
    let issued_at: i64 = issued.parse().ok()?;
    if issued_at > now + 60 || now.saturating_sub(issued_at) > DEVICE_COOKIE_MAX_AGE_SECS {
        return None;
    }
    let tag = URL_SAFE_NO_PAD.decode(tag_b64).ok()?;
    device_mac(key, &user, nonce, issued_at)
        .verify_slice(&tag)
        .ok()?;
    Some(Device {
        user,
        nonce: nonce.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_cookies_verify_only_untouched_in_date_and_with_the_key() {
        let key = [7u8; 32];
        let now = 1_800_000_000;
        let c = device_cookie(&key, "ann", now);
        let d = check_device_cookie(&key, &c, now + 10).expect("valid");
        assert_eq!(d.user, "ann");
        assert_eq!(d.nonce.len(), 43);
        assert_ne!(
            check_device_cookie(&key, &device_cookie(&key, "ann", now), now).map(|d| d.nonce),
            Some(d.nonce.clone()),
            "a fresh nonce per cookie"
        );
        // Another key, another user name under the same MAC, a changed time, expiry, garbage.
        assert_eq!(check_device_cookie(&[8u8; 32], &c, now), None);
        let parts: Vec<&str> = c.split('.').collect();
        let as_bob = format!(
            "{}.{}.{}.{}",
            URL_SAFE_NO_PAD.encode("bob"),
            parts[1],
            parts[2],
            parts[3]
        );
        assert_eq!(check_device_cookie(&key, &as_bob, now), None);
        let later = format!("{}.{}.{}.{}", parts[0], parts[1], now + 5, parts[3]);
        assert_eq!(check_device_cookie(&key, &later, now + 10), None);
        assert_eq!(
            check_device_cookie(&key, &c, now + DEVICE_COOKIE_MAX_AGE_SECS + 1),
            None
        );
        assert_eq!(
            check_device_cookie(&key, &c, now - 3600),
            None,
            "from the future"
        );
        for junk in [
            "",
            ".",
            "a.b.c.d",
            "a.b.c.d.e",
            "\u{0}...",
            &"x".repeat(600),
        ] {
            assert_eq!(check_device_cookie(&key, junk, now), None, "{junk:?}");
        }
    }
}
