//! The notifier worker: durable consumer [`subjects::CONSUMER_NOTIFIER`] on `GSA_ALERTS`
//! (filter `gsa.alert.high_score`).
//!
//! For each alert it POSTs the alert event (the JSON published on `gsa.alert.high_score`) to
//! every registered webhook whose filters match and that has not had it yet (deliveries are
//! recorded in `notifier.db` by delivery id, so a redelivered alert is never POSTed twice to a
//! receiver that already answered 2xx). When some deliveries fail, the alert is nak'ed with an
//! exponential delay and retried (only the failed webhooks) until a delivery has made
//! [`NotifierOptions::attempts`] POSTs; then it is parked on `gsa.dlq.webhook` with its last
//! error, and the alert is acked with a server-confirmed ack. Progress acks keep the alert
//! while requests are in flight.
//!
//! Attempts are counted per delivery in `notifier.db` (status `failing`), not by the JetStream
//! delivery count: a delivery of the alert that makes no POST (NATS unavailable while parking
//! or acking, `notifier.db` busy, a restart mid-batch) uses none of a webhook's attempts. The
//! consumer's own delivery limit is [`NotifierOptions::attempts`] plus [`SPARE_DELIVERIES`],
//! so NATS trouble cannot exhaust it before the webhook's attempts are made and the delivery
//! parked (the analyzer had the same bug: `gsa_analyzer::worker::MAX_DELIVER`). Were even that
//! spent, the common consumer loop dead-letters the alert itself on `gsa.dlq.gsa.alert.high_score`.

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

/// JetStream deliveries of an alert allowed beyond [`NotifierOptions::attempts`]: deliveries
/// that make no POST (parking or acking failed because NATS did not answer, `notifier.db`
/// busy). With the retry backoff capped at [`NotifierOptions::backoff_max`] (5 minutes by
/// default) 60 of them ride out hours of NATS trouble.
pub const SPARE_DELIVERIES: i64 = 60;

/// Retry policy and HTTP timeout.
#[derive(Debug, Clone)]
pub struct NotifierOptions {
    /// POSTs per delivery before it is parked on `gsa.dlq.webhook`, counted in `notifier.db`
    /// (the consumer's `max_deliver` is this plus [`SPARE_DELIVERIES`]).
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
    let attempts = opts.attempts.max(1);
    let copts = ConsumerOptions {
        max_deliver: attempts.saturating_add(SPARE_DELIVERIES),
        backoff_base: opts.backoff_base,
        backoff_max: opts.backoff_max,
        double_ack: true,
    };
    tracing::info!(
        attempts,
        max_deliver = copts.max_deliver,
        "notifier started"
    );
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
    let seq = msg.info().map(|i| i.stream_sequence).ok();
    let hooks = with_store(store, |s| s.webhooks())?;
    // Each matching webhook not yet served: POST it (with the attempts it already made for
    // this alert message), or park it when its attempts are spent (parking failed earlier).
    let mut due: Vec<(Webhook, String, i64)> = Vec::new();
    let mut spent: Vec<(Webhook, String, i64, AttemptError)> = Vec::new();
    for hook in hooks.into_iter().filter(|h| h.accepts(&env.data)) {
        let id = deliver::delivery_id(&env.id, &hook.id);
        let made = match with_store(store, |s| s.delivery(&id))? {
            Some(r) if r.status == DeliveryStatus::Delivered => continue,
            // Already parked for this very message (the ack after parking did not arrive).
            Some(r) if r.status == DeliveryStatus::Parked && r.alert_seq == seq => continue,
            Some(r) if r.status == DeliveryStatus::Failing && r.alert_seq == seq => {
                if r.attempts >= attempts {
                    let err = AttemptError {
                        http_status: r.http_status,
                        message: r.last_error.unwrap_or_else(|| "failed".into()),
                    };
                    spent.push((hook, id, r.attempts, err));
                    continue;
                }
                r.attempts
            }
            // New, or a replayed dead letter (another message): a fresh budget.
            _ => 0,
        };
        due.push((hook, id, made));
    }
    if due.is_empty() && spent.is_empty() {
        return Ok(());
    }
    // Keep the alert while requests are in flight (each may take up to the HTTP timeout).
    let _ = msg.ack_with(AckKind::Progress).await;
    let posts = due
        .iter()
        .map(|(hook, id, _)| deliver::post(client, hook, id, &env.event_type, msg.payload.clone()));
    let outcomes = futures::future::join_all(posts).await;
    let mut retry: Vec<String> = Vec::new();
    for ((hook, id, made), outcome) in due.into_iter().zip(outcomes) {
        let made = made + 1;
        match outcome {
            Ok(status) => {
                with_store(store, |s| {
                    s.record(&DeliveryRecord {
                        delivery_id: id.clone(),
                        webhook_id: hook.id.clone(),
                        alert_event_id: env.id.clone(),
                        status: DeliveryStatus::Delivered,
                        attempts: made,
                        http_status: Some(status),
                        last_error: None,
                        alert_seq: seq,
                    })
                })?;
                tracing::info!(webhook = %hook.id, delivery = %id, listing_id = %env.data.listing_id, attempt = made, "webhook delivered");
            }
            Err(e) => {
                // Counted before anything else can fail: this attempt is spent.
                with_store(store, |s| {
                    s.record(&DeliveryRecord {
                        delivery_id: id.clone(),
                        webhook_id: hook.id.clone(),
                        alert_event_id: env.id.clone(),
                        status: DeliveryStatus::Failing,
                        attempts: made,
                        http_status: e.http_status,
                        last_error: Some(e.message.clone()),
                        alert_seq: seq,
                    })
                })?;
                if made < attempts {
                    retry.push(format!("{}: {e} (attempt {made} of {attempts})", hook.id));
                } else {
                    spent.push((hook, id, made, e));
                }
            }
        }
    }
    for (hook, id, made, err) in spent {
        park(js, msg, &hook, &id, &err)
            .await
            .map_err(|e| HandleError::Transient(format!("parking on gsa.dlq.webhook: {e}")))?;
        with_store(store, |s| {
            s.record(&DeliveryRecord {
                delivery_id: id.clone(),
                webhook_id: hook.id.clone(),
                alert_event_id: env.id.clone(),
                status: DeliveryStatus::Parked,
                attempts: made,
                http_status: err.http_status,
                last_error: Some(err.message.clone()),
                alert_seq: seq,
            })
        })?;
        tracing::error!(webhook = %hook.id, delivery = %id, attempts = made, error = %err, "webhook delivery parked on gsa.dlq.webhook");
    }
    if !retry.is_empty() {
        return Err(HandleError::Transient(format!(
            "{} webhook deliveries failed: {}",
            retry.len(),
            retry.join("; ")
        )));
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
