//! Fills a `gsa.db` with N stored listings and their score cards, fast, for the gateway load
//! bench (`scripts/bench-gateway`; issue 8 asks for `GET /api/listings` from 100,000 stored
//! listings, issue 6 for listing queries at 100k).
//!
//! ```sh
//! seed_listings --data-dir /tmp/gw --listings 100000
//! ```
//!
//! * Source: the 465 real records of the BizBuySell API data set (parsed once by the scraper's
//!   parser), re-keyed to N distinct listings (`<id>-b<copy>`) as the pipeline bench does.
//! * Cards: the analyzer's real `card::score` under the default scoring configuration, run once
//!   per real record; each copy gets its record's card with its own `listing_id` and
//!   `listing_event_id` (scoring 100k copies of 465 texts would only repeat the same work).
//! * Storage: the logging worker's own writer (`gsa_logger::store::Store::store_batch`), one
//!   transaction per `--batch` events, the same envelopes (ids, sources, types) the scraper
//!   and the analyzer would publish, so the tables, projections and FTS index are exactly what
//!   the pipeline leaves. No NATS.
//!
//! Idempotent: event ids are deterministic, so a second run over the same directory stores
//! nothing new. Progress and the summary go to stderr; stdout gets one JSON summary line.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::Parser;
use gsa_logger::store::{Incoming, Store};

/// The allocator `gsa` ships with (`gsa_common::allocator`), so this measures what ships.
#[global_allocator]
static ALLOCATOR: gsa_common::allocator::Allocator = gsa_common::allocator::Allocator;

#[derive(Debug, Parser)]
#[command(about = "Store N listings and score cards in DATA_DIR/gsa.db (no NATS)")]
struct Args {
    /// Data directory; `gsa.db` is created in it.
    #[arg(long)]
    data_dir: PathBuf,
    /// Listings to store (each with one score card).
    #[arg(long, default_value_t = 100_000)]
    listings: usize,
    /// Events per transaction.
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.batch > 0, "--batch must be at least 1");
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {:?}", args.data_dir))?;
    let db = args.data_dir.join(gsa_common::db::DB_FILE);
    let base = gsa_bench::real_listings()?;
    let scoring = gsa_analyzer::ScoringConfig::default();
    let cards: Vec<_> = base
        .iter()
        .map(|l| gsa_analyzer::score(l, &l.event_id(), &scoring))
        .collect();
    let mut store = Store::open(&db).with_context(|| format!("opening {db:?}"))?;
    let t = Instant::now();
    let (mut stored, mut duplicates) = (0usize, 0usize);
    let mut batch: Vec<Incoming> = Vec::with_capacity(args.batch + 1);
    let flush = |batch: &mut Vec<Incoming>,
                 store: &mut Store,
                 stored: &mut usize,
                 duplicates: &mut usize|
     -> anyhow::Result<()> {
        for r in store.store_batch(batch) {
            match r.context("storing a batch")? {
                gsa_logger::store::Stored::New => *stored += 1,
                gsa_logger::store::Stored::Duplicate => *duplicates += 1,
            }
        }
        batch.clear();
        Ok(())
    };
    for i in 0..args.listings {
        let (l, c) = gsa_bench::copy_events(&base, &cards, i)?;
        batch.push(l);
        batch.push(c);
        if batch.len() >= args.batch {
            flush(&mut batch, &mut store, &mut stored, &mut duplicates)?;
            if (i + 1) % 20_000 < args.batch / 2 {
                eprintln!("seed_listings: {} listings", i + 1);
            }
        }
    }
    flush(&mut batch, &mut store, &mut stored, &mut duplicates)?;
    let secs = t.elapsed().as_secs_f64();
    let rows: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM listings", [], |r| r.get(0))?;
    eprintln!(
        "seed_listings: {} events stored ({duplicates} already there) in {secs:.1} s \
         ({:.0} events/s); {rows} listings in {db:?}",
        stored,
        stored as f64 / secs.max(1e-9)
    );
    println!(
        "{}",
        serde_json::json!({"db": db, "listings": rows, "events_stored": stored,
            "duplicates": duplicates, "seconds": secs})
    );
    Ok(())
}
