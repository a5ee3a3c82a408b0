//! Running the services: `gsa up` (all in one process), `gsa worker <name>`, `gsa gateway`,
//! and `gsa scrape` (one-shot publish of files and folders).

use std::path::PathBuf;
use std::process::ExitCode;

use gsa_common::{nats, shutdown, telemetry, Config};

use super::inputs;
use crate::WorkerName;

/// Connects to NATS (waiting for it), ensures streams and KV buckets, and attaches log shipping.
async fn connect(
    cfg: &Config,
    service: &str,
    shipper: &mut telemetry::LogShipper,
) -> anyhow::Result<async_nats::jetstream::Context> {
    let client = nats::connect(&cfg.nats_url, service).await?;
    let js = async_nats::jetstream::new(client.clone());
    nats::ensure_streams(&js, cfg).await?;
    shipper.attach(client);
    Ok(js)
}

/// Starts the named worker as a task.
fn spawn_worker(
    cfg: &Config,
    js: &async_nats::jetstream::Context,
    name: WorkerName,
    sd: gsa_common::Shutdown,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    let cfg = cfg.clone();
    let js = js.clone();
    tokio::spawn(async move {
        match name {
            WorkerName::Logger => gsa_logger::worker::run(&cfg, js, sd).await,
            WorkerName::Analyzer => {
                let scoring = gsa_analyzer::ScoringConfig::default();
                gsa_analyzer::worker::run(&cfg, js, scoring, sd).await
            }
            WorkerName::Scraper => gsa_scraper::inbox::run(&cfg, js, sd).await,
        }
    })
}

async fn wait_all(
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    for t in tasks {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %format!("{e:#}"), "service failed");
                failed = true;
            }
            Err(e) => {
                tracing::error!(error = %e, "service task panicked");
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `gsa up`: scraper inbox, analyzer, logging worker and gateway until Ctrl-C/SIGTERM.
pub async fn up(cfg: Config) -> anyhow::Result<ExitCode> {
    let mut shipper = telemetry::init("gsa", true);
    std::fs::create_dir_all(&cfg.data_dir)?;
    let js = connect(&cfg, "up", &mut shipper).await?;
    let (trigger, sd) = shutdown::channel();
    let mut tasks = Vec::new();
    for w in [
        WorkerName::Logger,
        WorkerName::Analyzer,
        WorkerName::Scraper,
    ] {
        tasks.push(spawn_worker(&cfg, &js, w, trigger.subscribe()));
    }
    let listener = tokio::net::TcpListener::bind(cfg.http_addr).await?;
    tracing::info!(addr = %cfg.http_addr, inbox = %cfg.inbox.display(), "gsa up: all services running");
    let gcfg = cfg.clone();
    tasks.push(tokio::spawn(gsa_gateway::serve(gcfg, listener, sd)));
    shutdown::os_signal().await;
    tracing::info!("shutting down");
    trigger.trigger();
    wait_all(tasks).await
}

/// `gsa worker <name>`.
pub async fn worker(cfg: Config, name: WorkerName) -> anyhow::Result<ExitCode> {
    let service = format!("{name:?}").to_lowercase();
    let mut shipper = telemetry::init(&service, true);
    std::fs::create_dir_all(&cfg.data_dir)?;
    let js = connect(&cfg, &service, &mut shipper).await?;
    let (trigger, sd) = shutdown::channel();
    let task = spawn_worker(&cfg, &js, name, sd);
    tokio::select! {
        _ = shutdown::os_signal() => { trigger.trigger(); }
    }
    wait_all(vec![task]).await
}

/// `gsa gateway`.
pub async fn gateway(cfg: Config) -> anyhow::Result<ExitCode> {
    let mut shipper = telemetry::init("gateway", true);
    std::fs::create_dir_all(&cfg.data_dir)?;
    // The gateway serves reads without NATS; logs are shipped once NATS answers.
    let client = nats::connect(&cfg.nats_url, "gateway").await?;
    shipper.attach(client);
    let (trigger, sd) = shutdown::channel();
    let listener = tokio::net::TcpListener::bind(cfg.http_addr).await?;
    tracing::info!(addr = %cfg.http_addr, "gateway listening");
    let task = tokio::spawn(gsa_gateway::serve(cfg, listener, sd));
    shutdown::os_signal().await;
    trigger.trigger();
    wait_all(vec![task]).await
}

/// `gsa scrape FILE|DIR...`: parse and publish once, print the summary on stderr.
pub async fn scrape(cfg: Config, inputs_: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut shipper = telemetry::init("scraper", true);
    let js = connect(&cfg, "scraper", &mut shipper).await?;
    let publisher = gsa_scraper::publish::Publisher::new(js).await?;
    let mut total = gsa_scraper::publish::PublishSummary::default();
    for path in inputs::expand(inputs_) {
        let outcome = inputs::parse_one(&path)?;
        total += publisher
            .publish(&outcome.listings, &outcome.rejections)
            .await?;
    }
    eprintln!("{total}");
    Ok(ExitCode::SUCCESS)
}
