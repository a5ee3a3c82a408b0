//! The dashboard over HTTP: no data without a session (a redirect to `/login`), the ranked
//! table, a listing page with everything from its card and a `<script>` description shown as
//! text, the paste form writing into the scraper's inbox, the log viewer for admins only, and
//! logout.

use gsa_gateway::users::{self, Role};

use crate::fixture::{Filled, SCRIPT};
use crate::harness::{cookie_value, set_cookie, Gateway};
use crate::listings::setup;

const PASSWORD: &str = "correct horse battery";

/// A logged-in browser: its session and CSRF cookies.
struct Browser {
    session: String,
    csrf: String,
}

impl Browser {
    fn cookie(&self) -> String {
        format!("gsa_session={}; gsa_csrf={}", self.session, self.csrf)
    }
}

async fn login(gw: &Gateway, user: &str, role: Role) -> Browser {
    users::add(&gw.cfg, user, role, PASSWORD).unwrap();
    let r = gw.http.get(gw.url("/login")).send().await.unwrap();
    let csrf = cookie_value(&set_cookie(&r, "gsa_csrf").expect("csrf cookie"));
    let r = gw
        .http
        .post(gw.url("/login"))
        .header("cookie", format!("gsa_csrf={csrf}"))
        .form(&[
            ("username", user),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
            ("return_to", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = cookie_value(&set_cookie(&r, "gsa_session").expect("session cookie"));
    Browser { session, csrf }
}

async fn page(
    gw: &Gateway,
    b: Option<&Browser>,
    path: &str,
) -> (u16, String, reqwest::header::HeaderMap) {
    let mut req = gw.http.get(gw.url(path));
    if let Some(b) = b {
        req = req.header("cookie", b.cookie());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.text().await.unwrap(), headers)
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[tokio::test]
async fn no_session_no_data_and_the_pages_show_everything_escaped() {
    let (gw, f, _) = setup().await;
    let Filled {
        script_id,
        updated_id,
        ..
    } = &f;

    // Not logged in: every page redirects to the login page, coming back after; no data.
    for path in [
        "/",
        "/?sort=price",
        &format!("/listings/{updated_id}"),
        "/paste",
        "/alerts",
        "/logs",
    ] {
        let (s, body, h) = page(&gw, None, path).await;
        assert_eq!(s, 303, "{path}");
        let back: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(h["location"], format!("/login?return_to={back}").as_str());
        assert!(
            !body.contains("gsa") && !body.contains(updated_id.as_str()),
            "{path}: {body}"
        );
    }
    // A forged session cookie is no session either.
    let fake = Browser {
        session: "x".repeat(43),
        csrf: "y".into(),
    };
    assert_eq!(page(&gw, Some(&fake), "/").await.0, 303);

    let ann = login(&gw, "ann", Role::Viewer).await;
    // The ranked table: 50 rows, best first, the note, the chart, the CSP with hashes only.
    let (s, html, h) = page(&gw, Some(&ann), "/").await;
    assert_eq!(s, 200);
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'sha256-") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(count(&html, "<tr><td class=\"num\">"), 50);
    let best = f
        .cards
        .iter()
        .filter_map(|(id, c)| c.score.map(|s| (s, id)))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(a.1)))
        .unwrap();
    let first_link = html.find("<a href=\"/listings/").unwrap();
    assert!(
        html[first_link..].starts_with(&format!("<a href=\"/listings/{}\"", best.1)),
        "best listing first"
    );
    assert!(html.contains("id=\"screen-note\"") && html.contains("a screen, not an appraisal"));
    assert!(html.contains("<svg id=\"score-histogram\""));
    assert!(html.contains("id=\"next-page\""));
    assert!(html.contains("name=\"viewport\" content=\"width=device-width"));
    assert!(html.contains("@media (max-width:640px)"));
    // No script on the table page at all.
    assert_eq!(count(&html, "<script"), 0);

    // Filters: the same as the API's; typed values come back escaped.
    let (s, html, _) = page(&gw, Some(&ann), "/?q=zephyrine&state=oh").await;
    assert_eq!(s, 200);
    assert_eq!(count(&html, "<tr><td class=\"num\">"), 1);
    assert!(html.contains(&format!("href=\"/listings/{script_id}\"")));
    let (s, html, _) = page(&gw, Some(&ann), "/?q=%3Cb%3Ebold&state=%22%3E%3Cx").await;
    assert_eq!(s, 400);
    assert!(html.contains("value=\"&lt;b&gt;bold\""), "{html}");
    assert!(
        !html.contains("<b>bold") && !html.contains("\"><x"),
        "{html}"
    );
    assert!(html.contains("id=\"filter-error\""));

    // The <script> listing: shown as text, never as markup.
    let (s, html, _) = page(&gw, Some(&ann), &format!("/listings/{script_id}")).await;
    assert_eq!(s, 200);
    assert!(!html.contains(SCRIPT), "raw script tag in the page");
    assert!(html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"));
    assert_eq!(count(&html, "<script"), 0);

    // The price-cut listing: score, buckets, factors with evidence, write-up, missing data,
    // questions, valuation, model version, history chart with both scores, the update.
    let card = &f.cards[updated_id];
    let (s, html, _) = page(&gw, Some(&ann), &format!("/listings/{updated_id}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("<div class=\"big\" id=\"score\">88<"));
    assert!(html.contains("<svg id=\"bucket-bars\""));
    assert!(html.contains("description read") && html.contains("read the description: 3/5"));
    let quote = &card.factors[0].evidence[0].quote;
    assert!(
        html.contains(&html_escape::encode_text(quote).to_string()),
        "evidence quote shown"
    );
    assert!(html.contains(&format!("<p id=\"write-up\">{}</p>", card.summary)));
    assert!(html.contains("<li>gallons per month</li>"));
    assert!(html.contains("<li>What are the monthly fuel gallons for the last 3 years?</li>"));
    assert!(html.contains("id=\"valuation\""));
    assert!(html.contains(&format!(
        "<code id=\"model-version\">{}</code>",
        crate::fixture::MODEL
    )));
    assert!(html.contains("<svg id=\"score-history\""));
    assert_eq!(count(&html, "<circle "), 2, "two scores in the history");
    assert!(html.contains("id=\"updates\"") && html.contains("asking_price:"));
    assert!(html.contains("a screen, not an appraisal"));

    // Unknown listing: a page saying so, not a JSON error.
    let (s, html, _) = page(&gw, Some(&ann), "/listings/text-000000000000").await;
    assert_eq!(s, 404);
    assert!(html.contains("id=\"not-yet\""));

    // Alerts page lists every alert.
    let (s, html, _) = page(&gw, Some(&ann), "/alerts").await;
    assert_eq!(s, 200);
    assert_eq!(
        count(&html, "<td class=\"num score\">"),
        f.alert_ids.len().min(50)
    );

    // Logs: not for a viewer (no link, 403 page); an admin sees records and the live tail.
    assert!(!page(&gw, Some(&ann), "/")
        .await
        .1
        .contains("href=\"/logs\""));
    let (s, _, _) = page(&gw, Some(&ann), "/logs").await;
    assert_eq!(s, 403);
    let root = login(&gw, "root", Role::Admin).await;
    let (s, html, h) = page(&gw, Some(&root), "/logs?service=analyzer").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("score card failed validation"));
    assert!(
        !html.contains("inbox file unreadable"),
        "another service's record"
    );
    assert!(html.contains("data-src=\"/api/logs/tail?service=analyzer\""));
    assert_eq!(count(&html, "<script>"), 1);
    // The one script is the one the CSP allows by hash.
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    let start = html.find("<script>").unwrap() + "<script>".len();
    let end = html[start..].find("</script>").unwrap() + start;
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(&html.as_bytes()[start..end]));
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    let (s, html, _) = page(
        &gw,
        Some(&root),
        "/logs?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z",
    )
    .await;
    assert_eq!(s, 400);
    assert!(html.contains("id=\"log-error\""));

    // Logout ends the session: back to the login page.
    let r = gw
        .http
        .post(gw.url("/logout"))
        .header("cookie", ann.cookie())
        .form(&[("csrf", ann.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (s, _, h) = page(&gw, Some(&ann), "/").await;
    assert_eq!(s, 303);
    assert_eq!(h["location"], "/login?return_to=%2F");
    gw.stop().await;
}

#[tokio::test]
async fn a_pasted_listing_enters_the_scrapers_inbox_under_the_id_the_scraper_gives_it() {
    let (gw, _f, _) = setup().await;
    let b = login(&gw, "ann", Role::Viewer).await;
    let (s, html, _) = page(&gw, Some(&b), "/paste").await;
    assert_eq!(s, 200);
    assert!(html.contains(&format!("name=\"csrf\" value=\"{}\"", b.csrf)));
    let text = "Truck Stop with Diesel Lanes\r\nAmarillo, TX\r\nAsking Price: $2,400,000\r\nCash Flow: $410,000\r\n\r\nInterstate truck stop selling 95,000 gallons a month.\r\n";

    // Without the CSRF token: refused, nothing written.
    let r = gw
        .http
        .post(gw.url("/paste"))
        .header("cookie", format!("gsa_session={}", b.session))
        .form(&[("text", text), ("csrf", b.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!gw.cfg.inbox.exists() || std::fs::read_dir(&gw.cfg.inbox).unwrap().next().is_none());

    let r = gw
        .http
        .post(gw.url("/paste"))
        .header("cookie", b.cookie())
        .form(&[("text", text), ("csrf", b.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let id = loc
        .strip_prefix("/paste?sent=")
        .expect("redirect to the confirmation")
        .to_string();
    let files: Vec<_> = std::fs::read_dir(&gw.cfg.inbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "txt");
    // The scraper reads the file as pasted text and gives it exactly the id the page links to.
    let parsed = gsa_scraper::parse_file(&files[0]).unwrap();
    assert_eq!(parsed.listings.len(), 1, "{parsed:?}");
    assert_eq!(parsed.listings[0].listing_id, id);
    assert_eq!(parsed.listings[0].asking_price, Some(2_400_000));
    let (s, html, _) = page(&gw, Some(&b), &loc).await;
    assert_eq!(s, 200);
    assert!(html.contains(&format!("href=\"/listings/{id}\"")));
    // Until the pipeline has run, the listing page says it is not stored yet.
    let (s, html, _) = page(&gw, Some(&b), &format!("/listings/{id}")).await;
    assert_eq!(s, 404);
    assert!(html.contains("id=\"not-yet\""));

    // Text that is not a listing is refused on the page with the scraper's reason, and nothing
    // more is written (it used to say "Sent" and never appear: a new-user trial).
    let r = gw
        .http
        .post(gw.url("/paste"))
        .header("cookie", b.cookie())
        .form(&[("text", "hello world"), ("csrf", b.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"paste-rejected\">Not sent: not a listing: 2 words"),
        "{html}"
    );
    assert_eq!(std::fs::read_dir(&gw.cfg.inbox).unwrap().count(), 1);

    // A paste that carries the listing's address links to the site's ad number, the id the
    // scraper gives it (the page used to link to a text- id that never appeared).
    let with_url =
        format!("{text}https://www.bizbuysell.com/business-opportunity/truck-stop/2419316/\n");
    let r = gw
        .http
        .post(gw.url("/paste"))
        .header("cookie", b.cookie())
        .form(&[("text", with_url.as_str()), ("csrf", b.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/paste?sent=2419316");
    gw.stop().await;
}
