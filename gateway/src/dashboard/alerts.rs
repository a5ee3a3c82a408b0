//! `/alerts`: high-score alerts, newest first, with keyset paging; a live list fed by
//! `GET /api/alerts/stream` (same `min_score` filter) above the table; and the pipeline's
//! health from NATS (consumer lag per durable consumer, dead letters per stream, see
//! [`crate::metrics::Pipeline`]), so a backlog or a parked alert is visible where alerts are read.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::access::{Viewer, ALERTS_READ};
use crate::dashboard::html::{self, attr, e, q, Nav};
use crate::dashboard::listings::{serde_urlencoded_lenient, serde_urlencoded_string};
use crate::metrics::Pipeline;
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
    let min_score = query.min_score;
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
    let pipeline = st.metrics.pipeline(&st.cfg.nats_url).await;
    let mut body = String::from("<h1>High-score alerts</h1>");
    let src = match min_score {
        Some(m) => format!("/api/alerts/stream?min_score={m}"),
        None => "/api/alerts/stream".to_string(),
    };
    let _ = write!(
        body,
        "<p class=\"muted\" id=\"live-status\">Live updates need JavaScript.</p><ul class=\"live\" id=\"live\" data-src=\"{}\"></ul>",
        attr(&src)
    );
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
    body.push_str(&pipeline_section(&pipeline));
    html::respond(
        StatusCode::OK,
        html::page("Alerts", &v, Nav::Alerts, true, &body),
    )
}

/// The "Pipeline" section: lag of each durable consumer and dead letters per stream.
pub fn pipeline_section(p: &Pipeline) -> String {
    let mut out = String::from("<h2>Pipeline</h2>");
    if !p.nats_up {
        out.push_str("<p class=\"err\" id=\"pipeline-down\">NATS does not answer: consumer lag and dead letters are unknown.</p>");
        return out;
    }
    out.push_str("<div class=\"scroll\"><table id=\"pipeline\"><thead><tr><th>Stream</th><th>Consumer</th><th class=\"num\">Lag</th><th class=\"num wide\">Not delivered</th><th class=\"num wide\">Awaiting ack</th></tr></thead><tbody>");
    for l in &p.lag {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num wide\">{}</td><td class=\"num wide\">{}</td></tr>",
            e(&l.stream),
            e(&l.consumer),
            l.num_pending + l.ack_pending,
            l.num_pending,
            l.ack_pending
        );
    }
    out.push_str("</tbody></table></div>");
    let total: u64 = p.dead_letters.iter().map(|(_, n)| n).sum();
    if total == 0 {
        out.push_str("<p id=\"dead-letters\">No dead letters.</p>");
    } else {
        let parts: Vec<String> = p
            .dead_letters
            .iter()
            .map(|(s, n)| format!("{} {n}", e(s)))
            .collect();
        let _ = write!(
            out,
            "<p class=\"err\" id=\"dead-letters\">Dead letters: {} (<code>gsa dlq list</code>, <code>gsa dlq replay</code>).</p>",
            parts.join(", ")
        );
    }
    out
}
