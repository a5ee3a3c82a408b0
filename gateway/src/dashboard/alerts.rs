//! `/alerts`: high-score alerts, newest first, with keyset paging.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::access::{Viewer, ALERTS_READ};
use crate::dashboard::html::{self, attr, e, q, Nav};
use crate::dashboard::listings::{serde_urlencoded_lenient, serde_urlencoded_string};
use crate::read::alerts::AlertParams;
use crate::read::report::usd;
use crate::read::{self, params};
use crate::state::AppState;

/// `GET /alerts`.
pub async fn page(v: Viewer, State(st): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    if !v.has(ALERTS_READ) {
        return html::error_page(&v, StatusCode::FORBIDDEN, "Your role cannot read alerts.");
    }
    let p: AlertParams = match serde_urlencoded_lenient(raw.as_deref()) {
        Ok(p) => p,
        Err(m) => return html::error_page(&v, StatusCode::BAD_REQUEST, &m),
    };
    let query = match p.parse() {
        Ok(x) => x,
        Err(err) => return html::error_page(&v, StatusCode::BAD_REQUEST, &err.to_string()),
    };
    let res = read::with_conn(&st, move |conn| match conn {
        None => Ok((vec![], None)),
        Some(c) => read::alerts::page(c, &query),
    })
    .await;
    let (items, next) = match res {
        Ok(x) => x,
        Err(err) => {
            return html::error_page(&v, StatusCode::INTERNAL_SERVER_ERROR, &err.to_string())
        }
    };
    let mut body = String::from("<h1>High-score alerts</h1>");
    if items.is_empty() {
        body.push_str("<p id=\"no-alerts\">No alert yet.</p>");
    } else {
        body.push_str("<div class=\"scroll\"><table id=\"alerts\"><thead><tr><th>When</th><th class=\"num\">Score</th><th>Listing</th><th class=\"wide\">Why</th><th class=\"num wide\">Asking</th><th class=\"wide\">Summary</th></tr></thead><tbody>");
        for a in &items {
            let s = |k: &str| a[k].as_str().unwrap_or("").to_string();
            let id = s("listing_id");
            let _ = write!(
                body,
                "<tr><td class=\"muted\">{}</td><td class=\"num score\">{}</td><td><a href=\"/listings/{}\">{}</a><div class=\"muted\">{}</div></td><td class=\"wide\">{}</td><td class=\"num wide\">{}</td><td class=\"wide\">{}</td></tr>",
                e(s("time").get(..16).unwrap_or("")),
                a["score"].as_i64().unwrap_or(0),
                q(&id),
                e(a["title"].as_str().unwrap_or(&id)),
                e(&[s("city"), s("state")].into_iter().filter(|x| !x.is_empty()).collect::<Vec<_>>().join(", ")),
                e(&s("reason").replace('_', " ")),
                a["asking_price"].as_i64().map(usd).unwrap_or_else(|| "–".into()),
                e(&s("summary")),
            );
        }
        body.push_str("</tbody></table></div>");
    }
    if let Some(c) = next {
        let mut p2 = p.clone();
        p2.cursor = Some(params::encode_cursor(&c));
        let _ = write!(
            body,
            "<p class=\"pager\"><a href=\"/alerts?{}\">Older →</a></p>",
            attr(&serde_urlencoded_string(&p2))
        );
    }
    html::respond(
        StatusCode::OK,
        html::page("Alerts", &v, Nav::Alerts, true, &body),
    )
}
