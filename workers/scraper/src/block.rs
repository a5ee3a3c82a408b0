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

use crate::lower::{char_prefix, Folded};

/// Markers of a real BizBuySell listing or search page. Any one found is enough, so the order
/// only sets the cost: JSON-LD's `"productid"` comes first because it sits in the first ~12 KB
/// of a detail page and ~65-100 KB of a search page, where the others come later or never.
const LISTING_MARKERS: &[&str] = &[
    "\"productid\"",
    "bfstitle",
    "bbs-state",
    "listingprofile_details",
    "app-listing-diamond",
];

/// How much of a body the signatures are looked for in, in characters.
const HEAD_CHARS: usize = 200_000;

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
    let head = Head::new(body);
    check(status, |n| head.contains(n))
}

/// The first [`HEAD_CHARS`] characters of a body, searched as if lower-cased with
/// `to_lowercase` ([`Folded`]). Counting characters costs a pass over 200 KB, so a needle is
/// first looked for in the first 200,000 *bytes*, which are never more than 200,000
/// characters: a match there is a match in the head. Only a needle not found there is looked
/// for in the exact character prefix (built once); on real pages the listing markers are found
/// in the first 100 KB and it is never built.
struct Head<'a> {
    body: &'a str,
    bytes: Folded<'a>,
    chars: std::cell::OnceCell<Folded<'a>>,
}

impl<'a> Head<'a> {
    fn new(body: &'a str) -> Self {
        let mut end = HEAD_CHARS.min(body.len());
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            body,
            bytes: Folded::new(body.get(..end).unwrap_or(body)),
            chars: std::cell::OnceCell::new(),
        }
    }

    fn contains(&self, needle: &str) -> bool {
        if self.bytes.contains(needle) {
            return true;
        }
        if self.bytes.text().len() == self.body.len() {
            return false;
        }
        self.chars
            .get_or_init(|| Folded::new(char_prefix(self.body, HEAD_CHARS)))
            .contains(needle)
    }
}

/// The body check given a search over the lower-cased head.
fn check(status: Option<u16>, has: impl Fn(&str) -> bool) -> Option<String> {
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

/// [`detect_block`]'s body check on the first 200,000 characters of the body, already
/// lower-cased so that ASCII needles match as in `to_lowercase` (see [`crate::lower`]).
pub fn detect_block_in_lower_head(status: Option<u16>, head: &str) -> Option<String> {
    check(status, |n| {
        memchr::memmem::find(head.as_bytes(), n.as_bytes()).is_some()
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

    #[test]
    fn head_is_200000_characters_not_bytes() {
        // 150,000 two-byte characters: the needle at byte 300,000 is character 150,000.
        let inside = format!("{}CAPTCHA", "é".repeat(150_000));
        assert_eq!(detect_block(None, &inside).as_deref(), Some("captcha page"));
        let outside = format!("{}captcha", "a".repeat(200_000));
        assert_eq!(detect_block(None, &outside), None);
        let marker_late = format!("{}bfsTitle captcha", "é".repeat(99_990));
        assert_eq!(detect_block(None, &marker_late), None);
        // The same answers as lower-casing the head first.
        for body in [&inside, &outside, &marker_late] {
            let head = char_prefix(body, HEAD_CHARS).to_lowercase();
            assert_eq!(
                detect_block(None, body),
                detect_block_in_lower_head(None, &head)
            );
        }
    }
}
