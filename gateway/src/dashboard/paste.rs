//! `/paste`: a person pastes a listing's text; it enters the pipeline like any other source.
//!
//! The text is written as a `.txt` file into the scraper's inbox (`GSA_INBOX`, default
//! `$GSA_DATA_DIR/inbox`): the scraper worker picks it up, parses it as pasted text, publishes
//! `gsa.listing.scraped`, the analyzer scores it and the logging worker stores it. The gateway
//! publishes nothing itself (no NATS in the gateway). The file is written under a name the
//! inbox ignores (`.part`) and renamed, so the scraper never reads half a file.
//!
//! The text is first read as the scraper will read it: a paste that is not a listing ("hello
//! world") is answered 422 with the scraper's reason, and nothing is written. The page links to
//! where the listing will appear: the id the scraper gives it, per the schema `text-` plus the
//! first 12 hex digits of the SHA-256 of the text (line ends normalised to `\n`, outer
//! whitespace trimmed), or the site's ad number when the text carries the listing's address.
//!
//! CSRF: the double-submit token of the login (the `gsa_csrf` cookie must equal the form's
//! `csrf` field, compared in constant time), and a browser's `Origin`, when sent, must be
//! this gateway's host.

use std::fmt::Write as _;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::access::{Viewer, LISTINGS_READ};
use crate::dashboard::html::{self, attr, e, q, Nav};
use crate::sessions;
use crate::state::AppState;

/// Longest accepted paste, in characters.
pub const MAX_CHARS: usize = 50_000;

/// Query of `GET /paste` after a submit.
#[derive(Debug, Deserialize)]
pub struct Sent {
    /// The listing id the paste will get.
    pub sent: Option<String>,
}

fn form_html(v: &Viewer, text: &str, msg: &str) -> String {
    format!(
        "<h1>Paste a listing</h1>{msg}<p>Copy a listing's page from your browser (title, location, the figures and the description) and paste it below. It goes through the same pipeline as every other source and appears in the listings once scored.</p>\
<form method=\"post\" action=\"/paste\" id=\"paste-form\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<textarea name=\"text\" id=\"paste-text\" required maxlength=\"{MAX_CHARS}\">{}</textarea>\
<p><button class=\"primary\" type=\"submit\" id=\"paste-submit\">Send to the pipeline</button></p></form>",
        attr(v.csrf.as_deref().unwrap_or("")),
        e(text)
    )
}

/// The form again, with the text kept and `msg` (HTML) above it.
fn refused(v: &Viewer, text: &str, status: StatusCode, msg: &str) -> Response {
    html::respond(
        status,
        html::page(
            "Paste a listing",
            v,
            Nav::Paste,
            false,
            &form_html(v, text, msg),
        ),
    )
}

/// `GET /paste`.
pub async fn form(v: Viewer, Query(s): Query<Sent>) -> Response {
    if !v.has(LISTINGS_READ) {
        return html::error_page(&v, StatusCode::FORBIDDEN, "Your role cannot add listings.");
    }
    let msg = match s.sent.as_deref().filter(|id| gsa_schemas::listing::valid_listing_id(id)) {
        Some(id) => format!(
            "<p class=\"ok\" id=\"paste-sent\">Sent. The listing will appear at <a id=\"pasted-link\" href=\"/listings/{}\">{}</a> once it is scored.</p>",
            q(id),
            e(id)
        ),
        None => String::new(),
    };
    html::respond(
        StatusCode::OK,
        html::page(
            "Paste a listing",
            &v,
            Nav::Paste,
            false,
            &form_html(&v, "", &msg),
        ),
    )
}

fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return true;
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    origin
        .to_str()
        .ok()
        .and_then(|o| url::Url::parse(o).ok())
        .is_some_and(|u| {
            let hp = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
                None => u.host_str().unwrap_or("").to_string(),
            };
            hp.eq_ignore_ascii_case(host)
        })
}

/// Writes `text` into `inbox` as a `.txt` file (via a `.part` file and a rename).
pub fn write_inbox(
    inbox: &std::path::Path,
    id: &str,
    text: &str,
) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(inbox)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let name = format!("paste-{stamp}-{id}.txt");
    let part = inbox.join(format!(".{name}.part"));
    std::fs::write(&part, text.as_bytes())?;
    let dest = inbox.join(name);
    std::fs::rename(&part, &dest)?;
    Ok(dest)
}

/// `POST /paste`.
pub async fn submit(
    v: Viewer,
    State(st): State<AppState>,
    parts: Parts,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !v.has(LISTINGS_READ) {
        return html::error_page(&v, StatusCode::FORBIDDEN, "Your role cannot add listings.");
    }
    let Ok(body) = body else {
        return html::error_page(&v, StatusCode::PAYLOAD_TOO_LARGE, "The text is too long.");
    };
    let ct = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return html::error_page(&v, StatusCode::UNSUPPORTED_MEDIA_TYPE, "Send the form.");
    }
    let mut text = None;
    let mut csrf = None;
    for (k, val) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "text" => text = Some(val.into_owned()),
            "csrf" => csrf = Some(val.into_owned()),
            _ => {}
        }
    }
    let cookie = sessions::cookie(&parts.headers, sessions::CSRF_COOKIE);
    let csrf_ok = match (&cookie, &csrf) {
        (Some(c), Some(f)) => !c.is_empty() && bool::from(c.as_bytes().ct_eq(f.as_bytes())),
        _ => false,
    };
    if !csrf_ok || !same_origin(&parts) {
        return html::error_page(
            &v,
            StatusCode::FORBIDDEN,
            "The form is stale or came from another site; reload the page and try again.",
        );
    }
    let text = text.unwrap_or_default();
    let mut msg = String::new();
    if text.trim().is_empty() {
        let _ = write!(msg, "<p class=\"err\">Paste the listing's text first.</p>");
    } else if text.chars().count() > MAX_CHARS {
        let _ = write!(
            msg,
            "<p class=\"err\">The text is longer than {MAX_CHARS} characters.</p>"
        );
    }
    if !msg.is_empty() {
        return refused(&v, &text, StatusCode::BAD_REQUEST, &msg);
    }
    // Read it as the scraper will, so a paste that is not a listing is said here (it used to
    // be "Sent" and then never appear), and the link names the id the scraper gives it (the
    // site's ad number when the text carries the listing's address).
    let probe = text.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        gsa_scraper::parse_bytes("paste", probe.as_bytes(), chrono::Utc::now())
    })
    .await;
    let id = match parsed {
        Ok(out) => match out.listings.first() {
            Some(l) => l.listing_id.clone(),
            None => {
                let why = out
                    .rejections
                    .first()
                    .map(|r| r.reason.clone())
                    .unwrap_or_else(|| "the text was not read as a listing".into());
                let msg = format!(
                    "<p class=\"err\" id=\"paste-rejected\">Not sent: {}</p>",
                    e(&why)
                );
                return refused(&v, &text, StatusCode::UNPROCESSABLE_ENTITY, &msg);
            }
        },
        Err(err) => {
            tracing::error!(error = %err, "paste parse task failed");
            return html::error_page(&v, StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let inbox = st.cfg.inbox.clone();
    let id2 = id.clone();
    let written = tokio::task::spawn_blocking(move || write_inbox(&inbox, &id2, &text)).await;
    match written {
        Ok(Ok(path)) => {
            tracing::info!(user = %v.user, listing_id = %id, file = %path.display(), "pasted listing written to the inbox");
            let mut resp = StatusCode::SEE_OTHER.into_response();
            if let Ok(loc) = HeaderValue::from_str(&format!("/paste?sent={}", q(&id))) {
                resp.headers_mut().insert(header::LOCATION, loc);
            }
            resp
        }
        Ok(Err(err)) => {
            tracing::error!(error = %err, "could not write the pasted listing to the inbox");
            html::error_page(
                &v,
                StatusCode::INTERNAL_SERVER_ERROR,
                "The listing could not be written to the inbox.",
            )
        }
        Err(err) => {
            tracing::error!(error = %err, "paste task failed");
            html::error_page(&v, StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_land_in_the_inbox_whole() {
        let a = "text-0123456789ab";
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path().join("inbox");
        let p = write_inbox(&inbox, a, "Gas station").unwrap();
        assert_eq!(p.extension().unwrap(), "txt");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "Gas station");
        let names: Vec<_> = std::fs::read_dir(&inbox)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no .part file is left behind");
    }
}
