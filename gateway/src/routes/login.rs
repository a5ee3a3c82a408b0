//! The dashboard login: `GET /login` (a server-rendered form), `POST /login` (sets the session
//! cookie), `POST /logout` (revokes it).
//!
//! Decisions:
//! * CSRF: double-submit token (OWASP CSRF cheat sheet). `GET /login` sets a random
//!   `gsa_csrf` cookie (`HttpOnly`, `SameSite=Strict`) and puts the same value in the form;
//!   a post must carry both, equal (constant-time compare), and, when the browser sends
//!   `Origin`, an origin whose host is this gateway's.
//! * `return_to` (where to go after login) is honoured only for a relative path on the gateway
//!   or an URL on a registered origin ([`crate::config::GatewayConfig::login_origins`]);
//!   anything else is refused with 400 `invalid_return_to` (no open redirect).
//! * Every failure (unknown user, wrong password, disabled user, banned user or address) is
//!   the same 401 `invalid_credentials` after the same argon2 work (a dummy hash for unknown
//!   users), so neither the answer nor its timing tells which.
//! * Brute force: see [`crate::throttle::LoginGuard`]; failures count per user and per address.
//!   Banning a user by name lets anyone lock that user out, so a browser the user has logged
//!   in with before is exempt (OWASP "Slow Down Online Guessing Attacks with Device Cookies"):
//!   every successful login sets a signed `gsa_device` cookie bound to the user
//!   ([`crate::sessions::device_cookie`]; `HttpOnly`, `SameSite=Strict`, `Path=/login`, 30
//!   days). An attempt that presents a valid device cookie *for the user it names* is not
//!   subject to the user's ban nor the address's ban; its failures count only against that
//!   cookie (the same limits: 3 failures in 2 minutes lock that cookie out for 5 minutes), and a
//!   locked-out cookie is treated as absent. Attempts without one (or with a forged, expired or
//!   other user's cookie) are subject to the bans as before and count towards them. A banned
//!   attempt still gets the wrong-password answer after the same work.
//! * The session cookie is `HttpOnly; SameSite=Lax; Path=/`, `Secure` when configured or when
//!   the request came through a trusted TLS proxy; a new id at every login (no fixation).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::audit::{action, AuditEvent};
use crate::client_addr::{via_tls, ClientAddr};
use crate::config::normalize_origin;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{sessions, users};

/// Login routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

/// Query of `GET /login`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LoginQuery {
    /// Where to send the browser after a successful login: a path on the gateway or an URL
    /// on a registered origin.
    pub return_to: Option<String>,
}

/// The `return_to` to use, or `None` when it must be refused (see the module docs).
pub fn safe_return_to(raw: Option<&str>, origins: &[String]) -> Option<String> {
    let raw = match raw {
        None | Some("") => return Some("/".to_string()),
        Some(r) => r,
    };
    if raw.len() > 2048 || raw.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    if raw.starts_with('/') {
        // "//evil" and "/\evil" are network-path references to another host.
        return (!raw.starts_with("//")).then(|| raw.to_string());
    }
    let url = url::Url::parse(raw).ok()?;
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let origin = normalize_origin(raw)?;
    origins.contains(&origin).then(|| url.to_string())
}

fn secure(parts_headers: &HeaderMap, st: &AppState, tls: bool) -> bool {
    let _ = parts_headers;
    st.gw.cookie_secure || tls
}

fn cookie_header(
    name: &str,
    value: &str,
    same_site: &str,
    max_age: i64,
    secure: bool,
) -> HeaderValue {
    cookie_header_at(name, value, "/", same_site, max_age, secure)
}

fn cookie_header_at(
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    max_age: i64,
    secure: bool,
) -> HeaderValue {
    let s = format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite={same_site}; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("gsa_invalid=1"))
}

/// Whether the cookie value could be one we set.
fn plausible_token(v: &str) -> bool {
    v.len() == 43
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[utoipa::path(get, path = "/login", tag = "login", params(LoginQuery),
    responses((status = 200, description = "The login form (HTML)"),
              (status = 400, description = "return_to is not allowed (JSON error)")))]
async fn login_page(
    State(st): State<AppState>,
    parts: Parts,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query?;
    let return_to =
        safe_return_to(q.return_to.as_deref(), &st.gw.login_origins).ok_or_else(|| {
            ApiError::bad("invalid_return_to", "return_to is not a registered origin")
        })?;
    let csrf = sessions::cookie(&parts.headers, sessions::CSRF_COOKIE)
        .filter(|c| plausible_token(c))
        .unwrap_or_else(sessions::random_token);
    let attr = |s: &str| html_escape::encode_double_quoted_attribute(s).to_string();
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Sign in - Gas Station Analyzer</title><style>{}</style></head><body>\n\
<header><span class=\"brand\">Gas Station Analyzer</span></header>\n\
<main><form class=\"login\" method=\"post\" action=\"/login\">\n<h1>Sign in</h1>\n\
<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
<input type=\"hidden\" name=\"return_to\" value=\"{}\">\n\
<label>User <input name=\"username\" autocomplete=\"username\" required></label>\n\
<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\n\
<button class=\"primary\" type=\"submit\">Sign in</button>\n</form></main>\n</body></html>\n",
        crate::dashboard::html::CSS,
        attr(&csrf),
        attr(&return_to)
    );
    let tls = via_tls(&parts, &st.gw.trusted_proxies);
    let mut resp = (StatusCode::OK, html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let csp = format!(
        "default-src 'none'; style-src {}; form-action 'self'; frame-ancestors 'none'",
        crate::dashboard::html::style_src()
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::SET_COOKIE,
        cookie_header(
            sessions::CSRF_COOKIE,
            &csrf,
            "Strict",
            st.gw.session_max.as_secs() as i64,
            secure(&parts.headers, &st, tls),
        ),
    );
    Ok(resp)
}

/// Parses an `application/x-www-form-urlencoded` body, refusing repeated fields.
fn form(headers: &HeaderMap, body: &[u8]) -> ApiResult<std::collections::HashMap<String, String>> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return Err(ApiError::UnsupportedMediaType(
            "use application/x-www-form-urlencoded".into(),
        ));
    }
    let mut out = std::collections::HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if out.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(ApiError::BadRequest(format!(
                "field {k:?} given more than once"
            )));
        }
    }
    Ok(out)
}

/// The CSRF check shared by `POST /login` and `POST /logout`.
fn check_csrf(parts: &Parts, form_token: Option<&String>) -> ApiResult<()> {
    let cookie = sessions::cookie(&parts.headers, sessions::CSRF_COOKIE);
    let ok = match (cookie, form_token) {
        (Some(c), Some(f)) => plausible_token(&c) && bool::from(c.as_bytes().ct_eq(f.as_bytes())),
        _ => false,
    };
    if !ok {
        return Err(ApiError::CsrfFailed);
    }
    // Fetch metadata: a browser's cross-site post names its origin; it must be ours.
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let same = origin
            .to_str()
            .ok()
            .and_then(|o| url::Url::parse(o).ok())
            .is_some_and(|u| {
                let hp = match u.port() {
                    Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
                    None => u.host_str().unwrap_or("").to_string(),
                };
                hp.eq_ignore_ascii_case(host)
            });
        if !same {
            return Err(ApiError::CsrfFailed);
        }
    }
    Ok(())
}

#[utoipa::path(post, path = "/login", tag = "login",
    request_body(content_type = "application/x-www-form-urlencoded",
        description = "username, password, csrf, return_to"),
    responses((status = 303, description = "Logged in: session cookie and a fresh gsa_device cookie set, redirect to return_to"),
              (status = 401, description = "invalid_credentials (the same for every cause)"),
              (status = 403, description = "csrf_failed")))]
async fn login(
    State(st): State<AppState>,
    addr: ClientAddr,
    parts: Parts,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body?;
    let f = form(&parts.headers, &body)?;
    check_csrf(&parts, f.get("csrf"))?;
    let return_to = safe_return_to(f.get("return_to").map(String::as_str), &st.gw.login_origins)
        .ok_or_else(|| {
            ApiError::bad("invalid_return_to", "return_to is not a registered origin")
        })?;
    let username = f.get("username").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    let user_key = format!("user:{}", username.to_lowercase());
    let addr_key = format!("ip:{}", addr.key());
    let device_raw = sessions::cookie(&parts.headers, sessions::DEVICE_COOKIE);
    let cfg = st.cfg.clone();
    let name = username.clone();
    let now = st.now();
    // The password check runs even when banned, so a ban answers in the same time.
    let (role, known, device, key) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let key = sessions::device_key(&cfg)?;
        let device = device_raw
            .and_then(|v| sessions::check_device_cookie(&key, &v, now))
            .filter(|d| d.user == name);
        let role = users::authenticate(&cfg, &name, &password)?;
        let known = role.is_some() || users::role_of(&cfg, &name)?.is_some();
        Ok((role, known, device, key))
    })
    .await
    .map_err(anyhow::Error::from)??;
    // A valid device cookie of this user that is not itself locked out: a trusted browser.
    let device_guard_key = device.as_ref().map(|d| format!("device:{}", d.nonce));
    let trusted = device_guard_key
        .as_deref()
        .is_some_and(|k| !st.limits.login.is_banned(k));
    let banned =
        !trusted && (st.limits.login.is_banned(&user_key) || st.limits.login.is_banned(&addr_key));
    let Some(role) = role.filter(|_| !banned) else {
        match device_guard_key.as_deref().filter(|_| trusted) {
            // Only this browser's own count: an attacker cannot use it against the user.
            Some(k) => {
                st.limits.login.fail(k);
            }
            None => {
                st.limits.login.fail(&user_key);
                st.limits.login.fail(&addr_key);
            }
        }
        st.metrics.inc("gsa_login_failures_total", &[]);
        let mut ev = AuditEvent::new(action::LOGIN_FAILED, "denied");
        ev.reason = Some(
            if banned {
                "banned"
            } else {
                "invalid_credentials"
            }
            .to_string(),
        );
        // Only a registered name is recorded: a password typed into the user field must not
        // end up in the audit trail.
        ev.actor = known.then(|| username.clone());
        ev.addr = addr.0.map(|a| a.to_string());
        st.audit.emit(ev);
        tracing::info!(banned, trusted_device = trusted, "login failed");
        return Err(ApiError::InvalidCredentials);
    };
    st.limits.login.clear(&user_key);
    if let Some(k) = &device_guard_key {
        st.limits.login.clear(k);
    }
    let cfg = st.cfg.clone();
    let name = username.clone();
    let id = tokio::task::spawn_blocking(move || sessions::create(&cfg, &name, now))
        .await
        .map_err(anyhow::Error::from)??;
    st.metrics.inc("gsa_logins_total", &[]);
    let mut ev = AuditEvent::new(action::LOGIN_SUCCEEDED, "ok");
    ev.actor = Some(username.clone());
    ev.addr = addr.0.map(|a| a.to_string());
    st.audit.emit(ev);
    tracing::info!(user = %username, role = role.as_str(), "login");
    let tls = via_tls(&parts, &st.gw.trusted_proxies);
    let mut resp = StatusCode::SEE_OTHER.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::LOCATION,
        HeaderValue::from_str(&return_to).unwrap_or_else(|_| HeaderValue::from_static("/")),
    );
    h.insert(
        header::SET_COOKIE,
        cookie_header(
            sessions::COOKIE,
            &id,
            "Lax",
            st.gw.session_max.as_secs() as i64,
            secure(&parts.headers, &st, tls),
        ),
    );
    // A fresh device cookie at every login (OWASP: "issue new device cookie to the client"),
    // sent back only to /login.
    h.append(
        header::SET_COOKIE,
        cookie_header_at(
            sessions::DEVICE_COOKIE,
            &sessions::device_cookie(&key, &username, now),
            "/login",
            "Strict",
            sessions::DEVICE_COOKIE_MAX_AGE_SECS,
            secure(&parts.headers, &st, tls),
        ),
    );
    Ok(resp)
}

#[utoipa::path(post, path = "/logout", tag = "login",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 303, description = "Session revoked, cookie cleared, redirect to /login"),
              (status = 403, description = "csrf_failed")))]
async fn logout(
    State(st): State<AppState>,
    parts: Parts,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body?;
    let f = form(&parts.headers, &body)?;
    check_csrf(&parts, f.get("csrf"))?;
    if let Some(id) = sessions::cookie(&parts.headers, sessions::COOKIE) {
        let cfg = st.cfg.clone();
        let user = tokio::task::spawn_blocking(move || sessions::revoke(&cfg, &id))
            .await
            .map_err(anyhow::Error::from)??;
        if let Some(user) = user {
            let mut ev = AuditEvent::new(action::LOGOUT, "ok");
            ev.actor = Some(user);
            st.audit.emit(ev);
        }
    }
    let tls = via_tls(&parts, &st.gw.trusted_proxies);
    let mut resp = StatusCode::SEE_OTHER.into_response();
    resp.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/login"));
    resp.headers_mut().insert(
        header::SET_COOKIE,
        cookie_header(
            sessions::COOKIE,
            "",
            "Lax",
            0,
            secure(&parts.headers, &st, tls),
        ),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_is_relative_or_a_registered_origin() {
        let origins = vec!["https://dash.example".to_string()];
        assert_eq!(safe_return_to(None, &origins).as_deref(), Some("/"));
        assert_eq!(
            safe_return_to(Some("/a?b=c"), &origins).as_deref(),
            Some("/a?b=c")
        );
        assert_eq!(
            safe_return_to(Some("https://dash.example/x"), &origins).as_deref(),
            Some("https://dash.example/x")
        );
        for bad in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "https://dash.example.evil.example/",
            "https://dash.example@evil.example/",
            "https://user@dash.example/",
            "http://dash.example/",
            "javascript:alert(1)",
            "data:text/html,hi",
            "/a\nb",
            "evil.example",
        ] {
            assert_eq!(safe_return_to(Some(bad), &origins), None, "{bad}");
        }
    }
}
