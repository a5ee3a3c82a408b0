//! Tracing for every gsa service: human-readable (or JSON, `GSA_LOG_FORMAT=json`) records on
//! stderr, and the same records shipped to `gsa.log.<service>` on NATS.
//!
//! Shipping never blocks the service: records go into a bounded buffer
//! ([`LOG_BUFFER`] records); when it is full the record is dropped and counted
//! ([`LogShipper::dropped`]). The logging worker's own per-record logs (target
//! `gsa_logger::store`) and the NATS client's logs are never shipped, so storing a log record
//! cannot produce another one (no feedback loop).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use gsa_schemas::{event_type, subjects, Envelope, LogRecord};
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Records buffered for NATS before new ones are dropped.
pub const LOG_BUFFER: usize = 4096;

/// Receives shipped records until [`LogShipper::attach`] publishes them.
pub struct LogShipper {
    rx: Option<mpsc::Receiver<LogRecord>>,
    dropped: Arc<AtomicU64>,
}

impl LogShipper {
    /// Records dropped because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Starts publishing buffered and future records to `gsa.log.<service>` on `client`
    /// (core NATS publish into the `GSA_LOGS` stream; the event id travels as `Nats-Msg-Id`).
    pub fn attach(&mut self, client: async_nats::Client) {
        let Some(mut rx) = self.rx.take() else { return };
        tokio::spawn(async move {
            while let Some(rec) = rx.recv().await {
                let id = uuid::Uuid::new_v4().to_string();
                let subject = subjects::log_subject(&rec.service);
                let service = rec.service.clone();
                let env = Envelope::new(&service, event_type::LOG_RECORD, id, None, rec);
                let Ok(payload) = serde_json::to_vec(&env) else {
                    continue;
                };
                let mut headers = async_nats::HeaderMap::new();
                headers.insert("Nats-Msg-Id", env.id.as_str());
                // A failed publish is not logged (that would be shipped again).
                let _ = client
                    .publish_with_headers(subject, headers, payload.into())
                    .await;
            }
        });
    }
}

/// Sets up tracing for `service`. `RUST_LOG` filters (default `info`). When `ship` is true the
/// returned [`LogShipper`] buffers records for NATS until attached.
pub fn init(service: &str, ship: bool) -> LogShipper {
    let (tx, rx) = mpsc::channel(LOG_BUFFER);
    let dropped = Arc::new(AtomicU64::new(0));
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,async_nats=warn,hyper=warn,tower_http=info"));
    let json = std::env::var("GSA_LOG_FORMAT")
        .map(|v| v == "json")
        .unwrap_or(false);
    let stderr = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(colour(
                std::io::IsTerminal::is_terminal(&std::io::stderr()),
                std::env::var_os("NO_COLOR").as_deref(),
            ))
            .boxed()
    };
    let nats_layer = ship.then(|| NatsLayer {
        default_service: service.to_string(),
        tx,
        dropped: dropped.clone(),
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(nats_layer)
        .try_init();
    LogShipper {
        rx: ship.then_some(rx),
        dropped,
    }
}

/// Whether human-readable records on stderr carry ANSI colour codes: only when stderr is a
/// terminal and `NO_COLOR` is unset or empty (the rule of https://no-color.org). Redirected to
/// a file or a pipe, records are plain text (tracing-subscriber colours by default whatever
/// stderr is).
pub fn colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// The layer that copies records into the shipping buffer.
struct NatsLayer {
    default_service: String,
    tx: mpsc::Sender<LogRecord>,
    dropped: Arc<AtomicU64>,
}

/// The services a record can belong to. A span with one of these names (see
/// [`service_span`]) marks the records of shared code (`gsa_common::nats`'s "consumer
/// stopped") as that service's.
pub const SERVICES: &[&str] = &["scraper", "analyzer", "logger", "notifier", "gateway"];

/// A span naming `service` (one of [`SERVICES`]; anything else gives a span the shipper
/// ignores). `gsa up` runs each service's task inside one.
pub fn service_span(service: &str) -> tracing::Span {
    match service {
        "scraper" => tracing::info_span!("scraper"),
        "analyzer" => tracing::info_span!("analyzer"),
        "logger" => tracing::info_span!("logger"),
        "notifier" => tracing::info_span!("notifier"),
        "gateway" => tracing::info_span!("gateway"),
        _ => tracing::Span::none(),
    }
}

/// Which service a record belongs to, from its target's crate (in `gsa up` all services share
/// one process).
fn service_of<'a>(target: &str, default: &'a str) -> std::borrow::Cow<'a, str> {
    for (prefix, name) in [
        ("gsa_scraper", "scraper"),
        ("gsa_analyzer", "analyzer"),
        ("gsa_logger", "logger"),
        ("gsa_notifier", "notifier"),
        ("gsa_gateway", "gateway"),
    ] {
        if target.starts_with(prefix) {
            return name.to_string().into();
        }
    }
    default.into()
}

impl NatsLayer {
    /// The record's service: its crate's, else the innermost [`service_span`] around it, else
    /// the process's.
    fn service<S>(&self, event: &Event<'_>, ctx: &Context<'_, S>) -> String
    where
        S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        let by_crate = service_of(event.metadata().target(), &self.default_service);
        if by_crate != self.default_service.as_str() {
            return by_crate.into_owned();
        }
        ctx.event_scope(event)
            .and_then(|scope| {
                scope
                    .map(|span| span.name())
                    .find(|n| SERVICES.contains(n))
                    .map(str::to_string)
            })
            .unwrap_or_else(|| self.default_service.clone())
    }
}

/// Records that must not be shipped: the logger's per-record logs, and the NATS client's own.
fn never_ship(target: &str) -> bool {
    target.starts_with("gsa_logger::store") || target.starts_with("async_nats")
}

impl<S> Layer<S> for NatsLayer
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        if never_ship(meta.target()) || *meta.level() > Level::INFO {
            return;
        }
        let mut visitor = FieldVisitor::default();
        event.record(&mut visitor);
        let rec = LogRecord {
            time: chrono::Utc::now(),
            service: self.service(event, &ctx),
            level: meta.level().to_string(),
            target: meta.target().to_string(),
            message: visitor.message,
            fields: visitor.fields,
        };
        if self.tx.try_send(rec).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[derive(Default)]
struct FieldVisitor {
    message: String,
    fields: BTreeMap<String, String>,
}

impl Visit for FieldVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.fields
                .insert(field.name().to_string(), value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields
                .insert(field.name().to_string(), format!("{value:?}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_attributed_to_their_service_and_logger_store_is_never_shipped() {
        assert_eq!(service_of("gsa_analyzer::worker", "cli"), "analyzer");
        assert_eq!(service_of("gsa::demo", "cli"), "cli");
        assert!(never_ship("gsa_logger::store"));
        assert!(never_ship("async_nats::connector"));
        assert!(!never_ship("gsa_logger::worker"));
    }

    /// Shared code ("consumer stopped" in `gsa_common::nats`) logs under the service whose
    /// span it runs in; a trial found `/api/logs?service=notifier` empty in `gsa up`.
    #[test]
    fn records_of_shared_code_belong_to_the_service_span_around_them() {
        use tracing_subscriber::layer::SubscriberExt;
        let (tx, mut rx) = mpsc::channel(16);
        let layer = NatsLayer {
            default_service: "gsa".into(),
            tx,
            dropped: Arc::default(),
        };
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let _g = service_span("notifier").entered();
            tracing::info!("consumer stopped");
            {
                let _inner = service_span("logger").entered();
                tracing::info!("inner");
            }
            drop(_g);
            tracing::info!("outside");
            tracing::info!(target: "gsa_notifier::worker", "notifier started");
        });
        let got: Vec<(String, String)> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|r| (r.service, r.message))
            .collect();
        let want = [
            ("notifier", "consumer stopped"),
            ("logger", "inner"),
            ("gsa", "outside"),
            ("notifier", "notifier started"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(got, want);
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        use std::ffi::OsStr;
        assert!(colour(true, None));
        assert!(
            colour(true, Some(OsStr::new(""))),
            "an empty NO_COLOR is unset"
        );
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(!colour(false, None), "a file or a pipe gets plain text");
        assert!(!colour(false, Some(OsStr::new("1"))));
    }
}
