//! Pagination of BizBuySell search pages (pure; see `/work/shared/reference/bizbuysell-pages.md`
//! "Pagination").
//!
//! Search URLs carry the page number as their last path segment: `/businesses-for-sale/` is
//! page 1, `/businesses-for-sale/2/` page 2, `/california-businesses-for-sale/3/?q=...` page 3
//! (the query string is kept). The page count comes first from the embedded `BBS-state` JSON
//! (`value.bfsSearchResult.total` over `criteria.howMany` (or `count`) results per page, with
//! `criteria.pageNumber` the current page), and otherwise from the pagination links
//! (`ul.ngx-pagination a[title="Page N"]`, the `li.active` one being the current page).

use scraper::Html;
use serde_json::Value;
use url::Url;

use crate::dom::{all, first};
use crate::jsonutil::{at, parse_lenient};

/// Where a search page sits in its result list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageInfo {
    /// This page's number, 1-based.
    pub page: u32,
    /// Number of pages of the search (at least `page`).
    pub pages: u32,
}

/// Reads the page number and page count of a search page; `None` when the HTML has neither a
/// `BBS-state` search result nor pagination links (e.g. a detail page).
pub fn page_info(html: &str) -> Option<PageInfo> {
    let doc = Html::parse_document(html);
    let root = doc.root_element();
    if let Some(script) = first(root, "script#BBS-state") {
        let raw: String = script.text().collect();
        if let Some(info) = parse_lenient(&raw).as_ref().and_then(from_state) {
            return Some(info);
        }
    }
    from_links(&doc)
}

fn as_u64(v: Option<&Value>) -> Option<u64> {
    let v = v?;
    v.as_u64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        })
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn from_state(state: &Value) -> Option<PageInfo> {
    for entry in state.as_object()?.values() {
        let Some(result) = at(entry, &["value", "bfsSearchResult"]) else {
            continue;
        };
        let Some(total) = as_u64(result.get("total")) else {
            continue;
        };
        let criteria = result.get("criteria");
        let per_page = as_u64(criteria.and_then(|c| c.get("howMany")))
            .filter(|n| *n > 0)
            .or_else(|| as_u64(result.get("count")).filter(|n| *n > 0))
            .unwrap_or(50);
        let page = as_u64(criteria.and_then(|c| c.get("pageNumber")))
            .filter(|n| *n > 0)
            .unwrap_or(1);
        let pages = total.div_ceil(per_page).max(page);
        return Some(PageInfo {
            page: u32::try_from(page).unwrap_or(u32::MAX),
            pages: u32::try_from(pages).unwrap_or(u32::MAX),
        });
    }
    None
}

fn from_links(doc: &Html) -> Option<PageInfo> {
    let list = first(doc.root_element(), "ul.ngx-pagination")?;
    let number = |title: &str| -> Option<u32> { title.strip_prefix("Page ")?.trim().parse().ok() };
    let pages = all(list, "a[title]")
        .iter()
        .filter_map(|a| a.value().attr("title").and_then(number))
        .max()?;
    let page = first(list, "li.active a[title]")
        .and_then(|a| a.value().attr("title").and_then(number))
        .unwrap_or(1);
    Some(PageInfo {
        page,
        pages: pages.max(page),
    })
}

/// The page number in a search URL's last path segment (`/x-for-sale/3/` -> 3), or 1.
pub fn page_of(url: &Url) -> u32 {
    let segs: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    match segs.as_slice() {
        [.., prev, last] if !prev.is_empty() => last.parse().ok().filter(|n| *n > 0).unwrap_or(1),
        _ => 1,
    }
}

/// The URL of page `n` of the search `url` is on: the page number replaces (or is appended as)
/// the last path segment; page 1 has none. The query string is kept.
pub fn page_url(url: &Url, n: u32) -> Url {
    let mut segs: Vec<String> = url
        .path_segments()
        .map(|s| s.filter(|x| !x.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    if segs.len() >= 2 && segs.last().is_some_and(|s| s.parse::<u32>().is_ok()) {
        segs.pop();
    }
    if n > 1 {
        segs.push(n.to_string());
    }
    let mut out = url.clone();
    let path = if segs.is_empty() {
        "/".to_string()
    } else {
        format!("/{}/", segs.join("/"))
    };
    out.set_path(&path);
    out.set_fragment(None);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls() {
        let u =
            Url::parse("https://www.bizbuysell.com/businesses-for-sale/?q=SFZBQw%3D%3D").unwrap();
        assert_eq!(
            page_url(&u, 2).as_str(),
            "https://www.bizbuysell.com/businesses-for-sale/2/?q=SFZBQw%3D%3D"
        );
        let p3 =
            Url::parse("https://www.bizbuysell.com/texas/houston-businesses-for-sale/3/").unwrap();
        assert_eq!(page_of(&p3), 3);
        assert_eq!(
            page_url(&p3, 4).as_str(),
            "https://www.bizbuysell.com/texas/houston-businesses-for-sale/4/"
        );
        assert_eq!(
            page_url(&p3, 1).as_str(),
            "https://www.bizbuysell.com/texas/houston-businesses-for-sale/"
        );
        assert_eq!(page_of(&u), 1);
    }
}
