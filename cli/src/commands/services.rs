//! Running the services: `gsa up` (all in one process), `gsa worker <name>`, `gsa gateway`,
//! and `gsa scrape` (one-shot publish of files, folders and live pages).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use tokio::task::JoinSet;

use gsa_scraper::crawl::{Crawl, CrawlOptions};
use gsa_scraper::fetch::{FetchConfig, Fetcher};
use gsa_scraper::publish::{PublishSummary, Publisher};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use gsa_common::{nats, shutdown, telemetry, Config};

use super::inputs;
use crate::WorkerName;

/// Connects to NATS (waiting for it), ensures streams and KV buckets, and attaches log shipping.
///
/// The services wait for a NATS server that is not up yet (in docker compose they start side by
/// side), and say so on stderr at once and every 15 s, so a missing server is not mistaken for
/// a hang.
async fn connect(
    cfg: &Config,
    service: &str,
    shipper: &mut telemetry::LogShipper,
) -> anyhow::Result<async_nats::jetstream::Context> {
    let mut waited = 0u32;
    loop {
        match nats::probe(&cfg.nats_url).await {
            nats::Answer::Nats => break,
            nats::Answer::Other => anyhow::bail!(
                "something answers at NATS_URL {} ({}) but it is not a NATS server: it did not \
                 greet with INFO; point NATS_URL (or --nats-url) at a nats-server with JetStream",
                cfg.nats_url,
                nats::host_port(&cfg.nats_url).unwrap_or_default()
            ),
            nats::Answer::Nothing => {}
        }
        if waited.is_multiple_of(15) {
            tracing::warn!(
                nats_url = %cfg.nats_url,
                waited_secs = waited,
                "no NATS server answers at NATS_URL; waiting for one (start it with `nats-server -js`, or set NATS_URL)"
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        waited += 1;
    }
    let client = nats::connect(&cfg.nats_url, service).await?;
    let js = async_nats::jetstream::new(client.clone());
    nats::ensure_streams(&js, cfg).await?;
    shipper.attach(client);
    Ok(js)
}

/// Starts the named worker as a task of `tasks`. `scoring` is the analyzer's model, read
/// (and checked) once by the caller before anything starts.
fn spawn_worker(
    tasks: &mut JoinSet<(&'static str, anyhow::Result<()>)>,
    cfg: &Config,
    js: &async_nats::jetstream::Context,
    name: WorkerName,
    scoring: &gsa_analyzer::ScoringConfig,
    sd: gsa_common::Shutdown,
) {
    let cfg = cfg.clone();
    let js = js.clone();
    let scoring = scoring.clone();
    let service = name.service();
    let span = telemetry::service_span(service);
    let task = async move {
        let result = match name {
            WorkerName::Logger => gsa_logger::worker::run(&cfg, js, sd).await,
            WorkerName::Analyzer => gsa_analyzer::worker::run(&cfg, js, scoring, sd).await,
            WorkerName::Scraper => {
                // The inbox and the schedule side by side; the schedule returns at once when
                // no URLs are configured.
                tokio::try_join!(
                    gsa_scraper::inbox::run(&cfg, js.clone(), sd.clone()),
                    gsa_scraper::schedule::run(&cfg, js, sd),
                )
                .map(|_| ())
            }
            WorkerName::Notifier => {
                let opts = gsa_notifier::worker::NotifierOptions::default();
                gsa_notifier::worker::run(&cfg, js, opts, sd).await
            }
        };
        (service, result)
    };
    tasks.spawn(tracing::Instrument::instrument(task, span));
}

/// Runs the services until Ctrl-C/SIGTERM or until one of them stops on its own, then stops
/// the rest and waits for each to finish its batch in flight.
///
/// A service that stops before a signal failed: an error at start-up (a JWT key that is too
/// short, an unreadable scoring config) or a fatal one later. Its error is logged at once and
/// the process exits 1, rather than running on without it and reporting only at shutdown.
async fn supervise(
    mut tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
    trigger: shutdown::ShutdownTrigger,
) -> ExitCode {
    let mut failed = false;
    tokio::select! {
        _ = shutdown::os_signal() => {}
        Some(first) = tasks.join_next() => {
            failed = true;
            if let Ok((service, Ok(()))) = &first {
                tracing::error!(service, "service stopped unexpectedly; stopping the others");
            }
            report(first);
        }
    }
    trigger.trigger();
    while let Some(done) = tasks.join_next().await {
        failed |= report(done);
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Logs how a service ended; `true` when it failed.
fn report(done: Result<(&'static str, anyhow::Result<()>), tokio::task::JoinError>) -> bool {
    match done {
        Ok((_, Ok(()))) => false,
        Ok((service, Err(e))) => {
            tracing::error!(service, error = %format!("{e:#}"), "service failed");
            true
        }
        Err(e) => {
            tracing::error!(error = %e, "service task panicked");
            true
        }
    }
}

/// Binds the gateway's address (`GSA_HTTP_ADDR`, `--http-addr`); the error names it and the
/// way to change it ("Address already in use" alone says neither).
async fn listen(cfg: &Config) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(cfg.http_addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} for the gateway (another gsa up or gateway running? \
                 choose another address with --http-addr or GSA_HTTP_ADDR)",
                cfg.http_addr
            )
        })
}

/// `gsa up`: scraper (inbox, and the schedule when `GSA_SCRAPE_URLS` is set), analyzer,
/// logging worker, notifier and gateway until
/// Ctrl-C/SIGTERM; then every service finishes the batch in flight, acks it and closes its
/// database before the process exits 0.
pub async fn up(cfg: Config) -> anyhow::Result<ExitCode> {
    let mut shipper = telemetry::init("gsa", true);
    std::fs::create_dir_all(&cfg.data_dir)?;
    // Settings, then the port, before any service starts and logs: a wrong setting or a busy
    // port is then the only thing printed.
    let scoring = gsa_analyzer::ScoringConfig::from_env()?;
    let gw = gsa_gateway::preflight(&cfg)?;
    let listener = listen(&cfg).await?;
    let js = connect(&cfg, "up", &mut shipper).await?;
    let (trigger, sd) = shutdown::channel();
    let mut tasks = JoinSet::new();
    for w in [
        WorkerName::Logger,
        WorkerName::Analyzer,
        WorkerName::Scraper,
        WorkerName::Notifier,
    ] {
        spawn_worker(&mut tasks, &cfg, &js, w, &scoring, trigger.subscribe());
    }
    tracing::info!(addr = %cfg.http_addr, inbox = %cfg.inbox.display(), "gsa up: services started");
    let gcfg = cfg.clone();
    let served = async move {
        (
            "gateway",
            gsa_gateway::serve_with(gcfg, gw, listener, sd).await,
        )
    };
    tasks.spawn(tracing::Instrument::instrument(
        served,
        telemetry::service_span("gateway"),
    ));
    let code = supervise(tasks, trigger).await;
    tracing::info!("gsa up: stopped");
    Ok(code)
}

/// `gsa worker <name>`.
pub async fn worker(cfg: Config, name: WorkerName) -> anyhow::Result<ExitCode> {
    let service = name.service();
    let mut shipper = telemetry::init(service, true);
    // The analyzer's model, read before waiting for NATS so a bad file is reported at once;
    // the other workers do not read it (a bad file must not stop the logging worker).
    let scoring = if matches!(name, WorkerName::Analyzer) {
        gsa_analyzer::ScoringConfig::from_env()?
    } else {
        gsa_analyzer::ScoringConfig::default()
    };
    std::fs::create_dir_all(&cfg.data_dir)?;
    let js = connect(&cfg, service, &mut shipper).await?;
    let (trigger, sd) = shutdown::channel();
    let mut tasks = JoinSet::new();
    spawn_worker(&mut tasks, &cfg, &js, name, &scoring, sd);
    Ok(supervise(tasks, trigger).await)
}

/// `gsa gateway`.
pub async fn gateway(cfg: Config) -> anyhow::Result<ExitCode> {
    let mut shipper = telemetry::init("gateway", true);
    let gw = gsa_gateway::preflight(&cfg)?;
    std::fs::create_dir_all(&cfg.data_dir)?;
    // The gateway serves reads without NATS; logs are shipped once NATS answers.
    let client = nats::connect(&cfg.nats_url, "gateway").await?;
    shipper.attach(client);
    let (trigger, sd) = shutdown::channel();
    let listener = listen(&cfg).await?;
    let mut tasks = JoinSet::new();
    tasks.spawn(async move {
        (
            "gateway",
            gsa_gateway::serve_with(cfg, gw, listener, sd).await,
        )
    });
    Ok(supervise(tasks, trigger).await)
}

/// How `gsa scrape` fetches live pages (see `gsa_scraper::fetch` for the rules). Each flag
/// overrides its `GSA_SCRAPE_*` variable and the `[scrape]` table of the config file.
#[derive(Debug, Clone, clap::Args)]
pub struct FetchArgs {
    /// Search pages read per start URL, the first included [env: GSA_SCRAPE_MAX_PAGES,
    /// default 5].
    #[arg(long)]
    pub max_pages: Option<u32>,
    /// Fetch each search card's detail page, one more request per card [env:
    /// GSA_SCRAPE_DETAILS, default on].
    #[arg(long, overrides_with = "no_details")]
    pub details: bool,
    /// Do not fetch the cards' detail pages.
    #[arg(long, overrides_with = "details")]
    pub no_details: bool,
    /// Seconds between two requests to the same host, raised to the site's robots.txt
    /// Crawl-delay when that is longer [env: GSA_SCRAPE_DELAY_SECS, default 3].
    #[arg(long, value_name = "SECONDS")]
    pub delay: Option<f64>,
    /// Seconds before one request is given up (it is then retried) [env:
    /// GSA_SCRAPE_TIMEOUT_SECS, default 30].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Retries on HTTP 429/5xx, timeouts and connection errors [env: GSA_SCRAPE_RETRIES,
    /// default 4].
    #[arg(long)]
    pub retries: Option<u32>,
    /// Contact URL or e-mail put in the user agent, so a site operator can reach you;
    /// required to fetch URLs [env: GSA_SCRAPE_CONTACT].
    #[arg(long)]
    pub contact: Option<String>,
    /// Do not read robots.txt. Only for sites you own or have permission to crawl [env:
    /// GSA_SCRAPE_ROBOTS=false].
    #[arg(long)]
    pub ignore_robots: bool,
}

impl FetchArgs {
    /// The fetch and crawl settings: these flags over `base` (environment, file, defaults).
    fn settings(
        &self,
        base: &gsa_common::config::ScrapeConfig,
    ) -> anyhow::Result<(FetchConfig, CrawlOptions)> {
        let secs = |name: &str, v: Option<f64>, d: Duration| match v {
            None => Ok(d),
            Some(v) => Duration::try_from_secs_f64(v)
                .map_err(|_| anyhow::anyhow!("--{name} must be a number of seconds >= 0, not {v}")),
        };
        let mut s = base.clone();
        s.delay = secs("delay", self.delay, s.delay)?;
        s.timeout = secs("timeout", self.timeout, s.timeout)?;
        if s.timeout.is_zero() {
            anyhow::bail!("--timeout must be more than 0 seconds");
        }
        if let Some(r) = self.retries {
            s.retries = r;
        }
        if let Some(c) = &self.contact {
            s.contact = Some(c.trim().to_string());
        }
        if self.ignore_robots {
            s.respect_robots = false;
        }
        let details = if self.no_details {
            false
        } else {
            self.details || s.details
        };
        let opts = CrawlOptions {
            max_pages: self.max_pages.unwrap_or(s.max_pages).max(1),
            details,
        };
        Ok((FetchConfig::from_settings(&s), opts))
    }
}

/// A progress bar on stderr when it is a terminal, hidden otherwise.
fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {wide_msg}",
    ) {
        pb.set_style(style);
    }
    pb
}

/// `gsa scrape FILE|DIR|URL...`: read files and folders, fetch URLs (search pages paginated,
/// detail pages optional), publish every listing once, print the one-line summary on stderr.
pub async fn scrape(
    cfg: Config,
    inputs_: &[PathBuf],
    fetch: &FetchArgs,
) -> anyhow::Result<ExitCode> {
    let mut urls = Vec::new();
    let mut paths = Vec::new();
    for i in inputs_ {
        let s = i.to_string_lossy();
        if s.starts_with("http://") || s.starts_with("https://") {
            urls.push(url::Url::parse(&s).map_err(|e| anyhow::anyhow!("{s}: {e}"))?);
        } else {
            paths.push(i.clone());
        }
    }
    let (fetch_cfg, opts) = fetch.settings(&cfg.scrape)?;
    let fetcher = if urls.is_empty() {
        None
    } else {
        Some(Fetcher::new(fetch_cfg)?)
    };
    let mut shipper = telemetry::init("scraper", true);
    let js = connect(&cfg, "scraper", &mut shipper).await?;
    let publisher = Publisher::new(js).await?;
    let mut total = PublishSummary::default();
    let files = inputs::expand(&paths);
    let pb = progress_bar(files.len() as u64);
    for path in files {
        pb.set_message(path.display().to_string());
        let outcome = inputs::parse_one(&path)?;
        total += publisher
            .publish(&outcome.listings, &outcome.rejections)
            .await?;
        pb.inc(1);
    }
    if let Some(fetcher) = &fetcher {
        let mut crawl = Crawl::new(fetcher, urls, opts);
        pb.set_position(0);
        pb.set_length(crawl.remaining() as u64);
        while let Some(step) = crawl.next().await {
            pb.set_length((crawl.done() + crawl.remaining()) as u64);
            pb.set_position(crawl.done() as u64);
            pb.set_message(step.url.to_string());
            total += publisher
                .publish(&step.outcome.listings, &step.outcome.rejections)
                .await?;
        }
    }
    pb.finish_and_clear();
    eprintln!("{total}");
    Ok(ExitCode::SUCCESS)
}
