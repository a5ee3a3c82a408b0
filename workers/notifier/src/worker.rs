//! The notifier worker: durable consumer [`subjects::CONSUMER_NOTIFIER`] on `GSA_ALERTS`
//! (filter `gsa.alert.high_score`).
//!
//! For each alert it POSTs the alert event (the JSON published on `gsa.alert.high_score`) to
//! every registered webhook whose filters match and that has not had it yet (deliveries are
//! recorded in `notifier.db` by delivery id, so a redelivered alert is never POSTed twice to a
//! receiver that already answered 2xx). When some deliveries fail, the alert is nak'ed with an
//! exponential delay and retried (only the failed webhooks) up to
//! [`NotifierOptions::attempts`] deliveries; on the last one each still-failing delivery is
//! parked on `gsa.dlq.webhook` with its last error, and the alert is acked with a
//! server-confirmed ack. Progress acks keep the alert while requests are in flight.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, AckKind};
use async_nats::HeaderMap;
use gsa_common::nats::{self, ConsumerOptions, ConsumerSpec, HandleError};
use gsa_common::{Config, Shutdown};
use gsa_schemas::{event_type, subjects, Envelope, HighScoreAlert};

use crate::deliver::{self, AttemptError};
use crate::store::{DeliveryRecord, DeliveryStatus, WebhookStore};
use crate::Webhook;

/// Service name in logs and event sources.
pub const SERVICE: &str = "notifier";

/// Alerts handled per pull batch.
pub const BATCH: usize = 16;

/// Header on a webhook dead letter: the webhook id.
pub const HDR_WEBHOOK_ID: &str = "Gsa-Webhook-Id";
/// Header on a webhook dead letter: the delivery id.
pub const HDR_DELIVERY_ID: &str = "Gsa-Delivery-Id";

/// Retry policy and HTTP timeout.
#[derive(Debug, Clone)]
pub struct NotifierOptions {
    /// Attempts per delivery before it is parked on `gsa.dlq.webhook` (the consumer's
    /// `max_deliver`).
    pub attempts: i64,
    /// Delay after the n-th failed attempt is `backoff_base * 2^n`, capped at `backoff_max`.
    pub backoff_base: Duration,
    /// Longest delay between attempts.
    pub backoff_max: Duration,
    /// Timeout of one HTTP request.
    pub timeout: Duration,
}

impl Default for NotifierOptions {
    /// 8 attempts over about four minutes (2 s, 4 s, ... 128 s apart), 10 s per request.
    fn default() -> Self {
        Self {
            attempts: 8,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Runs the notifier until `shutdown` (finishing the batch in flight).
pub async fn run(
    cfg: &Config,
    js: jetstream::Context,
    opts: NotifierOptions,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let store = Arc::new(Mutex::new(WebhookStore::open(&cfg.notifier_db_path())?));
    let client = deliver::client(opts.timeout)?;
    let spec = ConsumerSpec {
        stream: subjects::STREAM_ALERTS.to_string(),
        durable: subjects::CONSUMER_NOTIFIER.to_string(),
        filter_subject: Some(subjects::ALERT_HIGH_SCORE.to_string()),
        batch: BATCH,
    };
    let copts = ConsumerOptions {
        max_deliver: opts.attempts.max(1),
        backoff_base: opts.backoff_base,
        backoff_max: opts.backoff_max,
        double_ack: true,
    };
    tracing::info!(attempts = copts.max_deliver, "notifier started");
    let attempts = copts.max_deliver;
    let js2 = js.clone();
    nats::run_consumer_with(js, spec, copts, shutdown, move |batch| {
        let js = js2.clone();
        let store = store.clone();
        let client = client.clone();
        async move {
            let mut results = Vec::with_capacity(batch.len());
            for m in &batch {
                results.push(handle(&js, &store, &client, attempts, m).await);
            }
            (batch, results)
        }
    })
    .await?;
    tracing::info!("notifier stopped");
    Ok(())
}

fn with_store<T>(
    store: &Mutex<WebhookStore>,
    f: impl FnOnce(&WebhookStore) -> Result<T, crate::store::StoreError>,
) -> Result<T, HandleError> {
    let guard = store.lock().unwrap_or_else(|p| p.into_inner());
    f(&guard).map_err(|e| HandleError::Transient(format!("notifier.db: {e}")))
}

async fn handle(
    js: &jetstream::Context,
    store: &Mutex<WebhookStore>,
    client: &reqwest::Client,
    attempts: i64,
    msg: &jetstream::Message,
) -> Result<(), HandleError> {
    let env: Envelope<HighScoreAlert> = serde_json::from_slice(&msg.payload)
        .map_err(|e| HandleError::Permanent(format!("not a high-score alert: {e}")))?;
    if env.event_type != event_type::ALERT_HIGH_SCORE {
        return Err(HandleError::Permanent(format!(
            "unknown event type {}",
            env.event_type
        )));
    }
    let delivered = msg.info().map(|i| i.delivered).unwrap_or(1);
    let hooks = with_store(store, |s| s.webhooks())?;
    let mut due: Vec<(Webhook, String)> = Vec::new();
    for hook in hooks.into_iter().filter(|h| h.accepts(&env.data)) {
        let id = deliver::delivery_id(&env.id, &hook.id);
        if with_store(store, |s| s.status(&id))? != Some(DeliveryStatus::Delivered) {
            due.push((hook, id));
        }
    }
    if due.is_empty() {
        return Ok(());
    }
    // Keep the alert while requests are in flight (each may take up to the HTTP timeout).
    let _ = msg.ack_with(AckKind::Progress).await;
    let posts = due
        .iter()
        .map(|(hook, id)| deliver::post(client, hook, id, &env.event_type, msg.payload.clone()));
    let outcomes = futures::future::join_all(posts).await;
    let mut failed: Vec<(&Webhook, &String, AttemptError)> = Vec::new();
    for ((hook, id), outcome) in due.iter().zip(outcomes) {
        match outcome {
            Ok(status) => {
                with_store(store, |s| {
                    s.record(&DeliveryRecord {
                        delivery_id: id.clone(),
                        webhook_id: hook.id.clone(),
                        alert_event_id: env.id.clone(),
                        status: DeliveryStatus::Delivered,
                        attempts: delivered,
                        http_status: Some(status),
                        last_error: None,
                    })
                })?;
                tracing::info!(webhook = %hook.id, delivery = %id, listing_id = %env.data.listing_id, attempt = delivered, "webhook delivered");
            }
            Err(e) => failed.push((hook, id, e)),
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    if delivered < attempts {
        let summary: Vec<String> = failed
            .iter()
            .map(|(h, _, e)| format!("{}: {e}", h.id))
            .collect();
        return Err(HandleError::Transient(format!(
            "{} webhook deliveries failed (attempt {delivered} of {attempts}): {}",
            failed.len(),
            summary.join("; ")
        )));
    }
    for (hook, id, err) in failed {
        park(js, msg, hook, id, &err)
            .await
            .map_err(|e| HandleError::Transient(format!("parking on gsa.dlq.webhook: {e}")))?;
        with_store(store, |s| {
            s.record(&DeliveryRecord {
                delivery_id: id.clone(),
                webhook_id: hook.id.clone(),
                alert_event_id: env.id.clone(),
                status: DeliveryStatus::Parked,
                attempts: delivered,
                http_status: err.http_status,
                last_error: Some(err.message.clone()),
            })
        })?;
        tracing::error!(webhook = %hook.id, delivery = %id, attempts = delivered, error = %err, "webhook delivery parked on gsa.dlq.webhook");
    }
    Ok(())
}

/// Publishes the alert to `gsa.dlq.webhook` with the original subject, the last error, the
/// webhook and delivery ids in headers (`gsa dlq replay` republishes it to
/// `gsa.alert.high_score`, which retries only deliveries not yet made).
async fn park(
    js: &jetstream::Context,
    msg: &jetstream::Message,
    hook: &Webhook,
    delivery_id: &str,
    err: &AttemptError,
) -> anyhow::Result<()> {
    let mut headers = HeaderMap::new();
    headers.insert(nats::HDR_DLQ_SUBJECT, msg.subject.as_str());
    headers.insert(
        nats::HDR_DLQ_ERROR,
        err.message.replace(['\r', '\n'], " ").as_str(),
    );
    headers.insert(nats::HDR_DLQ_CONSUMER, subjects::CONSUMER_NOTIFIER);
    headers.insert(HDR_WEBHOOK_ID, hook.id.as_str());
    headers.insert(HDR_DELIVERY_ID, delivery_id);
    // Dedupe per delivery and per stream message (a replayed alert may be parked again).
    let seq = msg.info().map(|i| i.stream_sequence).unwrap_or(0);
    headers.insert(
        "Nats-Msg-Id",
        format!("dlq-webhook-{delivery_id}-{seq}").as_str(),
    );
    js.publish_with_headers(subjects::DLQ_WEBHOOK, headers, msg.payload.clone())
        .await?
        .await?;
    Ok(())
}
