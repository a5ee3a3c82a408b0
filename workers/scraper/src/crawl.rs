//! Crawling from start URLs: search pages are paginated up to a limit, and (optionally) each
//! card's detail page is fetched; everything goes through one polite [`Fetcher`].
//!
//! A [`Crawl`] is driven step by step ([`Crawl::next`]), so the caller publishes each page's
//! listings as soon as they are read and can show progress ([`Crawl::done`],
//! [`Crawl::remaining`]).
//!
//! Rules:
//! * A start URL is fetched and parsed with [`crate::parse_bytes`]. When it is a search page
//!   ([`crate::paging::page_info`]), its following pages are queued, up to
//!   [`CrawlOptions::max_pages`] pages in all (the start page included) and never past the last
//!   page. A page URL is fetched at most once per crawl.
//! * With [`CrawlOptions::details`], each search card's listing is held back and its detail
//!   page fetched; the card and the detail page are merged ([`Listing::merged`]: the detail
//!   page wins, the card fills what it left empty). A card whose detail page cannot be fetched
//!   or read is kept as it is, with the reason as a rejection carrying its listing id.
//! * Detail links are fetched from the origin the search page came from (the link's path on
//!   that origin): a crawl never leaves the host it was given, and a mirror or a local test
//!   server is crawled consistently. Listings keep their canonical BizBuySell URL.
//! * A fetch failure becomes a rejection of the URL: `blocked` for block pages (HTTP 403,
//!   "Access Denied", challenge, captcha), `fetch_failed` otherwise (robots.txt, HTTP errors,
//!   timeouts). After a block the host is not asked again ([`FetchError::HostBlocked`]).

use std::collections::{HashSet, VecDeque};

use gsa_schemas::{Listing, ListingSource};
use url::Url;

use crate::fetch::{FetchError, Fetcher};
use crate::paging;
use crate::ParseOutcome;

/// Default number of search pages read per start URL (`GSA_SCRAPE_MAX_PAGES`).
pub const DEFAULT_MAX_PAGES: u32 = gsa_common::config::DEFAULT_SCRAPE_MAX_PAGES;

/// What to crawl beyond the start URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrawlOptions {
    /// Search pages read per start URL, the start page included (default
    /// [`DEFAULT_MAX_PAGES`]; 1 reads only the start page).
    pub max_pages: u32,
    /// Fetch each search card's detail page (default false: one request per card).
    pub details: bool,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        Self {
            max_pages: DEFAULT_MAX_PAGES,
            details: false,
        }
    }
}

#[derive(Debug)]
enum Task {
    /// A URL given by the user: a search or a detail page.
    Start(Url),
    /// A following search page.
    SearchPage(Url),
    /// A card's detail page.
    Detail(Url, Box<Listing>),
}

impl Task {
    fn url(&self) -> &Url {
        match self {
            Task::Start(u) | Task::SearchPage(u) | Task::Detail(u, _) => u,
        }
    }
}

/// The result of one fetched (or refused) URL.
#[derive(Debug)]
pub struct Step {
    /// The URL.
    pub url: Url,
    /// Listings and rejections it gave.
    pub outcome: ParseOutcome,
}

/// A crawl in progress.
pub struct Crawl<'a> {
    fetcher: &'a Fetcher,
    opts: CrawlOptions,
    queue: VecDeque<Task>,
    queued: HashSet<String>,
    done: usize,
}

impl<'a> Crawl<'a> {
    /// A crawl of `start` URLs (duplicates dropped).
    pub fn new(fetcher: &'a Fetcher, start: Vec<Url>, opts: CrawlOptions) -> Self {
        let mut c = Self {
            fetcher,
            opts,
            queue: VecDeque::new(),
            queued: HashSet::new(),
            done: 0,
        };
        for u in start {
            c.push(Task::Start(u));
        }
        c
    }

    fn push(&mut self, t: Task) {
        let mut key = t.url().clone();
        key.set_fragment(None);
        if self.queued.insert(key.to_string()) {
            self.queue.push_back(t);
        }
    }

    /// URLs fetched (or refused) so far.
    pub fn done(&self) -> usize {
        self.done
    }

    /// URLs still queued.
    pub fn remaining(&self) -> usize {
        self.queue.len()
    }

    /// Fetches and reads the next queued URL; `None` when the crawl is over.
    pub async fn next(&mut self) -> Option<Step> {
        let task = self.queue.pop_front()?;
        self.done += 1;
        let step = match task {
            Task::Start(url) => self.page(url, true).await,
            Task::SearchPage(url) => self.page(url, false).await,
            Task::Detail(url, card) => self.detail(url, *card).await,
        };
        Some(step)
    }

    async fn page(&mut self, url: Url, is_start: bool) -> Step {
        let page = match self.fetcher.fetch(&url).await {
            Ok(p) => p,
            Err(e) => return refused(url, &e, None, None),
        };
        let name = url.to_string();
        let mut outcome = crate::parse_bytes(&name, &page.body, page.fetched_at);
        let html = String::from_utf8_lossy(&page.body);
        let is_search = outcome
            .listings
            .iter()
            .any(|l| l.source == ListingSource::SearchCard);
        if is_start && is_search {
            if let Some(info) = paging::page_info(&html) {
                let current = info.page.max(paging::page_of(&url));
                let last = info
                    .pages
                    .min(current.saturating_add(self.opts.max_pages.saturating_sub(1)));
                for n in current.saturating_add(1)..=last {
                    self.push(Task::SearchPage(paging::page_url(&url, n)));
                }
            }
        }
        if self.opts.details && is_search {
            let (cards, kept): (Vec<Listing>, Vec<Listing>) = std::mem::take(&mut outcome.listings)
                .into_iter()
                .partition(|l| l.source == ListingSource::SearchCard && l.url.is_some());
            outcome.listings = kept;
            for card in cards {
                match card.url.as_deref().and_then(|u| same_origin(&url, u)) {
                    Some(detail_url) => self.push(Task::Detail(detail_url, Box::new(card))),
                    None => outcome.listings.push(card),
                }
            }
        }
        Step { url, outcome }
    }

    async fn detail(&mut self, url: Url, card: Listing) -> Step {
        let page = match self.fetcher.fetch(&url).await {
            Ok(p) => p,
            Err(e) => {
                let id = card.listing_id.clone();
                return refused(url, &e, Some(id), Some(card));
            }
        };
        let mut outcome = crate::parse_bytes(url.as_str(), &page.body, page.fetched_at);
        match outcome
            .listings
            .iter()
            .position(|l| l.listing_id == card.listing_id)
        {
            Some(i) => {
                let merged = card.merged(&outcome.listings[i]);
                outcome.listings[i] = merged;
            }
            None => {
                // The detail page did not read as this listing: keep the card as it is, and
                // whatever the page gave (another listing, or a rejection) beside it.
                for r in &mut outcome.rejections {
                    r.listing_id.get_or_insert_with(|| card.listing_id.clone());
                }
                outcome.listings.insert(0, card);
            }
        }
        Step { url, outcome }
    }
}

fn refused(url: Url, e: &FetchError, listing_id: Option<String>, keep: Option<Listing>) -> Step {
    tracing::warn!(url = %url, error = %e, "not read");
    Step {
        outcome: ParseOutcome {
            listings: keep.into_iter().collect(),
            rejections: vec![e.to_rejection(url.as_str(), listing_id)],
            ..ParseOutcome::default()
        },
        url,
    }
}

/// `link`'s path and query on `page`'s origin.
fn same_origin(page: &Url, link: &str) -> Option<Url> {
    let abs = page.join(link).ok()?;
    let mut out = page.clone();
    out.set_path(abs.path());
    out.set_query(abs.query());
    out.set_fragment(None);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_links_stay_on_the_page_origin() {
        let page = Url::parse("http://127.0.0.1:8080/businesses-for-sale/2/?q=x").unwrap();
        let u = same_origin(
            &page,
            "https://www.bizbuysell.com/business-opportunity/gas-station/2460501/",
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:8080/business-opportunity/gas-station/2460501/"
        );
        let rel = same_origin(&page, "/business-asset/x/1/").unwrap();
        assert_eq!(rel.as_str(), "http://127.0.0.1:8080/business-asset/x/1/");
    }
}
