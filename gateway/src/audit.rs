//! The audit trail: CloudEvents on `gsa.audit.<action>` (stream `GSA_AUDIT`), published
//! best-effort.
//!
//! Decisions:
//! * Publishing never blocks a request: events go into a bounded buffer
//!   ([`BUFFER`]); a background task publishes them with JetStream acks. When NATS is down
//!   or the buffer is full, events are dropped and counted (`gsa_audit_dropped_total`); the
//!   gateway keeps answering.
//! * An event carries who, what and why (client id, user name, audience, `jti`, `kid`,
//!   reason code, client address), never a secret, password or token: the [`AuditEvent`]
//!   fields are the only ones that can be set, and none holds credentials.
//! * The payload type, [`AuditEvent`], is part of the event contract in `gsa-schemas`
//!   (`schemas/json/audit.v1.json`).

use std::time::Duration;

use gsa_schemas::Envelope;
use tokio::sync::mpsc;

use crate::metrics::Metrics;

/// Events buffered while NATS is slow or down.
pub const BUFFER: usize = 1024;
/// How long one publish may wait for its JetStream ack.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(3);

pub use gsa_schemas::audit::{action, AuditEvent};

/// The audit sink handed to handlers (cheap to clone).
#[derive(Debug, Clone)]
pub struct Audit {
    tx: Option<mpsc::Sender<AuditEvent>>,
    metrics: std::sync::Arc<Metrics>,
}

impl Audit {
    /// A sink that publishes to NATS at `nats_url` from a background task.
    pub fn spawn(
        nats_url: String,
        cfg: gsa_common::Config,
        metrics: std::sync::Arc<Metrics>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(BUFFER);
        tokio::spawn(run(nats_url, cfg, rx, metrics.clone()));
        Self {
            tx: Some(tx),
            metrics,
        }
    }

    /// A sink that drops everything (counted), for tools without a runtime.
    pub fn disabled(metrics: std::sync::Arc<Metrics>) -> Self {
        Self { tx: None, metrics }
    }

    /// Queues an event; never blocks. A full buffer drops it (counted).
    pub fn emit(&self, event: AuditEvent) {
        let sent = self
            .tx
            .as_ref()
            .is_some_and(|tx| tx.try_send(event).is_ok());
        if !sent {
            self.metrics.inc("gsa_audit_dropped_total", &[]);
        }
    }
}

/// Publishes one event now, for short-lived tools (`gsa keys`, `gsa user`): connects, makes
/// sure the stream exists, publishes and waits for the ack, all within a few seconds. An error
/// means the event was not recorded; the caller decides whether to warn.
pub async fn publish_once(cfg: &gsa_common::Config, event: AuditEvent) -> anyhow::Result<()> {
    let work = async {
        let client = async_nats::ConnectOptions::new()
            .name("gsa-audit-cli")
            .connection_timeout(PUBLISH_TIMEOUT)
            .connect(&cfg.nats_url)
            .await?;
        let js = async_nats::jetstream::new(client.clone());
        gsa_common::nats::ensure_streams(&js, cfg).await?;
        let subject = format!("{}.{}", gsa_schemas::subjects::AUDIT_PREFIX, event.action);
        let envelope = Envelope::new(
            "gateway",
            &format!("gsa.audit.{}.v1", event.action),
            uuid::Uuid::new_v4().to_string(),
            event.actor.clone(),
            event,
        );
        gsa_common::nats::publish_event(&js, &subject, &envelope).await?;
        client.flush().await?;
        anyhow::Ok(())
    };
    tokio::time::timeout(PUBLISH_TIMEOUT * 2, work)
        .await
        .map_err(|_| anyhow::anyhow!("NATS did not answer"))?
}

async fn run(
    url: String,
    cfg: gsa_common::Config,
    mut rx: mpsc::Receiver<AuditEvent>,
    metrics: std::sync::Arc<Metrics>,
) {
    let client = match gsa_common::nats::connect(&url, "gateway-audit").await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "audit: cannot connect to NATS; audit events will be dropped");
            while rx.recv().await.is_some() {
                metrics.inc("gsa_audit_dropped_total", &[]);
            }
            return;
        }
    };
    let js = async_nats::jetstream::new(client);
    let mut streams_ready = false;
    while let Some(event) = rx.recv().await {
        if !streams_ready {
            streams_ready =
                tokio::time::timeout(PUBLISH_TIMEOUT, gsa_common::nats::ensure_streams(&js, &cfg))
                    .await
                    .is_ok_and(|r| r.is_ok());
        }
        let subject = format!("{}.{}", gsa_schemas::subjects::AUDIT_PREFIX, event.action);
        let envelope = Envelope::new(
            "gateway",
            &format!("gsa.audit.{}.v1", event.action),
            uuid::Uuid::new_v4().to_string(),
            event.actor.clone(),
            event,
        );
        let published = tokio::time::timeout(
            PUBLISH_TIMEOUT,
            gsa_common::nats::publish_event(&js, &subject, &envelope),
        )
        .await;
        match published {
            Ok(Ok(_)) => metrics.inc("gsa_audit_published_total", &[]),
            _ => {
                metrics.inc("gsa_audit_dropped_total", &[]);
                streams_ready = false;
            }
        }
    }
}
