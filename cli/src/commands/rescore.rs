//! `gsa rescore [--config FILE] [--all]`: re-score every stored listing under the current scoring
//! model, publish the new cards over NATS (each explaining its changes against the stored card,
//! factor by factor) and at most one alert (one listing: a high-score alert; several: one
//! digest). Prints one JSON line per published card (`listing_id`, `model_version`,
//! `previous_score`, `score`, `changes`) and a summary on stderr. The logic lives in
//! [`gsa_analyzer::rescore`].

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use gsa_analyzer::ScoringConfig;
use gsa_common::{nats, telemetry, Config};

/// Runs the command.
pub async fn run(cfg: Config, config: Option<PathBuf>, all: bool) -> anyhow::Result<ExitCode> {
    let mut shipper = telemetry::init("rescore", true);
    let scoring = match &config {
        Some(path) => ScoringConfig::load(path)?,
        None => ScoringConfig::from_env()?,
    };
    let db = cfg.db_path();
    if !db.exists() {
        anyhow::bail!(
            "no event store at {} (run the logging worker first)",
            db.display()
        );
    }
    let stored = gsa_analyzer::rescore::read_store(&db)?;
    let client = nats::connect(&cfg.nats_url, "rescore").await?;
    let js = async_nats::jetstream::new(client.clone());
    nats::ensure_streams(&js, &cfg).await?;
    shipper.attach(client);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut write_err = None;
    let summary =
        gsa_analyzer::rescore::run(&js, stored, &scoring, cfg.alert_threshold, all, |card| {
            let line = serde_json::json!({
                "listing_id": card.listing_id,
                "model_version": card.model_version,
                "previous_model_version": card.previous_model_version,
                "previous_score": card.previous_score,
                "score": card.score,
                "changes": card.changes.iter().map(|c| c.reason.as_str()).collect::<Vec<_>>(),
            });
            if let Err(e) = writeln!(out, "{line}") {
                write_err.get_or_insert(e);
            }
        })
        .await?;
    out.flush()?;
    if let Some(e) = write_err {
        return Err(e.into());
    }
    // Once on stderr: the summary line (a log record of it printed the same text twice).
    tracing::debug!(%summary, "rescore done");
    eprintln!("{summary}");
    Ok(ExitCode::SUCCESS)
}
