//! The scraper worker's schedule: it watches the site on its own (issue 3, "the scraper worker
//! fetch[es] live pages").
//!
//! Every [`Schedule::every`] (`GSA_SCRAPE_EVERY_SECS`, default 6 hours) the worker reads the
//! configured start URLs (`GSA_SCRAPE_URLS`: search or detail pages) with the same code as
//! `gsa scrape URL`: one polite [`Fetcher`] (user agent with the operator's contact, per-host
//! rate limit, retries with backoff honouring `Retry-After`, timeouts, robots.txt), a
//! [`Crawl`] (search pages paginated up to [`CrawlOptions::max_pages`], each card's detail
//! page), and the same [`Publisher`] (change detection in the `gsa_seen` KV bucket), so a
//! round that finds nothing new publishes nothing, and a price cut is a `gsa.listing.updated`.
//! With no URLs the schedule is off and the worker only watches the inbox.
//!
//! Decisions:
//! * Rounds start `every` apart, the first at once; a round that overruns delays the next
//!   instead of overlapping it (one crawler per worker).
//! * Each round gets a fresh [`Fetcher`]: robots.txt is re-read every round (RFC 9309 §2.4
//!   asks for a cache of at most 24 hours), and a host that blocked one round is asked again
//!   next round, not written off forever. Within a round a blocked host is not asked again.
//! * Blocked fetches (HTTP 403, "Access Denied", challenge, captcha) are reported, never read as
//!   empty listings: a `blocked` rejection on `gsa.listing.rejected` (from [`Crawl`]), a
//!   warning in the log, and the count in the round's one-line summary.
//! * A round that fails to publish (NATS down) is logged and the next round tries again; the
//!   worker keeps running. Only a start-up failure (bad URL, no contact) ends it.
//! * Shutdown: between two pages, and during a fetch or a rate-limit wait, the round stops at
//!   once (the request in flight is dropped); listings already read are published first.

use std::time::Duration;

use async_nats::jetstream;
use gsa_common::config::ScrapeConfig;
use gsa_common::{Config, Shutdown};
use gsa_schemas::RejectionKind;
use url::Url;

use crate::crawl::{Crawl, CrawlOptions};
use crate::fetch::{FetchConfig, Fetcher};
use crate::publish::{PublishSummary, Publisher};

/// What the worker fetches and how often.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Start URLs (search or detail pages), read every round in this order.
    pub urls: Vec<Url>,
    /// Time from the start of one round to the start of the next.
    pub every: Duration,
    /// The fetcher's settings (a new [`Fetcher`] per round).
    pub fetch: FetchConfig,
    /// Pagination limit and detail pages.
    pub crawl: CrawlOptions,
}

impl Schedule {
    /// The schedule the configuration asks for; `Ok(None)` when it names no URLs (schedule
    /// off). Fails on an URL that does not parse or is not http(s), or a missing contact.
    pub fn from_settings(s: &ScrapeConfig) -> anyhow::Result<Option<Self>> {
        if s.urls.is_empty() {
            return Ok(None);
        }
        let mut urls = Vec::with_capacity(s.urls.len());
        for raw in &s.urls {
            let u = Url::parse(raw).map_err(|e| anyhow::anyhow!("GSA_SCRAPE_URLS: {raw}: {e}"))?;
            if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
                anyhow::bail!("GSA_SCRAPE_URLS: {raw} is not an http(s) URL");
            }
            urls.push(u);
        }
        let fetch = FetchConfig::from_settings(s);
        // Fail at start, not at the first round, when the fetcher cannot be built.
        Fetcher::new(fetch.clone())?;
        Ok(Some(Self {
            urls,
            every: s.every.max(Duration::from_secs(1)),
            fetch,
            crawl: CrawlOptions {
                max_pages: s.max_pages.max(1),
                details: s.details,
            },
        }))
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundReport {
    /// Round number, 1 for the first round after start.
    pub round: u64,
    /// URLs fetched or refused (start URLs, following search pages, detail pages).
    pub urls: usize,
    /// What was published: read, published, updated, unchanged, rejected, blocked.
    pub summary: PublishSummary,
    /// The blocked URLs with the reason, in crawl order.
    pub blocked: Vec<(String, String)>,
    /// True when shutdown stopped the round before its end.
    pub interrupted: bool,
}

impl std::fmt::Display for RoundReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "round {}: {} URLs, {}{}",
            self.round,
            self.urls,
            self.summary,
            if self.interrupted {
                " (stopped by shutdown)"
            } else {
                ""
            }
        )
    }
}

/// Runs one round: crawls every start URL and publishes what each page gave as soon as it is
/// read. Returns early (with [`RoundReport::interrupted`]) on shutdown. `Err` only when
/// publishing fails.
pub async fn round(
    schedule: &Schedule,
    publisher: &Publisher,
    shutdown: &Shutdown,
    number: u64,
) -> anyhow::Result<RoundReport> {
    let mut report = RoundReport {
        round: number,
        ..Default::default()
    };
    let fetcher = Fetcher::new(schedule.fetch.clone())?;
    let mut crawl = Crawl::new(&fetcher, schedule.urls.clone(), schedule.crawl);
    let mut stop = shutdown.clone();
    loop {
        if stop.is_shutdown() {
            report.interrupted = true;
            break;
        }
        let step = tokio::select! {
            // Shutdown first: a round never starts another request once told to stop.
            biased;
            _ = stop.recv() => {
                report.interrupted = true;
                break;
            }
            step = crawl.next() => step,
        };
        let Some(step) = step else { break };
        report.urls = crawl.done();
        for r in &step.outcome.rejections {
            if r.kind == RejectionKind::Blocked {
                tracing::warn!(url = %r.input, reason = %r.reason, "blocked: not read");
                report.blocked.push((r.input.clone(), r.reason.clone()));
            }
        }
        report.summary += publisher
            .publish(&step.outcome.listings, &step.outcome.rejections)
            .await?;
    }
    report.urls = crawl.done();
    Ok(report)
}

/// Runs rounds every [`Schedule::every`] until `shutdown`, calling `on_round` after each with
/// its report, or the error that ended it (also logged; the next round tries again).
pub async fn run_with(
    schedule: &Schedule,
    publisher: &Publisher,
    shutdown: Shutdown,
    mut on_round: impl FnMut(&anyhow::Result<RoundReport>),
) -> anyhow::Result<()> {
    let mut stop = shutdown.clone();
    let mut ticks = tokio::time::interval(schedule.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut number = 0u64;
    loop {
        tokio::select! {
            biased;
            _ = stop.recv() => break,
            _ = ticks.tick() => {}
        }
        number += 1;
        let result = round(schedule, publisher, &shutdown, number).await;
        match &result {
            Ok(report) if report.blocked.is_empty() => {
                tracing::info!(summary = %report, "scheduled round done");
            }
            Ok(report) => {
                tracing::warn!(summary = %report, blocked = report.blocked.len(), "scheduled round done; some pages were blocked");
            }
            Err(e) => {
                tracing::error!(round = number, error = %format!("{e:#}"), "scheduled round failed; the next round tries again");
            }
        }
        on_round(&result);
    }
    tracing::info!("scraper schedule stopped");
    Ok(())
}

/// The scraper worker's schedule from `cfg.scrape`: off (returns at once) without URLs,
/// otherwise rounds until `shutdown`. Fails at start on a bad URL or a missing contact.
pub async fn run(cfg: &Config, js: jetstream::Context, shutdown: Shutdown) -> anyhow::Result<()> {
    let Some(schedule) = Schedule::from_settings(&cfg.scrape)? else {
        tracing::info!("no GSA_SCRAPE_URLS: scheduled fetching is off (the inbox is watched)");
        return Ok(());
    };
    let publisher = Publisher::new(js).await?;
    tracing::info!(
        urls = schedule.urls.len(),
        every_secs = schedule.every.as_secs(),
        max_pages = schedule.crawl.max_pages,
        details = schedule.crawl.details,
        "scraper fetching on a schedule"
    );
    run_with(&schedule, &publisher, shutdown, |_| {}).await
}
