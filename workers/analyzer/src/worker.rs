//! The analyzer worker: a thin loop around [`crate::score`].
//!
//! Reads `gsa.listing.scraped` and `gsa.listing.updated` through the durable consumer
//! `analyzer` on the `GSA_LISTINGS` stream (rejections on the same stream are acked and
//! skipped), publishes each score card on `gsa.listing.scored` and, when an applicable listing
//! newly reaches the threshold, a `gsa.alert.high_score`; acks only after publishing.
//!
//! Every card explains itself against the previous card of its listing: the last card published
//! per listing is kept in the JetStream KV bucket `gsa_cards` (listing id -> card JSON), and the
//! new card's `previous_score`, `previous_model_version` and `changes` are filled from it
//! ([`crate::explain`]). A redelivered event (same listing event, same model) republishes the
//! stored card unchanged, so its history is not lost to a diff against itself.
//!
//! Alert state lives in the JetStream KV bucket `gsa_alerted` (listing id -> last alerted
//! state), so several analyzer processes share it and it outlives JetStream's duplicate window:
//! a listing is alerted once when it crosses the threshold, and again only after it fell below
//! and crossed again (a price cut or a rescore). Seeing the same listing state again, even
//! after the duplicate window, sends nothing.
//!
//! The state is written with compare-and-set (KV revision) *before* the alert is published,
//! marked `published: false`, and set to `published: true` after JetStream stored the alert.
//! Two analyzers racing on the same listing cannot both alert (the loser's write fails and its
//! message is redelivered, then sees the winner's state), and a crash between the two writes
//! republishes the same alert event id on redelivery (dropped by JetStream's duplicate window
//! and by every consumer's event-id dedupe).

use async_nats::jetstream::{self, kv};
use gsa_common::nats::{self, ConsumerSpec, HandleError};
use gsa_common::{Config, Shutdown};
use gsa_schemas::envelope::EnvelopeHead;
use gsa_schemas::{
    event_type, subjects, AlertReason, Envelope, HighScoreAlert, Listing, ListingUpdated, ScoreCard,
};
use serde::{Deserialize, Serialize};

use crate::ScoringConfig;

/// Service name in event sources (`gsa/analyzer`).
pub const SERVICE: &str = "analyzer";

/// Listings scored per pull batch.
pub const BATCH: usize = 256;

/// Deliveries before a message that keeps failing *transiently* is dead-lettered (permanent
/// failures are dead-lettered at once). The analyzer's only transient failures are NATS not
/// answering (the `gsa_cards`/`gsa_alerted` reads and writes, the card and alert publishes), so
/// the budget is sized in time, not tries: with the consumer's backoff (0.5 s doubling to 16 s)
/// 60 deliveries ride out about 15 minutes of unavailability. The default 5 lasted about 8 s,
/// less than a loaded three-node cluster takes to elect new stream leaders after a node stops:
/// messages whose card was already published then had their alert dead-lettered (issue 7, the
/// lost alert of the cluster fault test).
pub const MAX_DELIVER: i64 = 60;

/// What `gsa_alerted` remembers per listing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AlertState {
    /// `true` while the listing is at or above the threshold and has been alerted.
    pub above: bool,
    /// Score at the last decision.
    pub score: Option<u8>,
    /// Event id of the last alert sent (or about to be sent, see `published`).
    pub last_alert_event: Option<String>,
    /// `false` between recording an alert and JetStream storing it; states written before
    /// this field existed were published.
    #[serde(default = "yes")]
    pub published: bool,
    /// Alerts sent for this listing so far (part of each alert's event id, so a listing that
    /// returns to an earlier state and crosses again gets a new alert id).
    #[serde(default)]
    pub alerts: u32,
    /// Why the alert recorded but not yet published is sent (kept so that a republish after
    /// a crash says the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_reason: Option<AlertReason>,
}

fn yes() -> bool {
    true
}

/// Decides whether a card is due an alert given the stored state. Pure; see [`run`].
pub fn alert_due(card: &ScoreCard, threshold: u8, state: Option<&AlertState>) -> bool {
    let reaches = card.applicable && card.score.is_some_and(|s| s >= threshold);
    reaches && !state.is_some_and(|s| s.above)
}

/// Runs the analyzer until `shutdown`.
pub async fn run(
    cfg: &Config,
    js: jetstream::Context,
    scoring: ScoringConfig,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let alerted = nats::key_value(&js, subjects::KV_ALERTED).await?;
    let cards = nats::key_value(&js, subjects::KV_CARDS).await?;
    let threshold = cfg.alert_threshold;
    let spec = ConsumerSpec {
        stream: subjects::STREAM_LISTINGS.to_string(),
        durable: subjects::CONSUMER_ANALYZER.to_string(),
        filter_subject: None,
        batch: BATCH,
    };
    tracing::info!(model_version = %scoring.model_version(), threshold, "analyzer started");
    let scoring = std::sync::Arc::new(scoring);
    let js2 = js.clone();
    let opts = nats::ConsumerOptions {
        max_deliver: MAX_DELIVER,
        ..Default::default()
    };
    nats::run_consumer_with(js, spec, opts, shutdown, move |batch| {
        let js = js2.clone();
        let alerted = alerted.clone();
        let cards = cards.clone();
        let scoring = scoring.clone();
        async move {
            let kv = Buckets {
                alerted: &alerted,
                cards: &cards,
            };
            let results = handle_batch(&js, kv, &scoring, threshold, &batch).await;
            (batch, results)
        }
    })
    .await
}

/// Indices of `keys` (each message's listing id, its CloudEvents `subject`) grouped by
/// listing, groups in order of first appearance, each group in delivery order. A message
/// whose listing cannot be read (`None`) is a group of its own.
fn by_listing(keys: &[Option<&str>]) -> Vec<Vec<usize>> {
    let mut index = std::collections::HashMap::<&str, usize>::with_capacity(keys.len());
    let mut groups: Vec<Vec<usize>> = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        match key {
            Some(key) => match index.get(key) {
                Some(&g) => groups[g].push(i),
                None => {
                    index.insert(key, groups.len());
                    groups.push(vec![i]);
                }
            },
            None => groups.push(vec![i]),
        }
    }
    groups
}

/// Handles a batch: different listings concurrently (their KV reads and writes and their
/// publishes and acks pipelined on the one connection instead of one round trip after
/// another), the messages of one listing one after another in delivery order. Scoring itself
/// stays on this task (one core). Returns one result per message, in batch order.
async fn handle_batch(
    js: &jetstream::Context,
    kv: Buckets<'_>,
    scoring: &ScoringConfig,
    threshold: u8,
    batch: &[jetstream::Message],
) -> Vec<Result<(), HandleError>> {
    use futures::StreamExt as _;
    // Each payload is decoded once, up front: its envelope (with the listing id the batch is
    // grouped by) and its typed listing.
    let mut events: Vec<Option<Decoded>> = batch
        .iter()
        .map(|m| Some(read_listing_event(&m.payload)))
        .collect();
    let keys: Vec<Option<&str>> = events
        .iter()
        .map(|e| match e {
            Some(Ok(Some(ev))) => ev.subject.as_deref(),
            _ => None,
        })
        .collect();
    let groups = by_listing(&keys);
    drop(keys);
    let groups: Vec<Vec<(usize, Decoded)>> = groups
        .into_iter()
        .map(|g| {
            g.into_iter()
                .filter_map(|i| events[i].take().map(|e| (i, e)))
                .collect()
        })
        .collect();
    let mut results: Vec<Option<Result<(), HandleError>>> = batch.iter().map(|_| None).collect();
    let mut done = futures::stream::iter(groups)
        .map(|group: Vec<(usize, Decoded)>| async move {
            let mut out = Vec::with_capacity(group.len());
            for (i, event) in group {
                let r = match event {
                    Ok(Some(ev)) => handle(js, kv, scoring, threshold, ev).await,
                    Ok(None) => Ok(()),
                    Err(e) => Err(e),
                };
                out.push((i, r));
            }
            out
        })
        .buffer_unordered(BATCH);
    while let Some(group) = done.next().await {
        for (i, r) in group {
            results[i] = Some(r);
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(HandleError::Transient("not handled".into()))))
        .collect()
}

/// Writes `state` under `key` if the key is still at `revision` (`None`: if it does not
/// exist). A lost race is a transient error: the message is redelivered and decides again.
pub(crate) async fn write_state(
    alerted: &kv::Store,
    key: &str,
    state: &AlertState,
    revision: Option<u64>,
) -> Result<u64, HandleError> {
    let value = serde_json::to_vec(state).map_err(|e| HandleError::Transient(e.to_string()))?;
    let r = match revision {
        Some(rev) => alerted
            .update(key, value.into(), rev)
            .await
            .map_err(|e| e.to_string()),
        None => alerted
            .create(key, value.into())
            .await
            .map_err(|e| e.to_string()),
    };
    // Either another analyzer wrote first (the redelivery decides again) or NATS did not
    // answer (the redelivery tries again): both transient.
    r.map_err(|e| HandleError::Transient(format!("gsa_alerted {key} not written: {e}")))
}

/// The listing inside a listing event, or `None` for events the analyzer does not score.
pub fn listing_of(head: &EnvelopeHead) -> Result<Option<(Listing, bool)>, HandleError> {
    let bad = |e: serde_json::Error| HandleError::Permanent(format!("{}: {e}", head.event_type));
    match head.event_type.as_str() {
        event_type::LISTING_SCRAPED => Ok(Some((
            serde_json::from_value(head.data.clone()).map_err(bad)?,
            false,
        ))),
        event_type::LISTING_UPDATED => {
            let u: ListingUpdated = serde_json::from_value(head.data.clone()).map_err(bad)?;
            Ok(Some((u.listing, true)))
        }
        event_type::LISTING_REJECTED => Ok(None),
        other => Err(HandleError::Permanent(format!(
            "unknown event type {other}"
        ))),
    }
}

/// The envelope fields the worker reads, checked like [`nats::parse_head`] (so a message that
/// is not a gsa event fails the same way) but without building the payload as a JSON tree:
/// `data` is kept as the raw bytes of the payload, borrowed, and decoded into its type once
/// the event type is known.
#[derive(Deserialize)]
struct Head<'a> {
    id: String,
    #[serde(rename = "source", borrow)]
    _source: std::borrow::Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    event_type: std::borrow::Cow<'a, str>,
    #[serde(rename = "time")]
    _time: chrono::DateTime<chrono::Utc>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(borrow)]
    data: &'a serde_json::value::RawValue,
}

/// A listing event read by [`read_listing_event`].
struct ListingEvent {
    /// The event id (`id`).
    id: String,
    /// The listing id the event is about (`subject`), the key the batch is grouped by.
    subject: Option<String>,
    listing: Listing,
    /// `true` for `gsa.listing.updated`.
    is_update: bool,
}

/// A decoded message: a listing event, `None` for events the analyzer does not score, or why
/// it cannot be handled.
type Decoded = Result<Option<ListingEvent>, HandleError>;

/// The listing event in a payload, `None` for events the analyzer does not score. Same
/// outcome as [`nats::parse_head`] then [`listing_of`], with one scan of the envelope (the
/// payload's `data` only delimited, not built) and one of `data` into the typed listing,
/// instead of a JSON tree and a copy of it.
fn read_listing_event(payload: &[u8]) -> Decoded {
    let head: Head = serde_json::from_slice(payload)
        .map_err(|e| HandleError::Permanent(format!("not a gsa event: {e}")))?;
    let bad = |e: serde_json::Error| HandleError::Permanent(format!("{}: {e}", head.event_type));
    let data = head.data.get();
    let (listing, is_update) = match &*head.event_type {
        event_type::LISTING_SCRAPED => (serde_json::from_str::<Listing>(data).map_err(bad)?, false),
        event_type::LISTING_UPDATED => (
            serde_json::from_str::<ListingUpdated>(data)
                .map_err(bad)?
                .listing,
            true,
        ),
        event_type::LISTING_REJECTED => return Ok(None),
        other => {
            return Err(HandleError::Permanent(format!(
                "unknown event type {other}"
            )))
        }
    };
    Ok(Some(ListingEvent {
        id: head.id,
        subject: head.subject,
        listing,
        is_update,
    }))
}

/// The KV buckets the worker keeps its state in.
#[derive(Clone, Copy)]
struct Buckets<'a> {
    alerted: &'a kv::Store,
    cards: &'a kv::Store,
}

/// The last card published for a listing (`gsa_cards`), if any and readable.
pub async fn last_card(cards: &kv::Store, listing_id: &str) -> anyhow::Result<Option<ScoreCard>> {
    let entry = cards.entry(nats::kv_key(listing_id)).await?;
    Ok(entry.and_then(|e| serde_json::from_slice::<ScoreCard>(&e.value).ok()))
}

/// Remembers `card` as the last card of its listing (`gsa_cards`).
pub async fn remember_card(cards: &kv::Store, card: &ScoreCard) -> anyhow::Result<()> {
    let value = serde_json::to_vec(card)?;
    cards
        .put(nats::kv_key(&card.listing_id), value.into())
        .await?;
    Ok(())
}

async fn handle(
    js: &jetstream::Context,
    kv: Buckets<'_>,
    scoring: &ScoringConfig,
    threshold: u8,
    event: ListingEvent,
) -> Result<(), HandleError> {
    let alerted = kv.alerted;
    let ListingEvent {
        id: event_id,
        listing,
        is_update,
        ..
    } = event;
    let transient = |e: anyhow::Error| HandleError::Transient(e.to_string());
    // A listing that makes the scorer panic is a permanent failure of that message (it goes to
    // the dead-letter subject), not the end of the process: a panic here used to stop every
    // service of `gsa up`, and the redelivery stopped it again at each restart.
    let mut card = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::score(&listing, &event_id, scoring)
    }))
    .map_err(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        HandleError::Permanent(format!(
            "scoring listing {} panicked: {what}",
            listing.listing_id
        ))
    })?;
    let previous = last_card(kv.cards, &listing.listing_id)
        .await
        .map_err(transient)?;
    match previous {
        // A redelivery: publish the same card, with the history it was first published with.
        Some(p) if crate::explain::same_card(&p, &card) => card = p,
        Some(p) => crate::explain::attach(&mut card, &p),
        None => {}
    }
    let card_id = Envelope::<()>::deterministic_id(&["scored", &event_id, &card.model_version]);
    // The card is serialised once: the same bytes are the envelope's `data` and the
    // `gsa_cards` value.
    let card_json = serde_json::value::to_raw_value(&card)
        .map_err(|e| HandleError::Transient(format!("card not serialised: {e}")))?;
    let env = Envelope::new(
        SERVICE,
        event_type::LISTING_SCORED,
        card_id,
        Some(listing.listing_id.clone()),
        &*card_json,
    );
    let card_key = nats::kv_key(&card.listing_id);
    // Published and remembered at once: a crash after either leaves the message unacked, and
    // its redelivery publishes the same card (same id: dropped as a duplicate) and remembers it.
    let remember = async {
        kv.cards
            .put(&card_key, card_json.get().as_bytes().to_vec().into())
            .await?;
        Ok::<_, anyhow::Error>(())
    };
    futures::try_join!(
        nats::publish_event(js, subjects::LISTING_SCORED, &env),
        remember
    )
    .map_err(transient)?;
    drop(env);

    // The listing's first card (no earlier card in gsa_cards, on this delivery or the one that
    // published it) below the threshold: no alert state can exist (the worker and `gsa
    // rescore` write one only after the listing's card is in gsa_cards) and none is due, so
    // gsa_alerted is neither read nor written (two of the five KV round trips of a new
    // listing). A later card that reaches the threshold finds no state and is alerted with
    // reason `rescore` (or `price_cut`), as before.
    let reaches = card.applicable && card.score.is_some_and(|s| s >= threshold);
    if card.previous_model_version.is_none() && !reaches {
        return Ok(());
    }

    let key = nats::kv_key(&listing.listing_id);
    let kv_err = |e: &dyn std::fmt::Display| HandleError::Transient(format!("gsa_alerted: {e}"));
    let entry = alerted.entry(&key).await.map_err(|e| kv_err(&e))?;
    let (state, revision) = match &entry {
        Some(e) if e.operation == kv::Operation::Put => (
            serde_json::from_slice::<AlertState>(&e.value).ok(),
            Some(e.revision),
        ),
        Some(e) => (None, Some(e.revision)),
        None => (None, None),
    };
    let due = alert_due(&card, threshold, state.as_ref());
    let crossing = state.as_ref().map_or(0, |s| s.alerts) + 1;
    let alert_id = Envelope::<()>::deterministic_id(&[
        "alert",
        &event_id,
        &card.model_version,
        &crossing.to_string(),
    ]);
    // Recorded by an earlier delivery of this very message that crashed before publishing.
    let unfinished_id = state
        .as_ref()
        .filter(|s| s.above && !s.published)
        .and_then(|s| s.last_alert_event.clone())
        .filter(|id| {
            let n = state.as_ref().map_or(0, |s| s.alerts).to_string();
            *id == Envelope::<()>::deterministic_id(&["alert", &event_id, &card.model_version, &n])
        });
    let unfinished = unfinished_id.is_some();
    let alert_id = unfinished_id.unwrap_or(alert_id);
    let mut new_state = AlertState {
        above: reaches,
        score: card.score,
        last_alert_event: state.as_ref().and_then(|s| s.last_alert_event.clone()),
        published: state.as_ref().is_none_or(|s| s.published),
        alerts: state.as_ref().map_or(0, |s| s.alerts),
        pending_reason: state.as_ref().and_then(|s| s.pending_reason),
    };
    let reason = if is_update {
        AlertReason::PriceCut
    } else if state.is_none() && card.previous_model_version.is_none() {
        AlertReason::NewListing
    } else {
        AlertReason::Rescore
    };
    let reason = if unfinished {
        new_state.pending_reason.unwrap_or(reason)
    } else {
        reason
    };
    if due {
        new_state.pending_reason = Some(reason);
        new_state.last_alert_event = Some(alert_id.clone());
        new_state.published = false;
        new_state.alerts = crossing;
    }
    let mut revision = revision;
    if state.as_ref() != Some(&new_state) && !unfinished {
        revision = Some(write_state(alerted, &key, &new_state, revision).await?);
    }
    if due || unfinished {
        let alert = HighScoreAlert {
            listing_id: listing.listing_id.clone(),
            reason,
            score: card.score.unwrap_or_default(),
            threshold,
            model_version: card.model_version.clone(),
            title: listing.title.clone(),
            url: listing.url.clone(),
            city: listing.city.clone(),
            state: listing.state.clone(),
            asking_price: listing.asking_price,
            cash_flow: listing.cash_flow,
            gross_revenue: listing.gross_revenue,
            summary: card.summary.clone(),
        };
        let env = Envelope::new(
            SERVICE,
            event_type::ALERT_HIGH_SCORE,
            alert_id.clone(),
            Some(listing.listing_id.clone()),
            alert,
        );
        nats::publish_event(js, subjects::ALERT_HIGH_SCORE, &env)
            .await
            .map_err(transient)?;
        let done = AlertState {
            published: true,
            last_alert_event: Some(alert_id),
            pending_reason: None,
            ..if unfinished {
                state.clone().unwrap_or_else(|| new_state.clone())
            } else {
                new_state
            }
        };
        write_state(alerted, &key, &done, revision).await?;
    }
    Ok(())
}
