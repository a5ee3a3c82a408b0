//! Publishing parsed listings to JetStream, with change detection.
//!
//! What the scraper has seen lives in the JetStream KV bucket `gsa_seen` (listing id -> the
//! merged listing JSON, which carries its content hash and key figures), so several scraper
//! processes share it and the scraper keeps no database of its own. For each parsed listing:
//! * never seen: published on `gsa.listing.scraped`;
//! * seen, and merging it ([`Listing::merged`], less detail never erases more) changes nothing:
//!   not published again (`unchanged`);
//! * seen, and the asking price, cash flow or status changed: published on
//!   `gsa.listing.updated` with the list of changes (a price cut is what buyers care about most);
//! * seen, other fields changed (e.g. a detail page after a search card): published on
//!   `gsa.listing.scraped` with the merged listing.

use async_nats::jetstream::{self, kv};
use gsa_common::nats;
use gsa_schemas::{
    event_type, subjects, Envelope, FieldChange, Listing, ListingUpdated, Rejection, RejectionKind,
};

/// The service name in event sources (`gsa/scraper`).
pub const SERVICE: &str = "scraper";

/// Counts of one publishing run, printed as the one-line summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PublishSummary {
    /// Listings read from the input.
    pub read: usize,
    /// Published on `gsa.listing.scraped`.
    pub published: usize,
    /// Published on `gsa.listing.updated`.
    pub updated: usize,
    /// Seen before with nothing new.
    pub unchanged: usize,
    /// Published on `gsa.listing.rejected` (not blocked).
    pub rejected: usize,
    /// Block pages (403, Access Denied, challenge), also on `gsa.listing.rejected`.
    pub blocked: usize,
}

impl std::fmt::Display for PublishSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "read {}, published {}, updated {}, unchanged {}, rejected {}, blocked {}",
            self.read, self.published, self.updated, self.unchanged, self.rejected, self.blocked
        )
    }
}

impl std::ops::AddAssign for PublishSummary {
    fn add_assign(&mut self, o: Self) {
        self.read += o.read;
        self.published += o.published;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.rejected += o.rejected;
        self.blocked += o.blocked;
    }
}

/// Fields whose change makes a `gsa.listing.updated`.
pub fn key_changes(old: &Listing, new: &Listing) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut cmp = |field: &str, o: serde_json::Value, n: serde_json::Value| {
        if o != n {
            out.push(FieldChange {
                field: field.to_string(),
                old: o,
                new: n,
            });
        }
    };
    cmp(
        "asking_price",
        old.asking_price.into(),
        new.asking_price.into(),
    );
    cmp("cash_flow", old.cash_flow.into(), new.cash_flow.into());
    cmp(
        "status",
        serde_json::to_value(old.status).unwrap_or_default(),
        serde_json::to_value(new.status).unwrap_or_default(),
    );
    out
}

/// Listings [`Publisher::publish`] has in flight at once (KV read, publish, ack, KV write).
pub const PUBLISH_CONCURRENCY: usize = 128;

/// Indices of `listings` grouped by KV key, groups in order of first appearance, each group in
/// input order (so a listing's later copy is merged after its earlier one).
fn by_listing(listings: &[Listing]) -> Vec<Vec<usize>> {
    let mut index: std::collections::HashMap<String, usize> =
        std::collections::HashMap::with_capacity(listings.len());
    let mut groups: Vec<Vec<usize>> = Vec::with_capacity(listings.len());
    for (i, l) in listings.iter().enumerate() {
        let key = nats::kv_key(&l.listing_id);
        match index.get(&key) {
            Some(&g) => groups[g].push(i),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}

/// The publisher: a JetStream context and the `gsa_seen` bucket.
pub struct Publisher {
    js: jetstream::Context,
    seen: kv::Store,
}

impl Publisher {
    /// Binds to the `gsa_seen` bucket (created by [`gsa_common::nats::ensure_streams`] or here).
    pub async fn new(js: jetstream::Context) -> anyhow::Result<Self> {
        let seen = nats::key_value(&js, subjects::KV_SEEN).await?;
        Ok(Self { js, seen })
    }

    /// Publishes listings and rejections, returning the counts. Each listing's event id is
    /// deterministic (listing id + content hash), so a repeated run is dropped by JetStream and
    /// by every consumer.
    pub async fn publish(
        &self,
        listings: &[Listing],
        rejections: &[Rejection],
    ) -> anyhow::Result<PublishSummary> {
        use futures::{StreamExt as _, TryStreamExt as _};
        let mut s = PublishSummary {
            read: listings.len(),
            ..Default::default()
        };
        // Different listings go concurrently (their KV reads, publishes, acks and KV writes
        // pipelined on the one connection); the copies of one listing go in input order.
        let mut outcomes = futures::stream::iter(by_listing(listings))
            .map(|group: Vec<usize>| async move {
                let mut out = Vec::with_capacity(group.len());
                for i in group {
                    out.push(self.publish_listing(&listings[i]).await?);
                }
                Ok::<_, anyhow::Error>(out)
            })
            .buffer_unordered(PUBLISH_CONCURRENCY);
        while let Some(group) = outcomes.try_next().await? {
            for outcome in group {
                match outcome {
                    Outcome::Scraped => s.published += 1,
                    Outcome::Updated => s.updated += 1,
                    Outcome::Unchanged => s.unchanged += 1,
                }
            }
        }
        let mut acks = Vec::with_capacity(rejections.len());
        for r in rejections {
            let env = Envelope::new(
                SERVICE,
                event_type::LISTING_REJECTED,
                r.event_id(),
                r.listing_id.clone(),
                r.clone(),
            );
            acks.push(
                nats::publish_event_nowait(&self.js, subjects::LISTING_REJECTED, &env).await?,
            );
            if r.kind == RejectionKind::Blocked {
                s.blocked += 1;
            } else {
                s.rejected += 1;
            }
        }
        // All published first, then the acks awaited: pipelined.
        for ack in acks {
            ack.await?;
        }
        Ok(s)
    }

    async fn publish_listing(&self, listing: &Listing) -> anyhow::Result<Outcome> {
        let key = nats::kv_key(&listing.listing_id);
        // Compare-and-set on the KV revision so concurrent scrapers do not lose each other's
        // merges; retry a few times on conflict.
        for _ in 0..5 {
            let entry = self.seen.entry(&key).await?;
            let old = entry
                .as_ref()
                .filter(|e| e.operation == kv::Operation::Put)
                .and_then(|e| serde_json::from_slice::<Listing>(&e.value).ok());
            // `merged` borrows the input listing when there is nothing to merge it with.
            let (merged, outcome) = match &old {
                None => (std::borrow::Cow::Borrowed(listing), Outcome::Scraped),
                Some(old) => {
                    let merged = old.merged(listing);
                    if merged.content_hash == old.content_hash {
                        return Ok(Outcome::Unchanged);
                    }
                    let changes = key_changes(old, &merged);
                    if changes.is_empty() {
                        (std::borrow::Cow::Owned(merged), Outcome::Scraped)
                    } else {
                        let upd = ListingUpdated {
                            listing: merged.clone(),
                            changes,
                        };
                        let id = Envelope::<()>::deterministic_id(&[
                            "updated",
                            &merged.listing_id,
                            &merged.content_hash,
                        ]);
                        let env = Envelope::new(
                            SERVICE,
                            event_type::LISTING_UPDATED,
                            id,
                            Some(merged.listing_id.clone()),
                            upd,
                        );
                        nats::publish_event(&self.js, subjects::LISTING_UPDATED, &env).await?;
                        (std::borrow::Cow::Owned(merged), Outcome::Updated)
                    }
                }
            };
            // The merged listing is serialised once: the same bytes are the scraped event's
            // `data` and the `gsa_seen` value.
            let json = serde_json::value::to_raw_value(&*merged)?;
            if outcome == Outcome::Scraped {
                let env = Envelope::new(
                    SERVICE,
                    event_type::LISTING_SCRAPED,
                    merged.event_id(),
                    Some(merged.listing_id.clone()),
                    &*json,
                );
                nats::publish_event(&self.js, subjects::LISTING_SCRAPED, &env).await?;
            }
            let value = json.get().as_bytes().to_vec();
            let cas = match &entry {
                Some(e) => self
                    .seen
                    .update(&key, value.into(), e.revision)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                None => self
                    .seen
                    .create(&key, value.into())
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            };
            match cas {
                Ok(()) => return Ok(outcome),
                Err(e) => {
                    tracing::debug!(listing_id = %listing.listing_id, error = %e, "seen-bucket conflict; retrying")
                }
            }
        }
        anyhow::bail!(
            "listing {}: could not record it in {} after 5 tries",
            listing.listing_id,
            subjects::KV_SEEN
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Scraped,
    Updated,
    Unchanged,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_of_a_listing_stay_in_order() {
        let l = |id: &str, t: &str| Listing {
            listing_id: id.into(),
            title: Some(t.into()),
            ..Default::default()
        };
        let input = [
            l("1", "a"),
            l("2", "b"),
            l("1", "c"),
            l("3", "d"),
            l("2", "e"),
        ];
        let groups = by_listing(&input);
        let titles: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|&i| input[i].title.as_deref().unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(titles, vec![vec!["a", "c"], vec!["b", "e"], vec!["d"]]);
    }

    #[test]
    fn price_cut_is_a_key_change_and_title_is_not() {
        let old = Listing {
            listing_id: "1".into(),
            asking_price: Some(500_000),
            title: Some("A".into()),
            ..Default::default()
        };
        let mut new = old.clone();
        new.title = Some("B".into());
        assert!(key_changes(&old, &new).is_empty());
        new.asking_price = Some(450_000);
        let c = key_changes(&old, &new);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "asking_price");
        assert_eq!(c[0].old, 500_000);
        assert_eq!(c[0].new, 450_000);
    }
}
