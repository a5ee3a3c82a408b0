//! `/`: the ranked listings table, its filter form and the score distribution chart.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::access::{Viewer, LISTINGS_READ};
use crate::dashboard::html::{self, attr, e, q, Nav};
use crate::dashboard::svg;
use crate::read::listings::{ListParams, Row, MAX_LIMIT};
use crate::read::report::usd;
use crate::read::{self, params};
use crate::state::AppState;

fn select(name: &str, value: Option<&str>, options: &[(&str, &str)]) -> String {
    let mut s = format!("<select name=\"{name}\" id=\"f-{name}\">");
    for (v, label) in options {
        let sel = if value.unwrap_or("") == *v {
            " selected"
        } else {
            ""
        };
        let _ = write!(s, "<option value=\"{v}\"{sel}>{label}</option>");
    }
    s.push_str("</select>");
    s
}

fn input(name: &str, label: &str, value: &Option<String>, kind: &str) -> String {
    format!(
        "<label>{label}<input name=\"{name}\" id=\"f-{name}\" type=\"{kind}\" value=\"{}\"></label>",
        attr(value.as_deref().unwrap_or(""))
    )
}

/// The filter form, filled with the current values.
fn filters(p: &ListParams) -> String {
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/\">{}{}{}{}{}\
<label>Real estate{}</label><label>Fuel business{}</label><label>Sort{}</label>\
<button class=\"primary\" type=\"submit\">Filter</button> <a href=\"/\">Clear</a></form>",
        input("q", "Search", &p.q, "search"),
        input("min_score", "Min score", &p.min_score, "number"),
        input("max_price", "Max price ($)", &p.max_price, "number"),
        input("state", "State", &p.state, "text"),
        input("category", "Category", &p.category, "text"),
        select(
            "real_estate",
            params::given(&p.real_estate),
            &[
                ("", "any"),
                ("true", "in the deal"),
                ("false", "not in the deal")
            ]
        ),
        select(
            "applicable",
            params::given(&p.applicable),
            &[("", "any"), ("true", "yes"), ("false", "no")]
        ),
        select(
            "sort",
            params::given(&p.sort),
            &[
                ("", "score"),
                ("price", "price"),
                ("multiple", "multiple"),
                ("newest", "newest")
            ]
        ),
    )
}

fn row_html(r: &Row) -> String {
    let title = r.text("title").unwrap_or("(untitled)");
    let loc = [r.text("city"), r.text("state")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let score = match (r.score, r.applicable) {
        (Some(s), _) => format!("<span class=\"score\">{s}</span>"),
        (None, Some(false)) => "<span class=\"muted\">n/a</span>".into(),
        _ => "<span class=\"muted\">–</span>".into(),
    };
    let money = |v: Option<i64>| v.map(usd).unwrap_or_else(|| "–".into());
    let re = match r.real_estate_in_deal {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    };
    let loc = e(&loc);
    format!(
        "<tr><td class=\"num\">{score}</td><td><a href=\"/listings/{}\">{}</a><div class=\"muted narrow\">{loc}</div></td><td class=\"mid\">{loc}</td>\
<td class=\"num\">{}</td><td class=\"num wide\">{}</td><td class=\"num wide\">{}</td><td class=\"wide\">{re}</td><td class=\"wide muted\">{}</td></tr>",
        q(&r.listing_id),
        e(title),
        money(r.int("asking_price")),
        money(r.int("cash_flow")),
        r.multiple.map(|m| format!("{m:.1}x")).unwrap_or_else(|| "–".into()),
        e(r.model_version.as_deref().unwrap_or("")),
    )
}

/// `GET /`.
pub async fn page(v: Viewer, State(st): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    if !v.has(LISTINGS_READ) {
        return html::error_page(&v, StatusCode::FORBIDDEN, "Your role cannot read listings.");
    }
    let p: ListParams = match serde_urlencoded_lenient(raw.as_deref()) {
        Ok(p) => p,
        Err(msg) => return html::error_page(&v, StatusCode::BAD_REQUEST, &msg),
    };
    let req = match p.parse(MAX_LIMIT) {
        Ok(r) => r,
        Err(err) => {
            let body = format!(
                "<h1>Listings</h1>{}<p class=\"err\" id=\"filter-error\">{}</p>",
                filters(&p),
                e(&err.to_string())
            );
            return html::respond(
                StatusCode::BAD_REQUEST,
                html::page("Listings", &v, Nav::Listings, true, &body),
            );
        }
    };
    let filter = req.filter.clone();
    let res = read::with_conn(&st, move |conn| {
        let Some(conn) = conn else {
            return Ok((vec![], None, vec![]));
        };
        let (rows, next) = read::listings::page(conn, &req)?;
        let scores = read::listings::scores(conn, &filter)?;
        Ok((rows, next, scores))
    })
    .await;
    let (rows, next, scores) = match res {
        Ok(x) => x,
        Err(err) => {
            return html::error_page(&v, StatusCode::INTERNAL_SERVER_ERROR, &err.to_string())
        }
    };
    let mut body = format!("<h1>Ranked listings</h1>{}", filters(&p));
    if rows.is_empty() {
        body.push_str("<p id=\"no-listings\">No listing matches.</p>");
    } else {
        body.push_str(
            "<div class=\"scroll\"><table id=\"listings\"><thead><tr><th class=\"num\">Score</th><th>Listing</th><th class=\"mid\">Location</th>\
<th class=\"num\">Asking</th><th class=\"num wide\">Cash flow</th><th class=\"num wide\">Multiple</th><th class=\"wide\">Real estate</th><th class=\"wide\">Model</th></tr></thead><tbody>",
        );
        for r in &rows {
            body.push_str(&row_html(r));
        }
        body.push_str("</tbody></table></div>");
    }
    if let Some(c) = next {
        let mut p2 = p.clone();
        p2.cursor = Some(params::encode_cursor(&c));
        let qs = serde_urlencoded_string(&p2);
        let _ = write!(
            body,
            "<p class=\"pager\"><a id=\"next-page\" href=\"/?{}\">Next page →</a></p>",
            attr(&qs)
        );
    }
    let _ = write!(
        body,
        "<h2>How scores are distributed</h2><div class=\"card\">{}<p class=\"muted\">{} scored fuel listings match these filters.</p></div>",
        svg::histogram(&scores),
        scores.len()
    );
    html::respond(
        StatusCode::OK,
        html::page("Listings", &v, Nav::Listings, true, &body),
    )
}

/// Parses a query string into `T`, with a message fit for a page on failure.
pub fn serde_urlencoded_lenient<T: serde::de::DeserializeOwned>(
    raw: Option<&str>,
) -> Result<T, String> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let mut map = serde_json::Map::new();
    for (k, v) in pairs {
        if map
            .insert(k.clone(), serde_json::Value::String(v))
            .is_some()
        {
            return Err(format!("parameter {k} is given twice"));
        }
    }
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| format!("invalid parameters: {e}"))
}

/// The query string of the non-empty fields of `p`.
pub fn serde_urlencoded_string<T: serde::Serialize>(p: &T) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(p) {
        for (k, v) in m {
            if let Some(s) = v.as_str().filter(|s| !s.is_empty()) {
                ser.append_pair(&k, s);
            }
        }
    }
    ser.finish()
}
