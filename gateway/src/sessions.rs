//! Dashboard sessions: an opaque random id in an `HttpOnly` cookie, the server-side record in
//! `identity.db` (so a session can be revoked), idle and absolute expiry.
//!
//! Only a SHA-256 of the id is stored, so a copy of the database does not yield live cookies.
//! A session is valid while it is not revoked, its user is enabled, it was used within the idle
//! timeout, and it is younger than the absolute maximum (OWASP Session Management cheat sheet).

use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gsa_common::Config;
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
