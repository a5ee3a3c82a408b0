//! The page frame, escaping helpers, the inline stylesheet and script, and the Content Security
//! Policy that allows exactly them.
//!
//! Everything that came from a listing (or a log record) is text written by strangers and goes
//! through [`e`] (element text) or [`attr`] (attribute values) before it reaches the page.
//! The stylesheet and the one small script are inline and allowed by their SHA-256 hashes in
//! the CSP (`script-src 'sha256-…'`), so no injected `<script>` or `style` could run even if
//! escaping were ever missed; there is no inline `style=""` attribute and no event handler
//! attribute anywhere. No asset is downloaded, at build time or at run time.

use std::sync::OnceLock;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::access::{Viewer, LOGS_READ};
use crate::read::report::SCREEN_NOTE;

/// Escapes element text.
pub fn e(s: &str) -> String {
    html_escape::encode_text(s).to_string()
}

/// Escapes a double-quoted attribute value.
pub fn attr(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).to_string()
}

/// A link target only for `http(s)` URLs (a `javascript:` URL from a listing is never a link).
pub fn safe_href(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| attr(u.as_str()))
}

/// Percent-encodes a query value.
pub fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The stylesheet: readable on a 375 px phone (tables scroll sideways inside their box, forms
/// wrap, less important columns hide under 640 px, and under 480 px the ranked table shows the
/// location under the title so the asking price stays in view). The login page uses it too.
pub const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2329;background:#f6f7f9}
header{background:#163a5f;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}
header a{color:#fff;text-decoration:none}header .brand{font-weight:700;margin-right:auto}
header form{margin:0}header button{background:none;border:1px solid #fff8;color:#fff;border-radius:4px;padding:.15rem .5rem;cursor:pointer}
main{max-width:1100px;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.25rem 0 .75rem}h2{font-size:1.1rem;margin:1.25rem 0 .5rem}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.4rem .7rem;margin:.5rem 0 1rem;font-size:.9rem}
.err{background:#fdecea;border-left:4px solid #c62828;padding:.4rem .7rem;margin:.5rem 0}
.ok{background:#e8f5e9;border-left:4px solid #2e7d32;padding:.4rem .7rem;margin:.5rem 0}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;background:#fff;padding:.75rem;border-radius:6px;margin-bottom:1rem}
form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:#4a5560}
input,select,textarea,button{font:inherit}input,select{padding:.3rem;border:1px solid #c5ccd3;border-radius:4px;max-width:11rem}
textarea{width:100%;min-height:16rem;padding:.5rem;border:1px solid #c5ccd3;border-radius:4px}
button.primary{background:#163a5f;color:#fff;border:0;border-radius:4px;padding:.4rem .9rem;cursor:pointer}
.scroll{overflow-x:auto;background:#fff;border-radius:6px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e3e7eb;vertical-align:top}
th{font-size:.8rem;color:#4a5560;white-space:nowrap}td.num,th.num{text-align:right;white-space:nowrap}
.score{font-weight:700}.big{font-size:2.2rem;font-weight:800;color:#163a5f}
.card{background:#fff;border-radius:6px;padding:.75rem 1rem;margin:.75rem 0}
.desc{white-space:pre-wrap;word-wrap:break-word}
.muted{color:#66727e;font-size:.85rem}
ul.ev{margin:.25rem 0 0;padding-left:1.1rem;font-size:.9rem}
ul.live{margin:.25rem 0 1rem;padding-left:1.1rem}
svg{max-width:100%;height:auto}
pre.tail{background:#111;color:#d7f5d7;padding:.5rem;min-height:6rem;max-height:24rem;overflow:auto;white-space:pre-wrap;font-size:.8rem}
.pager{margin:1rem 0}
.narrow{display:none}
form.login{max-width:22rem;margin:2rem auto;background:#fff;padding:1rem 1.25rem;border-radius:6px;display:flex;flex-direction:column;gap:.75rem}
form.login label{display:flex;flex-direction:column;font-size:.9rem;color:#4a5560}form.login input{max-width:none}
@media (max-width:640px){.wide{display:none}main{padding:.5rem}.big{font-size:1.8rem}input,select{max-width:9rem}th,td{padding:.35rem .3rem}}
@media (max-width:480px){.mid{display:none}.narrow{display:block}}
"#;

/// The live log tail: reads its URL from `#tail[data-src]` and appends each record as text.
pub const TAIL_JS: &str = r#"
(function(){var el=document.getElementById('tail');if(!el||!window.EventSource)return;
var es=new EventSource(el.getAttribute('data-src'));
es.addEventListener('log',function(m){try{var r=JSON.parse(m.data);
el.textContent+=r.time+' '+r.level+' '+r.service+' '+r.message+'\n';el.scrollTop=el.scrollHeight;}catch(e){}});})();
"#;

/// The alerts page's live list: reads the stream URL from `#live[data-src]` (the page's own
/// filters) and puts each alert that arrives at the top of `#live`, built with `textContent`
/// only (an alert's title is a stranger's text). `EventSource` resumes by itself with
/// `Last-Event-ID` after a dropped connection.
pub const ALERTS_JS: &str = r#"
(function(){var box=document.getElementById('live');if(!box||!window.EventSource)return;
var st=document.getElementById('live-status');
var es=new EventSource(box.getAttribute('data-src'));
es.addEventListener('ready',function(){st.textContent='Live: new alerts appear here as they arrive.';});
es.onerror=function(){st.textContent='Live updates interrupted; reconnecting.';};
es.addEventListener('alert',function(m){try{var a=JSON.parse(m.data);
var li=document.createElement('li');var b=document.createElement('strong');b.className='score';
b.textContent=String(a.score);li.appendChild(b);li.appendChild(document.createTextNode(' '));
var l=document.createElement('a');l.href='/listings/'+encodeURIComponent(a.listing_id);
l.textContent=a.title||a.listing_id;li.appendChild(l);
var loc=[a.city,a.state].filter(function(x){return x;}).join(', ');
li.appendChild(document.createTextNode((loc?' - '+loc:'')+' - '+String(a.reason||'').replace(/_/g,' ')));
box.insertBefore(li,box.firstChild);}catch(e){}});})();
"#;

fn hash(s: &str) -> String {
    format!("'sha256-{}'", STANDARD.encode(Sha256::digest(s.as_bytes())))
}

/// The CSP source that allows the inline [`CSS`] (for pages outside the dashboard frame, such as
/// the login page).
pub fn style_src() -> &'static str {
    static SRC: OnceLock<String> = OnceLock::new();
    SRC.get_or_init(|| hash(CSS))
}

/// The Content Security Policy of every dashboard page.
pub fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; style-src {}; script-src {} {}; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            style_src(),
            hash(TAIL_JS),
            hash(ALERTS_JS)
        )
    })
}

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Ranked listings.
    Listings,
    /// Paste a listing.
    Paste,
    /// Alerts.
    Alerts,
    /// Logs.
    Logs,
    /// None of them.
    Other,
}

/// A full page: header with navigation and logout, the body, the screen note when `scores`.
pub fn page(title: &str, v: &Viewer, nav: Nav, scores: bool, body: &str) -> String {
    let link = |n: Nav, href: &str, label: &str| {
        let cur = if n == nav {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!("<a href=\"{href}\"{cur}>{label}</a>")
    };
    let mut links = vec![
        link(Nav::Listings, "/", "Listings"),
        link(Nav::Paste, "/paste", "Paste a listing"),
        link(Nav::Alerts, "/alerts", "Alerts"),
    ];
    if v.has(LOGS_READ) {
        links.push(link(Nav::Logs, "/logs", "Logs"));
    }
    let logout = format!(
        "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\" id=\"logout\">Log out {}</button></form>",
        attr(v.csrf.as_deref().unwrap_or("")),
        e(&v.user)
    );
    let note = if scores {
        format!(
            "<p class=\"note\" id=\"screen-note\">{}</p>",
            e(SCREEN_NOTE)
        )
    } else {
        String::new()
    };
    let script = match nav {
        Nav::Logs => format!("<script>{TAIL_JS}</script>"),
        Nav::Alerts => format!("<script>{ALERTS_JS}</script>"),
        _ => String::new(),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} - Gas Station Analyzer</title><style>{CSS}</style></head>\n<body>\
<header><a class=\"brand\" href=\"/\">Gas Station Analyzer</a><nav>{}</nav>{logout}</header>\n\
<main>{note}{body}</main>{script}</body></html>\n",
        e(title),
        links.join(" · ")
    )
}

/// An HTML response with the dashboard's CSP.
pub fn respond(status: StatusCode, html: String) -> Response {
    let mut resp = (status, html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(csp()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp
}

/// A page that only says what went wrong (a 4xx on a dashboard page).
pub fn error_page(v: &Viewer, status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p class=\"err\">{}</p>",
        e(status.canonical_reason().unwrap_or("Error")),
        e(message)
    );
    respond(status, page("Error", v, Nav::Other, false, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_links() {
        assert_eq!(
            e("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(attr("\"><x"), "&quot;&gt;&lt;x");
        assert_eq!(safe_href("javascript:alert(1)"), None);
        assert_eq!(
            safe_href("https://www.bizbuysell.com/a?b=1&c=2").as_deref(),
            Some("https://www.bizbuysell.com/a?b=1&amp;c=2")
        );
        assert!(csp().contains("script-src 'sha256-"));
        assert!(csp().contains(&hash(ALERTS_JS)) && csp().contains(&hash(TAIL_JS)));
        assert!(!csp().contains("unsafe-inline"));
    }
}
