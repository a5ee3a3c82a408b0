//! Prometheus metrics in the text exposition format (version 0.0.4), served at `/metrics`:
//! requests by route and status, tokens issued and rejected by reason, logins and login
//! failures, throttled requests, and audit events published or dropped; and the pipeline's
//! figures read from NATS (issue 7): lag of every gsa durable consumer and dead letters
//! waiting per stream, see [`Pipeline`].
//!
//! A handful of counters does not justify a metrics framework; labels are always bounded
//! values (route templates, status codes, reason codes, the fixed gsa stream and durable
//! consumer names), never user input.
//!
//! The pipeline figures cost a few JetStream API requests (one per stream and one consumer
//! listing per stream), so they are cached for [`PIPELINE_TTL`] and each refresh is bounded
//! by [`PIPELINE_TIMEOUT`]: a Prometheus scraping every few seconds, or several dashboards
//! open at once, cost NATS at most one round of requests per TTL, and a NATS that is down
//! slows no scrape by more than the timeout (it is reported as `gsa_nats_up 0`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use gsa_common::nats::ConsumerLag;
use gsa_schemas::subjects;
use serde::Serialize;

use crate::state::AppState;

/// How long pipeline figures read from NATS are reused before asking again.
pub const PIPELINE_TTL: Duration = Duration::from_secs(5);
/// How long a failed look at NATS is reused (shorter, so a recovered NATS shows soon).
pub const PIPELINE_FAILED_TTL: Duration = Duration::from_secs(1);
/// Longest one refresh of the pipeline figures may take.
pub const PIPELINE_TIMEOUT: Duration = Duration::from_secs(2);

/// A counter's identity: metric name and label pairs.
type Key = (&'static str, Vec<(&'static str, String)>);

/// The counters.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<Key, u64>>,
    /// The last [`Pipeline`] read and when; a tokio mutex held across the refresh, so
    /// concurrent scrapes wait for one refresh instead of each starting their own.
    pipeline: tokio::sync::Mutex<Option<(Instant, Pipeline)>>,
}

/// The pipeline as NATS reports it: what each gsa durable consumer has not finished and how
/// many dead letters wait. Shown on `/metrics` and the dashboard's alerts page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pipeline {
    /// Whether NATS answered (when `false` the lists are empty, not zero).
    pub nats_up: bool,
    /// Lag of each gsa durable consumer (`analyzer`, `notifier`, `logger-<STREAM>`), sorted by
    /// stream then consumer. Ephemeral consumers (`gsa alerts watch`, alert streams) are left
    /// out: their names are random and their backlog is not the pipeline's.
    pub lag: Vec<ConsumerLag>,
    /// Dead letters waiting in `GSA_DLQ`, per stream of the original subject (e.g.
    /// `GSA_LISTINGS`; webhook deliveries under `webhook`), sorted by stream.
    pub dead_letters: Vec<(String, u64)>,
}

/// How long a pipeline read waits for a client that is still connecting (within
/// [`PIPELINE_TIMEOUT`]).
const CONNECT_WAIT: Duration = Duration::from_millis(1_000);

impl Pipeline {
    /// Reads the figures from the NATS server(s) at `nats_url`, within [`PIPELINE_TIMEOUT`].
    /// Never fails: a NATS that is down or slow gives `nats_up: false` (logged).
    pub async fn fetch(nats_url: &str) -> Self {
        let res = tokio::time::timeout(PIPELINE_TIMEOUT, async {
            let client = crate::bus::client_for(nats_url).await?;
            // A new client connects in the background: give it a moment (the first read after
            // start reported NATS down while it was up). Asking a disconnected client would
            // only wait for the timeout.
            let connected = Instant::now() + CONNECT_WAIT;
            while client.connection_state() != async_nats::connection::State::Connected {
                anyhow::ensure!(Instant::now() < connected, "not connected to NATS");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let js = async_nats::jetstream::new(client);
            let lag = gsa_common::nats::consumer_lag(&js).await?;
            let dead_letters = gsa_common::nats::dlq_depth_by_stream(&js).await?;
            anyhow::Ok((lag, dead_letters))
        })
        .await;
        match res {
            Ok(Ok((lag, dead_letters))) => Self {
                nats_up: true,
                lag: lag
                    .into_iter()
                    .filter(|l| is_durable(&l.consumer))
                    .collect(),
                dead_letters,
            },
            Ok(Err(e)) => {
                tracing::debug!(error = format!("{e:#}"), "pipeline figures unavailable");
                Self::default()
            }
            Err(_) => {
                tracing::debug!("pipeline figures: NATS did not answer in time");
                Self::default()
            }
        }
    }

    /// Appends the figures to `out` in the exposition format.
    pub fn render_into(&self, out: &mut String) {
        let gauge = |out: &mut String, name: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        };
        gauge(
            out,
            "gsa_nats_up",
            "1 when the gateway's last look at NATS (cached a few seconds) succeeded.",
        );
        let _ = writeln!(out, "gsa_nats_up {}", u8::from(self.nats_up));
        let per_consumer: [(&str, &str, LagFigure); 3] = [
            (
                "gsa_consumer_lag",
                "Messages a gsa durable consumer has not finished: num_pending + ack_pending.",
                |l| l.num_pending + l.ack_pending,
            ),
            (
                "gsa_consumer_pending",
                "Messages in the stream not yet delivered to the consumer (num_pending).",
                |l| l.num_pending,
            ),
            (
                "gsa_consumer_ack_pending",
                "Messages delivered to the consumer and not yet acknowledged.",
                |l| l.ack_pending,
            ),
        ];
        for (name, help, value) in per_consumer {
            gauge(out, name, help);
            for l in &self.lag {
                let _ = writeln!(
                    out,
                    "{name}{{stream=\"{}\",consumer=\"{}\"}} {}",
                    escape(&l.stream),
                    escape(&l.consumer),
                    value(l)
                );
            }
        }
        gauge(
            out,
            "gsa_dead_letters",
            "Dead letters waiting in GSA_DLQ (gsa.dlq.*), by the stream of the original subject.",
        );
        for (stream, n) in &self.dead_letters {
            let _ = writeln!(out, "gsa_dead_letters{{stream=\"{}\"}} {n}", escape(stream));
        }
    }
}

/// One figure of a consumer's lag.
type LagFigure = fn(&ConsumerLag) -> u64;

/// Whether `name` is one of the gsa workers' durable consumers.
fn is_durable(name: &str) -> bool {
    name == subjects::CONSUMER_ANALYZER
        || name == subjects::CONSUMER_NOTIFIER
        || name
            .strip_prefix(subjects::CONSUMER_LOGGER_PREFIX)
            .is_some_and(|rest| rest.starts_with('-'))
}

/// `# HELP` text of each metric.
const HELP: &[(&str, &str)] = &[
    (
        "gsa_http_requests_total",
        "HTTP requests by route template and status.",
    ),
    ("gsa_tokens_issued_total", "Access tokens issued."),
    (
        "gsa_tokens_rejected_total",
        "Access tokens rejected, by reason code.",
    ),
    ("gsa_logins_total", "Successful dashboard logins."),
    ("gsa_login_failures_total", "Failed dashboard logins."),
    ("gsa_throttled_total", "Requests answered 429, by limiter."),
    (
        "gsa_audit_published_total",
        "Audit events published to NATS.",
    ),
    (
        "gsa_audit_dropped_total",
        "Audit events dropped (NATS unavailable or buffer full).",
    ),
];

impl Metrics {
    /// Adds one to `name{labels}`.
    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        let key = (
            name,
            labels.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        );
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry(key).or_insert(0) += 1;
    }

    /// The current value of `name{labels}` (0 when never counted).
    pub fn get(&self, name: &'static str, labels: &[(&'static str, &str)]) -> u64 {
        let key = (
            name,
            labels.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        );
        let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        c.get(&key).copied().unwrap_or(0)
    }

    /// The pipeline figures of the NATS server(s) at `nats_url`, read at most once per
    /// [`PIPELINE_TTL`] ([`PIPELINE_FAILED_TTL`] after a failed read).
    pub async fn pipeline(&self, nats_url: &str) -> Pipeline {
        let mut slot = self.pipeline.lock().await;
        if let Some((at, p)) = &*slot {
            let ttl = if p.nats_up {
                PIPELINE_TTL
            } else {
                PIPELINE_FAILED_TTL
            };
            if at.elapsed() < ttl {
                return p.clone();
            }
        }
        let p = Pipeline::fetch(nats_url).await;
        *slot = Some((Instant::now(), p.clone()));
        p
    }

    /// The whole `/metrics` text: the counters ([`Metrics::render`]) and the pipeline figures
    /// ([`Metrics::pipeline`]).
    pub async fn render_all(&self, nats_url: &str) -> String {
        let pipeline = self.pipeline(nats_url).await;
        let mut out = self.render();
        pipeline.render_into(&mut out);
        out
    }

    /// The exposition text of the counters.
    pub fn render(&self) -> String {
        let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        for (name, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let mut any = false;
            for ((n, labels), v) in c.iter().filter(|((n, _), _)| n == name) {
                any = true;
                let l: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                    .collect();
                if l.is_empty() {
                    let _ = writeln!(out, "{n} {v}");
                } else {
                    let _ = writeln!(out, "{n}{{{}}} {v}", l.join(","));
                }
            }
            if !any && !name.ends_with("requests_total") {
                let _ = writeln!(out, "{name} 0");
            }
        }
        out
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware counting every answered request by route template and status.
pub async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let resp = next.run(req).await;
    st.metrics.inc(
        "gsa_http_requests_total",
        &[("route", &route), ("status", resp.status().as_str())],
    );
    resp
}
