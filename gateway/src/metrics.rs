//! Prometheus metrics in the text exposition format (version 0.0.4), served at `/metrics`:
//! requests by route and status, tokens issued and rejected by reason, logins and login
//! failures, throttled requests, and audit events published or dropped.
//!
//! A handful of counters does not justify a metrics framework; labels are always bounded
//! values (route templates, status codes, reason codes), never user input.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// A counter's identity: metric name and label pairs.
type Key = (&'static str, Vec<(&'static str, String)>);

/// The counters.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<Key, u64>>,
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

    /// The exposition text.
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
