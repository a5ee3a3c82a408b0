//! NATS and JetStream plumbing: connecting, creating streams, consumers and KV buckets,
//! publishing events with `Nats-Msg-Id`, and running a durable pull consumer with acks after
//! the side effect and a dead-letter subject for messages that keep failing.
//!
//! Tested against nats-server 2.9 (one filter subject per consumer).

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer, kv, stream, AckKind};
use async_nats::HeaderMap;
use futures::StreamExt;
use gsa_schemas::envelope::EnvelopeHead;
use gsa_schemas::{subjects, Envelope};
use serde::Serialize;

use crate::{Config, Shutdown};

/// Default JetStream duplicate window (see [`Config::duplicate_window`], which is what
/// [`ensure_streams`] applies): a message with a `Nats-Msg-Id` seen within it is dropped.
/// Consumers are idempotent (keyed by event id) for everything older.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Deliveries before a message that keeps failing is dead-lettered.
pub const MAX_DELIVER: i64 = 5;

/// Attempts to publish one dead letter before leaving the message to the server.
pub const DLQ_PUBLISH_ATTEMPTS: i64 = 4;

/// How long the server waits for an ack before redelivering.
pub const ACK_WAIT: Duration = Duration::from_secs(30);

/// Header carrying the original subject on a dead letter.
pub const HDR_DLQ_SUBJECT: &str = "Gsa-Dlq-Subject";
/// Header carrying the error on a dead letter.
pub const HDR_DLQ_ERROR: &str = "Gsa-Dlq-Error";
/// Header carrying the consumer that gave up on a dead letter.
pub const HDR_DLQ_CONSUMER: &str = "Gsa-Dlq-Consumer";

/// Connects to NATS as `gsa-<service>`, retrying until the server answers (services may start
/// before NATS), and reconnecting forever after a server restart.
///
/// `url` may list several servers separated by commas (the nodes of a cluster,
/// `nats://a:4222,nats://b:4222`); the client also learns the other nodes from the server.
pub async fn connect(url: &str, service: &str) -> anyhow::Result<async_nats::Client> {
    let addrs = url
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| {
            u.parse::<async_nats::ServerAddr>()
                .with_context(|| format!("invalid NATS URL {u:?}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(!addrs.is_empty(), "no NATS URL given");
    let client = async_nats::ConnectOptions::new()
        .name(format!("gsa-{service}"))
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(5))
        .connect(addrs)
        .await?;
    Ok(client)
}

/// What answers at a NATS URL's host and port: see [`probe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Nothing accepts a TCP connection within 1 s (or the URL has no host).
    Nothing,
    /// A NATS server: it greets a new connection with `INFO {...}` (NATS client protocol,
    /// <https://docs.nats.io/reference/reference-protocols/nats-protocol#info>).
    Nats,
    /// Something accepts the connection but does not greet it with `INFO` within 2 s: another
    /// service on that port (a web server, a database), so waiting for NATS there is useless.
    Other,
}

/// Connects to the URL's first host and port and reads the server's greeting.
pub async fn probe(url: &str) -> Answer {
    use tokio::io::AsyncReadExt as _;
    let Some(addr) = host_port(url) else {
        return Answer::Nothing;
    };
    let Ok(Ok(mut stream)) =
        tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr)).await
    else {
        return Answer::Nothing;
    };
    let mut greeting = [0u8; 5];
    match tokio::time::timeout(Duration::from_secs(2), stream.read_exact(&mut greeting)).await {
        Ok(Ok(_)) if greeting.eq_ignore_ascii_case(b"INFO ") => Answer::Nats,
        _ => Answer::Other,
    }
}

/// `true` when a NATS server answers at the URL's host and port ([`probe`]).
pub async fn answers(url: &str) -> bool {
    probe(url).await == Answer::Nats
}

/// `host:port` of a `nats://host:port` URL (default port 4222).
pub fn host_port(url: &str) -> Option<String> {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let hostport = rest.rsplit('@').next()?.split(['/', ',']).next()?;
    if hostport.is_empty() {
        return None;
    }
    Some(if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:4222")
    })
}

/// Creates (or updates to the current limits) every gsa stream and KV bucket.
///
/// Streams use file storage with the configured max age, max bytes, duplicate window and
/// replicas; discard old. Safe to call from several processes at once: a stream another one
/// created between the lookup and the create is updated instead.
pub async fn ensure_streams(js: &jetstream::Context, cfg: &Config) -> anyhow::Result<()> {
    for (name, subjects) in subjects::STREAMS {
        let config = stream::Config {
            name: name.to_string(),
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            storage: stream::StorageType::File,
            max_age: Duration::from_secs(cfg.stream_max_age_days * 86_400),
            max_bytes: cfg.stream_max_bytes,
            duplicate_window: cfg.duplicate_window,
            discard: stream::DiscardPolicy::Old,
            num_replicas: cfg.stream_replicas,
            ..Default::default()
        };
        // Another process (`gsa up` and `gsa scrape` started together) may create the stream
        // between our lookup and our create; the server then answers "subjects overlap" (10065)
        // and the stream shows up a moment later. Look again, then update it to our limits.
        let mut attempt = 0;
        loop {
            if js.get_stream(*name).await.is_ok() {
                js.update_stream(&config)
                    .await
                    .with_context(|| format!("updating stream {name}"))?;
                break;
            }
            match js.create_stream(config.clone()).await {
                Ok(_) => break,
                Err(_) if attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!("creating stream {name}")))
                }
            }
        }
    }
    for bucket in [subjects::KV_SEEN, subjects::KV_ALERTED, subjects::KV_CARDS] {
        key_value_replicated(js, bucket, cfg.stream_replicas)
            .await
            .with_context(|| format!("opening key-value bucket {bucket}"))?;
    }
    Ok(())
}

/// Opens a KV bucket, creating it (file storage, history 1) when missing.
///
/// The bucket's backing stream (`KV_<bucket>`, subjects `$KV.<bucket>.>`) is created here with
/// the same settings `async_nats`'s `create_key_value` uses (roll-up allowed, delete denied,
/// direct get, discard new, one message per key), because that function first asks the server
/// for account info, whose reply from nats-server 2.9 async-nats 0.51 cannot decode.
pub async fn key_value(js: &jetstream::Context, bucket: &str) -> anyhow::Result<kv::Store> {
    key_value_replicated(js, bucket, 1).await
}

/// As [`key_value`], creating a missing bucket with `replicas` copies (a NATS cluster).
pub async fn key_value_replicated(
    js: &jetstream::Context,
    bucket: &str,
    replicas: usize,
) -> anyhow::Result<kv::Store> {
    if let Ok(store) = js.get_key_value(bucket).await {
        return Ok(store);
    }
    let config = stream::Config {
        name: format!("KV_{bucket}"),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        storage: stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        num_replicas: replicas.max(1),
        ..Default::default()
    };
    if let Err(e) = js.create_stream(config).await {
        // Another process may have created it a moment ago.
        if js.get_stream(format!("KV_{bucket}")).await.is_err() {
            return Err(e.into());
        }
    }
    Ok(js.get_key_value(bucket).await?)
}

/// Turns any string into a valid KV key.
///
/// One key per string: ASCII letters, digits, `-` and `_` stay; every other byte (and `=`
/// itself) is written `=XX` in hex. Mapping them all to `_` made `ZZ.9` and `ZZ_9` one key, so
/// one listing took the other's merged figures (a break-it trial). Real ids (ad numbers,
/// `text-<hex>`) are unchanged.
pub fn kv_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("={b:02X}"));
        }
    }
    out
}

/// Publishes an event to `subject` with its id as `Nats-Msg-Id` and waits for the stream's ack.
/// Returns `true` when JetStream stored it, `false` when it was a duplicate.
pub async fn publish_event<T: Serialize>(
    js: &jetstream::Context,
    subject: &str,
    event: &Envelope<T>,
) -> anyhow::Result<bool> {
    let ack = publish_event_nowait(js, subject, event).await?.await?;
    Ok(!ack.duplicate)
}

/// Publishes without waiting for the ack; await the returned future (pipelining many acks).
pub async fn publish_event_nowait<T: Serialize>(
    js: &jetstream::Context,
    subject: &str,
    event: &Envelope<T>,
) -> anyhow::Result<jetstream::context::PublishAckFuture> {
    let payload = serde_json::to_vec(event)?;
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", event.id.as_str());
    Ok(js
        .publish_with_headers(subject.to_string(), headers, payload.into())
        .await?)
}

/// Why handling one message failed.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// Will fail every time (bad payload, unknown event type): dead-letter now.
    #[error("permanent: {0}")]
    Permanent(String),
    /// May succeed later (database busy, NATS hiccup): redeliver with backoff, dead-letter after
    /// [`MAX_DELIVER`] deliveries.
    #[error("transient: {0}")]
    Transient(String),
}

/// Parses the envelope head of a message, or a permanent error.
pub fn parse_head(payload: &[u8]) -> Result<EnvelopeHead, HandleError> {
    serde_json::from_slice(payload)
        .map_err(|e| HandleError::Permanent(format!("not a gsa event: {e}")))
}

/// A durable pull consumer to run with [`run_consumer`].
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    /// Stream name.
    pub stream: String,
    /// Durable consumer name.
    pub durable: String,
    /// Optional single filter subject (nats-server 2.9 allows one).
    pub filter_subject: Option<String>,
    /// Most messages handled in one batch.
    pub batch: usize,
}

/// How [`run_consumer_with`] settles messages. [`ConsumerOptions::default`] is what
/// [`run_consumer`] uses.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// Deliveries before a transient failure is dead-lettered (the consumer's `max_deliver`).
    pub max_deliver: i64,
    /// Redelivery delay after the n-th failed delivery is `backoff_base * 2^n`, capped at
    /// [`ConsumerOptions::backoff_max`].
    pub backoff_base: Duration,
    /// Longest redelivery delay.
    pub backoff_max: Duration,
    /// Ack with a server-confirmed ack (`double_ack`), for side effects that cannot be repeated.
    pub double_ack: bool,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        Self {
            max_deliver: MAX_DELIVER,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(16),
            double_ack: false,
        }
    }
}

impl ConsumerOptions {
    /// The nak delay after delivery number `delivered` (1-based) failed.
    pub fn backoff(&self, delivered: i64) -> Duration {
        let exp = delivered.clamp(0, 20) as u32;
        self.backoff_base
            .saturating_mul(1u32 << exp)
            .min(self.backoff_max)
    }
}

/// Creates (or binds to) the durable pull consumer described by `spec`: explicit acks,
/// [`ACK_WAIT`], [`MAX_DELIVER`] deliveries, deliver all.
pub async fn durable_consumer(
    js: &jetstream::Context,
    spec: &ConsumerSpec,
) -> anyhow::Result<consumer::Consumer<consumer::pull::Config>> {
    durable_consumer_with(js, spec, &ConsumerOptions::default()).await
}

/// As [`durable_consumer`] with `opts.max_deliver` deliveries.
///
/// A consumer that already exists with another delivery limit (created by an older build) is
/// updated to `opts.max_deliver` (an editable setting on nats-server 2.9); if the update is
/// refused the consumer keeps its limit, and [`run_consumer_with`] settles by the limit the
/// server reports, never by `opts` alone.
pub async fn durable_consumer_with(
    js: &jetstream::Context,
    spec: &ConsumerSpec,
    opts: &ConsumerOptions,
) -> anyhow::Result<consumer::Consumer<consumer::pull::Config>> {
    let stream = js.get_stream(&spec.stream).await?;
    let config = consumer::pull::Config {
        durable_name: Some(spec.durable.clone()),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: ACK_WAIT,
        max_deliver: opts.max_deliver,
        filter_subject: spec.filter_subject.clone().unwrap_or_default(),
        max_ack_pending: 10_000,
        ..Default::default()
    };
    let consumer = stream
        .get_or_create_consumer(&spec.durable, config.clone())
        .await?;
    if consumer.cached_info().config.max_deliver == opts.max_deliver {
        return Ok(consumer);
    }
    match stream.create_consumer(config).await {
        Ok(updated) => Ok(updated),
        Err(e) => {
            tracing::warn!(consumer = %spec.durable, error = %e, "could not update the consumer's delivery limit; keeping its own");
            Ok(consumer)
        }
    }
}

/// Runs a durable pull consumer until `shutdown`: messages arrive in batches of up to
/// `spec.batch`, `handle` is called once per batch and returns one result per message; each
/// success is acked after the side effect, each permanent failure (or a transient one on its
/// last delivery) is published to `gsa.dlq.<subject>` with the error and terminated, and other
/// transient failures are nak'ed with a backoff so JetStream redelivers them.
///
/// Shutdown is checked between batches only: a batch in flight is finished and settled first.
pub async fn run_consumer<F, Fut>(
    js: jetstream::Context,
    spec: ConsumerSpec,
    shutdown: Shutdown,
    handle: F,
) -> anyhow::Result<()>
where
    F: FnMut(Vec<jetstream::Message>) -> Fut,
    Fut: std::future::Future<Output = (Vec<jetstream::Message>, Vec<Result<(), HandleError>>)>,
{
    run_consumer_with(js, spec, ConsumerOptions::default(), shutdown, handle).await
}

/// As [`run_consumer`], with the delivery limit, backoff and ack kind of `opts`.
pub async fn run_consumer_with<F, Fut>(
    js: jetstream::Context,
    spec: ConsumerSpec,
    opts: ConsumerOptions,
    mut shutdown: Shutdown,
    mut handle: F,
) -> anyhow::Result<()>
where
    F: FnMut(Vec<jetstream::Message>) -> Fut,
    Fut: std::future::Future<Output = (Vec<jetstream::Message>, Vec<Result<(), HandleError>>)>,
{
    let consumer = loop {
        match durable_consumer_with(&js, &spec, &opts).await {
            Ok(c) => break c,
            Err(e) => {
                tracing::warn!(consumer = %spec.durable, error = %e, "consumer not ready, retrying");
                tokio::select! {
                    _ = shutdown.recv() => return Ok(()),
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    };
    // Settle by the delivery limit the server enforces: dead-lettering must happen on the
    // delivery the server treats as the last, or a message that keeps failing is neither
    // redelivered nor parked (lost to this consumer). `-1`/`0` on the server: no limit.
    let opts = ConsumerOptions {
        max_deliver: match consumer.cached_info().config.max_deliver {
            n if n > 0 => n,
            _ => i64::MAX,
        },
        ..opts
    };
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(spec.batch)
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await?
        .ready_chunks(spec.batch);
    loop {
        let chunk = tokio::select! {
            _ = shutdown.recv() => break,
            c = messages.next() => match c { Some(c) => c, None => break },
        };
        let mut batch = Vec::with_capacity(chunk.len());
        for m in chunk {
            match m {
                Ok(m) => batch.push(m),
                Err(e) => {
                    tracing::warn!(consumer = %spec.durable, error = %e, "pull error; continuing")
                }
            }
        }
        if batch.is_empty() {
            continue;
        }
        let (batch, results) = handle(batch).await;
        for (msg, result) in batch.iter().zip(results) {
            settle(&js, &spec, &opts, msg, result).await;
        }
    }
    tracing::info!(consumer = %spec.durable, "consumer stopped");
    Ok(())
}

async fn settle(
    js: &jetstream::Context,
    spec: &ConsumerSpec,
    opts: &ConsumerOptions,
    msg: &jetstream::Message,
    result: Result<(), HandleError>,
) {
    let delivered = msg.info().map(|i| i.delivered).unwrap_or(1);
    let outcome = match result {
        Ok(()) if opts.double_ack => msg.double_ack().await,
        Ok(()) => msg.ack().await,
        Err(HandleError::Transient(e)) if delivered < opts.max_deliver => {
            let delay = opts.backoff(delivered);
            tracing::warn!(consumer = %spec.durable, delivered, delay_ms = delay.as_millis() as u64, error = %e, "will retry");
            msg.ack_with(AckKind::Nak(Some(delay))).await
        }
        Err(e)
            if msg
                .subject
                .starts_with(&format!("{}.", subjects::DLQ_PREFIX)) =>
        {
            // A dead letter that fails again is not dead-lettered again (that would loop).
            tracing::error!(consumer = %spec.durable, subject = %msg.subject, delivered, error = %e, "dead letter failed again; dropping it from this consumer");
            msg.ack_with(AckKind::Term).await
        }
        Err(e) => {
            tracing::error!(consumer = %spec.durable, subject = %msg.subject, delivered, error = %e, "dead-lettering");
            // On the last delivery the server will not redeliver: a dead letter that cannot be
            // published now is retried here a few times (the DLQ stream may be electing a
            // leader) before giving up.
            let mut attempt = 0;
            while let Err(pe) = dead_letter(js, spec, msg, &e.to_string()).await {
                attempt += 1;
                if attempt >= DLQ_PUBLISH_ATTEMPTS {
                    tracing::error!(error = %pe, "dead-letter publish failed; leaving for redelivery");
                    return;
                }
                tracing::warn!(error = %pe, attempt, "dead-letter publish failed; retrying");
                tokio::time::sleep(opts.backoff(attempt)).await;
            }
            msg.ack_with(AckKind::Term).await
        }
    };
    if let Err(e) = outcome {
        tracing::warn!(consumer = %spec.durable, error = %e, "ack failed; message will be redelivered");
    }
}

/// Publishes a copy of `msg` to `gsa.dlq.<subject>` with the error in headers.
pub async fn dead_letter(
    js: &jetstream::Context,
    spec: &ConsumerSpec,
    msg: &jetstream::Message,
    error: &str,
) -> anyhow::Result<()> {
    let mut headers = HeaderMap::new();
    headers.insert(HDR_DLQ_SUBJECT, msg.subject.as_str());
    headers.insert(HDR_DLQ_ERROR, error.replace(['\r', '\n'], " ").as_str());
    headers.insert(HDR_DLQ_CONSUMER, spec.durable.as_str());
    if let Ok(info) = msg.info() {
        headers.insert(
            "Nats-Msg-Id",
            format!(
                "dlq-{}-{}-{}",
                spec.durable, info.stream, info.stream_sequence
            )
            .as_str(),
        );
    }
    js.publish_with_headers(
        subjects::dlq_subject(&msg.subject),
        headers,
        msg.payload.clone(),
    )
    .await?
    .await?;
    Ok(())
}

/// Lag of one durable consumer, as reported by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsumerLag {
    /// Stream name, e.g. `GSA_LISTINGS`.
    pub stream: String,
    /// Consumer name, e.g. `analyzer`.
    pub consumer: String,
    /// Messages in the stream not yet delivered to the consumer.
    pub num_pending: u64,
    /// Messages delivered but not yet acknowledged.
    pub ack_pending: u64,
    /// Messages redelivered after their ack wait ran out.
    pub redelivered: u64,
}

/// Consumer lag of every consumer on every gsa stream (streams that do not exist yet are
/// skipped), sorted by stream then consumer. For `/metrics` and the dashboard.
pub async fn consumer_lag(js: &jetstream::Context) -> anyhow::Result<Vec<ConsumerLag>> {
    let mut out = Vec::new();
    for (name, _) in subjects::STREAMS {
        let Ok(stream) = js.get_stream(*name).await else {
            continue;
        };
        let mut consumers = stream.consumers();
        while let Some(info) = consumers.next().await {
            let info = info.with_context(|| format!("listing consumers of {name}"))?;
            out.push(ConsumerLag {
                stream: name.to_string(),
                consumer: info.name.clone(),
                num_pending: info.num_pending,
                ack_pending: info.num_ack_pending as u64,
                redelivered: info.num_redelivered as u64,
            });
        }
    }
    out.sort_by(|a, b| (&a.stream, &a.consumer).cmp(&(&b.stream, &b.consumer)));
    Ok(out)
}

/// Dead letters waiting in `GSA_DLQ`, per original subject (`gsa.dlq.<subject>` without the
/// prefix, e.g. `gsa.listing.scraped` or `webhook`), sorted by subject. Empty when the
/// stream does not exist yet. For `/metrics` and the dashboard.
pub async fn dlq_depth(js: &jetstream::Context) -> anyhow::Result<Vec<(String, u64)>> {
    let Ok(stream) = js.get_stream(subjects::STREAM_DLQ).await else {
        return Ok(Vec::new());
    };
    let mut info = stream
        .info_with_subjects(format!("{}.>", subjects::DLQ_PREFIX))
        .await?;
    let mut out = Vec::new();
    while let Some(item) = info.next().await {
        let (subject, count) = item?;
        let original = subject
            .strip_prefix(&format!("{}.", subjects::DLQ_PREFIX))
            .unwrap_or(&subject)
            .to_string();
        out.push((original, count as u64));
    }
    out.sort();
    Ok(out)
}

/// Dead letters waiting per *stream* the original subject belongs to (e.g. `GSA_LISTINGS`),
/// with `gsa.dlq.webhook` counted under `webhook`. Built on [`dlq_depth`].
pub async fn dlq_depth_by_stream(js: &jetstream::Context) -> anyhow::Result<Vec<(String, u64)>> {
    let mut by: std::collections::BTreeMap<String, u64> = Default::default();
    for (subject, n) in dlq_depth(js).await? {
        *by.entry(stream_of_subject(&subject)).or_default() += n;
    }
    Ok(by.into_iter().collect())
}

/// The gsa stream that holds `subject`, or the subject itself when none does.
pub fn stream_of_subject(subject: &str) -> String {
    for (name, subs) in subjects::STREAMS {
        for pat in subs.iter() {
            let hit = match pat.strip_suffix(".>") {
                Some(prefix) => subject.starts_with(&format!("{prefix}.")),
                None => subject == *pat,
            };
            if hit {
                return name.to_string();
            }
        }
    }
    subject.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() {
        assert_eq!(
            host_port("nats://127.0.0.1:4222").as_deref(),
            Some("127.0.0.1:4222")
        );
        assert_eq!(
            host_port("nats://user:pw@host").as_deref(),
            Some("host:4222")
        );
        assert_eq!(
            host_port("localhost:5000").as_deref(),
            Some("localhost:5000")
        );
        assert_eq!(host_port("nats://").as_deref(), None);
    }

    #[test]
    fn subjects_map_to_their_streams_and_backoff_doubles() {
        assert_eq!(stream_of_subject("gsa.listing.scraped"), "GSA_LISTINGS");
        assert_eq!(stream_of_subject("gsa.alert.high_score"), "GSA_ALERTS");
        assert_eq!(stream_of_subject("webhook"), "webhook");
        let o = ConsumerOptions::default();
        assert_eq!(o.backoff(1), Duration::from_millis(500));
        assert_eq!(o.backoff(2), Duration::from_secs(1));
        assert_eq!(o.backoff(30), o.backoff_max);
    }

    /// `gsa up` and `gsa scrape` started together both find no stream and both create it; the
    /// one that lost the race failed with "subjects overlap" (CI, 2026-12-04). The server's
    /// window is narrow, so this test hit it rarely even before the fix; it pins that sixteen
    /// simultaneous callers all succeed and leave the configured limits.
    #[tokio::test(flavor = "multi_thread")]
    async fn concurrent_ensure_streams_all_succeed_on_a_fresh_server() {
        let server = crate::testkit::NatsServer::start();
        let cfg = crate::Config::load_from(&Default::default(), |k| {
            (k == "NATS_URL").then(|| server.url())
        })
        .unwrap();
        // Connect first, then start all creates at once so their lookups and creates interleave.
        const N: usize = 16;
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(N));
        let mut tasks = Vec::new();
        for i in 0..N {
            let (cfg, start) = (cfg.clone(), start.clone());
            tasks.push(tokio::spawn(async move {
                let js = jetstream::new(connect(&cfg.nats_url, &format!("race-{i}")).await?);
                start.wait().await;
                ensure_streams(&js, &cfg).await
            }));
        }
        for t in tasks {
            t.await
                .unwrap()
                .expect("every concurrent ensure_streams succeeds");
        }
        let js = jetstream::new(connect(&cfg.nats_url, "check").await.unwrap());
        for (name, _) in subjects::STREAMS {
            let mut st = js.get_stream(*name).await.unwrap();
            assert_eq!(
                st.info().await.unwrap().config.max_age,
                Duration::from_secs(cfg.stream_max_age_days * 86_400)
            );
        }
    }

    #[test]
    fn kv_keys_are_subject_safe() {
        assert_eq!(kv_key("text-ab12"), "text-ab12");
        assert_eq!(kv_key("2419534"), "2419534");
        assert_eq!(kv_key("a b/c"), "a=20b=2Fc");
        assert_ne!(kv_key("ZZ.9"), kv_key("ZZ_9"));
        assert_ne!(kv_key("a=2E"), kv_key("a."));
    }
}
