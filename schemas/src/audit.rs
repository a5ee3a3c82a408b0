//! The payload of the gateway's audit events on `gsa.audit.<action>` (stream `GSA_AUDIT`):
//! who did what to which credential, and why it was refused, never a secret, password or
//! token (no field can hold one). JSON Schema: `schemas/json/audit.v1.json`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Audit actions (the last subject token).
pub mod action {
    /// An access token was issued.
    pub const TOKEN_ISSUED: &str = "token_issued";
    /// A token was rejected (by `/verify`, `/introspect` or an API route).
    pub const TOKEN_REJECTED: &str = "token_rejected";
    /// Client authentication failed at `/token` or `/introspect`.
    pub const CLIENT_AUTH_FAILED: &str = "client_auth_failed";
    /// A dashboard login succeeded.
    pub const LOGIN_SUCCEEDED: &str = "login_succeeded";
    /// A dashboard login failed (wrong user, wrong password, disabled, banned).
    pub const LOGIN_FAILED: &str = "login_failed";
    /// A session was ended by logout.
    pub const LOGOUT: &str = "logout";
    /// A signing key was rotated or retired.
    pub const KEY_ROTATED: &str = "key_rotated";
    /// A client was created or disabled.
    pub const CLIENT_CHANGED: &str = "client_changed";
    /// A user was created, changed password, or was disabled.
    pub const USER_CHANGED: &str = "user_changed";
}

/// The payload of an audit event (`type` `gsa.audit.<action>.v1`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditEvent {
    /// One of [`action`].
    pub action: String,
    /// `ok` or `denied`.
    pub outcome: String,
    /// Stable reason code for a denial (e.g. `expired`, `invalid_credentials`, `banned`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The client id or user name acting (as given; may be unknown for failures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Audience of an issued token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// `jti` of an issued token (an identifier, not the token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Key id involved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Client address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    /// Route the event came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
}

impl AuditEvent {
    /// An event for `action` with `outcome` (`ok` or `denied`).
    pub fn new(action: &str, outcome: &str) -> Self {
        Self {
            action: action.to_string(),
            outcome: outcome.to_string(),
            ..Default::default()
        }
    }
}
