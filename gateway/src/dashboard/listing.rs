//! `/listings/{id}`: one listing with its score card, the write-up and the score history.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use gsa_schemas::{Listing, RealEstateBasis, ScoreCard};

use crate::access::{Viewer, LISTINGS_READ};
use crate::dashboard::html::{self, e, q, safe_href, Nav};
use crate::dashboard::svg;
use crate::error::ApiError;
use crate::read::detail::Detail;
use crate::read::report::{pts, usd, usd_or};
use crate::routes::listings::load;
use crate::state::AppState;

fn figures(l: &Listing) -> String {
    let loc = [l.city.as_deref(), l.state.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let re = {
        let r = &l.real_estate;
        let mut parts = vec![];
        if let Some(v) = r.value {
            parts.push(usd(v));
        }
        if let Some(o) = r.ownership {
            parts.push(format!("{o:?}").to_lowercase());
        }
        if let Some(i) = r.included {
            parts.push(if i {
                "included in the price".into()
            } else {
                "not included".into()
            });
        }
        if parts.is_empty() {
            "not stated".to_string()
        } else {
            parts.join(", ")
        }
    };
    let rows: Vec<(&str, String)> = vec![
        ("Asking price", usd_or(l.asking_price)),
        ("Cash flow (SDE)", usd_or(l.cash_flow)),
        ("Gross revenue", usd_or(l.gross_revenue)),
        ("EBITDA", usd_or(l.ebitda)),
        (
            "Price / cash flow",
            l.multiple()
                .map(|m| format!("{m:.2}x"))
                .unwrap_or_else(|| "unknown".into()),
        ),
        ("Real estate", re),
        (
            "Location",
            if loc.is_empty() {
                "not given".into()
            } else {
                loc
            },
        ),
        (
            "Category",
            l.category.clone().unwrap_or_else(|| "not given".into()),
        ),
        (
            "Established",
            l.established_year
                .map(|y| y.to_string())
                .unwrap_or_else(|| "not given".into()),
        ),
        (
            "Employees",
            l.employees
                .map(|y| y.to_string())
                .unwrap_or_else(|| "not given".into()),
        ),
        (
            "Reason for selling",
            l.reason_for_selling
                .clone()
                .unwrap_or_else(|| "not given".into()),
        ),
    ];
    let mut s = String::from("<div class=\"scroll\"><table id=\"figures\">");
    for (k, v) in rows {
        let _ = write!(s, "<tr><th>{k}</th><td>{}</td></tr>", e(&v));
    }
    s.push_str("</table></div>");
    s
}

/// What changed against the listing's previous card (`previous_score`,
/// `previous_model_version`, `changes`), factor by factor with the cause; empty for a first card.
fn changes_html(c: &ScoreCard) -> String {
    let Some(prev_model) = &c.previous_model_version else {
        return String::new();
    };
    let score = |v: Option<u8>| v.map_or_else(|| "not scored".to_string(), |x| x.to_string());
    let mut s = format!(
        "<h2>Since the last score</h2><div class=\"card\" id=\"score-changes\"><p>Previous score <strong id=\"previous-score\">{}</strong> (model <code>{}</code>), now <strong>{}</strong>{}.</p>",
        score(c.previous_score),
        e(prev_model),
        score(c.score),
        if prev_model == &c.model_version {
            String::new()
        } else {
            format!(" (model <code>{}</code>)", e(&c.model_version))
        }
    );
    if c.changes.is_empty() {
        s.push_str("<p class=\"muted\">No factor changed.</p>");
    } else {
        s.push_str("<ul class=\"ev\" id=\"changes\">");
        let p = |v: Option<f64>| v.map_or_else(|| "none".to_string(), pts);
        for ch in &c.changes {
            let _ = write!(
                s,
                "<li class=\"change\"><strong>{}</strong> {} → {}: <span class=\"reason\">{}</span></li>",
                e(&ch.factor.replace('_', " ")),
                p(ch.old_points),
                p(ch.new_points),
                e(&ch.reason)
            );
        }
        s.push_str("</ul>");
    }
    s.push_str("</div>");
    s
}

fn card_html(c: &ScoreCard) -> String {
    let mut s = String::new();
    match c.score {
        Some(score) => {
            let _ = write!(
                s,
                "<div class=\"card\"><div class=\"big\" id=\"score\">{score}<span class=\"muted\">/100</span></div>\
<p class=\"muted\">Disclosure confidence {:?} · model <code id=\"model-version\">{}</code></p>",
                c.confidence,
                e(&c.model_version)
            );
        }
        None => {
            let _ = write!(
                s,
                "<div class=\"card\"><p id=\"score\"><strong>Not scored:</strong> {}</p><p class=\"muted\">model <code id=\"model-version\">{}</code></p>",
                e(c.not_applicable_reason.as_deref().unwrap_or("not applicable")),
                e(&c.model_version)
            );
        }
    }
    let _ = write!(
        s,
        "<h2>Write-up</h2><p id=\"write-up\">{}</p></div>",
        e(&c.summary)
    );
    s.push_str(&changes_html(c));
    if !c.buckets.is_empty() {
        let _ = write!(
            s,
            "<h2>Buckets</h2><div class=\"card\">{}</div>",
            svg::bucket_bars(&c.buckets)
        );
    }
    if !c.factors.is_empty() {
        s.push_str("<h2>Factors</h2><div class=\"scroll\"><table id=\"factors\"><thead><tr><th>Factor</th><th class=\"num\">Points</th><th>Rule and evidence</th></tr></thead><tbody>");
        for f in &c.factors {
            let mut ev = String::new();
            if !f.evidence.is_empty() {
                ev.push_str("<ul class=\"ev\">");
                for x in &f.evidence {
                    let _ = write!(
                        ev,
                        "<li><span class=\"muted\">{}:</span> “{}”</li>",
                        e(&x.source),
                        e(&x.quote)
                    );
                }
                ev.push_str("</ul>");
            }
            let _ = write!(
                s,
                "<tr class=\"factor\"><td>{}<div class=\"muted\">{}</div></td><td class=\"num\">{}/{}</td><td>{}{ev}</td></tr>",
                e(&f.name.replace('_', " ")),
                e(&f.bucket.replace('_', " ")),
                pts(f.points),
                pts(f.max_points),
                e(&f.rule)
            );
        }
        s.push_str("</tbody></table></div>");
    }
    if !c.caps.is_empty() {
        s.push_str("<h2>Caps</h2><ul>");
        for cap in &c.caps {
            let _ = write!(s, "<li>at most {}: {}</li>", cap.limit, e(&cap.reason));
        }
        s.push_str("</ul>");
    }
    let re = &c.real_estate;
    let _ = write!(
        s,
        "<h2>Real estate</h2><p>{} ({}): {}</p>",
        match re.included {
            Some(true) => "In the deal",
            Some(false) => "Not in the deal",
            None => "Unknown",
        },
        match re.basis {
            RealEstateBasis::Stated => "stated",
            RealEstateBasis::Inferred => "inferred",
            RealEstateBasis::Unknown => "nothing says",
        },
        e(&re.reason)
    );
    if let Some(v) = &c.valuation {
        let _ = write!(
            s,
            "<h2>Valuation</h2><p id=\"valuation\">Implied value {} to {}; the asking price is {:+.0}% against the midpoint.</p><p class=\"muted\">{}</p>",
            usd(v.low_usd),
            usd(v.high_usd),
            v.asking_vs_mid_percent,
            e(&v.method)
        );
    }
    if let Some(d) = &c.dscr {
        let _ = write!(
            s,
            "<h2>Debt service</h2><p>DSCR {:.2}: loan {} at {:.2}% over {} years, {} a year against cash flow {}.</p>",
            d.ratio,
            usd(d.loan_usd),
            d.rate_percent,
            d.term_years,
            usd(d.annual_debt_service_usd),
            usd(d.cash_flow_usd)
        );
    }
    if !c.missing.is_empty() {
        s.push_str("<h2>Missing data</h2><ul id=\"missing\">");
        for m in &c.missing {
            let _ = write!(s, "<li>{}</li>", e(gsa_schemas::missing_label(m)));
        }
        s.push_str("</ul>");
    }
    if !c.questions.is_empty() {
        s.push_str("<h2>Questions for the broker</h2><ol id=\"questions\">");
        for x in &c.questions {
            let _ = write!(s, "<li>{}</li>", e(x));
        }
        s.push_str("</ol>");
    }
    s
}

/// The page body of a stored listing.
pub fn body(d: &Detail) -> Result<String, ApiError> {
    let l: Listing = d
        .typed_listing()
        .ok_or_else(|| anyhow::anyhow!("stored listing does not match the schema"))?;
    let title = l.title.clone().unwrap_or_else(|| "Untitled listing".into());
    let mut s = format!("<h1 id=\"listing-title\">{}</h1>", e(&title));
    // Only an address on the site (a listing stored before the scraper checked hosts may
    // hold any address).
    let link = l
        .url
        .as_deref()
        .and_then(gsa_schemas::listing::site_url)
        .and_then(safe_href)
        .map(|h| format!(" · <a href=\"{h}\" rel=\"noopener noreferrer\">on BizBuySell</a>"))
        .unwrap_or_default();
    let _ = write!(
        s,
        "<p class=\"muted\">Listing {}{link} · <a href=\"/api/listings/{}/report.md\">report (Markdown)</a></p>",
        e(&l.listing_id),
        q(&l.listing_id)
    );
    match d.typed_card() {
        Some(c) => s.push_str(&card_html(&c)),
        None => s.push_str("<p class=\"card\" id=\"score\">Not scored yet: the analyzer has not scored this listing. Reload in a moment.</p>"),
    }
    let _ = write!(s, "<h2>The listing</h2>{}", figures(&l));
    if let Some(desc) = &l.description {
        let _ = write!(
            s,
            "<h2>Description</h2><div class=\"card desc\" id=\"description\">{}</div>",
            e(desc)
        );
    }
    if !d.score_history.is_empty() {
        let _ = write!(
            s,
            "<h2>Score history</h2><div class=\"card\">{}<ul class=\"muted\">",
            svg::history(&d.score_history)
        );
        for h in &d.score_history {
            let _ = write!(
                s,
                "<li>{}: {} ({})</li>",
                e(&h.scored_at),
                h.score
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| "not scored".into()),
                e(&h.model_version)
            );
        }
        s.push_str("</ul></div>");
    }
    if !d.updates.is_empty() {
        s.push_str("<h2>Updates</h2><ul id=\"updates\">");
        for u in &d.updates {
            let changes: Vec<String> = u
                .changes
                .iter()
                .map(|c| {
                    format!(
                        "{}: {} → {}",
                        e(&c.field),
                        e(&c.old.to_string()),
                        e(&c.new.to_string())
                    )
                })
                .collect();
            let _ = write!(s, "<li>{}: {}</li>", e(&u.time), changes.join("; "));
        }
        s.push_str("</ul>");
    }
    Ok(s)
}

/// `GET /listings/{id}`.
pub async fn page(v: Viewer, State(st): State<AppState>, Path(id): Path<String>) -> Response {
    if !v.has(LISTINGS_READ) {
        return html::error_page(&v, StatusCode::FORBIDDEN, "Your role cannot read listings.");
    }
    let d = match load(&st, id.clone()).await {
        Ok(d) => d,
        Err(ApiError::NotFound) => {
            let body = format!(
                "<h1>Listing {}</h1><p class=\"card\" id=\"not-yet\">This listing is not stored (yet). A pasted listing appears here once the scraper, the analyzer and the logging worker have handled it; reload in a moment.</p>",
                e(&id)
            );
            return html::respond(
                StatusCode::NOT_FOUND,
                html::page("Listing", &v, Nav::Other, true, &body),
            );
        }
        Err(err) => {
            return html::error_page(&v, StatusCode::INTERNAL_SERVER_ERROR, &err.to_string())
        }
    };
    match body(&d) {
        Ok(b) => {
            let title = d.listing["title"].as_str().unwrap_or("Listing").to_string();
            html::respond(StatusCode::OK, html::page(&title, &v, Nav::Other, true, &b))
        }
        Err(err) => html::error_page(&v, StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A card as the analyzer writes it, from JSON (only the fields the page needs differ).
    fn card(extra: serde_json::Value) -> ScoreCard {
        let mut v = serde_json::json!({
            "listing_id": "2099977", "listing_event_id": "ev-2", "model_version": "rules-2+cfg.aa",
            "applicable": true, "score": 71, "confidence": "B",
            "real_estate": {"included": true, "basis": "stated", "reason": "the listing says so"},
            "buckets": [], "factors": [], "caps": [], "facts": [], "missing": [], "questions": [],
            "dscr": null, "valuation": null, "summary": "A gas station."
        });
        if let (Some(m), serde_json::Value::Object(x)) = (v.as_object_mut(), extra) {
            m.extend(x);
        }
        serde_json::from_value(v).expect("a score card")
    }

    #[test]
    fn a_rescored_card_says_what_changed_and_why_escaped() {
        let c = card(serde_json::json!({
            "previous_score": 55,
            "previous_model_version": "rules-1+cfg.<b>",
            "changes": [
                {"factor": "price_to_cash_flow", "old_points": 8.0, "new_points": 16.0,
                 "reason": "price_to_cash_flow 8 -> 16: asking price cut from $1,200,000 to $1,000,000 <script>alert(1)</script>"},
                {"factor": "real_estate_in_deal", "old_points": null, "new_points": 15.5,
                 "reason": "real estate now included"}
            ]
        }));
        let html = card_html(&c);
        assert!(html.contains("<h2>Since the last score</h2>"), "{html}");
        assert!(html.contains("Previous score <strong id=\"previous-score\">55</strong> (model <code>rules-1+cfg.&lt;b&gt;</code>), now <strong>71</strong> (model <code>rules-2+cfg.aa</code>)."), "{html}");
        assert!(html.contains("<strong>price to cash flow</strong> 8 → 16: <span class=\"reason\">price_to_cash_flow 8 -&gt; 16: asking price cut from $1,200,000 to $1,000,000 &lt;script&gt;alert(1)&lt;/script&gt;</span>"), "{html}");
        assert!(
            html.contains("<strong>real estate in deal</strong> none → 15.5:"),
            "{html}"
        );
        assert!(
            !html.contains("<script>") && !html.contains("<b>"),
            "{html}"
        );
        // The change list comes before the buckets and factors, right under the score.
        assert!(html.find("Since the last score") < html.find("Real estate"));
    }

    #[test]
    fn a_first_card_has_no_history_section_and_an_unchanged_one_says_so() {
        assert!(!card_html(&card(serde_json::json!({}))).contains("Since the last score"));
        let html = card_html(&card(serde_json::json!({
            "previous_score": null, "previous_model_version": "rules-2+cfg.aa", "changes": []
        })));
        assert!(html.contains("Previous score <strong id=\"previous-score\">not scored</strong> (model <code>rules-2+cfg.aa</code>), now <strong>71</strong>."), "{html}");
        assert!(html.contains("No factor changed."), "{html}");
    }
}
