//! The logging worker's writer alone: CPU per event of `gsa_logger::store::Store::store_batch`
//! and how it grows with N, without NATS (issue 8: the logging worker was the slowest
//! pipeline stage and not linear in N).
//!
//! ```sh
//! logger_store --listings 100000
//! ```
//!
//! * Events: what the pipeline bench's logging stage receives, built like `seed_listings`
//!   does (the 465 real API records re-keyed to N listings `<id>-b<copy>`; each listing's card
//!   is its record's real `gsa_analyzer::score` card with its own ids), JSON-encoded and parsed
//!   into the store's `Incoming` as the worker does.
//! * Batches: listing events and card events in separate batches of `--batch` (the worker's
//!   two consumers each store their own pull batch), alternating listing and card batches.
//! * Timing: events are built outside the timed region, in chunks. Reported: CPU seconds of
//!   the whole process spent while storing (every thread: the writer and any checkpointer;
//!   from `/proc/self/stat`, minus the building thread's own CPU) and wall seconds, per tenth
//!   of N, so a rate that falls as the tables grow shows. Measure on a quiet machine, or read
//!   the CPU figures.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use gsa_logger::store::{Incoming, Store, Stored};

/// The allocator `gsa` ships with (`gsa_common::allocator`), so this measures what ships.
#[global_allocator]
static ALLOCATOR: gsa_common::allocator::Allocator = gsa_common::allocator::Allocator;

#[derive(Debug, Parser)]
#[command(about = "Time the logging worker's writer on N listings + N cards (no NATS)")]
struct Args {
    /// Listings to store (each with one score card).
    #[arg(long, default_value_t = 10_000)]
    listings: usize,
    /// Events per transaction (the worker's pull batch).
    #[arg(long, default_value_t = gsa_logger::worker::BATCH)]
    batch: usize,
    /// Data directory (default: a temporary one, deleted afterwards).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Store listing and card events together, one transaction per `--batch` of each.
    #[arg(long)]
    mixed: bool,
    /// (experiment) `PRAGMA cache_size` in KiB instead of the writer's own.
    #[arg(long)]
    cache_kib: Option<i64>,
    /// (experiment) `PRAGMA wal_autocheckpoint` in pages instead of the writer's own.
    #[arg(long)]
    autocheckpoint: Option<i64>,
    /// (experiment) page size of a new database, in bytes.
    #[arg(long)]
    page_size: Option<i64>,
}

/// CPU seconds of this thread (`/proc/thread-self/schedstat`, first field, ns).
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

/// CPU seconds of the whole process, user + system (`/proc/self/stat`, clock ticks of 10 ms).
fn process_cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) as f64 / 100.0
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.batch > 0 && args.listings > 0,
        "batch and listings > 0"
    );
    let tmp = tempfile::tempdir()?;
    let dir = args.data_dir.clone().unwrap_or_else(|| tmp.path().into());
    std::fs::create_dir_all(&dir)?;
    let db = dir.join(gsa_common::db::DB_FILE);
    let base = gsa_bench::real_listings()?;
    let scoring = gsa_analyzer::ScoringConfig::default();
    let cards: Vec<_> = base
        .iter()
        .map(|l| gsa_analyzer::score(l, &l.event_id(), &scoring))
        .collect();
    if let Some(p) = args.page_size {
        let c = rusqlite::Connection::open(&db)?;
        c.pragma_update(None, "page_size", p)?;
        c.pragma_update(None, "journal_mode", "WAL")?;
    }
    let mut store = Store::open(&db)?;
    if let Some(c) = args.cache_kib {
        store.conn().pragma_update(None, "cache_size", -c)?;
    }
    if let Some(c) = args.autocheckpoint {
        store.conn().pragma_update(None, "wal_autocheckpoint", c)?;
    }
    let tenth = args.listings.div_ceil(10);
    let (mut building, mut new) = (0.0f64, 0usize);
    let cpu0 = process_cpu();
    let wall0 = Instant::now();
    let mut last = (cpu0, wall0);
    println!("| listings stored | listings/CPU-s (this tenth) | events/CPU-s | listings/s wall |");
    println!("|---:|---:|---:|---:|");
    let mut start = 0;
    while start < args.listings {
        let end = (start + tenth).min(args.listings);
        let b0 = thread_cpu();
        let (mut ls, mut cs) = (Vec::new(), Vec::new());
        for i in start..end {
            let (l, c) = gsa_bench::copy_events(&base, &cards, i)?;
            ls.push(l);
            cs.push(c);
        }
        building += thread_cpu() - b0;
        for (l, c) in ls.chunks(args.batch).zip(cs.chunks(args.batch)) {
            let both;
            let batches: Vec<&[Incoming]> = if args.mixed {
                both = [l, c].concat();
                vec![&both]
            } else {
                vec![l, c]
            };
            for b in batches {
                for r in store.store_batch(b) {
                    if matches!(r?, Stored::New) {
                        new += 1;
                    }
                }
            }
        }
        let (cpu, wall) = (process_cpu() - building, Instant::now());
        let n = (end - start) as f64;
        let dcpu = (cpu - last.0).max(1e-9);
        println!(
            "| {end} | {:.0} | {:.0} | {:.0} |",
            n / dcpu,
            2.0 * n / dcpu,
            n / (wall - last.1).as_secs_f64()
        );
        last = (cpu, wall);
        start = end;
    }
    drop(store);
    let cpu = process_cpu() - cpu0 - building;
    let wall = wall0.elapsed().as_secs_f64() - building;
    let n = args.listings as f64;
    println!(
        "\n{} listings, {new} events stored, batch {}: {cpu:.2} CPU-s ({:.0} listings/CPU-s, \
         {:.0} events/CPU-s, {:.1} us CPU/event); wall (building excluded) {wall:.2} s \
         ({:.0} listings/s); db {:.1} MB, wal {:.1} MB",
        args.listings,
        args.batch,
        n / cpu,
        2.0 * n / cpu,
        cpu * 1e6 / (2.0 * n),
        n / wall,
        std::fs::metadata(&db).map_or(0, |m| m.len()) as f64 / 1e6,
        std::fs::metadata(dir.join(format!("{}-wal", gsa_common::db::DB_FILE)))
            .map_or(0, |m| m.len()) as f64
            / 1e6
    );
    Ok(())
}
