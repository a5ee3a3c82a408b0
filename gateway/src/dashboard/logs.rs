//! `/logs`: the log viewer (filters, paging) and a live tail, for `logs:read` or admin.
//!
//! The window defaults to the last hour. The live tail is the one piece of JavaScript of the
//! dashboard ([`crate::dashboard::html::TAIL_JS`]): an `EventSource` on `/api/logs/tail` with
//! the same service and level, appending each record as text (never as HTML).

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, SecondsFormat, Utc};

use crate::access::{Viewer, LOGS_READ};
use crate::dashboard::html::{self, attr, e, Nav};
use crate::dashboard::listings::{serde_urlencoded_lenient, serde_urlencoded_string};
use crate::read::logs::{LogParams, LEVELS, MAX_WINDOW};
use crate::read::{self, params};
use crate::state::AppState;

fn form(p: &LogParams) -> String {
    let input = |name: &str, label: &str, v: &Option<String>| {
        format!(
            "<label>{label}<input name=\"{name}\" id=\"f-{name}\" value=\"{}\"></label>",
            attr(v.as_deref().unwrap_or(""))
        )
    };
    let mut level = String::from(
        "<label>Min level<select name=\"level\" id=\"f-level\"><option value=\"\">any</option>",
    );
    for l in LEVELS {
        let sel = if params::given(&p.level).is_some_and(|x| x.eq_ignore_ascii_case(l)) {
            " selected"
        } else {
            ""
        };
        let _ = write!(level, "<option{sel}>{l}</option>");
    }
    level.push_str("</select></label>");
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/logs\">{}{level}{}{}{}\
<button class=\"primary\" type=\"submit\">Show</button></form>",
        input("service", "Service", &p.service),
        input("from", "From (RFC 3339)", &p.from),
        input("to", "To (RFC 3339)", &p.to),
        input("q", "Search", &p.q),
    )
}

/// `GET /logs`.
pub async fn page(v: Viewer, State(st): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    if !v.has(LOGS_READ) {
        return html::error_page(
            &v,
            StatusCode::FORBIDDEN,
            "Only administrators and log readers can read logs.",
        );
    }
    let mut p: LogParams = match serde_urlencoded_lenient(raw.as_deref()) {
        Ok(p) => p,
        Err(m) => return html::error_page(&v, StatusCode::BAD_REQUEST, &m),
    };
    let now = Utc::now();
    if params::given(&p.to).is_none() {
        p.to = Some((now + Duration::seconds(1)).to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    if params::given(&p.from).is_none() {
        p.from = Some((now - Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    let mut body = format!("<h1>Logs</h1>{}", form(&p));
    let query = match p.parse(MAX_WINDOW) {
        Ok(x) => x,
        Err(err) => {
            let _ = write!(
                body,
                "<p class=\"err\" id=\"log-error\">{}</p>",
                e(&err.to_string())
            );
            return html::respond(
                StatusCode::BAD_REQUEST,
                html::page("Logs", &v, Nav::Logs, false, &body),
            );
        }
    };
    // The serializer is not `Send`: build the string in its own scope, before any await.
    let tail_src = {
        let mut tail_q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = &query.filter.service {
            tail_q.append_pair("service", s);
        }
        if query.filter.min_level > 0 {
            tail_q.append_pair("level", LEVELS[query.filter.min_level]);
        }
        format!("/api/logs/tail?{}", tail_q.finish())
    };
    let res = read::with_conn(&st, move |conn| match conn {
        None => Ok((vec![], None)),
        Some(c) => read::logs::page(c, &query),
    })
    .await;
    let (items, next) = match res {
        Ok(x) => x,
        Err(err) => {
            return html::error_page(&v, StatusCode::INTERNAL_SERVER_ERROR, &err.to_string())
        }
    };
    let _ = write!(
        body,
        "<h2>Live tail</h2><pre class=\"tail\" id=\"tail\" data-src=\"{}\"></pre><h2>Records</h2>",
        attr(&tail_src)
    );
    if items.is_empty() {
        body.push_str("<p id=\"no-logs\">No record in this window.</p>");
    } else {
        body.push_str("<div class=\"scroll\"><table id=\"logs\"><thead><tr><th>Time</th><th>Level</th><th>Service</th><th>Message</th><th class=\"wide\">Target</th></tr></thead><tbody>");
        for it in &items {
            let _ = write!(
                body,
                "<tr><td class=\"muted\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"wide muted\">{}</td></tr>",
                e(it.time.get(..19).unwrap_or(&it.time)),
                e(&it.level),
                e(&it.service),
                e(&it.message),
                e(&it.target)
            );
        }
        body.push_str("</tbody></table></div>");
    }
    if let Some(c) = next {
        let mut p2 = p.clone();
        p2.cursor = Some(params::encode_cursor(&c));
        let _ = write!(
            body,
            "<p class=\"pager\"><a href=\"/logs?{}\">More →</a></p>",
            attr(&serde_urlencoded_string(&p2))
        );
    }
    html::respond(
        StatusCode::OK,
        html::page("Logs", &v, Nav::Logs, false, &body),
    )
}
