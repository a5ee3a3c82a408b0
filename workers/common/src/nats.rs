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

/// JetStream duplicate window: a message with a `Nats-Msg-Id` seen within it is dropped.
/// Consumers are idempotent (keyed by event id) for everything older.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Deliveries before a message that keeps failing is dead-lettered.
pub const MAX_DELIVER: i64 = 5;

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
pub async fn connect(url: &str, service: &str) -> anyhow::Result<async_nats::Client> {
    let client = async_nats::ConnectOptions::new()
        .name(format!("gsa-{service}"))
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connection_timeout(Duration::from_secs(5))
        .connect(url)
        .await?;
    Ok(client)
}

/// `true` when something accepts TCP connections at the URL's host and port within 1 s.
pub async fn answers(url: &str) -> bool {
    let Some(addr) = host_port(url) else {
        return false;
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
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
/// Streams use file storage with the configured max age and max bytes; discard old.
pub async fn ensure_streams(js: &jetstream::Context, cfg: &Config) -> anyhow::Result<()> {
    for (name, subjects) in subjects::STREAMS {
        let config = stream::Config {
            name: name.to_string(),
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            storage: stream::StorageType::File,
            max_age: Duration::from_secs(cfg.stream_max_age_days * 86_400),
            max_bytes: cfg.stream_max_bytes,
            duplicate_window: DUPLICATE_WINDOW,
            discard: stream::DiscardPolicy::Old,
            ..Default::default()
        };
        match js.get_stream(*name).await {
            Ok(_) => {
                js.update_stream(&config)
                    .await
                    .with_context(|| format!("updating stream {name}"))?;
            }
            Err(_) => {
                js.create_stream(config)
                    .await
                    .with_context(|| format!("creating stream {name}"))?;
            }
        }
    }
    for bucket in [subjects::KV_SEEN, subjects::KV_ALERTED] {
        key_value(js, bucket)
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
        num_replicas: 1,
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

/// Turns any string into a valid KV key (`[-_=.a-zA-Z0-9]`, others as `_`).
pub fn kv_key(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_=".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
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

/// Creates (or binds to) the durable pull consumer described by `spec`: explicit acks,
/// [`ACK_WAIT`], [`MAX_DELIVER`] deliveries, deliver all.
pub async fn durable_consumer(
    js: &jetstream::Context,
    spec: &ConsumerSpec,
) -> anyhow::Result<consumer::Consumer<consumer::pull::Config>> {
    let stream = js.get_stream(&spec.stream).await?;
    let config = consumer::pull::Config {
        durable_name: Some(spec.durable.clone()),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: ACK_WAIT,
        max_deliver: MAX_DELIVER,
        filter_subject: spec.filter_subject.clone().unwrap_or_default(),
        max_ack_pending: 10_000,
        ..Default::default()
    };
    Ok(stream.get_or_create_consumer(&spec.durable, config).await?)
}

/// Runs a durable pull consumer until `shutdown`: messages arrive in batches of up to
/// `spec.batch`, `handle` is called once per batch and returns one result per message; each
/// success is acked after the side effect, each permanent failure (or a transient one on its
/// last delivery) is published to `gsa.dlq.<subject>` with the error and terminated, and other
/// transient failures are nak'ed with a backoff so JetStream redelivers them.
pub async fn run_consumer<F, Fut>(
    js: jetstream::Context,
    spec: ConsumerSpec,
    mut shutdown: Shutdown,
    mut handle: F,
) -> anyhow::Result<()>
where
    F: FnMut(Vec<jetstream::Message>) -> Fut,
    Fut: std::future::Future<Output = (Vec<jetstream::Message>, Vec<Result<(), HandleError>>)>,
{
    let consumer = loop {
        match durable_consumer(&js, &spec).await {
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
            settle(&js, &spec, msg, result).await;
        }
    }
    tracing::info!(consumer = %spec.durable, "consumer stopped");
    Ok(())
}

async fn settle(
    js: &jetstream::Context,
    spec: &ConsumerSpec,
    msg: &jetstream::Message,
    result: Result<(), HandleError>,
) {
    let delivered = msg.info().map(|i| i.delivered).unwrap_or(1);
    let outcome = match result {
        Ok(()) => msg.ack().await,
        Err(HandleError::Transient(e)) if delivered < MAX_DELIVER => {
            tracing::warn!(consumer = %spec.durable, delivered, error = %e, "will retry");
            msg.ack_with(AckKind::Nak(Some(Duration::from_millis(
                250 * (1 << delivered.min(6)),
            ))))
            .await
        }
        Err(e) => {
            tracing::error!(consumer = %spec.durable, subject = %msg.subject, delivered, error = %e, "dead-lettering");
            if let Err(pe) = dead_letter(js, spec, msg, &e.to_string()).await {
                tracing::error!(error = %pe, "dead-letter publish failed; leaving for redelivery");
                return;
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
    fn kv_keys_are_subject_safe() {
        assert_eq!(kv_key("text-ab12"), "text-ab12");
        assert_eq!(kv_key("a b/c"), "a_b_c");
    }
}
