//! Who may read what: the [`Caller`] extractor of the read API, the [`Viewer`] extractor of
//! the dashboard pages, and the scopes they check.
//!
//! The read API accepts "scoped tokens or a dashboard session" (issue 6): [`Caller`] is
//! [`crate::auth::Bearer`], which judges a request with an `Authorization` header by its bearer
//! token alone and one without by the session cookie ([`crate::sessions`]), whose user's role
//! grants its scopes ([`crate::users::Role::scopes`]). Scopes are checked by the handler *before* it looks
//! at its parameters, so a caller without the scope learns nothing from a 400 (it gets 403
//! whatever it sent).
//!
//! Dashboard pages take [`Viewer`]: no valid session means a redirect to `/login` (with
//! `return_to` set to the page asked for), never a page with data.

use axum::extract::FromRequestParts;
use axum::http::header::LOCATION;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::auth::Bearer;
use crate::error::ApiError;
use crate::sessions;
use crate::state::AppState;
use crate::users::Role;

/// Read listings, their score cards, reports and exports.
pub const LISTINGS_READ: &str = "listings:read";
/// Read high-score alerts.
pub const ALERTS_READ: &str = "alerts:read";
/// Read service logs.
pub const LOGS_READ: &str = "logs:read";
/// Everything, including raw events and logs.
pub const ADMIN: &str = "admin";

/// An authenticated caller of the read API.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Subject (client id or user name).
    pub sub: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

impl Caller {
    /// Whether the caller holds `scope` (or [`ADMIN`], which implies every read scope).
    pub fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope || s == ADMIN)
    }

    /// `Ok` when the caller holds `scope` (or admin), else 403 `insufficient_scope`.
    pub fn require(&self, scope: &'static str) -> Result<(), ApiError> {
        if self.has(scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(scope))
        }
    }

    /// `Ok` only for [`ADMIN`].
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.scopes.iter().any(|s| s == ADMIN) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(ADMIN))
        }
    }
}

impl From<Bearer> for Caller {
    fn from(b: Bearer) -> Self {
        Self {
            sub: b.0.sub,
            scopes: b.0.scopes,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    /// [`Bearer`] does the work: a bearer token when an `Authorization` header is present,
    /// otherwise the dashboard session cookie, then the per-caller API limit.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Bearer::from_request_parts(parts, state)
            .await
            .map(Caller::from)
    }
}

/// A person logged in to the dashboard (a valid session cookie).
#[derive(Debug, Clone)]
pub struct Viewer {
    /// User name.
    pub user: String,
    /// Role.
    pub role: Role,
    /// Scopes the role grants.
    pub scopes: Vec<String>,
    /// The double-submit CSRF token of this browser (the `gsa_csrf` cookie), to put in forms.
    pub csrf: Option<String>,
}

impl Viewer {
    /// Whether the user holds `scope` (admin holds every scope).
    pub fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope || s == ADMIN)
    }

    /// The session's user, or `None` when there is no valid session.
    pub async fn of(parts: &Parts, st: &AppState) -> Result<Option<Self>, ApiError> {
        let Some(id) = sessions::cookie(&parts.headers, sessions::COOKIE) else {
            return Ok(None);
        };
        let cfg = st.cfg.clone();
        let idle = st.gw.session_idle.as_secs() as i64;
        let max = st.gw.session_max.as_secs() as i64;
        let now = st.now();
        let found =
            tokio::task::spawn_blocking(move || sessions::lookup(&cfg, &id, idle, max, now))
                .await
                .map_err(anyhow::Error::from)??;
        Ok(found.map(|(user, role)| Viewer {
            user,
            scopes: role.scopes(),
            role,
            csrf: sessions::cookie(&parts.headers, sessions::CSRF_COOKIE),
        }))
    }
}

/// Where a visitor without a session is sent: the login page, coming back to `path` after.
pub fn login_redirect(path_and_query: &str) -> Response {
    let back: String = url::form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect();
    let mut resp = StatusCode::SEE_OTHER.into_response();
    let loc = HeaderValue::from_str(&format!("/login?return_to={back}"))
        .unwrap_or_else(|_| HeaderValue::from_static("/login"));
    resp.headers_mut().insert(LOCATION, loc);
    resp
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match Viewer::of(parts, state).await {
            Ok(Some(v)) => Ok(v),
            Ok(None) => {
                let pq = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                Err(login_redirect(pq))
            }
            Err(e) => Err(e.into_response()),
        }
    }
}
