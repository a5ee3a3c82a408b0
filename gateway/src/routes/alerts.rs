//! `GET /api/alerts`: high-score alerts, newest first (scope [`access::ALERTS_READ`]).
//! Parameters `min_score`, `limit`, `cursor`; see [`crate::read::alerts`].
//!
//! `GET /api/alerts/stream`: the same alerts as Server-Sent Events, as they arrive (same
//! scope, a token or a dashboard session). Parameters `min_score` (0-100) and `state`
//! (two-letter codes, comma-separated, e.g. `TX,OK`), the filters of `gsa alerts watch`.
//!
//! The stream reads NATS, not SQLite: an alert is on the stream the moment the analyzer's
//! publish is stored by JetStream, before the logging worker has written it. Each request gets
//! an ephemeral *ordered* consumer on `GSA_ALERTS` filtered to `gsa.alert.high_score` (no acks,
//! no durable state; the client library recreates it after a NATS restart from the last
//! sequence it saw, so a restart loses and repeats nothing), removed by the server once the
//! client is gone ([`ORDERED_INACTIVE`]). Events:
//!
//! * `ready`: sent once the consumer exists, `{"next_sequence": N}`; alerts published after
//!   it are delivered.
//! * `alert`: one alert, `id` = its `GSA_ALERTS` stream sequence, data = the alert (the
//!   `data` of `gsa.alert.high_score`, schema `schemas/json/alert.high_score.v1.json`) plus its
//!   `event_id` and `time`, the item shape of `GET /api/alerts`.
//!
//! A client that reconnects with `Last-Event-ID: N` (browsers' `EventSource` does this by
//! itself) resumes after sequence N, replaying at most [`MAX_REPLAY`] messages; without it the
//! stream starts at the first alert published after the request. A comment line every
//! [`KEEP_ALIVE`] keeps proxies from closing an idle stream. At most [`MAX_STREAMS`] streams
//! are open per gateway (429 beyond); each ends when the gateway shuts down.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures::{Stream, StreamExt};
use gsa_schemas::envelope::EnvelopeHead;
use gsa_schemas::{subjects, HighScoreAlert};
use serde::Deserialize;
use serde_json::Value;

use crate::access::{self, Caller};
use crate::error::{ApiError, ApiResult, Json};
use crate::read::alerts::AlertParams;
use crate::read::{self, params};
use crate::routes::listings::Page;
use crate::state::AppState;

/// Interval of the keep-alive comment on an idle stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Most alerts replayed to a client resuming with `Last-Event-ID` (older ones are in
/// `GET /api/alerts`).
pub const MAX_REPLAY: u64 = 500;
/// Most alert streams open at once in one gateway (each holds a NATS consumer).
pub const MAX_STREAMS: usize = 256;
/// How long the server keeps a stream's consumer after its client stopped pulling (the
/// inactivity threshold async-nats gives every ordered consumer; stated here for operators).
pub const ORDERED_INACTIVE: Duration = Duration::from_secs(30);
/// Wait between attempts to start a stream's consumer while NATS or the stream is missing.
const RETRY: Duration = Duration::from_secs(1);

/// Alert routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/alerts", get(list))
        .route("/api/alerts/stream", get(stream))
}

async fn list(
    caller: Caller,
    State(st): State<AppState>,
    query: Result<Query<AlertParams>, QueryRejection>,
) -> ApiResult<Json<Page>> {
    caller.require(access::ALERTS_READ)?;
    let Query(q) = query?;
    let q = q.parse()?;
    let page = read::with_conn(&st, move |conn| {
        let Some(conn) = conn else {
            return Ok(Page {
                items: vec![],
                next_cursor: None,
            });
        };
        let (items, next) = read::alerts::page(conn, &q)?;
        Ok(Page {
            items,
            next_cursor: next.as_ref().map(params::encode_cursor),
        })
    })
    .await?;
    Ok(Json(page))
}

/// Raw query parameters of `GET /api/alerts/stream`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamParams {
    /// Lowest score, 0-100.
    pub min_score: Option<String>,
    /// Two-letter states, comma-separated (`TX,OK`).
    pub state: Option<String>,
}

/// Which alerts a stream sends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamFilter {
    /// Lowest score, 0-100.
    pub min_score: Option<u8>,
    /// Upper-case two-letter states; empty: every state (and alerts without one).
    pub states: Vec<String>,
}

impl StreamParams {
    /// Validates the parameters (400 `invalid_min_score` / `invalid_state`).
    pub fn parse(&self) -> Result<StreamFilter, ApiError> {
        let min_score = params::int(&self.min_score, "min_score", 0, 100, "invalid_min_score")?
            .map(|n| n as u8);
        let mut states = Vec::new();
        if let Some(list) = params::given(&self.state) {
            for s in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if s.len() != 2 || !s.chars().all(|c| c.is_ascii_alphabetic()) {
                    return Err(ApiError::bad(
                        "invalid_state",
                        "state must be two-letter codes separated by commas, e.g. TX,OK",
                    ));
                }
                states.push(s.to_ascii_uppercase());
            }
        }
        Ok(StreamFilter { min_score, states })
    }
}

impl StreamFilter {
    /// Whether `alert` passes (same rule as `gsa alerts watch` and webhook filters: an alert
    /// without a state passes only when no state is asked for).
    pub fn passes(&self, alert: &HighScoreAlert) -> bool {
        self.min_score.is_none_or(|m| alert.score >= m)
            && (self.states.is_empty()
                || alert
                    .state
                    .as_ref()
                    .is_some_and(|s| self.states.iter().any(|x| x.eq_ignore_ascii_case(s))))
    }
}

/// Streams open now, against [`MAX_STREAMS`].
static OPEN_STREAMS: AtomicUsize = AtomicUsize::new(0);

/// One open stream counted in [`OPEN_STREAMS`] until dropped.
struct StreamSlot;

impl StreamSlot {
    fn take() -> Option<Self> {
        OPEN_STREAMS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_STREAMS).then_some(n + 1)
            })
            .ok()
            .map(|_| StreamSlot)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        OPEN_STREAMS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The sequence after which a resuming client asked to continue (`Last-Event-ID`), if it
/// sent a valid one.
fn last_event_id(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

async fn stream(
    caller: Caller,
    State(st): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<StreamParams>, QueryRejection>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    caller.require(access::ALERTS_READ)?;
    let Query(q) = query?;
    let filter = q.parse()?;
    let slot = StreamSlot::take().ok_or(ApiError::RateLimited(Duration::from_secs(5)))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(64);
    let closing = read::pool::for_path(&st.cfg.db_path()).closing();
    tokio::spawn(feed(
        st.cfg.nats_url.clone(),
        filter,
        last_event_id(&headers),
        tx,
        closing,
        slot,
    ));
    let events = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|ev| (Ok(ev), rx))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// Forwards alerts from NATS to `tx` until the client is gone (`tx` closed) or the gateway
/// shuts down (`closing` changes). Starting the consumer is retried every [`RETRY`] while
/// NATS or the stream is missing; the client meanwhile gets keep-alives.
async fn feed(
    nats_url: String,
    filter: StreamFilter,
    resume_after: Option<u64>,
    tx: tokio::sync::mpsc::Sender<Event>,
    mut closing: tokio::sync::watch::Receiver<u64>,
    _slot: StreamSlot,
) {
    let messages = loop {
        let attempt = async {
            let js = crate::bus::jetstream_for(&nats_url).await?;
            open(&js, resume_after).await
        };
        tokio::select! {
            _ = tx.closed() => return,
            _ = closing.changed() => return,
            r = tokio::time::timeout(RETRY * 5, attempt) => match r {
                Ok(Ok(m)) => break m,
                Ok(Err(e)) => tracing::debug!(error = format!("{e:#}"), "alert stream: consumer not ready"),
                Err(_) => tracing::debug!("alert stream: NATS did not answer"),
            },
        }
        tokio::select! {
            _ = tx.closed() => return,
            _ = closing.changed() => return,
            _ = tokio::time::sleep(RETRY) => {}
        }
    };
    let (next_sequence, mut messages) = messages;
    let ready = Event::default()
        .event("ready")
        .json_data(serde_json::json!({ "next_sequence": next_sequence }));
    if let Ok(ev) = ready {
        if tx.send(ev).await.is_err() {
            return;
        }
    }
    loop {
        let m = tokio::select! {
            _ = tx.closed() => return,
            _ = closing.changed() => return,
            m = messages.next() => m,
        };
        let m = match m {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                // The ordered consumer recreates itself after these (missed heartbeats, a
                // NATS restart); keep reading.
                tracing::debug!(error = %e, "alert stream: consumer error");
                continue;
            }
            None => return,
        };
        let seq = m.info().map(|i| i.stream_sequence).ok();
        let Some(ev) = to_event(&m.payload, seq, &filter) else {
            continue;
        };
        if tx.send(ev).await.is_err() {
            return;
        }
    }
}

type Ordered = consumer::pull::Ordered;

/// Creates the ordered consumer for one client: after `resume_after` (bounded by
/// [`MAX_REPLAY`]) or, without it, after the last message stored now. Returns the first
/// sequence it delivers and its messages.
async fn open(
    js: &jetstream::Context,
    resume_after: Option<u64>,
) -> anyhow::Result<(u64, Ordered)> {
    let mut stream = js.get_stream(subjects::STREAM_ALERTS).await?;
    let last = stream.info().await?.state.last_sequence;
    let start = match resume_after {
        // A sequence from a stream since recreated (beyond its end) resumes at its end.
        Some(after) => after
            .saturating_add(1)
            .min(last + 1)
            .max(last.saturating_sub(MAX_REPLAY) + 1),
        None => last + 1,
    };
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: subjects::ALERT_HIGH_SCORE.to_string(),
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: start,
            },
            ..Default::default()
        })
        .await?;
    let messages = consumer.messages().await?;
    Ok((start, messages))
}

/// The SSE event of one message, or `None` when it is not a readable alert or the filter
/// drops it.
fn to_event(payload: &[u8], seq: Option<u64>, filter: &StreamFilter) -> Option<Event> {
    let head: EnvelopeHead = serde_json::from_slice(payload).ok()?;
    let alert: HighScoreAlert = serde_json::from_value(head.data).ok()?;
    if !filter.passes(&alert) {
        return None;
    }
    // Re-serialised from the typed alert: the item carries the documented fields only, never
    // an extra field a publisher added.
    let mut item = match serde_json::to_value(&alert).ok()? {
        Value::Object(m) => m,
        _ => return None,
    };
    item.insert("event_id".into(), Value::from(head.id));
    item.insert(
        "time".into(),
        Value::from(
            head.time
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        ),
    );
    let mut ev = Event::default().event("alert");
    if let Some(seq) = seq {
        ev = ev.id(seq.to_string());
    }
    ev.json_data(Value::Object(item)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(score: u8, state: Option<&str>) -> HighScoreAlert {
        HighScoreAlert {
            listing_id: "1".into(),
            reason: gsa_schemas::AlertReason::NewListing,
            score,
            threshold: 80,
            model_version: "m".into(),
            title: None,
            url: None,
            city: None,
            state: state.map(str::to_string),
            asking_price: None,
            cash_flow: None,
            gross_revenue: None,
            summary: String::new(),
        }
    }

    #[test]
    fn filters_parse_and_apply() {
        let f = StreamParams {
            min_score: Some("85".into()),
            state: Some("tx, ok".into()),
        }
        .parse()
        .unwrap();
        assert_eq!(f.min_score, Some(85));
        assert_eq!(f.states, ["TX", "OK"]);
        assert!(f.passes(&alert(90, Some("TX"))));
        assert!(!f.passes(&alert(84, Some("TX"))));
        assert!(!f.passes(&alert(90, Some("FL"))));
        assert!(!f.passes(&alert(90, None)));
        assert!(StreamFilter::default().passes(&alert(0, None)));
        for (m, s, code) in [
            (Some("101"), None, "invalid_min_score"),
            (None, Some("Texas"), "invalid_state"),
            (None, Some("T1"), "invalid_state"),
        ] {
            let e = StreamParams {
                min_score: m.map(str::to_string),
                state: s.map(str::to_string),
            }
            .parse()
            .unwrap_err();
            assert_eq!(e.code(), code);
        }
    }

    #[test]
    fn last_event_id_is_a_sequence_or_nothing() {
        let mut h = HeaderMap::new();
        assert_eq!(last_event_id(&h), None);
        h.insert("last-event-id", "42".parse().unwrap());
        assert_eq!(last_event_id(&h), Some(42));
        h.insert("last-event-id", "abc".parse().unwrap());
        assert_eq!(last_event_id(&h), None);
    }
}
