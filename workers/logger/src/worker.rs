//! The logging worker: one durable consumer per stream (`logger-<STREAM>`) pulling batches of
//! up to [`BATCH`] messages, and one writer thread that owns the SQLite connection. The
//! consumers hand their batches to the writer ([`Writer`]); it stores every batch waiting at
//! that moment in one transaction (up to [`MAX_EVENTS_PER_TX`] events), and each consumer acks
//! its messages only after that commit.
//!
//! Why one writer: SQLite has one writer at a time anyway, and a listing batch and a card
//! batch committed together write the pages they share (the `events` indexes, the WAL header,
//! the commit itself) once instead of twice.

use std::sync::{mpsc, Arc, Mutex};

use async_nats::jetstream;
use gsa_common::nats::{self, ConsumerSpec, HandleError};
use gsa_common::{Config, Shutdown};
use gsa_schemas::subjects;
use tokio::sync::oneshot;

use crate::store::{Incoming, Purged, Retention, Store, StoreError, Stored};

/// Most events pulled in one batch per consumer.
pub const BATCH: usize = 500;

/// Most events the writer stores in one transaction: the batches waiting when it starts one,
/// whole, until this many (two full batches: a listing batch and a card batch).
pub const MAX_EVENTS_PER_TX: usize = 2 * BATCH;

/// How often the retention job runs.
pub const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// One store result per event, in order.
type Results = Vec<Result<Stored, StoreError>>;

/// Work for the writer thread.
enum Job {
    /// Store these events; the results go back on `reply`, one per event, in order.
    Write {
        events: Vec<Incoming>,
        reply: oneshot::Sender<Results>,
    },
    /// Apply the retention policy as of now.
    Retention {
        reply: oneshot::Sender<Result<Purged, rusqlite::Error>>,
    },
}

/// The handle the consumers and the retention task send work to; the thread behind it owns
/// the [`Store`] and stops when every handle is dropped.
#[derive(Clone)]
struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `store`. Fails only if the OS refuses a new thread.
    fn start(store: Store) -> std::io::Result<(Self, std::thread::JoinHandle<()>)> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("gsa-logger-writer".into())
            .spawn(move || write_loop(store, rx))?;
        Ok((Self { tx }, thread))
    }

    /// Stores `events`; one result per event, in order. If the writer is gone, every event
    /// gets a transient error (it will be redelivered).
    async fn write(&self, events: Vec<Incoming>) -> Results {
        let n = events.len();
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Job::Write { events, reply }).is_ok() {
            if let Ok(results) = rx.await {
                return results;
            }
        }
        (0..n)
            .map(|_| Err(StoreError::Sqlite(rusqlite::Error::InvalidQuery)))
            .collect()
    }

    /// Runs the retention policy on the writer thread.
    async fn retention(&self) -> anyhow::Result<Purged> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job::Retention { reply })
            .map_err(|_| anyhow::anyhow!("writer stopped"))?;
        Ok(rx.await??)
    }
}

/// The writer thread: takes the first job, then every write job already waiting (up to
/// [`MAX_EVENTS_PER_TX`] events), stores them in one transaction and answers each job with its
/// own results. Retention jobs run between transactions.
fn write_loop(mut store: Store, rx: mpsc::Receiver<Job>) {
    let mut next: Option<Job> = None;
    loop {
        let job = match next.take() {
            Some(j) => j,
            None => match rx.recv() {
                Ok(j) => j,
                Err(_) => return,
            },
        };
        match job {
            Job::Retention { reply } => {
                let _ =
                    reply.send(store.apply_retention(&Retention::default(), chrono::Utc::now()));
            }
            Job::Write { events, reply } => {
                let mut all = events;
                let mut replies = vec![(reply, all.len())];
                while all.len() < MAX_EVENTS_PER_TX {
                    match rx.try_recv() {
                        Ok(Job::Write { events, reply }) => {
                            replies.push((reply, events.len()));
                            all.extend(events);
                        }
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let mut results = store.store_batch(&all).into_iter();
                for (reply, n) in replies {
                    let _ = reply.send(results.by_ref().take(n).collect());
                }
            }
        }
    }
}

/// Runs the logging worker until `shutdown`: stores every event of every gsa stream.
pub async fn run(cfg: &Config, js: jetstream::Context, shutdown: Shutdown) -> anyhow::Result<()> {
    std::fs::create_dir_all(&cfg.data_dir)?;
    let store = Store::open(&cfg.db_path())?;
    tracing::info!(db = %cfg.db_path().display(), "logging worker started");
    let (writer, thread) = Writer::start(store)?;
    let mut tasks = Vec::new();
    {
        let writer = writer.clone();
        let mut sd = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(RETENTION_EVERY);
            loop {
                tokio::select! {
                    _ = sd.recv() => break,
                    _ = tick.tick() => {}
                }
                match writer.retention().await {
                    Ok(p) => tracing::info!(
                        logs = p.logs,
                        events = p.events,
                        score_history = p.score_history,
                        "retention pass"
                    ),
                    Err(e) => tracing::warn!(error = %e, "retention pass failed"),
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
        let writer = writer.clone();
        let js2 = js.clone();
        let sd = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            nats::run_consumer(js2, spec, sd, move |batch| {
                let writer = writer.clone();
                async move { handle(&writer, batch).await }
            })
            .await
        }));
    }
    drop(writer);
    for t in tasks {
        t.await??;
    }
    // Every handle is gone with its task: the writer finishes what it was given and stops.
    let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    tracing::info!("logging worker stopped");
    Ok(())
}

/// Parses a message into what the store needs, or a permanent error (not a gsa event).
fn incoming(m: &jetstream::Message) -> Result<Incoming, HandleError> {
    Incoming::parse(m.subject.as_str(), &m.payload)
        .map_err(|e| HandleError::Permanent(format!("not a gsa event: {e}")))
}

async fn handle(
    writer: &Writer,
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
    let stored = writer.write(good).await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use gsa_schemas::{Listing, ListingSource};

    fn listing_event(id: &str, price: i64) -> Incoming {
        let l = Listing {
            listing_id: id.into(),
            asking_price: Some(price),
            source: ListingSource::DetailPage,
            ..Default::default()
        }
        .with_content_hash();
        Incoming::scraped(l).unwrap()
    }

    /// Jobs already waiting are taken together, and each job gets back exactly its own
    /// results in its own order (the second batch's copy of the first batch's event is a
    /// duplicate); a retention job waiting behind them runs after the write.
    #[test]
    fn waiting_batches_are_taken_together_and_each_gets_its_own_results() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gsa.db");
        let store = Store::open(&path).unwrap();
        let (tx, rx) = mpsc::channel();
        let mut bad = listing_event("3", 3);
        bad.head.event_type = "gsa.listing.unknown.v1".into();
        let (r1, a) = oneshot::channel();
        let (r2, b) = oneshot::channel();
        let (r3, c) = oneshot::channel();
        // Queued before the writer starts, so the first write job finds the second waiting.
        tx.send(Job::Write {
            events: vec![listing_event("1", 100), bad],
            reply: r1,
        })
        .unwrap();
        tx.send(Job::Write {
            events: vec![listing_event("1", 100), listing_event("2", 200)],
            reply: r2,
        })
        .unwrap();
        tx.send(Job::Retention { reply: r3 }).unwrap();
        drop(tx);
        let thread = std::thread::spawn(move || write_loop(store, rx));
        let a = a.blocking_recv().unwrap();
        let b = b.blocking_recv().unwrap();
        let c = c.blocking_recv().unwrap();
        thread.join().unwrap();
        assert_eq!(a.len(), 2);
        assert!(matches!(a[0], Ok(Stored::New)));
        assert!(
            matches!(a[1], Err(StoreError::UnknownType(_))),
            "{:?}",
            a[1]
        );
        assert_eq!(b.len(), 2);
        assert!(matches!(b[0], Ok(Stored::Duplicate)), "{:?}", b[0]);
        assert!(matches!(b[1], Ok(Stored::New)));
        assert_eq!(c.unwrap().events, 0);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let prices: Vec<i64> = conn
            .prepare("SELECT asking_price FROM listings ORDER BY listing_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(prices, vec![100, 200]);
    }
}
