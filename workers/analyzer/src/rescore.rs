//! `gsa rescore`: re-score every stored listing under the current model and publish the new
//! cards, each explaining its changes against the listing's stored card.
//!
//! The listings and their latest cards are read from the event store (`listings.data`,
//! `listings.event_id`, `scores.card` in `$GSA_DATA_DIR/gsa.db`, read-only). Each new card is
//! published on `gsa.listing.scored` with the same envelope and deterministic id as the worker
//! (`deterministic("scored", listing event id, model_version)`), so re-running a rescore, or the
//! worker scoring the same event under the same model, stores each card once. The card is also
//! remembered in the `gsa_cards` KV bucket, so the worker's next card of that listing explains
//! itself against it.
//!
//! Alerts: a rescore sends at most one alert. When exactly one listing newly reaches the
//! threshold it is an ordinary `gsa.alert.high_score` with reason `rescore`; when two or more
//! listings cross the threshold (up or down) it is ONE `gsa.alert.rescore_digest` naming them
//! all. The `gsa_alerted` state of every crossing listing is updated after the alert is
//! published, exactly as the worker keeps it, so neither the worker nor a second rescore alerts
//! them again.

use std::path::Path;

use async_nats::jetstream;
use gsa_common::nats;
use gsa_schemas::{
    event_type, subjects, AlertReason, DigestEntry, Envelope, HighScoreAlert, Listing,
    RescoreDigest, ScoreCard,
};

use crate::worker::{last_card, remember_card, write_state, AlertState, SERVICE};
use crate::ScoringConfig;

/// A stored listing and its latest stored card.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The latest merged listing (`listings.data`).
    pub listing: Listing,
    /// Id of the listing event that produced it (`listings.event_id`).
    pub listing_event_id: String,
    /// Its latest score card (`scores.card`), if it was scored and stored.
    pub card: Option<ScoreCard>,
    /// The event id of that card (`scores.event_id`).
    pub card_event_id: Option<String>,
}

/// Reads every stored listing with its latest card, ordered by listing id, from the event store
/// at `path` (opened read-only). Rows whose JSON cannot be read are skipped with a warning.
pub fn read_store(path: &Path) -> anyhow::Result<Vec<Stored>> {
    let conn = gsa_common::db::open_ro(path)?;
    let mut stmt = conn.prepare(
        "SELECT l.listing_id, l.data, l.event_id, s.card, s.event_id
         FROM listings l LEFT JOIN scores s ON s.listing_id = l.listing_id
         ORDER BY l.listing_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, data, event_id, card, card_event_id) = row?;
        let listing: Listing = match serde_json::from_str(&data) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(listing_id = %id, error = %e, "stored listing unreadable, skipped");
                continue;
            }
        };
        let card = card.and_then(|c| serde_json::from_str::<ScoreCard>(&c).ok());
        out.push(Stored {
            listing,
            listing_event_id: event_id,
            card,
            card_event_id,
        });
    }
    Ok(out)
}

/// The event id of a re-scored card: the analyzer's id (`scored`, listing event, model) when no
/// card is stored yet, else chained to the stored card's event id. Re-running the same rescore
/// gives the same id (JetStream and the logging worker drop the duplicate), while a model that
/// comes back (A -> B -> A) gets a new id; with the analyzer's id it repeated the first card's
/// and was dropped as a duplicate, so the store kept B's cards (found in a new-user trial).
pub fn rescored_card_id(listing_event_id: &str, model: &str, stored_card: Option<&str>) -> String {
    match stored_card {
        None => Envelope::<()>::deterministic_id(&["scored", listing_event_id, model]),
        Some(prev) => {
            Envelope::<()>::deterministic_id(&["scored", listing_event_id, model, "after", prev])
        }
    }
}

/// One re-scored listing, as [`plan_alert`] sees it.
#[derive(Debug, Clone)]
pub struct Rescored {
    /// The listing.
    pub listing: Listing,
    /// Its listing event id.
    pub listing_event_id: String,
    /// The new card (with its history attached).
    pub card: ScoreCard,
    /// Its `gsa_alerted` state before this rescore.
    pub state: Option<AlertState>,
    /// KV revision of that state (for compare-and-set).
    pub revision: Option<u64>,
}

impl Rescored {
    /// At or above the threshold under the new model.
    pub fn reaches(&self, threshold: u8) -> bool {
        self.card.applicable && self.card.score.is_some_and(|s| s >= threshold)
    }
    /// Was at or above the threshold (and alerted) before. A crossing recorded by an earlier
    /// rescore that stopped before publishing its alert counts as not yet alerted, so the re-run
    /// sends it.
    pub fn was_above(&self) -> bool {
        self.state.as_ref().is_some_and(|s| {
            s.above && (s.published || s.pending_reason != Some(AlertReason::Rescore))
        })
    }
}

/// What a rescore sends.
#[derive(Debug, Clone, PartialEq)]
pub enum RescoreAlert {
    /// No listing crossed the threshold (or only one fell below it).
    None,
    /// Exactly one listing newly reached the threshold: an ordinary high-score alert with reason
    /// `rescore`, and the listing event id it is about.
    One(Box<HighScoreAlert>, String),
    /// Two or more listings crossed the threshold: one digest.
    Digest(Box<RescoreDigest>),
}

/// Decides the rescore's one alert from every re-scored listing. Pure.
pub fn plan_alert(rescored: &[Rescored], threshold: u8, model_version: &str) -> RescoreAlert {
    let entry = |r: &Rescored| DigestEntry {
        listing_id: r.listing.listing_id.clone(),
        old_score: r.card.previous_score,
        new_score: r.card.score,
        title: r.listing.title.clone(),
        url: r.listing.url.clone(),
        state: r.listing.state.clone(),
        main_change: r
            .card
            .changes
            .iter()
            .find(|c| c.old_points.is_some() || c.new_points.is_some())
            .map(|c| c.reason.clone()),
    };
    let raised: Vec<&Rescored> = rescored
        .iter()
        .filter(|r| r.reaches(threshold) && !r.was_above())
        .collect();
    let lowered: Vec<&Rescored> = rescored
        .iter()
        .filter(|r| !r.reaches(threshold) && r.was_above())
        .collect();
    match (raised.as_slice(), lowered.len()) {
        ([], 0 | 1) => RescoreAlert::None,
        ([r], 0) => RescoreAlert::One(
            Box::new(HighScoreAlert {
                listing_id: r.listing.listing_id.clone(),
                reason: AlertReason::Rescore,
                score: r.card.score.unwrap_or_default(),
                threshold,
                model_version: model_version.to_string(),
                title: r.listing.title.clone(),
                url: r.listing.url.clone(),
                city: r.listing.city.clone(),
                state: r.listing.state.clone(),
                asking_price: r.listing.asking_price,
                cash_flow: r.listing.cash_flow,
                gross_revenue: r.listing.gross_revenue,
                summary: r.card.summary.clone(),
            }),
            r.listing_event_id.clone(),
        ),
        _ => {
            let mut up: Vec<DigestEntry> = raised.iter().map(|r| entry(r)).collect();
            up.sort_by(|a, b| {
                b.new_score
                    .cmp(&a.new_score)
                    .then_with(|| a.listing_id.cmp(&b.listing_id))
            });
            let down: Vec<DigestEntry> = lowered.iter().map(|r| entry(r)).collect();
            let changed = rescored
                .iter()
                .filter(|r| r.card.previous_score != r.card.score)
                .count();
            let summary = format!(
                "Model {model_version}: {} listing{} reached {threshold}, {} fell below.",
                up.len(),
                if up.len() == 1 { "" } else { "s" },
                down.len()
            );
            RescoreAlert::Digest(Box::new(RescoreDigest {
                model_version: model_version.to_string(),
                threshold,
                rescored: rescored.len(),
                changed,
                raised: up,
                lowered: down,
                summary,
            }))
        }
    }
}

/// Deterministic id of a digest: the model and every listing in it with its new score, so a
/// re-run that finds the same crossings publishes the same event.
pub fn digest_id(d: &RescoreDigest) -> String {
    let mut parts: Vec<String> = vec!["rescore-digest".into(), d.model_version.clone()];
    for e in d.raised.iter().chain(d.lowered.iter()) {
        parts.push(format!("{}={:?}", e.listing_id, e.new_score));
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    Envelope::<()>::deterministic_id(&refs)
}

/// The alert a rescore is about to publish: event id, serialized envelope, subject.
struct Outgoing {
    id: String,
    payload: Vec<u8>,
    subject: &'static str,
}

/// What a rescore did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Model version of the new cards.
    pub model_version: String,
    /// Listings re-scored and published.
    pub rescored: usize,
    /// Listings skipped because their stored card already has this model and listing event.
    pub already_current: usize,
    /// Re-scored listings whose score changed.
    pub changed: usize,
    /// Listings that newly reached the threshold.
    pub raised: usize,
    /// Listings that fell below the threshold.
    pub lowered: usize,
    /// The alert sent: `none`, `one`, or `digest`.
    pub alert: &'static str,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rescored {} listings with model {} ({} already current): {} changed score, {} reached the threshold, {} fell below; alert: {}",
            self.rescored,
            self.model_version,
            self.already_current,
            self.changed,
            self.raised,
            self.lowered,
            self.alert
        )
    }
}

/// Re-scores `stored` under `scoring`, publishes every new card (diffed against the stored card,
/// or the last card in `gsa_cards` when none is stored), then at most one alert, then the alert
/// state. `all` re-scores listings whose stored card is already current too. `on_card` sees each
/// published card (the command prints them).
pub async fn run(
    js: &jetstream::Context,
    stored: Vec<Stored>,
    scoring: &ScoringConfig,
    threshold: u8,
    all: bool,
    mut on_card: impl FnMut(&ScoreCard),
) -> anyhow::Result<Summary> {
    let alerted = nats::key_value(js, subjects::KV_ALERTED).await?;
    let cards = nats::key_value(js, subjects::KV_CARDS).await?;
    let model = scoring.model_version();
    let mut summary = Summary {
        model_version: model.clone(),
        ..Default::default()
    };
    let mut rescored = Vec::new();
    for s in stored {
        let mut card = crate::score(&s.listing, &s.listing_event_id, scoring);
        let previous = match s.card {
            Some(c) => Some(c),
            None => last_card(&cards, &s.listing.listing_id).await?,
        };
        if let Some(p) = &previous {
            if crate::explain::same_card(p, &card) && !all {
                summary.already_current += 1;
                continue;
            }
            if !crate::explain::same_card(p, &card) {
                crate::explain::attach(&mut card, p);
            } else {
                card = p.clone();
            }
        }
        let id = rescored_card_id(
            &s.listing_event_id,
            &card.model_version,
            s.card_event_id.as_deref(),
        );
        let env = Envelope::new(
            SERVICE,
            event_type::LISTING_SCORED,
            id,
            Some(card.listing_id.clone()),
            card.clone(),
        );
        nats::publish_event(js, subjects::LISTING_SCORED, &env).await?;
        remember_card(&cards, &card).await?;
        on_card(&card);
        summary.rescored += 1;
        if previous.is_some_and(|p| p.score != card.score) {
            summary.changed += 1;
        }
        let entry = alerted.entry(nats::kv_key(&s.listing.listing_id)).await?;
        let (state, revision) = match &entry {
            Some(e) if e.operation == async_nats::jetstream::kv::Operation::Put => (
                serde_json::from_slice::<AlertState>(&e.value).ok(),
                Some(e.revision),
            ),
            Some(e) => (None, Some(e.revision)),
            None => (None, None),
        };
        rescored.push(Rescored {
            listing: s.listing,
            listing_event_id: s.listing_event_id,
            card,
            state,
            revision,
        });
    }

    let plan = plan_alert(&rescored, threshold, &model);
    summary.raised = rescored
        .iter()
        .filter(|r| r.reaches(threshold) && !r.was_above())
        .count();
    summary.lowered = rescored
        .iter()
        .filter(|r| !r.reaches(threshold) && r.was_above())
        .count();
    // The alert and its id, decided before anything is written.
    let alert: Option<Outgoing> = match plan {
        RescoreAlert::None => {
            summary.alert = "none";
            None
        }
        RescoreAlert::One(alert, listing_event_id) => {
            summary.alert = "one";
            // The worker's id scheme: listing event, model, and the listing's crossing count.
            let crossing = rescored
                .iter()
                .find(|r| r.listing.listing_id == alert.listing_id)
                .and_then(|r| r.state.as_ref())
                .map_or(0, |s| s.alerts)
                + 1;
            let id = Envelope::<()>::deterministic_id(&[
                "alert",
                &listing_event_id,
                &model,
                &crossing.to_string(),
            ]);
            let env = Envelope::new(
                SERVICE,
                event_type::ALERT_HIGH_SCORE,
                id.clone(),
                Some(alert.listing_id.clone()),
                *alert,
            );
            Some(Outgoing {
                id,
                payload: serde_json::to_vec(&env)?,
                subject: subjects::ALERT_HIGH_SCORE,
            })
        }
        RescoreAlert::Digest(digest) => {
            summary.alert = "digest";
            let id = digest_id(&digest);
            let env = Envelope::new(
                SERVICE,
                event_type::ALERT_RESCORE_DIGEST,
                id.clone(),
                None,
                *digest,
            );
            Some(Outgoing {
                id,
                payload: serde_json::to_vec(&env)?,
                subject: subjects::ALERT_RESCORE_DIGEST,
            })
        }
    };

    let alert_id = alert.as_ref().map(|a| a.id.clone());

    // The alert state, kept as the worker keeps it (compare-and-set on the KV revision): every
    // listing that newly reaches the threshold is recorded with the alert about to be sent
    // (`published: false`), then the alert is published, then marked published.
    let mut pending = Vec::new();
    for r in &rescored {
        let reaches = r.reaches(threshold);
        let crossed_up = reaches && !r.was_above() && alert_id.is_some();
        let old = r.state.clone();
        let mut state = AlertState {
            above: reaches,
            score: r.card.score,
            last_alert_event: old.as_ref().and_then(|s| s.last_alert_event.clone()),
            published: old.as_ref().is_none_or(|s| s.published),
            alerts: old.as_ref().map_or(0, |s| s.alerts),
            pending_reason: old.as_ref().and_then(|s| s.pending_reason),
        };
        if crossed_up {
            state.last_alert_event = alert_id.clone();
            state.published = false;
            state.pending_reason = Some(AlertReason::Rescore);
            if !old
                .as_ref()
                .is_some_and(|s| !s.published && s.pending_reason == Some(AlertReason::Rescore))
            {
                state.alerts += 1;
            }
        }
        let key = nats::kv_key(&r.listing.listing_id);
        let mut revision = r.revision;
        if old.as_ref() != Some(&state) {
            revision = Some(
                write_state(&alerted, &key, &state, revision)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?,
            );
        }
        if crossed_up {
            pending.push((key, state, revision));
        }
    }
    if let Some(a) = alert {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", a.id.as_str());
        js.publish_with_headers(a.subject.to_string(), headers, a.payload.into())
            .await?
            .await?;
    }
    for (key, state, revision) in pending {
        let done = AlertState {
            published: true,
            pending_reason: None,
            ..state
        };
        write_state(&alerted, &key, &done, revision)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rescored(id: &str, score: u8, was_above: bool) -> Rescored {
        let listing = Listing {
            listing_id: id.into(),
            title: Some(format!("Gas station {id}")),
            ..Default::default()
        };
        let mut card = crate::score(&listing, "e", &ScoringConfig::default());
        card.applicable = true;
        card.score = Some(score);
        Rescored {
            listing,
            listing_event_id: format!("ev-{id}"),
            card,
            state: Some(AlertState {
                above: was_above,
                score: None,
                last_alert_event: None,
                published: true,
                alerts: u32::from(was_above),
                pending_reason: None,
            }),
            revision: None,
        }
    }

    #[test]
    fn one_crossing_is_one_alert_many_are_one_digest() {
        let m = "rules-2+cfg.00000000";
        assert_eq!(
            plan_alert(&[rescored("a", 70, false)], 80, m),
            RescoreAlert::None
        );
        // One fall below alone is not news.
        assert_eq!(
            plan_alert(&[rescored("a", 70, true)], 80, m),
            RescoreAlert::None
        );
        match plan_alert(&[rescored("a", 85, false), rescored("b", 70, false)], 80, m) {
            RescoreAlert::One(a, ev) => {
                assert_eq!(a.listing_id, "a");
                assert_eq!(a.reason, AlertReason::Rescore);
                assert_eq!(ev, "ev-a");
            }
            other => panic!("{other:?}"),
        }
        // Already above: no second alert.
        assert_eq!(
            plan_alert(&[rescored("a", 85, true)], 80, m),
            RescoreAlert::None
        );
        let all = [
            rescored("a", 85, false),
            rescored("b", 91, false),
            rescored("c", 60, true),
            rescored("d", 90, true),
        ];
        match plan_alert(&all, 80, m) {
            RescoreAlert::Digest(d) => {
                let up: Vec<&str> = d.raised.iter().map(|e| e.listing_id.as_str()).collect();
                assert_eq!(up, ["b", "a"], "highest first");
                assert_eq!(d.lowered.len(), 1);
                assert_eq!(d.lowered[0].listing_id, "c");
                assert_eq!(d.rescored, 4);
                assert!(d.summary.contains("2 listings reached 80, 1 fell below"));
                assert_eq!(digest_id(&d), digest_id(&d.clone()));
            }
            other => panic!("{other:?}"),
        }
    }
}
