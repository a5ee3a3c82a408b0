//! Block-page detection: a bot wall must become a `blocked` rejection, never an empty listing.
//!
//! Source of the rule: `/work/shared/reference/bizbuysell-pages.md` §(d) — BizBuySell sits
//! behind Akamai Bot Manager; plain HTTP clients get HTTP 403 / "Access Denied" (jesseypark,
//! micro-pe, mr-cworld), other scrapers report Cloudflare-style challenges and captchas.
//!
//! Real listing pages also contain the word "captcha" (the contact form's reCAPTCHA) and
//! "challenge", so body signatures are only trusted when the page carries none of the markers
//! of a real BizBuySell page (`bfsTitle`, `BBS-state`, `listingProfile_details`, JSON-LD
//! `productid`). An HTTP 401/403/429 status is a block whatever the body says.

/// Markers of a real BizBuySell listing or search page.
const LISTING_MARKERS: &[&str] = &[
    "bfstitle",
    "bbs-state",
    "listingprofile_details",
    "\"productid\"",
    "app-listing-diamond",
];

/// `(needle (lower-case), reason)` pairs for block pages.
const SIGNATURES: &[(&str, &str)] = &[
    (
        "<title>access denied</title>",
        "Access Denied page (Akamai)",
    ),
    (
        "errors.edgesuite.net",
        "Akamai block page (edgesuite reference)",
    ),
    (
        "you don't have permission to access",
        "Access Denied page (Akamai)",
    ),
    ("access denied", "Access Denied page"),
    ("attention required! | cloudflare", "Cloudflare block page"),
    ("cf-browser-verification", "Cloudflare browser challenge"),
    ("cf-chl-", "Cloudflare challenge"),
    ("/cdn-cgi/challenge-platform", "Cloudflare challenge"),
    (
        "<title>just a moment...</title>",
        "Cloudflare 'Just a moment' challenge",
    ),
    (
        "checking your browser before accessing",
        "bot challenge ('checking your browser')",
    ),
    ("_incapsula_resource", "Imperva/Incapsula block page"),
    ("pardon our interruption", "Imperva/Distil block page"),
    ("px-captcha", "PerimeterX captcha"),
    ("perimeterx", "PerimeterX bot wall"),
    ("g-recaptcha", "captcha page"),
    ("h-captcha", "captcha page"),
    ("hcaptcha", "captcha page"),
    ("captcha", "captcha page"),
    ("are you a robot", "bot check page"),
    ("request unsuccessful", "bot wall ('Request unsuccessful')"),
    ("too many requests", "rate limited ('Too Many Requests')"),
];

/// Returns the reason when `body` (with optional HTTP `status`) is a block page: HTTP
/// 401/403/429, "Access Denied" (Akamai), a Cloudflare/Imperva/PerimeterX challenge, or a
/// captcha page. `None` for an ordinary page.
pub fn detect_block(status: Option<u16>, body: &str) -> Option<String> {
    match status {
        Some(403) => return Some("HTTP 403 Forbidden (bot wall)".into()),
        Some(401) => return Some("HTTP 401 Unauthorized".into()),
        Some(429) => return Some("HTTP 429 Too Many Requests (rate limited)".into()),
        _ => {}
    }
    // Only the head of a large page matters; real block pages are small.
    let head = crate::lower::lowercase_for_search(crate::lower::char_prefix(body, 200_000));
    detect_block_in_lower_head(status, &head)
}

/// [`detect_block`]'s body check on the first 200,000 characters of the body, already
/// lower-cased so that ASCII needles match as in `to_lowercase` (see [`crate::lower`]).
pub fn detect_block_in_lower_head(status: Option<u16>, head: &str) -> Option<String> {
    let has = |n: &str| memchr::memmem::find(head.as_bytes(), n.as_bytes()).is_some();
    if LISTING_MARKERS.iter().any(|m| has(m)) {
        return None;
    }
    SIGNATURES
        .iter()
        .find(|(needle, _)| has(needle))
        .map(|(_, reason)| {
            let status = status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
            format!("{reason}{status}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_signatures() {
        assert!(detect_block(Some(403), "").is_some());
        assert!(detect_block(None, "<html><head><title>Access Denied</title></head><body>You don't have permission to access \"http://www.bizbuysell.com/\" on this server.<p>Reference #18.6f</p></body></html>").is_some());
        assert!(detect_block(
            None,
            "<title>Just a moment...</title><div id=\"cf-chl-widget\">"
        )
        .is_some());
        assert!(detect_block(
            Some(200),
            "<html><body><h1 class=\"bfsTitle\">x</h1> g-recaptcha</body></html>"
        )
        .is_none());
        assert!(detect_block(None, "plain text about a gas station").is_none());
    }
}
