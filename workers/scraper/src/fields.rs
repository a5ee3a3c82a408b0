//! Field-level helpers shared by every format: status from the title, years, counts,
//! "Included in asking price" flags, listing ids from URLs, and the final touch on a listing.

use gsa_schemas::{Listing, ListingStatus, RealEstateOwnership};
use once_cell::sync::Lazy;
use regex::Regex;

use crate::privacy::redact;

/// Base of every BizBuySell URL we build.
pub const BASE_URL: &str = "https://www.bizbuysell.com";

/// Sale status from a title: "UNDER CONTRACT"/"pending" -> under contract, "Under LOI" ->
/// under LOI, else active (source: `ListingStatus` docs; sezid title "(Under LOI-Can Accept
/// Backup Offers)", fuel-listings fl-002 "... UNDER CONTRACT").
pub fn status_from_title(title: &str) -> ListingStatus {
    let t = title.to_lowercase();
    if t.contains("under loi") || t.contains("under l.o.i") {
        ListingStatus::UnderLoi
    } else if t.contains("under contract") || t.contains("pending") {
        ListingStatus::UnderContract
    } else {
        ListingStatus::Active
    }
}

/// A plausible year ("Established: 1969"): the first 4-digit number in 1700..=2100.
pub fn parse_year(s: &str) -> Option<i32> {
    static YEAR: Lazy<Option<Regex>> =
        Lazy::new(|| Regex::new(r"\b(1[7-9]\d\d|20\d\d|2100)\b").ok());
    let re = YEAR.as_ref()?;
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("n/a") {
        return None;
    }
    re.captures(t)?.get(1)?.as_str().parse().ok()
}

/// A whole count when the text is only a number (`"14"`, `"1,200"`); free text such as
/// `"Carwash managed by owner"` or `"2 FT, 3 PT"` gives `None`.
pub fn parse_count(s: &str) -> Option<u32> {
    let t = s.trim();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == ',') {
        return None;
    }
    t.replace(',', "").parse().ok()
}

/// Square feet: `"435"`, `"160,000"`, `"2,400 sq ft"`, `"1,200 SF"`.
pub fn parse_sqft(s: &str) -> Option<i64> {
    let t = s.trim().to_lowercase();
    let t = t
        .trim_end_matches("square feet")
        .trim_end_matches("sq. ft.")
        .trim_end_matches("sq ft")
        .trim_end_matches("sqft")
        .trim_end_matches("sf")
        .trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    {
        return None;
    }
    crate::money::parse_money(t).filter(|v| *v > 0)
}

/// `Some(true)` for "Included in asking price", `Some(false)` for "Not included ...".
pub fn included_flag(s: &str) -> Option<bool> {
    let t = s.to_lowercase();
    if t.contains("not included") || t.contains("excluded") || t.contains("not in asking") {
        Some(false)
    } else if t.contains("included in asking price")
        || t.contains("included in the asking price")
        || t.contains("included in purchase price")
        || t.contains("included in the purchase price")
    {
        Some(true)
    } else if t
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|w| w == "included")
        && !t.contains("separately")
    {
        // "Real Estate: Included", "Owned and included ($500,000)", "$50,000 (included)".
        Some(true)
    } else {
        None
    }
}

/// "Owned"/"Leased" from a real-estate line.
pub fn ownership(s: &str) -> Option<RealEstateOwnership> {
    let t = s.trim().to_lowercase();
    if t.starts_with("owned") || t == "own" {
        Some(RealEstateOwnership::Owned)
    } else if t.starts_with("leased") || t == "lease" {
        Some(RealEstateOwnership::Leased)
    } else {
        None
    }
}

/// The ad number at the end of a BizBuySell listing URL
/// (`.../business-opportunity/<slug>/2445151/`, `?d=undefined` tails allowed).
pub fn id_from_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    (!last.is_empty() && last.len() <= 12 && last.chars().all(|c| c.is_ascii_digit()))
        .then(|| last.to_string())
}

/// First path segments of BizBuySell listing pages (`/business-opportunity/<slug>/<id>/`);
/// search pages (`/gas-stations-for-sale/2/`), broker and franchise pages are not listings.
const LISTING_PATHS: &[&str] = &[
    "business-opportunity",
    "business-asset",
    "business-real-estate-for-sale",
    "business-auction",
    "start-up-business",
];

/// A BizBuySell listing address written in free text (a word of a paste, maybe in `<...>` or
/// followed by punctuation): the address and its ad number. `None` for another host
/// (`bizbuysell.com.example.net`), or a page that is not a listing.
pub fn listing_url_id(word: &str) -> Option<(String, String)> {
    let w = word
        .trim_start_matches('<')
        .trim_end_matches(['.', ',', ')', '>', ';']);
    let scheme = w.find("://")?;
    if !matches!(w[..scheme].to_ascii_lowercase().as_str(), "http" | "https") {
        return None;
    }
    let rest = &w[scheme + 3..];
    let (host, path) = rest.split_once('/')?;
    let host = host.to_ascii_lowercase();
    if host != "www.bizbuysell.com" && host != "bizbuysell.com" {
        return None;
    }
    let kind = path.split('/').next()?.to_ascii_lowercase();
    if !LISTING_PATHS.contains(&kind.as_str()) {
        return None;
    }
    Some((w.to_string(), id_from_url(w)?))
}

/// Absolute listing URL from an API `urlStub` (absolute or site-relative); ensures the
/// trailing slash BizBuySell uses.
pub fn absolute_url(stub: &str) -> Option<String> {
    let s = stub.trim();
    if s.is_empty() || s.chars().any(char::is_whitespace) {
        return None;
    }
    let mut u = if s.starts_with("http://") || s.starts_with("https://") {
        s.to_string()
    } else if s.starts_with('/') {
        format!("{BASE_URL}{s}")
    } else {
        format!("{BASE_URL}/{s}")
    };
    if !u.contains('?') && !u.ends_with('/') {
        u.push('/');
    }
    Some(u)
}

/// Seller financing stated in text ("Seller financing available", "owner financing").
pub fn mentions_seller_financing(s: &str) -> bool {
    let t = s.to_lowercase();
    let negated = t.contains("no seller financ")
        || t.contains("no owner financ")
        || t.contains("seller financing not");
    !negated
        && (t.contains("seller financ")
            || t.contains("owner financ")
            || t.contains("owner will finance")
            || t.contains("seller will finance"))
}

/// Trims text and returns `None` when empty.
pub fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// `url` when it is an http(s) address on `bizbuysell.com` (see
/// [`gsa_schemas::listing::site_url`]), else `None`.
pub fn site_url(url: &str) -> Option<String> {
    gsa_schemas::listing::site_url(url).map(str::to_string)
}

/// Final touch on every listing: a `url` off the site dropped ([`site_url`]), free text
/// redacted (phones/e-mails), title whitespace collapsed, status from the title when not
/// already set, and `content_hash` computed.
pub fn finish(mut l: Listing) -> Listing {
    l.url = l.url.as_deref().and_then(site_url);
    for f in [
        &mut l.title,
        &mut l.description,
        &mut l.reason_for_selling,
        &mut l.financing,
        &mut l.lease_expiration,
    ] {
        if let Some(t) = f.take() {
            *f = non_empty(&redact(&t));
        }
    }
    // Titles as a browser shows them: whitespace runs collapsed.
    l.title = l
        .title
        .as_deref()
        .map(crate::dom::collapse)
        .filter(|t| !t.is_empty());
    if l.status.is_none() {
        l.status = l.title.as_deref().map(status_from_title);
    }
    l.with_content_hash()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bizbuysell_addresses_are_kept() {
        for ok in [
            "https://www.bizbuysell.com/business-opportunity/x/2445151/",
            "http://bizbuysell.com/Business-Opportunity/x/1/",
            "https://m.bizbuysell.com:443/x",
        ] {
            assert_eq!(site_url(ok).as_deref(), Some(ok));
        }
        for bad in [
            "https://evil.example/x/",
            "https://evil.example/login?r=bizbuysell.com/2445151/",
            "https://bizbuysell.com.evil.example/x",
            "https://www.bizbuysell.com@evil.example/x",
            "javascript:alert(1)//bizbuysell.com",
            "ftp://www.bizbuysell.com/x",
            "https://notbizbuysell.com/x",
        ] {
            assert_eq!(site_url(bad), None, "{bad}");
        }
    }
}
