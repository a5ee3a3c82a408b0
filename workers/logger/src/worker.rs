//! The logging worker: one durable consumer per stream (`logger-<STREAM>`), batches of up to
//! [`BATCH`] messages stored in one transaction, acked only after the commit.

use std::sync::{Arc, Mutex};

use async_nats::jetstream;
use gsa_common::nats::{self, ConsumerSpec, HandleError};
use gsa_common::{Config, Shutdown};
use gsa_schemas::subjects;

use crate::store::{Incoming, Retention, Store, StoreError};

/// Most events stored in one transaction.
pub const BATCH: usize = 500;

/// How often the retention job runs.
pub const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Runs the logging worker until `shutdown`: stores every event of every gsa stream.
pub async fn run(cfg: &Config, js: jetstream::Context, shutdown: Shutdown) -> anyhow::Result<()> {
    std::fs::create_dir_all(&cfg.data_dir)?;
    let store = Arc::new(Mutex::new(Store::open(&cfg.db_path())?));
    tracing::info!(db = %cfg.db_path().display(), "logging worker started");
    let mut tasks = Vec::new();
    {
        let store = store.clone();
        let mut sd = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(RETENTION_EVERY);
            loop {
                tokio::select! {
                    _ = sd.recv() => break,
                    _ = tick.tick() => {}
                }
                let store = store.clone();
                let purged = tokio::task::spawn_blocking(move || {
                    let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
                    s.apply_retention(&Retention::default(), chrono::Utc::now())
                })
                .await;
                match purged {
                    Ok(Ok(p)) => tracing::info!(
                        logs = p.logs,
                        events = p.events,
                        score_history = p.score_history,
                        "retention pass"
                    ),
                    Ok(Err(e)) => tracing::warn!(error = %e, "retention pass failed"),
                    Err(e) => tracing::warn!(error = %e, "retention task failed"),
                }
            }
            Ok(())
        }));
    }
    for (stream, _) in subjects::STREAMS {
        let spec = ConsumerSpec {
            stream: stream.to_string(),
            durable: format!("{}-{}", subjects::CONSUMER_LOGGER_PREFIX, stream),
            filter_subject: None,
            batch: BATCH,
        };
        let store = store.clone();
        let js2 = js.clone();
        let sd = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            nats::run_consumer(js2, spec, sd, move |batch| {
                let store = store.clone();
                async move { handle(store, batch).await }
            })
            .await
        }));
    }
    for t in tasks {
        t.await??;
    }
    tracing::info!("logging worker stopped");
    Ok(())
}

/// Parses a message into what the store needs, or a permanent error (not a gsa event).
fn incoming(m: &jetstream::Message) -> Result<Incoming, HandleError> {
    serde_json::from_slice(&m.payload)
        .map(|head| Incoming {
            subject: m.subject.to_string(),
            head,
        })
        .map_err(|e| HandleError::Permanent(format!("not a gsa event: {e}")))
}

async fn handle(
    store: Arc<Mutex<Store>>,
    batch: Vec<jetstream::Message>,
) -> (Vec<jetstream::Message>, Vec<Result<(), HandleError>>) {
    let mut results: Vec<Result<(), HandleError>> = Vec::with_capacity(batch.len());
    let mut good = Vec::with_capacity(batch.len());
    for m in &batch {
        match incoming(m) {
            Ok(i) => {
                good.push(i);
                results.push(Ok(()));
            }
            Err(e) => results.push(Err(e)),
        }
    }
    let stored = tokio::task::spawn_blocking(move || {
        let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
        s.store_batch(&good)
    })
    .await
    .unwrap_or_default();
    let mut stored = stored.into_iter();
    for r in results.iter_mut().filter(|r| r.is_ok()) {
        *r = match stored.next() {
            Some(Ok(_)) => Ok(()),
            Some(Err(StoreError::Sqlite(e))) => Err(HandleError::Transient(e.to_string())),
            Some(Err(e)) => Err(HandleError::Permanent(e.to_string())),
            None => Err(HandleError::Transient("store task failed".into())),
        };
    }
    (batch, results)
}

/// Rebuilds `gsa.db` from what the streams still hold (within their max age): reads every
/// message of the listing, score and alert streams through ephemeral ordered consumers and
/// stores it (idempotent, so rows already stored are skipped). For a new or restored data
/// directory next to a NATS server whose durable consumers have already delivered everything.
/// Returns how many events were newly stored.
pub async fn backfill(cfg: &Config, js: &jetstream::Context) -> anyhow::Result<usize> {
    use futures::StreamExt;
    std::fs::create_dir_all(&cfg.data_dir)?;
    let store = Arc::new(Mutex::new(Store::open(&cfg.db_path())?));
    let mut stored = 0;
    for name in [
        subjects::STREAM_LISTINGS,
        subjects::STREAM_SCORES,
        subjects::STREAM_ALERTS,
    ] {
        let mut stream = js.get_stream(name).await?;
        let last = stream.info().await?.state.last_sequence;
        if last == 0 {
            continue;
        }
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig {
                deliver_policy: jetstream::consumer::DeliverPolicy::All,
                ..Default::default()
            })
            .await?;
        let mut messages = consumer.messages().await?.ready_chunks(BATCH);
        'outer: while let Some(chunk) = messages.next().await {
            let mut batch = Vec::new();
            let mut done = false;
            for m in chunk {
                let m = m?;
                let seq = m.info().map(|i| i.stream_sequence).unwrap_or(last);
                if let Ok(i) = incoming(&m) {
                    batch.push(i);
                }
                done |= seq >= last;
            }
            let store = store.clone();
            let results = tokio::task::spawn_blocking(move || {
                let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
                s.store_batch(&batch)
            })
            .await?;
            stored += results
                .iter()
                .filter(|r| matches!(r, Ok(crate::store::Stored::New)))
                .count();
            if done {
                break 'outer;
            }
        }
    }
    tracing::info!(stored, "backfill from streams done");
    Ok(stored)
}
