//! People who log in to the dashboard: users with a role, in `identity.db`, passwords hashed
//! with argon2id (RFC 9106; OWASP minimum parameters, as for client secrets).
//!
//! Roles grant scopes (issue 5): `viewer` reads listings and alerts; `admin` has every scope.
//! Changing a password or disabling a user ends every session of that user.

use anyhow::{bail, Context};
use gsa_common::Config;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::identity::{dummy_hash, hash_secret, open, verify_secret};

/// Shortest accepted password, in characters (NIST SP 800-63B §5.1.1.2: at least 8).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password, in bytes (bounds the hashing work per attempt).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads listings and alerts.
    Viewer,
    /// Everything.
    Admin,
}

impl Role {
    /// Parses `viewer` or `admin`.
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        match s {
            "viewer" => Ok(Self::Viewer),
            "admin" => Ok(Self::Admin),
            other => bail!("unknown role {other:?} (viewer or admin)"),
        }
    }

    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Admin => "admin",
        }
    }

    /// The scopes this role grants.
    pub fn scopes(&self) -> Vec<String> {
        let s: &[&str] = match self {
            Self::Viewer => &["listings:read", "alerts:read"],
            Self::Admin => &["listings:read", "alerts:read", "logs:read", "admin"],
        };
        s.iter().map(|s| s.to_string()).collect()
    }
}

/// A user as [`list`] shows it (never the hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// A disabled user cannot log in.
    pub disabled: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
}

fn check_name(name: &str) -> anyhow::Result<()> {
    if !(1..=64).contains(&name.len())
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
    {
        bail!("user name must be 1-64 characters of A-Z a-z 0-9 . _ - @");
    }
    Ok(())
}

/// Passwords found at the top of every public breach list (the most common 8+ character
/// ones), checked case-insensitively.
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "12345678",
    "123456789",
    "1234567890",
    "87654321",
    "11111111",
    "00000000",
    "qwertyui",
    "qwerty123",
    "qwertyuiop",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1qaz2wsx",
    "zaq12wsx",
    "abcd1234",
    "abc12345",
    "iloveyou",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "welcome123",
    "letmein1",
    "trustno1",
    "superman",
    "starwars",
    "dragon12",
    "monkey12",
    "whatever",
    "computer",
    "internet",
    "admin123",
    "administrator",
    "changeme",
    "qazwsxedc",
    "asdfghjk",
    "zxcvbnm1",
    "michael1",
    "jennifer",
    "12341234",
    "88888888",
    "aaaaaaaa",
];

/// Checks a new password: 8 characters or more, and not a common, repetitive or sequential
/// one, nor the user's own name (NIST SP 800-63B §5.1.1.2, "commonly-used, expected, or
/// compromised" values, "repetitive or sequential characters", "context-specific words").
fn check_password(name: &str, password: &str) -> anyhow::Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("password must have at least {MIN_PASSWORD_CHARS} characters");
    }
    if password.len() > MAX_PASSWORD_BYTES {
        bail!("password must have at most {MAX_PASSWORD_BYTES} bytes");
    }
    let lower = password.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let repetitive = chars.iter().all(|c| *c == chars[0]);
    let step = |d: i64| {
        chars
            .windows(2)
            .all(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])) == d)
    };
    let base = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c == '!');
    // "Password2024!" is "password" with a year and a mark.
    if COMMON_PASSWORDS.contains(&lower.as_str()) || COMMON_PASSWORDS.contains(&base) {
        bail!("that password is one of the most common ones; choose another");
    }
    if repetitive || step(1) || step(-1) {
        bail!("password must not be one repeated or consecutive run of characters");
    }
    if !name.is_empty() && lower.contains(&name.to_lowercase()) {
        bail!("password must not contain the user name");
    }
    Ok(())
}

/// Adds a user. Fails when the name exists or is not plain, or the password is too short.
pub fn add(cfg: &Config, name: &str, role: Role, password: &str) -> anyhow::Result<()> {
    check_name(name)?;
    check_password(name, password)?;
    let hash = hash_secret(password)?;
    let conn = open(cfg)?;
    let n = conn.execute(
        "INSERT INTO users (name, password_hash, role, disabled, created_at)
         VALUES (?1, ?2, ?3, 0, ?4) ON CONFLICT(name) DO NOTHING",
        params![
            name,
            hash,
            role.as_str(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ],
    )?;
    if n == 0 {
        bail!("user {name:?} already exists");
    }
    Ok(())
}

/// Sets a new password and ends every session of the user.
pub fn passwd(cfg: &Config, name: &str, password: &str) -> anyhow::Result<()> {
    check_password(name, password)?;
    let hash = hash_secret(password)?;
    let mut conn = open(cfg)?;
    let tx = conn.transaction()?;
    let n = tx.execute(
        "UPDATE users SET password_hash = ?2 WHERE name = ?1",
        params![name, hash],
    )?;
    if n == 0 {
        bail!("no user {name:?}");
    }
    tx.execute(
        "UPDATE sessions SET revoked = 1 WHERE user_name = ?1",
        [name],
    )?;
    tx.commit()?;
    Ok(())
}

/// Disables a user and ends every session of the user.
pub fn disable(cfg: &Config, name: &str) -> anyhow::Result<()> {
    let mut conn = open(cfg)?;
    let tx = conn.transaction()?;
    let n = tx.execute("UPDATE users SET disabled = 1 WHERE name = ?1", [name])?;
    if n == 0 {
        bail!("no user {name:?}");
    }
    tx.execute(
        "UPDATE sessions SET revoked = 1 WHERE user_name = ?1",
        [name],
    )?;
    tx.commit()?;
    Ok(())
}

/// Every user, by name.
pub fn list(cfg: &Config) -> anyhow::Result<Vec<UserInfo>> {
    let conn = open(cfg)?;
    let mut stmt =
        conn.prepare("SELECT name, role, disabled, created_at FROM users ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (name, role, disabled, created_at) = row?;
        out.push(UserInfo {
            role: Role::parse(&role).context("users.role")?,
            name,
            disabled,
            created_at,
        });
    }
    Ok(out)
}

/// The role of an enabled user, or `None`.
pub fn role_of(cfg: &Config, name: &str) -> anyhow::Result<Option<Role>> {
    let conn = open(cfg)?;
    let row: Option<(String, bool)> = conn
        .query_row(
            "SELECT role, disabled FROM users WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        Some((role, false)) => Ok(Some(Role::parse(&role)?)),
        _ => Ok(None),
    }
}

/// Checks a login. `Ok(None)` for an unknown user, a wrong password or a disabled user, with
/// the same work in each case (an argon2 verification, against a dummy hash for an unknown
/// name), so neither the answer nor its timing tells which.
pub fn authenticate(cfg: &Config, name: &str, password: &str) -> anyhow::Result<Option<Role>> {
    if password.len() > MAX_PASSWORD_BYTES {
        let _ = verify_secret(dummy_hash(), "");
        return Ok(None);
    }
    let conn = open(cfg)?;
    let row: Option<(String, String, bool)> = conn
        .query_row(
            "SELECT password_hash, role, disabled FROM users WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    drop(conn);
    let Some((hash, role, disabled)) = row else {
        let _ = verify_secret(dummy_hash(), password);
        return Ok(None);
    };
    if !verify_secret(&hash, password)? || disabled {
        return Ok(None);
    }
    Ok(Some(Role::parse(&role)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_repetitive_sequential_and_own_name_passwords_are_refused() {
        for (name, pw) in [
            ("weak", "password"),
            ("weak", "Password2024!"),
            ("weak", "12345678"),
            ("bossboss", "bossboss"),
            ("ann", "ann-secret-99"),
            ("x", "zzzzzzzzzz"),
            ("x", "abcdefghij"),
            ("x", "98765432"),
            ("x", "short"),
        ] {
            assert!(check_password(name, pw).is_err(), "{name}/{pw} accepted");
        }
        for (name, pw) in [
            ("ann", "correct horse battery"),
            ("bob", "tanker-77-diesel"),
        ] {
            check_password(name, pw).unwrap();
        }
    }

    #[test]
    fn users_roles_passwords_and_disable() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().to_string();
        let cfg = Config::load_from(&Default::default(), |k| {
            (k == "GSA_DATA_DIR").then(|| d.clone())
        })
        .unwrap();
        add(&cfg, "ann", Role::Viewer, "correct horse").unwrap();
        assert!(add(&cfg, "ann", Role::Admin, "correct horse").is_err());
        assert!(add(&cfg, "bob", Role::Admin, "short").is_err());
        assert!(add(&cfg, "b b", Role::Admin, "long enough").is_err());
        assert_eq!(
            authenticate(&cfg, "ann", "correct horse").unwrap(),
            Some(Role::Viewer)
        );
        assert_eq!(authenticate(&cfg, "ann", "wrong horse").unwrap(), None);
        assert_eq!(authenticate(&cfg, "nobody", "correct horse").unwrap(), None);
        passwd(&cfg, "ann", "battery staple").unwrap();
        assert_eq!(authenticate(&cfg, "ann", "correct horse").unwrap(), None);
        assert!(authenticate(&cfg, "ann", "battery staple")
            .unwrap()
            .is_some());
        disable(&cfg, "ann").unwrap();
        assert_eq!(authenticate(&cfg, "ann", "battery staple").unwrap(), None);
        assert!(passwd(&cfg, "nobody", "long enough").is_err());
        assert_eq!(Role::Viewer.scopes(), vec!["listings:read", "alerts:read"]);
        assert!(Role::Admin.scopes().contains(&"admin".to_string()));
        let stored: String = open(&cfg)
            .unwrap()
            .query_row("SELECT password_hash FROM users", [], |r| r.get(0))
            .unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(list(&cfg).unwrap()[0].disabled);
    }
}
