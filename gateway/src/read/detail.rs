//! One listing with everything stored about it: the merged listing, its latest score card, the
//! history of its scores (`score_history`) and of its updates (`gsa.listing.updated.v1` events).

use gsa_schemas::{event_type, FieldChange, Listing, ScoreCard};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;

/// One past score of a listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryPoint {
    /// Event id of the `gsa.listing.scored` event.
    pub event_id: String,
    /// Score 0-100 (`null` when not applicable).
    pub score: Option<i64>,
    /// Model that produced it.
    pub model_version: String,
    /// When it was scored (RFC 3339).
    pub scored_at: String,
}

/// One update of a listing (a changed price, cash flow or status).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Update {
    /// Event id of the `gsa.listing.updated` event.
    pub event_id: String,
    /// When it happened (RFC 3339).
    pub time: String,
    /// What changed.
    pub changes: Vec<FieldChange>,
}

/// Everything stored about one listing.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    /// The listing as stored (raw JSON, so fields a newer scraper adds are not lost).
    pub listing: Value,
    /// The latest score card, `null` when not scored yet.
    pub score: Option<Value>,
    /// Every score, oldest first.
    pub score_history: Vec<HistoryPoint>,
    /// Every update, oldest first.
    pub updates: Vec<Update>,
    /// When the listing was first stored.
    pub first_seen: String,
    /// When it last changed.
    pub updated_at: String,
}

impl Detail {
    /// The listing, typed (`None` if the stored JSON does not match the schema).
    pub fn typed_listing(&self) -> Option<Listing> {
        serde_json::from_value(self.listing.clone()).ok()
    }

    /// The score card, typed.
    pub fn typed_card(&self) -> Option<ScoreCard> {
        self.score
            .as_ref()
            .and_then(|c| serde_json::from_value(c.clone()).ok())
    }
}

/// Reads one listing, or `None` when it is not stored.
pub fn load(conn: &Connection, listing_id: &str) -> anyhow::Result<Option<Detail>> {
    let head: Option<(String, String, String)> = conn
        .query_row(
            "SELECT data, first_seen, updated_at FROM listings WHERE listing_id = ?1",
            [listing_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((data, first_seen, updated_at)) = head else {
        return Ok(None);
    };
    let card: Option<String> = conn
        .query_row(
            "SELECT card FROM scores WHERE listing_id = ?1",
            [listing_id],
            |r| r.get(0),
        )
        .optional()?;
    let mut stmt = conn.prepare(
        "SELECT event_id, score, model_version, scored_at FROM score_history
         WHERE listing_id = ?1 ORDER BY scored_at, event_id",
    )?;
    let score_history = stmt
        .query_map([listing_id], |r| {
            Ok(HistoryPoint {
                event_id: r.get(0)?,
                score: r.get(1)?,
                model_version: r.get(2)?,
                scored_at: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, time, data FROM events WHERE listing_id = ?1 AND type = ?2 ORDER BY time, id",
    )?;
    let updates = stmt
        .query_map([listing_id, event_type::LISTING_UPDATED], |r| {
            let data: String = r.get(2)?;
            let changes = serde_json::from_str::<Value>(&data)
                .ok()
                .and_then(|v| serde_json::from_value(v["changes"].clone()).ok())
                .unwrap_or_default();
            Ok(Update {
                event_id: r.get(0)?,
                time: r.get(1)?,
                changes,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Detail {
        listing: serde_json::from_str(&data).unwrap_or(Value::Null),
        score: card.and_then(|c| serde_json::from_str(&c).ok()),
        score_history,
        updates,
        first_seen,
        updated_at,
    }))
}
